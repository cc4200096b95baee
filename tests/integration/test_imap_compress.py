"""COMPRESS=DEFLATE (RFC 4978) as a client that turns it on sees it (issue 4): the OK comes
plain, then every command and response is raw DEFLATE with a sync flush after each response;
a large message arrives intact through it; a second COMPRESS is refused with
[COMPRESSIONACTIVE]; corrupt compressed input ends only that connection."""
import unittest
import zlib

import harness
from imap_served import Served


class Deflated:
    """One TLS connection speaking IMAP through raw DEFLATE after COMPRESS."""

    def __init__(self, served):
        self.tls = served.raw_tls()
        self.tls.sendall(b"a LOGIN ann@example.test pw\r\n")
        harness.read_until(self.tls, b"a OK")
        self.tls.sendall(b"b COMPRESS DEFLATE\r\n")
        self.greeting = harness.read_until(self.tls, b"b OK DEFLATE active\r\n")
        self.out = zlib.compressobj(wbits=-15)
        self.inflate = zlib.decompressobj(wbits=-15)
        self.pending = b""

    def send(self, line):
        self.tls.sendall(self.out.compress(line) + self.out.flush(zlib.Z_SYNC_FLUSH))

    def read_until(self, marker):
        while marker not in self.pending:
            chunk = self.tls.recv(65536)
            if not chunk:
                raise AssertionError(f"closed before {marker!r}; got {self.pending[-200:]!r}")
            self.pending += self.inflate.decompress(chunk)
        end = self.pending.index(marker) + len(marker)
        got, self.pending = self.pending[:end], self.pending[end:]
        return got


class Compress(Served, unittest.TestCase):
    count = 2
    message = (b"Subject: big\r\n\r\n" + b"All work and no play makes a dull message.\r\n" * 20000)

    def test_commands_and_a_large_fetch_through_deflate(self):
        c = self.client()
        self.assertNotIn("COMPRESS=DEFLATE", c.capabilities)  # pre-login capabilities
        typ, data = c.capability()
        self.assertIn(b"COMPRESS=DEFLATE", data[0])
        c.logout()

        d = Deflated(self)
        self.assertNotIn(b"b BAD", d.greeting)
        d.send(b"c SELECT INBOX\r\n")
        self.assertIn(b"* 2 EXISTS", d.read_until(b"c OK"))
        d.send(b"e FETCH 1 BODY.PEEK[]\r\n")
        reply = d.read_until(b"e OK FETCH completed\r\n")
        self.assertIn(b"{%d}\r\n" % len(self.message), reply)
        self.assertIn(self.message, reply)
        d.send(b"f COMPRESS DEFLATE\r\n")
        self.assertIn(b"f NO [COMPRESSIONACTIVE]", d.read_until(b"\r\n"))
        d.send(b"g LOGOUT\r\n")
        self.assertIn(b"* BYE", d.read_until(b"g OK"))

    def test_corrupt_input_ends_only_that_connection(self):
        d = Deflated(self)
        d.tls.sendall(b"\xff\xfe garbage that is not deflate \x00" * 4)
        d.tls.settimeout(10)
        try:  # the server closes; a time-out (the connection left open) fails the test
            while d.tls.recv(4096):
                pass
        except ConnectionError:
            pass
        c = self.client()
        self.assertEqual(c.noop()[0], "OK")
        c.logout()

    def test_compress_before_login_and_bad_mechanism(self):
        tls = self.raw_tls()
        tls.sendall(b"a COMPRESS DEFLATE\r\n")
        self.assertIn(b"a BAD", harness.read_until(tls, b"\r\n"))
        tls.sendall(b"b LOGIN ann@example.test pw\r\n")
        harness.read_until(tls, b"b OK")
        tls.sendall(b"c COMPRESS LZW\r\n")
        self.assertIn(b"c BAD Unknown compression mechanism", harness.read_until(tls, b"c BAD"))
        tls.close()


if __name__ == "__main__":
    unittest.main()
