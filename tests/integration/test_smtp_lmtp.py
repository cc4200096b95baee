"""LMTP (RFC 2033) and CHUNKING (RFC 3030) as an MTA in front of Tessera uses them: Python's
smtplib.LMTP and raw sockets on tessera-smtpd's LMTP and SMTP listeners. After the data LMTP
answers once per accepted recipient, in RCPT order (RFC 2033 §4.2), so one full mailbox fails
only its own recipient; ann named twice (ann@ and its alias sales@) still gets one copy. BDAT
chunks are taken as they are, without dot-unstuffing. Every message a recipient got 250 for is
read back over IMAP and compared byte for byte below smtpd's trace fields.

smtplib (3.11) note: LMTP.sendmail is SMTP.sendmail; it returns the RCPT refusals as a dict
but reads only the first reply after the data, so a caller reads the other recipients' replies
itself with getreply()."""
import os
import re
import smtplib
import socket
import time
import unittest

import harness
import smtp_served

SENDER = "sender@remote.test"
LHLO = "mta.example.test"
QUOTA_ACCOUNT = "carol@example.test"  # receives nothing, so its usage stays 0


def message(subject, body, to="ann@example.test"):
    return (b"From: Sender <" + SENDER.encode() + b">\r\n"
            b"To: " + to.encode() + b"\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + str(time.monotonic_ns()).encode() + b"@remote.test>\r\n"
            b"\r\n" + body)


