"""Bad input and limits on tessera-smtpd's MX listener, over raw sockets: each gets its proper
reply (RFC 5321 §4.5.3, RFC 1870, RFC 3207, RFC 2920), the session goes on or ends as it should,
and no mailbox holds anything half-written: ann's INBOX is read over IMAP before and after and
must be unchanged, or grown by exactly the one message that got 250, byte for byte.

Limits of this class: limits.max_errors 5 (from the 3rd error on each error reply waits a
second), limits.max_recipients 100, limits.commands_without_mail 20; CommandTimeout runs with
timeouts.command 2s."""
import os
import random
import re
import socket
import time
import unittest

import harness
import smtp_served

SENDER = "sender@remote.test"
EHLO = b"EHLO client.remote.test"
MAX_MESSAGE = 50 << 20  # smtpd's default limits.max_message (50MiB)
DATA_GO = b"354 End data with <CR><LF>.<CR><LF>"


def message(subject, body):
    return (b"From: Sender <" + SENDER.encode() + b">\r\n"
            b"To: ann@example.test\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + str(time.monotonic_ns()).encode() + b"@remote.test>\r\n"
            b"\r\n" + body)


def dot_stuff(raw):
    return raw.replace(b"\r\n.", b"\r\n..") + b".\r\n"


class LimitsBase(smtp_served.Served):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.binary("smtpd")):
            raise AssertionError(f"{harness.binary('smtpd')} is not built")
        super().setUpClass()  # stops what it started if it fails

    def wire(self, hello=True):
        w = smtp_served.Wire(self.smtp_port)
        self.addCleanup(w.close)
        greeting = w.reply()
        self.assertEqual(greeting, b"220 mx.example.test ESMTP Tessera")
        if hello:
            self.assertTrue(w.cmd(EHLO).startswith(b"250-mx.example.test\r\n"))
        return w

    def start_data(self, w, rcpts=(b"ann@example.test",)):
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\n" +
               b"".join(b"RCPT TO:<" + r + b">\r\n" for r in rcpts) + b"DATA\r\n")
        self.assertEqual(w.replies(len(rcpts) + 2),
                         [b"250 2.1.0 Ok"] + [b"250 2.1.5 Ok"] * len(rcpts) + [DATA_GO])

    def inbox(self, login="ann@example.test"):
        return self.messages(login)

    def assert_grew_by(self, before, login, reply, sent):
        """login's INBOX is `before` plus exactly one message: the one `reply` named, holding
        exactly `sent` below the trace fields."""
        m = smtp_served.QUEUED.match(reply)
        self.assertTrue(m, reply)
        after = self.inbox(login)
        self.assertEqual(after[:len(before)], before)
        self.assertEqual(len(after), len(before) + 1, f"{login}: {len(after) - len(before)} new")
        new = after[-1]
        self.assertIn(b" id " + m.group(1), re.sub(rb"\r\n[ \t]+", b" ", new[:600]))
        self.assertEqual(self.body_of(new), sent)
        return new


