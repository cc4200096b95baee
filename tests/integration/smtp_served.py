"""The store + smtpd (+ imap to read mail back) fixture the SMTP integration tests share.

Accounts: ann@example.test (password "pw", alias sales@example.test) and bob@example.test
(password "pw"); domain example.test is hosted, anything else is foreign. smtpd listens on
127.0.0.1 with STARTTLS on `smtp_port` and LMTP on `lmtp_port`; imap (implicit TLS) on
`imap_port` lets tests read what arrived, byte-exact, as a user would.
"""
import imaplib
import os
import re
import socket
import subprocess
import tempfile
import time

import harness


# The final reply of a stored message: "250 2.0.0 Ok: queued as <id>".
QUEUED = re.compile(rb"^250 2\.0\.0 Ok: queued as ([0-9A-Z]{12,})$")


def unfolded_received(raw):
    """Tessera's Received field of a stored message, unfolded."""
    m = re.search(rb"^Received:.*?\(Tessera\).*?(?=\r\n(?! |\t)|\Z)", raw, re.M | re.S)
    if not m:
        raise AssertionError(f"no Tessera Received in {raw[:500]!r}")
    return re.sub(rb"\r\n[ \t]+", b" ", m.group(0))


class Wire:
    """A raw client on a socket: exact bytes out, replies read one at a time."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self, timeout=10.0):
        """One whole (possibly multiline) reply, CRLF-separated, without the last CRLF."""
        self.sock.settimeout(timeout)
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise AssertionError(f"connection closed; got {lines!r} {self.buf!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line)
            if line[3:4] != b"-":
                return b"\r\n".join(lines)

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def closed(self, timeout=5.0):
        """True when the server closed the connection (EOF, nothing more) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return not self.buf
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return not self.buf
        except socket.timeout:
            return False

    def starttls(self):
        assert not self.buf, self.buf
        self.sock = harness.client_tls_context().wrap_socket(self.sock)

    def close(self):
        self.sock.close()


class Served:
    smtpd_config = {}  # more keys for smtpd's configuration
    hostname = "mx.example.test"

    @classmethod
    def setUpClass(cls):
        try:
            cls.start_services()
        except BaseException:
            cls.stop_started()
            raise

    @classmethod
    def stop_started(cls):
        """After a failed setUpClass (unittest skips tearDownClass then): stops what started."""
        for name in ("relay", "pop3", "imap", "smtpd", "store"):  # those a subclass may add too
            service = cls.__dict__.get(name)
            if service is not None and service.proc is not None and service.proc.poll() is None:
                service.stop()

    @classmethod
    def start_services(cls):
        cls.dir = tempfile.mkdtemp(prefix="tessera-smtp-")
        cls.cert, cls.key = harness.make_certificate(cls.dir)
        cls.store, cls.store_address = harness.start_store(cls.dir)
        cls.mailctl("domain", "add", "example.test")
        for login in ("ann@example.test", "bob@example.test"):
            cls.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        cls.mailctl("alias", "add", "ann@example.test", "sales@example.test")
        cls.smtp_port = harness.free_port()
        cls.lmtp_port = harness.free_port()
        cls.smtpd = harness.Service("smtpd", cls.smtpd_settings(),
                                    wait_ports=(cls.smtp_port, cls.lmtp_port)).start()
        cls.imap_port = harness.free_port()
        cls.imap = harness.Service("imap", {
            "listen": {"imap": "", "imaps": f"127.0.0.1:{cls.imap_port}"},
            "tls": {"cert": cls.cert, "key": cls.key},
            "store": {"address": cls.store_address},
        }, wait_ports=(cls.imap_port,)).start()

    @classmethod
    def smtpd_settings(cls):
        return {
            "listen": {"smtp": f"127.0.0.1:{cls.smtp_port}",
                       "lmtp": f"127.0.0.1:{cls.lmtp_port}", },
            "grpc": {"listen": ""},
            "hostname": cls.hostname,
            "tls": {"cert": cls.cert, "key": cls.key},
            "store": {"address": cls.store_address},
            "spool": {"path": cls.dir},
            **cls.smtpd_config,
        }

    @classmethod
    def tearDownClass(cls):
        for service in (cls.imap, cls.smtpd, cls.store):
            if service.proc.poll() is None:
                service.stop()

    @classmethod
    def mailctl(cls, *args, input=None):
        tool = os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl")
        return subprocess.run([tool, "--store", cls.store_address, *args], input=input,
                              text=True, check=True, capture_output=True).stdout

    def imap_client(self, login="ann@example.test"):
        c = imaplib.IMAP4_SSL("127.0.0.1", self.imap_port, ssl_context=harness.client_tls_context())
        c.login(login, "pw")
        return c

    def messages(self, login="ann@example.test", mailbox="INBOX"):
        """Every message of the mailbox as raw bytes, in UID order."""
        c = self.imap_client(login)
        try:
            c.select(mailbox, readonly=True)
            typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
            out = []
            for item in data:
                if isinstance(item, tuple):
                    out.append(item[1])
            return out
        finally:
            c.logout()

    def wait_for_messages(self, count, login="ann@example.test", timeout=20.0):
        """Polls until the INBOX holds at least `count` messages; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages(login)
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.2)

    @staticmethod
    def body_of(raw):
        """What the sender wrote: the stored message without the trace fields smtpd prepended
        (Return-Path, Delivered-To, Received at the top, RFC 5321 §4.4)."""
        lines = raw.split(b"\r\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith((b"Return-Path:", b"Delivered-To:")):
                i += 1
            elif line.startswith(b"Received:") and b"(Tessera)" in b"\r\n".join(lines[i:i + 4]):
                i += 1
                while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                    i += 1
            else:
                break
        return b"\r\n".join(lines[i:])
