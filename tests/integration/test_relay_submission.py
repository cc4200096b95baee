"""Submission on the relay (issue 6, first part): swaks submits over 465 (implicit TLS) and 587
(STARTTLS) with AUTH; passwords only under TLS (538 5.7.11 before); the sender must be one of the
account's identities in MAIL FROM and in From (550 5.7.1); hosted recipients reach their INBOX
through smtp-in's Inbound.Deliver, others are queued for the Internet; SMS/fax is refused until
the gateway exists; the relay's sending limits and an account's own ones (RL-03)."""
import email
import email.message
import email.policy
import os
import smtplib
import socket
import subprocess
import time
import unittest

import harness
import smtp_served


class SubmissionServed(smtp_served.Served):
    relay_config = {}  # more keys for the relay

    @classmethod
    def smtpd_settings(cls):
        cls.grpc_port = harness.free_port()
        settings = super().smtpd_settings()
        settings["grpc"] = {"listen": f"127.0.0.1:{cls.grpc_port}"}
        return settings

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.submission_port = harness.free_port()
        cls.submissions_port = harness.free_port()
        cls.relay = harness.Service("relayd", {
            "listen": {"submission": f"127.0.0.1:{cls.submission_port}",
                       "submissions": f"127.0.0.1:{cls.submissions_port}"},
            "hostname": "relay.example.test",
            "tls": {"cert": cls.cert, "key": cls.key},
            "store": {"address": cls.store_address},
            "inbound": {"address": f"127.0.0.1:{cls.grpc_port}"},
            "spool": {"path": cls.dir},
            # Queued mail stays queued unless a test points the workers at its own DNS server
            # and sink: nothing may leave loopback.
            "delivery": {"enabled": False},
            **cls.relay_config,
        }, wait_ports=(cls.submission_port, cls.submissions_port)).start()

    @classmethod
    def tearDownClass(cls):
        if cls.relay.proc.poll() is None:
            cls.relay.stop()
        super().tearDownClass()

    def swaks(self, *args, expect=0):
        out = subprocess.run(["swaks", "--server", "127.0.0.1", "--helo", "client.example",
                              *args], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, expect, out.stdout + out.stderr)
        return out.stdout

    def message(self, sender, subject):
        path = os.path.join(self.dir, subject.replace(" ", "_") + ".eml")
        with open(path, "wb") as f:
            f.write(f"From: {sender}\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
                    f"Message-ID: <{time.monotonic_ns()}@client.example>\r\n"
                    f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nHello.\r\n".encode())
        return path

    def auth(self, login="ann@example.test"):
        return ["--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                "--auth-user", login, "--auth-password", "pw", "--from", login]


class Submission(SubmissionServed, unittest.TestCase):
    def test_465_auth_plain_delivers_locally_through_smtp_in(self):
        before = len(self.messages("bob@example.test"))
        data = self.message("ann@example.test", "over 465")
        out = self.swaks("--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                         "--auth-user", "ann@example.test", "--auth-password", "pw",
                         "--from", "ann@example.test", "--to", "bob@example.test",
                         "--data", "@" + data)
        self.assertIn("235 2.7.0 Authentication successful", out)
        self.assertIn("250 2.0.0 Ok: queued as", out)
        stored = self.messages("bob@example.test")
        self.assertEqual(len(stored), before + 1)
        with open(data, "rb") as f:  # swaks ends the data with one more CRLF
            self.assertEqual(self.body_of(stored[-1]), f.read() + b"\r\n")
        self.assertIn(b"with ESMTPSA id", stored[-1])
        self.assertIn(b"Return-Path: <ann@example.test>", stored[-1])

    def test_587_offers_auth_only_after_starttls(self):
        with socket.create_connection(("127.0.0.1", self.submission_port), timeout=10) as s:
            harness.read_until(s, b"\r\n")
            s.sendall(b"EHLO c\r\n")
            ehlo = harness.read_until(s, b"250 ")
            self.assertNotIn(b"AUTH", ehlo)
            self.assertIn(b"STARTTLS", ehlo)
            s.sendall(b"AUTH PLAIN AGFubkBleGFtcGxlLnRlc3QAcHc=\r\n")
            self.assertIn(b"538 5.7.11", harness.read_until(s, b"\r\n"))
            s.sendall(b"MAIL FROM:<ann@example.test>\r\n")
            self.assertIn(b"530 5.7.0 Must issue a STARTTLS command first",
                          harness.read_until(s, b"\r\n"))
        data = self.message("ann@example.test", "over 587")
        out = self.swaks("--port", str(self.submission_port), "-tls", "--auth", "LOGIN",
                         "--auth-user", "ann@example.test", "--auth-password", "pw",
                         "--from", "ann@example.test", "--to", "bob@example.test",
                         "--data", "@" + data)
        self.assertIn("250 AUTH PLAIN LOGIN", out)
        self.assertIn("250 2.0.0 Ok: queued as", out)

    def test_wrong_password_and_no_auth(self):
        out = self.swaks("--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                         "--auth-user", "ann@example.test", "--auth-password", "wrong",
                         "--from", "ann@example.test", "--to", "bob@example.test", expect=28)
        self.assertIn("535 5.7.8", out)
        out = self.swaks("--port", str(self.submissions_port), "--tlsc",
                         "--from", "ann@example.test", "--to", "bob@example.test", expect=23)
        self.assertIn("530 5.7.0 Authentication required", out)

    def test_sending_as_somebody_else_is_refused(self):
        auth = ["--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                "--auth-user", "ann@example.test", "--auth-password", "pw"]
        out = self.swaks(*auth, "--from", "bob@example.test", "--to", "bob@example.test",
                         expect=23)
        self.assertIn("550 5.7.1 <bob@example.test>: Sender address rejected", out)
        data = self.message("bob@example.test", "forged from")
        out = self.swaks(*auth, "--from", "ann@example.test", "--to", "bob@example.test",
                         "--data", "@" + data, expect=26)
        self.assertIn("550 5.7.1 From: header address <bob@example.test> not owned", out)
        # The alias is one of ann's identities.
        data = self.message("sales@example.test", "from the alias")
        out = self.swaks(*auth, "--from", "sales@example.test", "--to", "bob@example.test",
                         "--data", "@" + data)
        self.assertIn("250 2.0.0 Ok: queued as", out)

    def test_missing_date_and_message_id_added_bcc_removed(self):
        path = os.path.join(self.dir, "bare.eml")
        with open(path, "wb") as f:
            f.write(b"From: ann@example.test\r\nTo: bob@example.test\r\n"
                    b"Bcc: secret@example.test,\r\n another@example.test\r\n"
                    b"Subject: bare\r\n\r\nNo date, no id.\r\n")
        before = len(self.messages("bob@example.test"))
        self.swaks("--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                   "--auth-user", "ann@example.test", "--auth-password", "pw",
                   "--from", "ann@example.test", "--to", "bob@example.test",
                   "--data", "@" + path)
        stored = self.messages("bob@example.test")
        self.assertEqual(len(stored), before + 1)
        body = self.body_of(stored[-1])
        self.assertNotIn(b"Bcc:", body)
        self.assertNotIn(b"secret@", body)
        self.assertRegex(body, rb"\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\n")
        self.assertRegex(body, rb"\r\nMessage-ID: <[0-9A-Z]+@relay\.example\.test>\r\n")
        self.assertTrue(body.endswith(b"\r\n\r\nNo date, no id.\r\n\r\n"), body)

    def test_blocked_account_cannot_send_but_still_receives(self):
        self.mailctl("account", "add", "carol@example.test", "--password-stdin", input="pw\n")
        self.mailctl("account", "block", "carol@example.test")
        self.assertIn("blocked", self.mailctl("account", "show", "carol@example.test"))
        auth = ["--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                "--auth-user", "carol@example.test", "--auth-password", "pw",
                "--from", "carol@example.test", "--to", "bob@example.test"]
        out = self.swaks(*auth, expect=23)
        self.assertIn("550 5.7.1 Sending from carol@example.test is blocked", out)
        out = self.swaks("--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                         "--auth-user", "ann@example.test", "--auth-password", "pw",
                         "--from", "ann@example.test", "--to", "carol@example.test")
        self.assertIn("250 2.0.0 Ok: queued as", out)
        self.mailctl("account", "unblock", "carol@example.test")
        out = self.swaks(*auth)
        self.assertIn("250 2.0.0 Ok: queued as", out)

    def test_local_recipient_refused_after_data_gets_the_sender_a_dsn(self):
        self.mailctl("account", "add", "dave@example.test", "--password-stdin", input="pw\n")
        self.mailctl("quota", "set", "dave@example.test", "3KiB")
        path = os.path.join(self.dir, "big.eml")
        with open(path, "wb") as f:
            f.write(b"From: bob@example.test\r\nTo: dave@example.test, ann@example.test\r\n"
                    b"Subject: too big for dave\r\n\r\n" + b"x" * 70 + b"\r\n" * 1 +
                    (b"y" * 70 + b"\r\n") * 70)
        bob_before = len(self.messages("bob@example.test"))
        ann_before = len(self.messages("ann@example.test"))
        out = self.swaks(*self.auth("bob@example.test"),
                         "--to", "dave@example.test,ann@example.test", "--data", "@" + path)
        self.assertIn("250 2.0.0 Ok: queued as", out)
        self.assertEqual(len(self.messages("ann@example.test")), ann_before + 1)
        self.assertEqual(self.messages("dave@example.test"), [])
        bob = self.messages("bob@example.test")
        self.assertEqual(len(bob), bob_before + 1)
        dsn = bob[-1]
        self.assertIn(b"Return-Path: <>", dsn)
        self.assertIn(b"From: Mail Delivery System <MAILER-DAEMON@relay.example.test>", dsn)
        self.assertIn(b"Content-Type: multipart/report; report-type=delivery-status", dsn)
        self.assertIn(b"Final-Recipient: rfc822; dave@example.test\r\nAction: failed\r\n"
                      b"Status: 5.2.2", dsn)
        self.assertIn(b"Subject: too big for dave", dsn)  # the original header comes back

    def test_remote_recipients_are_queued_and_sms_refused(self):
        auth = ["--port", str(self.submissions_port), "--tlsc", "--auth", "PLAIN",
                "--auth-user", "ann@example.test", "--auth-password", "pw",
                "--from", "ann@example.test"]
        out = self.swaks(*auth, "--to", "someone@remote.example")
        self.assertIn("250 2.0.0 Ok: queued as", out)
        deadline = time.monotonic() + 5
        while "queued as entry" not in self.relay.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("for 1 remote recipient(s)", self.relay.output())
        out = self.swaks(*auth, "--to", "0612345678@SMS", expect=24)
        self.assertIn("550 5.1.2", out)
        out = self.swaks(*auth, "--to", "nobody@example.test", expect=24)
        self.assertIn("550 5.1.1", out)


class SendingLimits(SubmissionServed, unittest.TestCase):
    relay_config = {"limits": {"messages_per_hour": 2, "max_recipients": 2}}

    def test_messages_per_hour_and_recipients_per_message(self):
        for _ in range(2):
            self.assertIn("250 2.0.0 Ok: queued as",
                          self.swaks(*self.auth(), "--to", "bob@example.test"))
        out = self.swaks(*self.auth(), "--to", "bob@example.test", expect=23)
        self.assertIn("451 4.7.1 Sending limit of 2 messages per hour reached", out)
        # Another account has its own count; a third recipient is one too many (RL-03).
        out = self.swaks(*self.auth("bob@example.test"),
                         "--to", "ann@example.test,bob@example.test,ann+x@example.test",
                         expect=0)
        self.assertIn("452 4.5.3 Error: too many recipients", out)
        self.assertIn("250 2.0.0 Ok: queued as", out)


class AccountLimits(SubmissionServed, unittest.TestCase):
    """RL-03: an account's own messages_per_hour and max_recipients (mailctl account limits)
    replace the relay's, lower or higher; 0 goes back to the relay's. Each test has its own
    accounts, so the store's hourly counts of one test do not touch another."""
    relay_config = {"limits": {"messages_per_hour": 3, "max_recipients": 3}}

    def account(self, login, *limits):
        self.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        if limits:
            self.mailctl("account", "limits", login, *limits)

    def session(self, login):
        client = smtplib.SMTP_SSL("127.0.0.1", self.submissions_port,
                                  context=harness.client_tls_context(), timeout=30)
        client.ehlo("client.example")
        client.login(login, "pw")
        return client

    def send(self, client, login, recipients=("bob@example.test",)):
        """One transaction: the MAIL reply, then (if 250) each RCPT reply and the final one."""
        replies = [client.mail(login)]
        if replies[0][0] != 250:
            return replies
        replies += [client.rcpt(r) for r in recipients]
        if any(code == 250 for code, _ in replies[1:]):
            replies.append(client.data(f"From: {login}\r\nSubject: limits\r\n\r\nHi.\r\n"))
        else:
            client.rset()
        return replies

    def mail_codes(self, login, count):
        client = self.session(login)
        try:
            return [self.send(client, login)[0][0] for _ in range(count)]
        finally:
            client.quit()

    def test_lower_messages_per_hour_refuses_at_mail_after_the_accounts_own_count(self):
        self.account("low@example.test", "--messages-per-hour", "1")
        self.account("peer@example.test")
        self.assertEqual(self.mail_codes("low@example.test", 2), [250, 451])
        out = self.swaks(*self.auth("low@example.test"), "--to", "bob@example.test", expect=23)
        self.assertIn("451 4.7.1 Sending limit of 1 messages per hour reached", out)
        # Another account, on the relay's 3, is not touched by low's count.
        self.assertEqual(self.mail_codes("peer@example.test", 4), [250, 250, 250, 451])

    def test_higher_messages_per_hour_for_a_bulk_sender_and_back_to_the_default(self):
        self.account("bulk@example.test", "--messages-per-hour", "5")
        self.assertEqual(self.mail_codes("bulk@example.test", 6), [250] * 5 + [451])
        # Back to the relay's 3 (from the next session): the 5 sent already are over it.
        self.mailctl("account", "limits", "bulk@example.test", "--messages-per-hour", "0")
        out = self.swaks(*self.auth("bulk@example.test"), "--to", "bob@example.test", expect=23)
        self.assertIn("451 4.7.1 Sending limit of 3 messages per hour reached", out)

    def test_max_recipients_per_account_lower_and_higher(self):
        self.account("few@example.test", "--max-recipients", "1")
        self.account("many@example.test", "--max-recipients", "5")
        self.account("plain@example.test")
        to = [f"ann+{i}@example.test" for i in range(6)]
        for login, accepted in (("few@example.test", 1), ("many@example.test", 5),
                                ("plain@example.test", 3)):
            client = self.session(login)
            try:
                replies = self.send(client, login, to[:accepted + 1])
            finally:
                client.quit()
            rcpts = replies[1:-1]
            self.assertEqual([code for code, _ in rcpts], [250] * accepted + [452], login)
            self.assertEqual(rcpts[-1][1], b"4.5.3 Error: too many recipients")
            self.assertEqual(replies[-1][0], 250, login)  # the accepted ones get the message
        out = self.swaks(*self.auth("few@example.test"),
                         "--to", "ann@example.test,bob@example.test")
        self.assertIn("452 4.5.3 Error: too many recipients", out)
        self.assertIn("250 2.0.0 Ok: queued as", out)


class MandatorySignature(SubmissionServed, unittest.TestCase):
    """RL-07: the domain's mandatory signature is added to everything its accounts send, where
    the reader sees it, by a mail client that knows nothing of it."""

    @classmethod
    def start_services(cls):
        super().start_services()
        text = os.path.join(cls.dir, "signature.txt")
        html = os.path.join(cls.dir, "signature.html")
        with open(text, "w") as f:
            f.write("Example Office \u2014 the virtual office\n")
        with open(html, "w") as f:
            f.write("<p><b>Example Office</b></p>\n")
        cls.mailctl("domain", "signature", "example.test", "--text-file", text,
                    "--html-file", html)

    def send(self, message):
        with smtplib.SMTP("127.0.0.1", self.submission_port, timeout=30) as s:
            s.starttls(context=harness.client_tls_context())
            s.login("ann@example.test", "pw")
            s.send_message(message, "ann@example.test", ["bob@example.test"])

    def test_plain_text_gets_the_signature_at_its_end(self):
        before = len(self.messages("bob@example.test"))
        message = email.message.EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "ann@example.test", "bob@example.test", "plain")
        message.set_content("See you at noon.\n")
        self.send(message)
        got = self.messages("bob@example.test")
        self.assertEqual(len(got), before + 1)
        parsed = email.message_from_bytes(got[-1], policy=email.policy.default)
        body = parsed.get_content().replace("\r\n", "\n")
        self.assertTrue(body.startswith("See you at noon.\n"), body)
        self.assertTrue(body.rstrip().endswith("Example Office \u2014 the virtual office"), body)

    def test_both_alternatives_get_it_and_an_attachment_stays_intact(self):
        before = len(self.messages("bob@example.test"))
        message = email.message.EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "ann@example.test", "bob@example.test", "alternative")
        message.set_content("Plain words.\n")
        message.add_alternative("<html><body><p>HTML words.</p></body></html>\n",
                                subtype="html")
        message.add_attachment(b"%PDF-1.4 not really", maintype="application",
                               subtype="pdf", filename="a.pdf")
        self.send(message)
        got = self.messages("bob@example.test")
        self.assertEqual(len(got), before + 1)
        parsed = email.message_from_bytes(got[-1], policy=email.policy.default)
        plain = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = parsed.get_body(("html",)).get_content().replace("\r\n", "\n")
        self.assertIn("Plain words.", plain)
        self.assertIn("Example Office \u2014 the virtual office", plain)
        self.assertIn("<p><b>Example Office</b></p>\n</body>", html)
        attachments = list(parsed.iter_attachments())
        self.assertEqual(len(attachments), 1)
        self.assertEqual(attachments[0].get_content(), b"%PDF-1.4 not really")


if __name__ == "__main__":
    harness.main()
