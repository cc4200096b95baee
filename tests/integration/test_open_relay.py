"""Open-relay battery: without AUTH, no trick gets mail for a remote domain through Tessera,
neither on smtp-in's MX port (the RCPT is refused: 554 5.7.1 relay denied, 550 5.1.1 unknown
user of the hosted domain, 501 5.1.3 syntax) nor on the relay's submission ports, 587 after
STARTTLS and 465 (implicit TLS), where MAIL already gets 530 5.7.0 and RCPT and DATA 503 5.5.1.
Every probe also tries DATA, which must be refused too, so no message is ever taken.

"Nothing relayed" is checked end to end: dnsmasq answers for evil.test (MX on 127.0.0.1) and
the relay's delivery workers send to an smtp-sink there (`delivery.port`), which stands for "the
Internet" and must receive nothing new; the relay logs every queue entry it makes for the
Internet ("queued as entry ...") and that count must not move either; ann's and bob's mailboxes
stay as they were. The positive control — an authenticated submission to the same remote
address — is queued and reaches the sink, which proves the checks can see a relayed message.

Sending as another account (550 5.7.1) is tested in test_relay_submission.py."""
import base64
import os
import smtplib
import subprocess
import time
import unittest

import harness
import smtp_peers
import smtp_served
from outbound_peers import DnsZone, Sink
import test_smtp_swaks
from test_relay_submission import SubmissionServed

SENDER = b"sender@remote.test"
SYNTAX = b"501 5.1.3 Bad recipient address syntax"
NO_VALID = b"554 5.5.1 Error: no valid recipients"
NEED_MAIL = b"503 5.5.1 Error: need MAIL"
AUTH_REQUIRED = b"530 5.7.0 Authentication required"


def denied(rcpt):
    return b"554 5.7.1 <" + rcpt + b">: Relay access denied"


def unknown(rcpt):
    return b"550 5.1.1 <" + rcpt + b">: Recipient address rejected: User unknown"


# (what, recipient as sent inside <>, needs SMTPUTF8, smtp-in's reply to RCPT).
TRICKS = [
    ("plain remote", b"user@evil.test", False, denied(b"user@evil.test")),
    ("postmaster of a remote domain", b"postmaster@evil.test", False,
     denied(b"postmaster@evil.test")),
    ("percent hack", b"user%evil.test@example.test", False,
     unknown(b"user%evil.test@example.test")),
    ("percent hack on a real account", b"ann%evil.test@example.test", False,
     unknown(b"ann%evil.test@example.test")),
    # RFC 5321 §4.1.1.3: the route is ignored, leaving user@evil.test.
    ("source route", b"@example.test:user@evil.test", False, denied(b"user@evil.test")),
    ("quoted local part with @", b'"user@evil.test"@example.test', False,
     unknown(b'"user@evil.test"@example.test')),
    ("bang path at the hosted domain", b"evil.test!user@example.test", False,
     unknown(b"evil.test!user@example.test")),
    ("bang path alone", b"evil.test!user", False, SYNTAX),
    ("two @", b"user@evil.test@example.test", False, SYNTAX),
    ("two @, hosted first", b"ann@example.test@evil.test", False, SYNTAX),
    # RFC 5321 §4.1.2: a Domain has no trailing dot, so both are syntax errors; the hosted one
    # is not taken for example.test (nor relayed).
    ("trailing dot, remote", b"user@evil.test.", False, SYNTAX),
    ("trailing dot, hosted domain", b"user@example.test.", False, SYNTAX),
    ("trailing dot, hosted account", b"ann@example.test.", False, SYNTAX),
    ("IPv4 address literal", b"user@[127.0.0.1]", False, denied(b"user@[127.0.0.1]")),
    ("IPv6 address literal", b"user@[IPv6:::1]", False, denied(b"user@[IPv6:::1]")),
    ("loopback name", b"user@localhost", False, denied(b"user@localhost")),
    ("upper case", b"user@EVIL.TEST", False, denied(b"user@EVIL.TEST")),
    ("mixed case", b"User@Evil.Test", False, denied(b"User@Evil.Test")),
    ("IDN U-label", "user@évil.test".encode(), True, denied("user@évil.test".encode())),
    ("IDN A-label", b"user@xn--vil-9la.test", False, denied(b"user@xn--vil-9la.test")),
    # RFC 6531 §3.4: a UTF-8 address without SMTPUTF8 is refused before any lookup.
    ("IDN U-label without SMTPUTF8", "user@évil.test".encode(), False, None),
    # example.test with a Cyrillic "а": another domain, however alike it looks.
    ("look-alike of the hosted domain", "ann@exаmple.test".encode(), True,
     denied("ann@exаmple.test".encode())),
    ("look-alike, A-label", b"ann@xn--exmple-4nf.test", False, denied(b"ann@xn--exmple-4nf.test")),
]

