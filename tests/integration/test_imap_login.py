"""IMAP login and mailbox listing through the store (issue 4, first step), as Python's imaplib
and a raw TLS socket see it: LOGIN and AUTHENTICATE PLAIN against accounts made with mailctl,
wrong passwords and the end of the connection after three, LOGINDISABLED without TLS, literals
({n} with "+", {n+} without, oversized refused with [TOOBIG]), LIST/LSUB with SPECIAL-USE,
STATUS, SELECT/EXAMINE, and what happens when the store is down."""
import imaplib
import os
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import harness
from imap_served import Served

PASSWORD = "correct horse"


class ImapLogin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tessera-imap-login-")
        cls.cert, cls.key = harness.make_certificate(cls.dir)
        cls.store_port = harness.free_port()
        cls.store = harness.Service("store", {
            "grpc": {"listen": f"127.0.0.1:{cls.store_port}"},
            "data": {"path": os.path.join(cls.dir, "data")},
        }, wait_ports=(cls.store_port,)).start()
        mailctl = [os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl"), "--store",
                   f"127.0.0.1:{cls.store_port}"]
        subprocess.run(mailctl + ["domain", "add", "example.test"], check=True,
                       capture_output=True)
        subprocess.run(mailctl + ["account", "add", "ann@example.test", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        cls.imap_port, cls.imaps_port = harness.free_port(), harness.free_port()
        cls.imap = harness.Service("imap", {
            "listen": {"imap": f"127.0.0.1:{cls.imap_port}",
                       "imaps": f"127.0.0.1:{cls.imaps_port}"},
            "tls": {"cert": cls.cert, "key": cls.key},
            "store": {"address": f"127.0.0.1:{cls.store_port}"},
        }, wait_ports=(cls.imap_port, cls.imaps_port)).start()

    @classmethod
    def tearDownClass(cls):
        cls.imap.stop()
        cls.store.stop()

    def tls_client(self):
        return imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port,
                                 ssl_context=harness.client_tls_context())

    def raw_tls(self):
        sock = socket.create_connection(("127.0.0.1", self.imaps_port))
        tls = harness.client_tls_context().wrap_socket(sock)
        harness.read_until(tls, b"\r\n")
        return tls

    def test_imap_off_in_the_subscription(self):
        """IM-01, API-10: the right password of an account whose subscription has no IMAP gets
        NO [CONTACTADMIN] (RFC 5530 §3); switched on again, the next login works."""
        mailctl = [os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl"), "--store",
                   f"127.0.0.1:{self.store_port}"]
        subprocess.run(mailctl + ["account", "add", "ivy@example.test", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        subprocess.run(mailctl + ["account", "access", "ivy@example.test", "--imap", "off"],
                       check=True, capture_output=True)
        c = self.tls_client()
        with self.assertRaises(imaplib.IMAP4.error) as refused:
            c.login("ivy@example.test", PASSWORD)
        self.assertIn("[CONTACTADMIN] IMAP is not included in this account's subscription",
                      str(refused.exception))
        c.logout()
        subprocess.run(mailctl + ["account", "access", "ivy@example.test", "--imap", "on"],
                       check=True, capture_output=True)
        c = self.tls_client()
        self.assertEqual(c.login("ivy@example.test", PASSWORD)[0], "OK")
        c.logout()

    def test_login_list_status_select(self):
        c = self.tls_client()
        self.assertIn("AUTH=PLAIN", c.capabilities)
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        typ, data = c.login("Ann@Example.test", PASSWORD)
        self.assertEqual(typ, "OK")
        self.assertIn(b"Logged in", data[0])
        typ, lines = c.list()
        self.assertEqual(typ, "OK")
        self.assertEqual(lines, [b'(\\HasNoChildren) "/" INBOX',
                                 b'(\\HasNoChildren \\Sent) "/" Sent',
                                 b'(\\HasNoChildren \\Drafts) "/" Drafts',
                                 b'(\\HasNoChildren \\Trash) "/" Trash',
                                 b'(\\HasNoChildren \\Junk) "/" Spam?',
                                 b'(\\HasNoChildren) "/" Templates'])
        self.assertEqual(c.list('""', "T%")[1], [b'(\\HasNoChildren \\Trash) "/" Trash',
                                                 b'(\\HasNoChildren) "/" Templates'])
        self.assertEqual(c.list('""', '""')[1], [b'(\\Noselect) "/" ""'])
        self.assertEqual(len(c.lsub()[1]), 6)
        typ, status = c.status("inbox", "(MESSAGES UIDNEXT UNSEEN SIZE)")
        self.assertEqual(status, [b"INBOX (MESSAGES 0 UIDNEXT 1 UNSEEN 0 SIZE 0)"])
        typ, exists = c.select("INBOX")
        self.assertEqual((typ, exists), ("OK", [b"0"]))
        self.assertTrue(c.response("UIDVALIDITY")[1][0].isdigit())
        self.assertEqual(c.response("PERMANENTFLAGS")[1][0],
                         b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)")
        typ, _ = c.select('"Spam?"', readonly=True)
        self.assertEqual(typ, "OK")
        self.assertEqual(c.response("READ-ONLY")[0], "READ-ONLY")
        self.assertEqual(c.select("Nowhere")[0], "NO")
        self.assertEqual(c.state, "AUTH")  # a failed SELECT leaves nothing selected
        self.assertIn("UTF8=ACCEPT", c.capabilities)
        typ, data = c.enable("UTF8=ACCEPT")  # RFC 6855: names in UTF-8 from now on
        self.assertEqual((typ, c.untagged_responses.get("ENABLED")), ("OK", [b"UTF8=ACCEPT"]))
        self.assertEqual(c.status('"Spam?"', "(MESSAGES)")[1], [b"Spam? (MESSAGES 0)"])
        c.logout()

    def test_authenticate_plain(self):
        c = self.tls_client()
        typ, _ = c.authenticate("PLAIN", lambda _: f"\0ann@example.test\0{PASSWORD}".encode())
        self.assertEqual(typ, "OK")
        c.logout()

    def test_authenticate_login(self):
        # Outlook's mechanism: base64 "Username:" and "Password:" challenges, one answer each.
        c = self.tls_client()
        self.assertIn("AUTH=LOGIN", c.capabilities)
        challenges = []

        def answer(challenge):
            challenges.append(challenge)
            return "ann@example.test" if len(challenges) == 1 else PASSWORD

        typ, _ = c.authenticate("LOGIN", answer)
        self.assertEqual((typ, challenges), ("OK", [b"Username:", b"Password:"]))
        c.logout()
        # With SASL-IR the user name comes along; "*" cancels with BAD (RFC 9051 §6.2.2).
        tls = self.raw_tls()
        tls.sendall(b"a1 AUTHENTICATE LOGIN YW5uQGV4YW1wbGUudGVzdA==\r\n")
        self.assertIn(b"+ UGFzc3dvcmQ6\r\n", harness.read_until(tls, b"+ UGFzc3dvcmQ6\r\n"))
        tls.sendall(b"*\r\n")
        self.assertIn(b"a1 BAD Authentication cancelled", harness.read_until(tls, b"a1 BAD"))
        tls.sendall(b"a2 AUTHENTICATE LOGIN\r\n")
        harness.read_until(tls, b"+ VXNlcm5hbWU6\r\n")
        tls.sendall(b"not base64!\r\n")
        self.assertIn(b"a2 BAD Response is not base64", harness.read_until(tls, b"a2 BAD"))
        tls.close()

    def test_wrong_passwords_then_disconnect(self):
        tls = self.raw_tls()
        for i in range(1, 4):
            tls.sendall(f"a{i} LOGIN ann@example.test wrong\r\n".encode())
            reply = harness.read_until(tls, f"a{i} NO".encode(), timeout=30)
            self.assertIn(b"[AUTHENTICATIONFAILED] Invalid credentials", reply)
        if b"* BYE" not in reply:
            reply += harness.read_until(tls, b"* BYE", timeout=10)
        self.assertIn(b"* BYE Too many failed logins", reply)
        tls.close()
        # An unknown user is answered exactly like a wrong password.
        c = self.tls_client()
        with self.assertRaises(imaplib.IMAP4.error) as failed:
            c.login("nobody@example.test", "x")
        self.assertIn("[AUTHENTICATIONFAILED]", str(failed.exception))
        c.shutdown()

    def test_literals(self):
        tls = self.raw_tls()
        user = b"ann@example.test"
        tls.sendall(b"a1 LOGIN {%d}\r\n" % len(user))
        self.assertTrue(harness.read_until(tls, b"\r\n").startswith(b"+ "))
        tls.sendall(user + b" {%d+}\r\n%s\r\n" % (len(PASSWORD), PASSWORD.encode()))
        self.assertIn(b"a1 OK", harness.read_until(tls, b"a1 "))
        tls.sendall(b"a2 STATUS {100000}\r\n")
        self.assertIn(b"a2 BAD [TOOBIG]", harness.read_until(tls, b"\r\n"))
        tls.sendall(b"a3 NOOP\r\n")
        self.assertIn(b"a3 OK", harness.read_until(tls, b"a3 OK"))
        tls.close()

    def test_plaintext_login_needs_tls(self):
        c = imaplib.IMAP4("127.0.0.1", self.imap_port)
        self.assertIn("LOGINDISABLED", c.capabilities)
        self.assertIn("STARTTLS", c.capabilities)
        with self.assertRaises(imaplib.IMAP4.error) as refused:
            c.login("ann@example.test", PASSWORD)
        self.assertIn("PRIVACYREQUIRED", str(refused.exception))
        c.starttls(harness.client_tls_context())
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        self.assertEqual(c.login("ann@example.test", PASSWORD)[0], "OK")
        c.logout()


class ImapWithoutStore(unittest.TestCase):
    def test_login_answers_unavailable(self):
        directory = tempfile.mkdtemp(prefix="tessera-imap-nostore-")
        cert, key = harness.make_certificate(directory)
        port = harness.free_port()
        with harness.Service("imap", {
                "listen": {"imap": f"127.0.0.1:{harness.free_port()}",
                           "imaps": f"127.0.0.1:{port}"},
                "tls": {"cert": cert, "key": key},
                "store": {"address": f"127.0.0.1:{harness.free_port()}", "timeout": "2s"},
        }, wait_ports=(port,)):
            c = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=harness.client_tls_context())
            with self.assertRaises(imaplib.IMAP4.error) as failed:
                c.login("ann@example.test", "x")
            self.assertIn("[UNAVAILABLE]", str(failed.exception))
            c.logout()


class ImapAccountLimits(Served, unittest.TestCase):
    """limits.connections_per_account: one more LOGIN is refused with [LIMIT] (RFC 5530) until
    a session of that account ends; the pace of commands slows a flood down, not refuses it."""
    count = 1
    imap_config = {"limits": {"connections_per_account": 2, "commands_per_second": 50}}

    def test_connections_per_account(self):
        first, second = self.client(), self.client()
        third = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=harness.client_tls_context())
        with self.assertRaises(imaplib.IMAP4.error) as refused:
            third.login("ann@example.test", "pw")
        self.assertIn("[LIMIT]", str(refused.exception))
        first.logout()
        deadline = time.monotonic() + 5
        while True:  # the slot is released when the first session's coroutine ends
            try:
                third.login("ann@example.test", "pw")
                break
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.assertEqual(third.noop()[0], "OK")
        second.logout()
        third.logout()

    def test_command_flood_is_slowed_not_refused(self):
        c = self.client()
        started = time.monotonic()
        for _ in range(400):  # burst 250, then 50/s: about 3 s
            self.assertEqual(c.noop()[0], "OK")
        self.assertGreater(time.monotonic() - started, 2.0)
        c.logout()


if __name__ == "__main__":
    harness.main()
