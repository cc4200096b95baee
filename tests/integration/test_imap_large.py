"""A 50 MB message through IMAP (issue 4, IM-*: 50 MB limit): APPEND streams it to the store and
FETCH BODY[] streams it back byte-exact, while the imap process's peak memory grows by far less
than the message (it is never whole in that process: under half of it)."""
import hashlib
import unittest

import harness
from imap_served import Served

SIZE = 50 * 1000 * 1000


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


class LargeMessage(Served, unittest.TestCase):
    count = 0

    def test_append_and_fetch_fifty_megabytes(self):
        body_line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?\r\n"
        header = b"Subject: big\r\nContent-Type: text/plain\r\n\r\n"
        lines = (SIZE - len(header)) // len(body_line)
        message = header + body_line * lines
        digest = hashlib.sha256(message).hexdigest()
        before = peak_rss_kib(self.imap.proc.pid)

        tls = self.raw_tls(timeout=60)
        tls.sendall(b"a LOGIN ann@example.test pw\r\n")
        harness.read_until(tls, b"a OK")
        tls.sendall(b"b APPEND INBOX {%d+}\r\n" % len(message))
        view = memoryview(message)
        for at in range(0, len(message), 1 << 20):
            tls.sendall(view[at:at + (1 << 20)])
        tls.sendall(b"\r\n")
        self.assertIn(b"b OK [APPENDUID", harness.read_until(tls, b"b OK", timeout=120))

        tls.sendall(b"c SELECT INBOX\r\nd FETCH 1 BODY.PEEK[]\r\n")
        head = harness.read_until(tls, b"}\r\n", timeout=60)
        self.assertIn(b"BODY[] {%d}\r\n" % len(message), head)
        got = hashlib.sha256()
        rest = head[head.index(b"}\r\n") + 3:]
        received = len(rest)
        got.update(rest[:len(message)])
        while received < len(message):
            chunk = tls.recv(1 << 20)
            self.assertTrue(chunk, "connection closed inside the literal")
            take = chunk[:len(message) - received]
            got.update(take)
            received += len(chunk)
            rest = chunk[len(take):]
        self.assertEqual(got.hexdigest(), digest)
        self.assertIn(b"d OK", rest + harness.read_until(tls, b"d OK", timeout=60))
        tls.close()

        grown_mib = (peak_rss_kib(self.imap.proc.pid) - before) / 1024
        print(f"imap peak memory grew by {grown_mib:.1f} MiB for a {SIZE // 1000000} MB message")
        self.assertLess(grown_mib, 25, f"imap peak memory grew by {grown_mib:.1f} MiB")


if __name__ == "__main__":
    unittest.main()