# A recipient with a line break inside: the line ends there (bare LF too, as in Postfix), the
# first part is a bad address, the rest an unknown command; a bare CR stays in the address,
# which is then bad. Then DATA finds no recipient.
BROKEN_LINES = [
    (b"RCPT TO:<user\r\n@evil.test>\r\n", [SYNTAX, b"500 5.5.2 Error: command not recognized"]),
    (b"RCPT TO:<ann@example.test\r\n@evil.test>\r\n",
     [SYNTAX, b"500 5.5.2 Error: command not recognized"]),
    (b'RCPT TO:<"user@evil.test\r\n"@example.test>\r\n',
     [SYNTAX, b"500 5.5.2 Error: command not recognized"]),
    (b"RCPT TO:<user\n@evil.test>\r\n", [SYNTAX, b"500 5.5.2 Error: command not recognized"]),
    (b"RCPT TO:<ann@example.test\r@evil.test>\r\n", [SYNTAX]),
    (b"RCPT TO:<ann@example.test>\rRCPT TO:<user@evil.test>\r\n", [SYNTAX]),
]


class OpenRelay(SubmissionServed, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for reason in (smtp_peers.ensure_postfix(), test_smtp_swaks.ensure_swaks()):
            if reason:
                raise unittest.SkipTest(reason)
        cls.sink = Sink().start()
        cls.zone = DnsZone([("evil.test", "mx.evil.test", 10)],
                           {"mx.evil.test": ["127.0.0.1"]}).start()
        # Every remote domain here is the sink or does not exist: nothing leaves loopback.
        cls.relay_config = {"delivery": {"port": cls.sink.port, "poll": "200ms",
                                         "internal_addresses": True},
                            "dns": {"servers": [cls.zone.server], "timeout": "1s"}}
        try:
            super().setUpClass()
        except BaseException:
            cls.stop_started()  # the relay's start is outside Served's own clean-up
            cls.sink.remove()
            cls.zone.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sink.remove()
        cls.zone.stop()
        super().tearDownClass()

    def setUp(self):
        self.before = (self.queue_entries(), self.counts(), len(self.sink.received()))

    def assert_nothing_relayed(self):
        """No queue entry for the Internet since setUp, nothing new in a mailbox or at the
        sink."""
        time.sleep(0.3)  # a queue entry is logged when made; the workers wake at once
        self.assertEqual((self.queue_entries(), self.counts(), len(self.sink.received())),
                         self.before)

    def queue_entries(self):
        return self.relay.output().count("queued as entry")

    def counts(self):
        return {login: len(self.messages(login)) for login in ("ann@example.test",
                                                                "bob@example.test")}

    def wire(self, port, tls=False):
        """A raw session after the greeting and EHLO; tls: implicit TLS, or "starttls"."""
        w = smtp_served.Wire(port)
        self.addCleanup(w.close)
        if tls is True:
            w.starttls()
        self.assertTrue(w.reply().startswith(b"220 "))
        self.assertTrue(w.cmd(b"EHLO client.remote.test").startswith(b"250-"))
        if tls == "starttls":
            self.assertEqual(w.cmd(b"STARTTLS"), b"220 2.0.0 Ready to start TLS")
            w.starttls()
            self.assertIn(b"250 AUTH PLAIN LOGIN", w.cmd(b"EHLO client.remote.test"))
        return w

    def quit(self, w):
        self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")

    # --- smtp-in, the MX

    def test_mx_refuses_every_trick(self):
        for what, rcpt, utf8, expected in TRICKS:
            with self.subTest(what, rcpt=rcpt):
                w = self.wire(self.smtp_port)
                self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER + b">" + b" SMTPUTF8" * utf8),
                                 b"250 2.1.0 Ok")
                reply = w.cmd(b"RCPT TO:<" + rcpt + b">")
                if expected is None:
                    self.assertTrue(reply.startswith(b"553 5.6.7 "), reply)
                else:
                    self.assertEqual(reply, expected)
                self.assertEqual(w.cmd(b"DATA"), NO_VALID)
                self.quit(w)
        self.assert_nothing_relayed()

    def test_mx_refuses_a_recipient_with_a_line_break(self):
        for payload, replies in BROKEN_LINES:
            with self.subTest(payload=payload):
                w = self.wire(self.smtp_port)
                self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER + b">"), b"250 2.1.0 Ok")
                w.send(payload)
                self.assertEqual(w.replies(len(replies)), replies)
                self.assertEqual(w.cmd(b"DATA"), NO_VALID)  # no reply was left over
                self.quit(w)
        self.assert_nothing_relayed()

    def test_mx_trick_beside_a_hosted_recipient_reaches_only_ann(self):
        # What a spammer's script would do: one good recipient to get DATA through.
        # (smtplib cannot send a source route: its quoteaddr drops the route.)
        rcpts = ["ann@example.test", "user%evil.test@example.test", "user@evil.test",
                 '"user@evil.test"@example.test', "evil.test!user@example.test",
                 "user@[127.0.0.1]"]
        raw = (b"From: <sender@remote.test>\r\nTo: ann@example.test\r\nSubject: mixed\r\n"
               b"Message-ID: <mixed@remote.test>\r\n\r\nOnly ann may get this.\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.remote.test",
                          timeout=15) as s:
            refused = s.sendmail(SENDER.decode(), rcpts, raw)
        self.assertEqual(refused, {
            "user%evil.test@example.test": (550, unknown(b"user%evil.test@example.test")[4:]),
            "user@evil.test": (554, denied(b"user@evil.test")[4:]),
            '"user@evil.test"@example.test': (550, unknown(b'"user@evil.test"@example.test')[4:]),
            "evil.test!user@example.test": (550, unknown(b"evil.test!user@example.test")[4:]),
            "user@[127.0.0.1]": (554, denied(b"user@[127.0.0.1]")[4:]),
        })
        after = self.counts()
        self.assertEqual(after, {"ann@example.test": self.before[1]["ann@example.test"] + 1,
                                 "bob@example.test": self.before[1]["bob@example.test"]})
        self.assertEqual(self.body_of(self.messages()[-1]), raw)
        self.before = (self.before[0], after, self.before[2])
        self.assert_nothing_relayed()

    def test_lmtp_refuses_remote_recipients_too(self):
        w = smtp_served.Wire(self.lmtp_port)
        self.addCleanup(w.close)
        self.assertTrue(w.reply().startswith(b"220 "))
        self.assertTrue(w.cmd(b"LHLO client.remote.test").startswith(b"250-"))
        self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER + b">"), b"250 2.1.0 Ok")
        for _, rcpt, utf8, expected in TRICKS[:6]:
            self.assertEqual(w.cmd(b"RCPT TO:<" + rcpt + b">"), expected)
        self.assertEqual(w.cmd(b"DATA"), NO_VALID)
        self.quit(w)
        self.assert_nothing_relayed()

    # --- the relay without AUTH

    def test_relay_without_auth_refuses_every_trick(self):
        modes = [("587 before STARTTLS", self.submission_port, False,
                  b"530 5.7.0 Must issue a STARTTLS command first"),
                 ("587 after STARTTLS", self.submission_port, "starttls", AUTH_REQUIRED),
                 ("465", self.submissions_port, True, AUTH_REQUIRED)]
        senders = [b"ann@example.test", b"", SENDER]
        for mode, port, tls, refusal in modes:
            for i, (what, rcpt, utf8, _) in enumerate(TRICKS):
                with self.subTest(mode, trick=what):
                    # One session a trick: three errors, far below limits.max_errors.
                    w = self.wire(port, tls)
                    sender = senders[i % len(senders)]  # a hosted one, <> and a remote one
                    self.assertEqual(w.cmd(b"MAIL FROM:<" + sender + b">" + b" SMTPUTF8" * utf8),
                                     refusal)
                    self.assertEqual(w.cmd(b"RCPT TO:<" + rcpt + b">"), NEED_MAIL)
                    self.assertEqual(w.cmd(b"DATA"), NEED_MAIL)
                    self.quit(w)
        self.assert_nothing_relayed()

    def test_relay_failed_auth_leaves_the_session_unauthenticated(self):
        for authzid, password, reply in (
                (b"", b"wrong", b"535 5.7.8 Authentication credentials invalid"),
                (b"bob@example.test", b"pw", b"535 5.7.8 Acting as another user is not allowed")):
            with self.subTest(authzid=authzid, password=password):
                w = self.wire(self.submissions_port, True)
                credentials = base64.b64encode(authzid + b"\0ann@example.test\0" + password)
                self.assertEqual(w.cmd(b"AUTH PLAIN " + credentials), reply)
                self.assertEqual(w.cmd(b"MAIL FROM:<ann@example.test>"), AUTH_REQUIRED)
                self.assertEqual(w.cmd(b"RCPT TO:<user@evil.test>"), NEED_MAIL)
                self.quit(w)
        # AUTH pipelined behind STARTTLS in the clear is thrown away with the plaintext buffer
        # (RFC 3207 §4.2, CVE-2011-0411): the session under TLS is not authenticated.
        w = self.wire(self.submission_port)
        w.send(b"STARTTLS\r\nAUTH PLAIN " + base64.b64encode(b"\0ann@example.test\0pw") + b"\r\n")
        self.assertEqual(w.reply(), b"220 2.0.0 Ready to start TLS")
        self.assertEqual(w.buf, b"")
        w.starttls()
        self.assertIn(b"250 AUTH PLAIN LOGIN", w.cmd(b"EHLO client.remote.test"))
        self.assertEqual(w.cmd(b"MAIL FROM:<ann@example.test>"), AUTH_REQUIRED)
        self.quit(w)
        self.assert_nothing_relayed()

    def test_swaks_without_auth_cannot_send_out(self):
        for tls in (["--port", str(self.submission_port), "-tls"],
                    ["--port", str(self.submissions_port), "--tlsc"]):
            with self.subTest(tls=tls):
                out = self.swaks(*tls, "--from", "ann@example.test", "--to", "user@evil.test",
                                 expect=23)
                self.assertIn("\n<~* 530 5.7.0 Authentication required\n", out)
                self.assertNotIn(" -> RCPT", out)
                self.assertNotIn(" ~> RCPT", out)
        self.assert_nothing_relayed()

    # --- the difference: with AUTH the same remote address is taken

    def test_authenticated_submission_to_remote_is_queued(self):
        entries = self.queue_entries()
        for tls in (["--port", str(self.submissions_port), "--tlsc"],
                    ["--port", str(self.submission_port), "-tls"]):
            with self.subTest(tls=tls):
                out = self.swaks(*tls, "--auth", "PLAIN", "--auth-user", "ann@example.test",
                                 "--auth-password", "pw", "--from", "ann@example.test",
                                 "--to", "user@evil.test")
                self.assertIn("235 2.7.0 Authentication successful", out)
                self.assertRegex(out, r"<~  250 2\.0\.0 Ok: queued as [0-9A-Z]{12,}")
                entries += 1
                deadline = time.monotonic() + 5
                while self.queue_entries() < entries and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertEqual(self.queue_entries(), entries, self.relay.output()[-2000:])
        self.assertIn("for 1 remote recipient(s)", self.relay.output())
        arrived = self.sink.wait_received(self.before[2] + 2)
        self.assertEqual(len(arrived), self.before[2] + 2, self.relay.output()[-2000:])

    def test_relay_with_auth_refuses_a_recipient_with_a_line_break(self):
        for payload, replies in BROKEN_LINES:
            with self.subTest(payload=payload):
                w = self.wire(self.submissions_port, True)
                credentials = base64.b64encode(b"\0ann@example.test\0pw")
                self.assertEqual(w.cmd(b"AUTH PLAIN " + credentials),
                                 b"235 2.7.0 Authentication successful")
                self.assertEqual(w.cmd(b"MAIL FROM:<ann@example.test>"), b"250 2.1.0 Ok")
                w.send(payload)
                self.assertEqual(w.replies(len(replies)), replies)
                self.assertEqual(w.cmd(b"DATA"), NO_VALID)
                self.quit(w)
        self.assert_nothing_relayed()


if __name__ == "__main__":
    harness.main()
