"""A 50 MB message through POP3 (issue 7: "a 50 MB message never sits whole in memory"): put in
the INBOX over IMAP, RETR streams it back byte-exact (after undoing the byte-stuffing), TOP
stops early, and the pop3 process's peak memory grows by far less than the message."""
import hashlib
import imaplib
import socket
import unittest

import harness
from pop3_served import Pop3Served
from test_imap_large import SIZE, peak_rss_kib


class LargeMessage(Pop3Served, unittest.TestCase):
    def test_retr_fifty_megabytes(self):
        body_line = b".0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\r\n"
        header = b"Subject: big\r\nContent-Type: text/plain\r\n\r\n"
        message = header + body_line * ((SIZE - len(header)) // len(body_line))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.imap_port,
                                 ssl_context=harness.client_tls_context(), timeout=120)
        imap.login("ann@example.test", "pw")
        self.assertEqual(imap.append("INBOX", None, None, message)[0], "OK")
        imap.logout()
        before = peak_rss_kib(self.pop3.proc.pid)

        tls = harness.client_tls_context().wrap_socket(
            socket.create_connection(("127.0.0.1", self.pop3s_port), timeout=60),
            server_hostname="localhost")
        harness.read_until(tls, b"\r\n")
        tls.sendall(b"USER ann@example.test\r\nPASS pw\r\n")
        self.assertIn(b"+OK Logged in", harness.read_until(tls, b"messages\r\n"))
        tls.sendall(b"LIST\r\n")
        listing = harness.read_until(tls, b"\r\n.\r\n").split(b"\r\n")
        number = next(line.split()[0] for line in listing[1:]
                      if line.endswith(b" %d" % len(message)))
        tls.sendall(b"RETR %s\r\n" % number)
        received = bytearray()
        while not received.endswith(b"\r\n.\r\n"):
            chunk = tls.recv(1 << 20)
            self.assertTrue(chunk, "connection closed inside the message")
            received += chunk
        first, body = bytes(received).split(b"\r\n", 1)
        self.assertEqual(first, b"+OK %d octets" % len(message))
        body = body[:-len(b".\r\n")].replace(b"\r\n..", b"\r\n.")  # RFC 1939 §3
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(message).hexdigest())
        tls.sendall(b"TOP %s 1\r\n" % number)
        self.assertEqual(harness.read_until(tls, b"\r\n.\r\n"),
                         b"+OK Top of message follows\r\n" + header + b"." + body_line + b".\r\n")
        tls.sendall(b"QUIT\r\n")
        harness.read_until(tls, b"+OK Bye")
        tls.close()

        grown_mib = (peak_rss_kib(self.pop3.proc.pid) - before) / 1024
        print(f"pop3 peak memory grew by {grown_mib:.1f} MiB for a {SIZE // 1000000} MB message")
        self.assertLess(grown_mib, 25, f"pop3 peak memory grew by {grown_mib:.1f} MiB")


if __name__ == "__main__":
    unittest.main()
