"""The IMAP service skeleton as a client sees it: TLS on 993-style and STARTTLS on 143-style
ports, greeting and capabilities, limits, SIGHUP certificate reload, SIGTERM drain."""
import imaplib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import unittest

import harness


class ImapSkeleton(unittest.TestCase):
    def setUp(self):
        self.imap_port = harness.free_port()
        self.imaps_port = harness.free_port()
        self.svc = harness.Service("imap", {}, wait_ports=(self.imap_port, self.imaps_port))
        self.cert, self.key = harness.make_certificate(self.svc.dir, "first")
        config = {
            "listen": {"imap": f"127.0.0.1:{self.imap_port}",
                       "imaps": f"127.0.0.1:{self.imaps_port}"},
            "tls": {"cert": self.cert, "key": self.key},
            "limits": {"connections_per_ip": 4, "max_line": "1KiB"},
            "timeouts": {"login": "2s"},
            "drain": {"timeout": "1s"},
        }
        with open(self.svc.config_path, "w") as f:
            f.write(harness.to_yaml(config) + "\n")
        self.svc.start()

    def tearDown(self):
        if self.svc.proc.poll() is None:
            self.assertEqual(self.svc.stop(), 0, self.svc.output())

    def test_implicit_tls_greeting_and_logout(self):
        client = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port,
                                   ssl_context=harness.client_tls_context())
        self.assertIn("IMAP4REV2", client.capabilities)
        self.assertNotIn("STARTTLS", client.capabilities)  # already TLS
        typ, _ = client.noop()
        self.assertEqual(typ, "OK")
        typ, data = client.logout()
        self.assertEqual(typ, "BYE")

    def test_openssl_s_client_handshake(self):
        done = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.imaps_port}", "-brief", "-ign_eof"],
            input=b"a LOGOUT\r\n", capture_output=True, timeout=20)
        output = (done.stdout + done.stderr).decode()
        self.assertIn("* OK", output)
        self.assertIn("a OK LOGOUT", output)

    def test_starttls_then_capability(self):
        client = imaplib.IMAP4("127.0.0.1", self.imap_port)
        self.assertIn("STARTTLS", client.capabilities)
        self.assertIn("LOGINDISABLED", client.capabilities)
        client.starttls(harness.client_tls_context())
        typ, data = client.capability()
        self.assertNotIn(b"STARTTLS", data[0])
        client.logout()

    def test_commands_pipelined_with_starttls_are_discarded(self):
        # RFC 3207 §4.2 / CVE-2011-0411: "a NOOP" sent in plaintext with STARTTLS must never be
        # answered after the handshake.
        with socket.create_connection(("127.0.0.1", self.imap_port)) as raw:
            harness.read_until(raw, b"\r\n")
            raw.sendall(b"s STARTTLS\r\ninjected NOOP\r\n")
            reply = harness.read_until(raw, b"\r\n")
            self.assertTrue(reply.startswith(b"s OK"), reply)
            tls = harness.client_tls_context().wrap_socket(raw)
            tls.sendall(b"b NOOP\r\n")
            answer = tls.recv(4096)
            self.assertEqual(answer, b"b OK NOOP completed\r\n")

    def test_overlong_line_gets_toobig_and_session_continues(self):
        with socket.create_connection(("127.0.0.1", self.imap_port)) as raw:
            harness.read_until(raw, b"\r\n")
            raw.sendall(b"a NOOP " + b"x" * 100_000 + b"\r\nb NOOP\r\n")
            data = harness.read_until(raw, b"b OK")
            self.assertIn(b"* BAD [TOOBIG]", data)

    def test_bad_commands(self):
        with socket.create_connection(("127.0.0.1", self.imap_port)) as raw:
            harness.read_until(raw, b"\r\n")
            raw.sendall(b"+bad\r\na1 SELECT INBOX\r\n")
            data = harness.read_until(raw, b"a1 BAD")
            self.assertIn(b"* BAD", data)

    def test_login_timeout_says_bye(self):
        with socket.create_connection(("127.0.0.1", self.imap_port), timeout=10) as raw:
            raw.recv(4096)
            started = time.monotonic()
            data = raw.recv(4096)
            self.assertIn(b"* BYE", data)
            self.assertLess(time.monotonic() - started, 6)

    def test_connections_per_ip_limit(self):
        # Connections of earlier tests may still hold their slots for a moment after the client
        # closed (the server notices EOF asynchronously): wait until four fit (bounded).
        for _ in range(50):
            held = [socket.create_connection(("127.0.0.1", self.imap_port)) for _ in range(4)]
            greetings = [s.recv(4096) for s in held]
            if all(g.startswith(b"* OK") for g in greetings):
                break
            for s in held:
                s.close()
            time.sleep(0.1)
        try:
            for g in greetings:
                self.assertTrue(g.startswith(b"* OK"), g)
            with socket.create_connection(("127.0.0.1", self.imap_port), timeout=5) as extra:
                self.assertIn(b"* BYE [UNAVAILABLE]", extra.recv(4096))
        finally:
            for s in held:
                s.close()

    def test_sighup_reloads_certificate(self):
        def served_cert():
            ctx = harness.client_tls_context()
            with socket.create_connection(("127.0.0.1", self.imaps_port)) as raw:
                with ctx.wrap_socket(raw) as tls:
                    return tls.getpeercert(binary_form=True)

        before = served_cert()
        new_cert, new_key = harness.make_certificate(self.svc.dir, "second")
        shutil.copy(new_cert, self.cert)
        shutil.copy(new_key, self.key)
        self.svc.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while served_cert() == before and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertNotEqual(served_cert(), before)
        self.assertIn("reloaded TLS certificate", self.svc.output())

    def test_sigterm_drains_open_sessions_and_exits_zero(self):
        idle = socket.create_connection(("127.0.0.1", self.imap_port))
        idle.recv(4096)
        started = time.monotonic()
        status = self.svc.stop()
        self.assertEqual(status, 0, self.svc.output())
        self.assertLess(time.monotonic() - started, 6)  # drain.timeout 1s + grace
        idle.settimeout(2)
        self.assertEqual(idle.recv(4096), b"")  # closed by the drain, before the login timeout
        idle.close()
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1)


if __name__ == "__main__":
    harness.main()
