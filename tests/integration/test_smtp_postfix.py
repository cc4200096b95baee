"""A real sending MTA delivers into Tessera's MX: Debian Postfix 3.7 (smtp_peers.PostfixMTA, its
own config on 127.0.0.1 high ports) relays what the test submits to it into tessera-smtpd with
STARTTLS, as a remote MTA on the Internet would. Each message is read back over IMAP as the user
sees it: after the trace fields smtpd prepended (Served.body_of) and Postfix's own Received line
(the only header Postfix adds, since every message brings its Date and Message-ID), the bytes
are exactly what was submitted. A recipient Tessera refuses is bounced by Postfix with Tessera's
reply; the bounce goes to the sender's domain, which Postfix discards itself."""
import os
import re
import time
import unittest

import harness
import smtp_peers
import smtp_served

SENDER = "sender@remote.test"  # Postfix discards mail for remote.test (bounces stay in Postfix)
TESSERA_ID = re.compile(rb"^[0-9A-Z]{12,}$")


def trace_and_rest(raw):
    """(the trace fields smtpd prepended, what follows them)."""
    rest = smtp_served.Served.body_of(raw)
    return raw[:len(raw) - len(rest)], rest


def strip_postfix_received(data):
    """Removes the Received header Postfix put on top (it names "(Postfix)"), with its folded
    continuation lines; fails when it is not there."""
    lines = data.split(b"\r\n")
    if not lines[0].startswith(b"Received:"):
        raise AssertionError(f"no Postfix Received on top: {data[:300]!r}")
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    header = b"\r\n".join(lines[:i])
    if b"(Postfix)" not in header:
        raise AssertionError(f"the top Received is not Postfix's: {header!r}")
    return b"\r\n".join(lines[i:])


def tessera_received(trace):
    """Tessera's Received header from the trace fields, unfolded."""
    m = re.search(rb"^Received:.*?\(Tessera\).*?(?=\r\n(?! |\t)|\Z)", trace, re.M | re.S)
    if not m:
        raise AssertionError(f"no Tessera Received in {trace!r}")
    return re.sub(rb"\r\n[ \t]+", b" ", m.group(0))


def message(message_id, subject, body, to="ann@example.test", extra=b""):
    return (b"From: Sender <" + SENDER.encode() + b">\r\n"
            b"To: " + to.encode() + b"\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + message_id.encode() + b">\r\n" + extra +
            b"\r\n" + body)