class Limits(LimitsBase, unittest.TestCase):
    smtpd_config = {"limits": {"max_errors": 5, "max_recipients": 100,
                               "commands_without_mail": 20}}

    # --- loops (RFC 5321 §6.3, SEC-10) and a quota found full only after DATA (IN-04)

    def test_delivered_to_the_recipient_is_a_loop(self):
        before = self.inbox()
        w = self.wire()
        self.start_data(w)
        w.send(dot_stuff(b"Delivered-To: ann@example.test\r\n" + message(b"looped", b"x\r\n")))
        self.assertEqual(w.reply(), b"554 5.4.6 Mail forwarding loop for <ann@example.test>")
        self.assertEqual(self.inbox(), before)

    def test_too_many_received_fields_is_a_loop(self):
        before = self.inbox()
        w = self.wire()
        self.start_data(w)
        hops = b"".join(b"Received: from hop%d by hop%d; Tue, 1 Dec 2026 10:00:00 +0000\r\n"
                        % (i, i + 1) for i in range(101))
        w.send(dot_stuff(hops + message(b"around and around", b"x\r\n")))
        self.assertEqual(w.reply(), b"554 5.4.6 Too many hops (101)")
        self.assertEqual(self.inbox(), before)

    def test_quota_full_after_data_holds_the_whole_message_back(self):
        self.mailctl("account", "add", "erin@example.test", "--password-stdin", input="pw\n")
        self.mailctl("quota", "set", "erin@example.test", "3KiB")
        before = self.inbox()
        w = self.wire()
        self.start_data(w, rcpts=(b"ann@example.test", b"erin@example.test"))  # no SIZE
        w.send(dot_stuff(message(b"too big for erin", (b"z" * 998 + b"\r\n") * 5)))
        # One reply for all on port 25: nobody gets a copy, the sender retries later (and is
        # then refused at RCPT for erin alone).
        self.assertEqual(w.reply(), b"452 4.2.2 Mailbox full, try again later")
        self.assertEqual(self.inbox(), before)
        self.assertEqual(self.inbox("erin@example.test"), [])

    # --- (a) size

    def test_oversized_message_refused_after_data(self):
        before = self.inbox()
        w = self.wire()
        self.start_data(w)
        line = b"y" * 998 + b"\r\n"
        block = line * 1024  # 1 MB of 1000-octet lines
        head = message(b"too big", b"")
        w.send(head)
        sent = len(head)
        for _ in range(60):  # bounded: 60 MB at most
            if sent > MAX_MESSAGE + (1 << 20):
                break
            w.send(block)
            sent += len(block)
        self.assertGreater(sent, MAX_MESSAGE + (1 << 20))
        w.send(b".\r\n")
        # RFC 5321 §4.5.3.1.10 / RFC 1870: read to the end, then 552; the session goes on.
        self.assertEqual(w.reply(timeout=60), b"552 5.3.4 Error: message too large")
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(w.cmd(b"RCPT TO:<ann@example.test>"), b"503 5.5.1 Error: need MAIL")
        # A normal message right after it is taken.
        raw = message(b"after the big one", b"small\r\n")
        self.start_data(w)
        w.send(dot_stuff(raw))
        self.assert_grew_by(before, "ann@example.test", w.reply(), raw)
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    def test_size_parameter_over_limit_refused_at_mail(self):
        w = self.wire()
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b"> SIZE=53477376"),
                         b"552 5.3.4 Message size exceeds fixed limit")
        self.assertEqual(w.cmd(b"RCPT TO:<ann@example.test>"), b"503 5.5.1 Error: need MAIL")
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b"> SIZE=%d" % MAX_MESSAGE),
                         b"250 2.1.0 Ok")
        self.assertEqual(w.cmd(b"RSET"), b"250 2.0.0 Ok")
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    # --- (b) long line

    def test_command_line_too_long(self):
        w = self.wire(hello=False)
        w.send(b"EHLO " + b"x" * (1 << 20) + b"\r\n")
        self.assertEqual(w.reply(), b"500 5.5.2 Error: line too long")
        # One reply for the whole line: the next reply is the EHLO's.
        reply = w.cmd(EHLO)
        self.assertTrue(reply.startswith(b"250-mx.example.test\r\n"), reply)
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        w.send(b"MAIL FROM:<" + b"a" * (1 << 20) + b"@remote.test>\r\n")
        self.assertEqual(w.reply(), b"500 5.5.2 Error: line too long")
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b">"), b"250 2.1.0 Ok")
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    # --- (c) garbage and max_errors

    def test_garbage_then_too_many_errors(self):
        w = self.wire()
        rng = random.Random(5321)
        noise = bytes(b for b in rng.randbytes(300) if b not in (10, 13))
        lines = [noise, b"GET / HTTP/1.1", b"\x00\x01\x02\x03", b"XYZZY plugh",
                 b"MAIL\tFROM:<a@b.test>"]
        t0 = time.monotonic()
        for i, line in enumerate(lines[:4]):
            self.assertEqual(w.cmd(line), b"500 5.5.2 Error: command not recognized",
                             f"line {i}: {line[:40]!r}")
        # The 5th error: its reply, then 421 and the end of the session (§3.8).
        self.assertEqual(w.cmd(lines[4]), b"500 5.5.2 Error: command not recognized")
        self.assertEqual(w.reply(), b"421 4.7.0 mx.example.test Error: too many errors")
        self.assertTrue(w.closed(), "connection still open after 421")
        # From the 3rd error on each reply waited a second (the tarpit).
        self.assertGreater(time.monotonic() - t0, 1.5)
        # The next client is served.
        self.assertEqual(self.wire().cmd(b"NOOP"), b"250 2.0.0 Ok")

    # --- (d) client leaves mid-DATA / mid-BDAT

    def test_disconnect_mid_data_stores_nothing(self):
        before = self.inbox()
        w = self.wire()
        self.start_data(w)
        w.send(message(b"half", b"first half of a message\r\n" + b"h" * 20000))
        w.close()
        w = self.wire()
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\nRCPT TO:<ann@example.test>\r\n")
        self.assertEqual(w.replies(2), [b"250 2.1.0 Ok", b"250 2.1.5 Ok"])
        w.send(b"BDAT 5000 LAST\r\n" + message(b"half bdat", b"b" * 1000))
        w.close()
        time.sleep(1.0)
        self.assertEqual(self.inbox(), before)
        # The server goes on serving.
        raw = message(b"after the quitters", b"whole\r\n")
        w = self.wire()
        self.start_data(w)
        w.send(dot_stuff(raw))
        self.assert_grew_by(before, "ann@example.test", w.reply(), raw)

    # --- (e) SMTP smuggling

    def test_smuggling_sequences_do_not_end_data(self):
        before_ann, before_bob = self.inbox(), self.inbox("bob@example.test")
        w = self.wire()
        self.start_data(w)
        data = (message(b"smuggling", b"")
                + b"before LF-dot-LF\n.\nafter LF-dot-LF\r\n"
                + b"before CRLF-dot-LF\r\n.\nafter CRLF-dot-LF\r\n"
                + b"before LF-dot-CRLF\n.\r\n"
                + b"MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                + b"smuggled text\r\n")
        w.send(data + b".\r\n")
        reply = w.reply()
        # Only <CRLF>.<CRLF> ended the data: one message, and the hidden commands were never
        # answered (the next reply is NOOP's).
        self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        # What smtpd documents (libs/smtp/README.md): bare LF is stored as CRLF, and the
        # first dot of a line is transparency (§4.5.2).
        lines = re.split(rb"\r?\n", data[:-2])
        expected = b"".join((l[1:] if l.startswith(b".") else l) + b"\r\n" for l in lines)
        stored = self.assert_grew_by(before_ann, "ann@example.test", reply, expected)
        for text in (b"after LF-dot-LF\r\n", b"after CRLF-dot-LF\r\n",
                     b"\r\nMAIL FROM:<evil@attacker.test>\r\nRCPT TO:<bob@example.test>\r\n"
                     b"DATA\r\nsmuggled text\r\n"):
            self.assertIn(text, stored)
        self.assertTrue(stored.startswith(b"Return-Path: <" + SENDER.encode() + b">\r\n"))
        self.assertEqual(self.inbox("bob@example.test"), before_bob)

    # --- (g) commands without MAIL

    def test_too_many_commands_without_mail(self):
        w = self.wire(hello=False)
        for i in range(20):
            self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok", f"NOOP {i + 1}")
        self.assertEqual(w.cmd(b"NOOP"), b"421 4.7.0 mx.example.test Error: too many commands")
        self.assertTrue(w.closed(), "connection still open after 421")

    def test_mail_resets_the_command_count(self):
        w = self.wire()  # EHLO: 1
        for _ in range(19):
            self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b">"), b"250 2.1.0 Ok")
        for _ in range(20):
            self.assertEqual(w.cmd(b"RSET" if _ == 0 else b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    # --- (h) STARTTLS with a command pipelined behind it

    def test_starttls_drops_pipelined_command(self):
        w = self.wire()
        w.send(b"STARTTLS\r\nMAIL FROM:<a@b.test>\r\n")
        self.assertEqual(w.reply(), b"220 2.0.0 Ready to start TLS")
        w.starttls()
        # RFC 3207 §4.2 (CVE-2011-0411): the MAIL sent in the clear is gone. Its reply never
        # comes, and no transaction was started: RCPT needs a MAIL.
        self.assertEqual(w.cmd(b"RCPT TO:<ann@example.test>"), b"503 5.5.1 Error: need MAIL")
        reply = w.cmd(EHLO)
        self.assertTrue(reply.startswith(b"250-mx.example.test\r\n"), reply)
        self.assertNotIn(b"STARTTLS", reply)
        self.assertEqual(w.cmd(b"RCPT TO:<ann@example.test>"), b"503 5.5.1 Error: need MAIL")
        self.assertEqual(w.cmd(b"MAIL FROM:<a@b.test>"), b"250 2.1.0 Ok")  # not nested
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    def test_starttls_forgets_the_ehlo(self):
        w = self.wire()
        self.assertEqual(w.cmd(b"STARTTLS"), b"220 2.0.0 Ready to start TLS")
        w.starttls()
        # RFC 3207 §4.2: the client must EHLO again.
        self.assertEqual(w.cmd(b"MAIL FROM:<a@b.test>"),
                         b"503 5.5.1 Error: send HELO/EHLO first")
        self.assertTrue(w.cmd(EHLO).startswith(b"250-"))
        self.assertEqual(w.cmd(b"STARTTLS"), b"503 5.5.1 Error: TLS already active")

    # --- (i) too many recipients

    def test_too_many_recipients(self):
        before = self.inbox()
        w = self.wire()
        w.send(b"MAIL FROM:<" + SENDER.encode() + b">\r\n" +
               b"".join(b"RCPT TO:<ann+%d@example.test>\r\n" % i for i in range(1, 102)))
        replies = w.replies(102)
        self.assertEqual(replies[0], b"250 2.1.0 Ok")
        self.assertEqual(replies[1:101], [b"250 2.1.5 Ok"] * 100)
        self.assertEqual(replies[101], b"452 4.5.3 Error: too many recipients")  # §4.5.3.1.10
        raw = message(b"to ann 101 times", b"Only the first 100 were accepted.\r\n")
        self.assertEqual(w.cmd(b"DATA"), DATA_GO)
        w.send(dot_stuff(raw))
        stored = self.assert_grew_by(before, "ann@example.test", w.reply(), raw)
        self.assertIn(b"Delivered-To: ann@example.test\r\n", stored)
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")


class CommandTimeout(LimitsBase, unittest.TestCase):
    smtpd_config = {"timeouts": {"command": "2s"}}

    def test_idle_connection_gets_421(self):
        w = self.wire(hello=False)
        t0 = time.monotonic()
        self.assertEqual(w.reply(timeout=10),
                         b"421 4.4.2 mx.example.test Error: timeout exceeded")
        elapsed = time.monotonic() - t0
        self.assertGreater(elapsed, 1.5)
        self.assertLess(elapsed, 5.0)
        self.assertTrue(w.closed(), "connection still open after 421")

    def test_idle_in_transaction_stores_nothing(self):
        before = self.inbox()
        w = self.wire()
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b">"), b"250 2.1.0 Ok")
        self.assertEqual(w.cmd(b"RCPT TO:<ann@example.test>"), b"250 2.1.5 Ok")
        self.assertEqual(w.reply(timeout=10),
                         b"421 4.4.2 mx.example.test Error: timeout exceeded")
        self.assertTrue(w.closed())
        self.assertEqual(self.inbox(), before)

    def test_active_session_is_not_cut(self):
        w = self.wire()
        for _ in range(4):  # 4 s of commands, each within the 2 s timeout
            time.sleep(1.0)
            self.assertEqual(w.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")


class ConnectionLimits(LimitsBase, unittest.TestCase):
    smtpd_config = {"limits": {"connections_per_ip": 2}}

    def test_connections_past_the_per_ip_limit_get_421(self):
        first, second = smtp_served.Wire(self.smtp_port), smtp_served.Wire(self.smtp_port)
        for w in (first, second):
            self.assertTrue(w.reply().startswith(b"220 mx.example.test ESMTP"))
        third = smtp_served.Wire(self.smtp_port)
        self.assertEqual(third.reply(), b"421 4.7.0 Error: too many connections, try again later")
        self.assertTrue(third.closed())
        self.assertEqual(first.cmd(b"QUIT"), b"221 2.0.0 Bye")
        first.close()
        # The slot comes back once the first session has ended.
        deadline = time.monotonic() + 5
        while True:
            fourth = smtp_served.Wire(self.smtp_port)
            greeting = fourth.reply()
            if greeting.startswith(b"220") or time.monotonic() > deadline:
                break
            fourth.close()
            time.sleep(0.1)
        self.assertTrue(greeting.startswith(b"220"), greeting)
        second.close()
        fourth.close()


if __name__ == "__main__":
    harness.main()