class Lmtp(smtp_served.Served, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.binary("smtpd")):
            raise AssertionError(f"{harness.binary('smtpd')} is not built")
        try:
            super().setUpClass()
            cls.mailctl("account", "add", QUOTA_ACCOUNT, "--password-stdin", input="pw\n")
        except BaseException:
            cls.stop_started()
            raise

    def wire(self, port, hello):
        w = smtp_served.Wire(port)
        self.addCleanup(w.close)
        greeting = w.reply()
        self.assertTrue(greeting.startswith(b"220 mx.example.test "), greeting)
        reply = w.cmd(hello)
        self.assertTrue(reply.startswith(b"250-mx.example.test\r\n"), reply)
        self.assertIn(b"\r\n250-CHUNKING\r\n", reply)
        return w

    def stored(self, queue_id, login):
        needle = re.compile(rb" id " + re.escape(queue_id) + rb"\b")
        return [raw for raw in self.messages(login) if needle.search(smtp_served.unfolded_received(raw))]

    def one_copy(self, queue_id, sent, login):
        copies = self.stored(queue_id, login)
        self.assertEqual(len(copies), 1, f"{login}: {len(copies)} copies of {queue_id!r}")
        self.assertEqual(self.body_of(copies[0]), sent)
        return copies[0]

    def queue_id(self, reply):
        m = smtp_served.QUEUED.match(reply)
        self.assertTrue(m, reply)
        return m.group(1)

    # --- (a) mixed recipients

    def test_mixed_recipients_with_smtplib(self):
        raw = message(b"LMTP four recipients", b"ann, nobody, bob and sales.\r\n")
        rcpts = ["ann@example.test", "nobody@example.test", "bob@example.test",
                 "sales@example.test"]
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, local_hostname=LHLO, timeout=15) as c:
            refused = c.sendmail(SENDER, rcpts, raw)
            self.assertEqual(refused, {"nobody@example.test": (
                550, b"5.1.1 <nobody@example.test>: Recipient address rejected: User unknown")})
            # sendmail read ann's reply; bob's and sales' follow, then the session is in step.
            bob, sales = c.getreply(), c.getreply()
            self.assertEqual(c.noop(), (250, b"2.0.0 Ok"))
        self.assertEqual(bob[0], 250, bob)
        self.assertEqual(sales, bob)
        queue_id = re.fullmatch(rb"2\.0\.0 Ok: queued as ([0-9A-Z]{12,})", bob[1]).group(1)
        ann = self.one_copy(queue_id, raw, "ann@example.test")
        self.one_copy(queue_id, raw, "bob@example.test")
        self.assertIn(b" with LMTP id ", smtp_served.unfolded_received(ann))

    def test_mixed_recipients_reply_per_recipient(self):
        w = self.wire(self.lmtp_port, b"LHLO " + LHLO.encode())
        raw = message(b"LMTP raw", b"One reply per accepted recipient.\r\n.dot\r\n")
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\n"
               b"RCPT TO:<ann@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
               b"RCPT TO:<bob@example.test>\r\nRCPT TO:<sales@example.test>\r\nDATA\r\n")
        self.assertEqual(w.replies(6), [
            b"250 2.1.0 Ok", b"250 2.1.5 Ok",
            b"550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
            b"250 2.1.5 Ok", b"250 2.1.5 Ok", b"354 End data with <CR><LF>.<CR><LF>"])
        w.send(raw.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        # RFC 2033 §4.2: ann, bob, sales — three replies, in RCPT order.
        ann, bob, sales = w.replies(3)
        queue_id = self.queue_id(ann)
        self.assertEqual(bob, ann)
        self.assertEqual(sales, ann)
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")  # nothing more was pending
        stored = self.one_copy(queue_id, raw, "ann@example.test")
        self.one_copy(queue_id, raw, "bob@example.test")
        self.assertNotIn(b"Delivered-To:", stored[:len(stored) - len(raw)])

    def test_lmtp_wants_lhlo(self):
        w = smtp_served.Wire(self.lmtp_port)
        self.addCleanup(w.close)
        self.assertTrue(w.reply().startswith(b"220 mx.example.test LMTP"))
        self.assertEqual(w.cmd(b"EHLO " + LHLO.encode()), b"500 5.5.1 Error: use LHLO in LMTP")
        self.assertEqual(w.cmd(b"HELO " + LHLO.encode()), b"500 5.5.1 Error: use LHLO in LMTP")
        self.assertTrue(w.cmd(b"LHLO " + LHLO.encode()).startswith(b"250-"))

    # --- (b) quota

    def test_over_quota_refused_at_rcpt_by_size(self):
        self.mailctl("quota", "set", QUOTA_ACCOUNT, "2KiB")
        w = self.wire(self.lmtp_port, b"LHLO " + LHLO.encode())
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b"> SIZE=10000"),
                         b"250 2.1.0 Ok")
        self.assertEqual(w.cmd(b"RCPT TO:<" + QUOTA_ACCOUNT.encode() + b">"),
                         b"552 5.2.2 Mailbox full")
        self.assertEqual(w.cmd(b"RCPT TO:<ann@example.test>"), b"250 2.1.5 Ok")
        raw = message(b"ann only", b"carol's mailbox is full.\r\n")
        self.assertEqual(w.cmd(b"DATA"), b"354 End data with <CR><LF>.<CR><LF>")
        w.send(raw + b".\r\n")
        self.one_copy(self.queue_id(w.reply()), raw, "ann@example.test")  # ann alone
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(self.messages(QUOTA_ACCOUNT), [])

    def test_over_quota_after_data_fails_only_that_recipient(self):
        self.mailctl("quota", "set", QUOTA_ACCOUNT, "3KiB")
        w = self.wire(self.lmtp_port, b"LHLO " + LHLO.encode())
        # No SIZE: the RCPT check cannot know, the store finds out at delivery.
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\nRCPT TO:<ann@example.test>\r\n"
               b"RCPT TO:<" + QUOTA_ACCOUNT.encode() + b">\r\nDATA\r\n")
        self.assertEqual(w.replies(4), [b"250 2.1.0 Ok", b"250 2.1.5 Ok", b"250 2.1.5 Ok",
                                        b"354 End data with <CR><LF>.<CR><LF>"])
        raw = message(b"5 KB", b"".join(b"%04d " % i + b"q" * 73 + b"\r\n" for i in range(64)),
                      to="ann@example.test, " + QUOTA_ACCOUNT)
        self.assertGreater(len(raw), 5000)
        w.send(raw + b".\r\n")
        ann, carol = w.replies(2)
        self.assertEqual(carol, b"552 5.2.2 <" + QUOTA_ACCOUNT.encode() + b">: Mailbox full")
        stored = self.one_copy(self.queue_id(ann), raw, "ann@example.test")
        self.assertIn(b"Delivered-To: ann@example.test\r\n", stored)
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(self.messages(QUOTA_ACCOUNT), [])

    # --- (c) BDAT

    def bdat_chunks(self):
        head = message(b"chunked", b"")
        first = (head + b".a line with a leading dot\r\n.\r\n..two dots\r\n"
                 b"a lone dot line above is content in BDAT\r\n")
        first += b"1" * (1000 - len(first) - 2) + b"\r\n"
        second = b"\r\n.\r\n" + b"2" * (500 - 7) + b"\r\n"
        self.assertEqual((len(first), len(second)), (1000, 500))
        return first, second

    def test_bdat_on_smtp(self):
        first, second = self.bdat_chunks()
        w = self.wire(self.smtp_port, b"EHLO client.remote.test")
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\nRCPT TO:<ann@example.test>\r\n"
               b"BDAT 1000\r\n" + first + b"BDAT 500 LAST\r\n" + second)
        replies = w.replies(4)
        self.assertEqual(replies[:3], [b"250 2.1.0 Ok", b"250 2.1.5 Ok",
                                       b"250 2.0.0 1000 octets received"])
        stored = self.one_copy(self.queue_id(replies[3]), first + second, "ann@example.test")
        self.assertIn(b" with ESMTP id ", smtp_served.unfolded_received(stored))
        self.assertEqual(w.cmd(b"DATA"), b"503 5.5.1 Error: need MAIL")  # transaction over
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    def test_bdat_on_lmtp(self):
        first, second = self.bdat_chunks()
        w = self.wire(self.lmtp_port, b"LHLO " + LHLO.encode())
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\nRCPT TO:<ann@example.test>\r\n"
               b"RCPT TO:<nobody@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
               b"BDAT 1000\r\n" + first + b"BDAT 500 LAST\r\n" + second)
        replies = w.replies(7)
        self.assertEqual(replies[:5], [
            b"250 2.1.0 Ok", b"250 2.1.5 Ok",
            b"550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
            b"250 2.1.5 Ok", b"250 2.0.0 1000 octets received"])
        ann, bob = replies[5:]
        self.assertEqual(bob, ann)
        queue_id = self.queue_id(ann)
        self.one_copy(queue_id, first + second, "ann@example.test")
        self.one_copy(queue_id, first + second, "bob@example.test")
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")


if __name__ == "__main__":
    harness.main()