class PostfixRelaysIn(smtp_served.Served, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = smtp_peers.ensure_postfix()
        if reason:
            raise unittest.SkipTest(reason)
        if not os.path.exists(harness.binary("smtpd")):
            raise AssertionError(f"{harness.binary('smtpd')} is not built")
        cls.postfix = None
        try:
            super().setUpClass()
            cls.postfix = smtp_peers.PostfixMTA(target_port=cls.smtp_port).start()
        except BaseException:
            if cls.postfix:
                cls.postfix.stop()
            cls.stop_started()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.postfix.stop()
        finally:
            super().tearDownClass()

    # --- helpers

    def relay(self, raw, rcpts):
        """Submits to Postfix and waits until Postfix has finished with it (delivered to Tessera
        or bounced); returns {recipient: (status, log line)} from Postfix's log."""
        queue_id = self.postfix.send(raw, SENDER, rcpts)
        self.postfix.wait_queue_empty(timeout=30)
        deliveries = self.postfix.deliveries(queue_id)
        self.assertEqual(set(deliveries), set(rcpts), self.postfix.log_tail())
        return deliveries

    def tessera_id(self, line):
        """The ID in Tessera's "250 2.0.0 Ok: queued as <ID>" that Postfix logged."""
        m = re.search(r"status=sent \(250 2\.0\.0 Ok: queued as (\S+)\)", line)
        self.assertTrue(m, line)
        self.assertRegex(m.group(1).encode(), TESSERA_ID, line)
        return m.group(1)

    def stored(self, message_id, login="ann@example.test", timeout=10.0):
        """Every message of login's INBOX with this Message-ID (acknowledged mail is already
        synced, the wait only covers IMAP's view catching up)."""
        deadline = time.monotonic() + timeout
        needle = b"\r\nMessage-ID: <" + message_id.encode() + b">\r\n"
        while True:
            found = [raw for raw in self.messages(login) if needle in raw]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def check_delivered(self, raw_sent, message_id, tessera_id, login, rcpt=None):
        """Exactly one copy in login's INBOX, its Tessera trace fields right (ESMTPS over TLS,
        the acknowledged ID) and, below them and Postfix's Received, the submitted bytes."""
        copies = self.stored(message_id, login)
        self.assertEqual(len(copies), 1, f"{login}: {len(copies)} copies of <{message_id}>")
        trace, rest = trace_and_rest(copies[0])
        self.assertTrue(trace.startswith((b"Return-Path:", b"Delivered-To:", b"Received:")), trace)
        self.assertIn(b"Return-Path: <" + SENDER.encode() + b">\r\n", trace)
        received = tessera_received(trace)
        self.assertIn(b"from " + self.postfix.myhostname.encode() + b" ([127.0.0.1])", received)
        self.assertIn(b"by mx.example.test (Tessera) with ESMTPS id " + tessera_id.encode(),
                      received)
        self.assertRegex(received, rb"\(using TLSv1\.[23] with cipher [^)]+\)")
        if rcpt:
            self.assertIn(b"for <" + rcpt.encode() + b">;", received)
        # What follows: Postfix's Received, then the message as submitted, byte for byte.
        self.assertEqual(strip_postfix_received(rest), raw_sent)
        return trace

    # --- tests

    def test_plain_7bit_message(self):
        raw = message("plain-7bit@remote.test", b"Plain 7-bit over Postfix",
                      b"Hello Ann,\r\n\r\nthis came through a real MTA.\r\n"
                      b".a line with a leading dot\r\n\r\n-- \r\nSender\r\n")
        deliveries = self.relay(raw, ["ann@example.test"])
        status, line = deliveries["ann@example.test"]
        self.assertEqual(status, "sent", line)
        trace = self.check_delivered(raw, "plain-7bit@remote.test", self.tessera_id(line),
                                     "ann@example.test", rcpt="ann@example.test")
        self.assertIn(b"Delivered-To: ann@example.test\r\n", trace)
        # Postfix's side of the STARTTLS: its smtp client logged the handshake with Tessera.
        self.assertTrue(self.postfix.tls_lines(), self.postfix.log_tail())

    def test_8bit_utf8_body(self):
        body = ("Grüße aus Köln — ½ € ✓\r\n日本語のテキスト\r\n"
                "Ελληνικά, русский, עברית\r\n").encode()
        raw = message("utf8-body@remote.test", b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", body,
                      extra=b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            b"Content-Transfer-Encoding: 8bit\r\n")
        deliveries = self.relay(raw, ["ann@example.test"])
        status, line = deliveries["ann@example.test"]
        self.assertEqual(status, "sent", line)
        # Tessera announces 8BITMIME, so Postfix passes the body on unconverted (no
        # quoted-printable).
        self.check_delivered(raw, "utf8-body@remote.test", self.tessera_id(line),
                             "ann@example.test", rcpt="ann@example.test")

    def test_several_recipients_alias_and_unknown(self):
        raw = message("multi-rcpt@remote.test", b"To three and a stranger",
                      b"One transaction, ann twice (once as sales), bob, and nobody.\r\n",
                      to="ann@example.test, bob@example.test, sales@example.test")
        rcpts = ["ann@example.test", "bob@example.test", "sales@example.test",
                 "nobody@example.test"]
        deliveries = self.relay(raw, rcpts)
        status, line = deliveries["nobody@example.test"]
        self.assertEqual(status, "bounced", line)
        self.assertIn("dsn=5.1.1", line)
        self.assertIn("said: 550 5.1.1 ", line)
        self.assertIn("(in reply to RCPT TO command)", line)
        ids = set()
        for rcpt in rcpts[:3]:
            status, line = deliveries[rcpt]
            self.assertEqual(status, "sent", line)
            ids.add(self.tessera_id(line))
        # Postfix sent the three accepted recipients in one transaction, so one Tessera ID.
        self.assertEqual(len(ids), 1, f"Postfix split the transaction: {ids}")
        tessera_id = ids.pop()
        self.check_delivered(raw, "multi-rcpt@remote.test", tessera_id, "ann@example.test")
        self.check_delivered(raw, "multi-rcpt@remote.test", tessera_id, "bob@example.test")
        # Postfix made a non-delivery notice for nobody@ (to the sender, discarded by Postfix).
        self.assertRegex(self.postfix.log(), r"sender non-delivery notification")

    def test_foreign_recipient_is_relay_denied(self):
        raw = message("foreign@remote.test", b"Not ours", b"Tessera is no open relay.\r\n",
                      to="someone@elsewhere.test")
        deliveries = self.relay(raw, ["someone@elsewhere.test"])
        status, line = deliveries["someone@elsewhere.test"]
        self.assertEqual(status, "bounced", line)
        self.assertIn("said: 554 5.7.1 ", line)


if __name__ == "__main__":
    harness.main()
