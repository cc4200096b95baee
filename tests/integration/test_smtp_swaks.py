"""swaks (Debian's scripted SMTP client) and Python's smtplib talk to Tessera's MX the way a
remote MTA or an operator's script does: plain SMTP, STARTTLS, PIPELINING, 8BITMIME, SMTPUTF8,
refused recipients, relay tricks, subaddresses, aliases and postmaster. Each test checks what
the client sees (swaks' exit code and transcript, smtplib's results) and then what the user sees:
every message that got 250 is read back over IMAP, exactly one copy per account, and below the
trace fields smtpd prepended it is byte for byte what the client sent (swaks' DATA as its
transcript shows it, dot-stuffing undone)."""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

import harness
import smtp_served

SENDER = "sender@remote.test"
HELO = "client.remote.test"
IDN_ACCOUNT = "name@xn--bcher-kva.example"  # name@bücher.example as the store holds it
QUEUED = re.compile(rb"^<[-~]  250 2\.0\.0 Ok: queued as ([0-9A-Z]{12,})\r?$", re.M)


def ensure_swaks():
    """None when swaks with Net::SSLeay (for -tls) is usable, installing the Debian packages
    when missing and root; otherwise the reason to skip."""
    def missing():
        out = []
        if not shutil.which("swaks"):
            out.append("swaks")
        if subprocess.run(["perl", "-MNet::SSLeay", "-e", "1"], capture_output=True).returncode:
            out.append("libnet-ssleay-perl")
        return out
    if not missing():
        return None
    if os.geteuid() != 0:
        return f"missing {', '.join(missing())} and not root to apt-get install them"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run = subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q",
                          "--no-install-recommends", *missing()],
                         capture_output=True, text=True, env=env, timeout=900)
    if missing():
        return f"apt-get install failed, missing {', '.join(missing())}:\n{run.stderr[-1500:]}"
    return None


def sent_data(transcript):
    """The DATA swaks sent, from its transcript: the " -> " (" ~> " under TLS) lines after the
    354 up to the lone ".", CRLF-terminated, with swaks' dot-stuffing undone."""
    lines = transcript.split(b"\n")
    start = next((i for i, l in enumerate(lines) if re.match(rb"^<[-~]  354 ", l)), None)
    if start is None:
        raise AssertionError(f"no 354 in the transcript:\n{transcript.decode(errors='replace')}")
    out = []
    for line in lines[start + 1:]:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line[:4] in (b" -> ", b" ~> "):
            content = line[4:]
        elif line in (b" ->", b" ~>"):
            content = b""
        else:
            raise AssertionError(f"transcript line {line!r} inside DATA")
        if content == b".":
            return b"".join(l + b"\r\n" for l in out)
        out.append(content[1:] if content.startswith(b".") else content)
    raise AssertionError("no end of data in the transcript")


def message(subject, body, extra=b""):
    return (b"From: Sender <" + SENDER.encode() + b">\r\n"
            b"To: ann@example.test\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + str(time.monotonic_ns()).encode() + b"@remote.test>\r\n" + extra +
            b"\r\n" + body)


class SwaksBase(smtp_served.Served):
    @classmethod
    def setUpClass(cls):
        reason = ensure_swaks()
        if reason:
            raise unittest.SkipTest(reason)
        if not os.path.exists(harness.binary("smtpd")):
            raise AssertionError(f"{harness.binary('smtpd')} is not built")
        try:
            super().setUpClass()
            cls.extra_setup()
        except BaseException:
            cls.stop_started()
            raise

    @classmethod
    def extra_setup(cls):
        pass

    def swaks(self, *args, to="ann@example.test", data=None):
        """Runs swaks against smtpd; returns (exit status, transcript bytes). `data`: the whole
        message (written to a file, given as --data @file)."""
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(self.smtp_port), "--ehlo", HELO,
               "--from", SENDER, "--to", to, "--timeout", "15s", *args]
        if data is not None:
            fd, path = tempfile.mkstemp(dir=self.dir, suffix=".eml")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            cmd += ["--data", "@" + path]
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return run.returncode, run.stdout

    def queued_id(self, transcript):
        ids = QUEUED.findall(transcript)
        self.assertEqual(len(ids), 1, transcript.decode(errors="replace"))
        return ids[0]

    def stored(self, queue_id, login="ann@example.test", timeout=10.0):
        """Every message of login's INBOX whose Tessera Received names this ID."""
        needle = re.compile(rb" id " + re.escape(queue_id) + rb"\b")
        deadline = time.monotonic() + timeout
        while True:
            found = [raw for raw in self.messages(login)
                     if needle.search(smtp_served.unfolded_received(raw))]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def one_copy(self, queue_id, sent, login="ann@example.test"):
        """Exactly one copy with this ID in login's INBOX, and below the trace fields exactly
        the bytes sent; returns the whole stored message."""
        copies = self.stored(queue_id, login)
        self.assertEqual(len(copies), 1, f"{login}: {len(copies)} copies of {queue_id!r}")
        self.assertEqual(self.body_of(copies[0]), sent)
        return copies[0]

    def counts(self, *logins):
        return {login: len(self.messages(login)) for login in logins}


class SwaksToMx(SwaksBase, unittest.TestCase):
    @classmethod
    def extra_setup(cls):
        cls.mailctl("domain", "add", "xn--bcher-kva.example")
        cls.mailctl("account", "add", IDN_ACCOUNT, "--password-stdin", input="pw\n")

    # --- (a), (b): plain SMTP and STARTTLS

    def test_plain_smtp(self):
        raw = message(b"plain", b"Hello over plain SMTP.\r\n.A line starting with a dot\r\n"
                                b"..two dots\r\nlast line")
        status, out = self.swaks(data=raw)
        self.assertEqual(status, 0, out.decode(errors="replace"))
        self.assertIn(b"<-  220 mx.example.test ESMTP Tessera", out)
        self.assertNotIn(b" -> STARTTLS", out)
        sent = sent_data(out)
        self.assertEqual(sent, raw + b"\r\n")  # swaks ends the last line
        stored = self.one_copy(self.queued_id(out), sent)
        self.assertTrue(stored.startswith(b"Return-Path: <" + SENDER.encode() + b">\r\n"
                                          b"Delivered-To: ann@example.test\r\n"), stored[:200])
        received = smtp_served.unfolded_received(stored)
        self.assertIn(b"Received: from " + HELO.encode() + b" ([127.0.0.1])", received)
        self.assertIn(b" by mx.example.test (Tessera) with ESMTP id ", received)
        self.assertIn(b"for <ann@example.test>;", received)
        self.assertNotIn(b"(using ", received)

    def test_starttls(self):
        raw = message(b"over TLS", b"Hello over STARTTLS.")
        status, out = self.swaks("-tls", data=raw)
        self.assertEqual(status, 0, out.decode(errors="replace"))
        self.assertIn(b"\n -> STARTTLS\n<-  220 2.0.0 Ready to start TLS\n", out)
        self.assertRegex(out, rb"=== TLS started with cipher TLSv1\.[23]")
        self.assertIn(b"\n ~> EHLO " + HELO.encode() + b"\n", out)
        # After TLS the EHLO reply no longer offers STARTTLS (RFC 3207 §4.2).
        after_tls = out.split(b"Ready to start TLS", 1)[1]
        self.assertNotRegex(after_tls, rb"<~  250[- ]STARTTLS")
        sent = sent_data(out)
        self.assertEqual(sent, raw + b"\r\n")
        received = smtp_served.unfolded_received(self.one_copy(self.queued_id(out), sent))
        self.assertIn(b" with ESMTPS id ", received)
        self.assertIn(b"(using TLSv1.", received)
        self.assertRegex(received, rb"\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)")

    # --- (c) PIPELINING

    def test_pipelining_three_recipients_one_unknown(self):
        before = self.counts("ann@example.test", "bob@example.test")
        raw = message(b"pipelined", b"To ann, nobody and bob in one write.")
        status, out = self.swaks("--pipeline", data=raw,
                                 to="ann@example.test,nobody@example.test,bob@example.test")
        self.assertEqual(status, 0, out.decode(errors="replace"))  # some recipient took it
        text = out.decode(errors="replace")
        # RFC 2920: MAIL, the three RCPTs and DATA went out before the first reply came back.
        commands = [" -> MAIL FROM:<sender@remote.test>", " -> RCPT TO:<ann@example.test>",
                    " -> RCPT TO:<nobody@example.test>", " -> RCPT TO:<bob@example.test>",
                    " -> DATA", "<-  250 2.1.0 Ok", "<-  250 2.1.5 Ok",
                    "<** 550 5.1.1 <nobody@example.test>: Recipient address rejected: "
                    "User unknown", "<-  250 2.1.5 Ok", "<-  354 "]
        at = text.index(commands[0])
        for line in commands:
            found = text.find(line, at)
            self.assertGreaterEqual(found, 0, f"{line!r} not in order in:\n{text}")
            at = found + len(line)
        queue_id = self.queued_id(out)
        sent = sent_data(out)
        self.assertEqual(sent, raw + b"\r\n")
        for login, other in (("ann@example.test", b"bob@"), ("bob@example.test", b"ann@")):
            stored = self.one_copy(queue_id, sent, login)
            trace = stored[:len(stored) - len(self.body_of(stored))]
            # Two accounts got this copy: neither trace names a recipient (no Bcc leaks).
            self.assertNotIn(b"Delivered-To:", trace)
            self.assertNotIn(other, trace)
            self.assertNotIn(b"nobody", trace)
        self.assertEqual(self.counts("ann@example.test", "bob@example.test"),
                         {k: v + 1 for k, v in before.items()})

    # --- (d) 8BITMIME

    def test_8bit_body_from_file(self):
        body = "Grüße aus Köln — ½ € ✓\n日本語のテキスト\nΕλληνικά, русский, עברית".encode()
        path = os.path.join(self.dir, "body-8bit.txt")
        with open(path, "wb") as f:
            f.write(body)
        status, out = self.swaks("--protocol", "ESMTP", "--body", "@" + path,
                                 "--h-Subject", "8bit body")
        self.assertEqual(status, 0, out.decode(errors="replace"))
        self.assertRegex(out, rb"<-  250-8BITMIME")
        sent = sent_data(out)
        self.assertIn(body.replace(b"\n", b"\r\n") + b"\r\n", sent)
        stored = self.one_copy(self.queued_id(out), sent)
        self.assertIn("Köln — ½ € ✓\r\n日本語".encode(), stored)

    def test_8bitmime_declared(self):
        # swaks has no way to add BODY=8BITMIME to MAIL FROM; smtplib does.
        raw = message(b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "Grüße, ½ € ✓\r\n".encode(),
                      extra=b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            b"Content-Transfer-Encoding: 8bit\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname=HELO, timeout=15) as s:
            s.ehlo()
            self.assertTrue(s.has_extn("8bitmime"))
            code, reply = s.mail(SENDER, ["BODY=8BITMIME"])
            self.assertEqual((code, reply), (250, b"2.1.0 Ok"))
            self.assertEqual(s.rcpt("ann@example.test")[0], 250)
            code, reply = s.data(raw)
        self.assertEqual(code, 250, reply)
        queue_id = re.fullmatch(rb"2\.0\.0 Ok: queued as ([0-9A-Z]{12,})", reply).group(1)
        self.one_copy(queue_id, raw)

    def test_unknown_body_type_refused(self):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname=HELO, timeout=15) as s:
            s.ehlo()
            self.assertEqual(s.mail(SENDER, ["BODY=BINARYMIME"]),
                             (555, b"5.5.4 Unsupported BODY type"))  # RFC 5321 §4.1.1.11

    # --- (e) SMTPUTF8

    def smtputf8_send(self, mail_from, rcpt, raw):
        """sendmail with SMTPUTF8 (smtplib sends the addresses as UTF-8); returns the ID."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname=HELO, timeout=15) as s:
            s.ehlo()
            self.assertTrue(s.has_extn("smtputf8"))
            code, reply = s.mail(mail_from, ["SMTPUTF8"])
            self.assertEqual((code, reply), (250, b"2.1.0 Ok"))
            code, reply = s.rcpt(rcpt)
            self.assertEqual((code, reply), (250, b"2.1.5 Ok"))
            code, reply = s.data(raw)
        self.assertEqual(code, 250, reply)
        return re.fullmatch(rb"2\.0\.0 Ok: queued as ([0-9A-Z]{12,})", reply).group(1)

    def test_smtputf8_idn_domain(self):
        raw = ("From: Sender <sender@remote.test>\r\nTo: name@bücher.example\r\n"
               "Subject: Bücher\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
               "Message-ID: <idn@remote.test>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\nFür name@bücher.example.\r\n"
               ).encode()
        queue_id = self.smtputf8_send(SENDER, "name@bücher.example", raw)
        stored = self.one_copy(queue_id, raw, IDN_ACCOUNT)
        self.assertIn(b"Delivered-To: " + IDN_ACCOUNT.encode() + b"\r\n", stored)
        self.assertIn(b"for <" + IDN_ACCOUNT.encode() + b">;", smtp_served.unfolded_received(stored))

    def test_utf8_address_without_smtputf8_refused(self):
        before = self.counts(IDN_ACCOUNT, "ann@example.test")
        w = smtp_served.Wire(self.smtp_port)
        try:
            self.assertTrue(w.reply().startswith(b"220 "))
            self.assertTrue(w.cmd(b"EHLO " + HELO.encode()).startswith(b"250-"))
            self.assertEqual(w.cmd(b"MAIL FROM:<" + SENDER.encode() + b">"), b"250 2.1.0 Ok")
            reply = w.cmd("RCPT TO:<name@bücher.example>".encode())
            self.assertTrue(reply.startswith(b"553 5.6.7 "), reply)  # RFC 6531 §3.4
            self.assertEqual(w.cmd(b"DATA"), b"554 5.5.1 Error: no valid recipients")
            self.assertEqual(w.cmd(b"RSET"), b"250 2.0.0 Ok")
            reply = w.cmd("MAIL FROM:<jörg@example.org>".encode())
            self.assertTrue(reply.startswith(b"553 5.6.7 "), reply)
            self.assertEqual(w.cmd(b"QUIT"), b"221 2.0.0 Bye")
        finally:
            w.close()
        self.assertEqual(self.counts(IDN_ACCOUNT, "ann@example.test"), before)

    def test_utf8_sender_with_smtputf8(self):
        raw = message(b"from j\xc3\xb6rg", b"Hallo von J\xc3\xb6rg.\r\n")
        queue_id = self.smtputf8_send("jörg@example.org", "ann@example.test", raw)
        stored = self.one_copy(queue_id, raw)
        self.assertTrue(stored.startswith("Return-Path: <jörg@example.org>\r\n".encode()),
                        stored[:100])

    def test_smtputf8_received_protocol(self):
        # RFC 6531 §3.7.3 registers UTF8SMTP / UTF8SMTPS (and UTF8SMTPA, UTF8SMTPSA) as the
        # "with" values of a transaction under SMTPUTF8; "UTF8ESMTP" is not a registered name.
        raw = message(b"utf8 with", b"Which protocol?\r\n")
        queue_id = self.smtputf8_send("jörg@example.org", "ann@example.test", raw)
        received = smtp_served.unfolded_received(self.one_copy(queue_id, raw))
        self.assertIn(b" with UTF8SMTP id ", received)

    # --- (f) refused recipients, relay tricks

    def refused(self, rcpt):
        """swaks to rcpt alone: exit 24 (no RCPT accepted); returns the '<**' reply line."""
        status, out = self.swaks(to=rcpt)
        text = out.decode(errors="replace")
        self.assertEqual(status, 24, text)
        self.assertIn(f" -> RCPT TO:<{rcpt}>", text)
        lines = [l for l in text.splitlines() if l.startswith("<** ")]
        self.assertEqual(len(lines), 1, text)
        self.assertNotIn(" -> DATA", text)
        return lines[0][4:]

    def test_unknown_user(self):
        self.assertEqual(self.refused("nobody@example.test"),
                         "550 5.1.1 <nobody@example.test>: Recipient address rejected: "
                         "User unknown")

    def test_relay_denied(self):
        self.assertEqual(self.refused("someone@other.org"),
                         "554 5.7.1 <someone@other.org>: Relay access denied")
        self.assertEqual(self.refused("someone@[127.0.0.1]"),
                         "554 5.7.1 <someone@[127.0.0.1]>: Relay access denied")

    def test_relay_tricks(self):
        before = self.counts("ann@example.test", "bob@example.test")
        for rcpt in ("user%other.org@example.test", '"user@other.org"@example.test',
                     "other.org!user@example.test", "ann%other.org@example.test"):
            with self.subTest(rcpt=rcpt):
                reply = self.refused(rcpt)
                self.assertRegex(reply, r"^(550 5\.1\.1|554 5\.7\.1) ")
        # RFC 5321 §4.1.1.3/Appendix C: the source route is ignored, so the recipient is
        # user@other.org: a foreign domain.
        with self.subTest(rcpt="@example.test:user@other.org"):
            self.assertEqual(self.refused("@example.test:user@other.org"),
                             "554 5.7.1 <user@other.org>: Relay access denied")
        self.assertEqual(self.counts("ann@example.test", "bob@example.test"), before)

    # --- (g) subaddress and alias

    def test_plus_address_and_alias(self):
        for rcpt in ("ann+news@example.test", "sales@example.test"):
            with self.subTest(rcpt=rcpt):
                raw = message(b"to " + rcpt.encode(), b"For " + rcpt.encode() + b".")
                status, out = self.swaks(to=rcpt, data=raw)
                self.assertEqual(status, 0, out.decode(errors="replace"))
                stored = self.one_copy(self.queued_id(out), raw + b"\r\n")
                self.assertIn(b"Delivered-To: ann@example.test\r\n", stored)
                self.assertIn(b"for <" + rcpt.encode() + b">;", smtp_served.unfolded_received(stored))

    def test_plus_address_alias_and_account_in_one_transaction(self):
        raw = message(b"ann three times", b"ann, ann+news and sales: one copy.")
        status, out = self.swaks(to="ann@example.test,ann+news@example.test,sales@example.test",
                                 data=raw)
        self.assertEqual(status, 0, out.decode(errors="replace"))
        self.assertEqual(out.count(b"<-  250 2.1.5 Ok"), 3)
        stored = self.one_copy(self.queued_id(out), raw + b"\r\n")
        self.assertIn(b"Delivered-To: ann@example.test\r\n", stored)


class SwaksPostmaster(SwaksBase, unittest.TestCase):
    smtpd_config = {"postmaster": "bob@example.test"}

    def test_postmaster_reaches_bob(self):
        # RFC 5321 §4.5.1: <postmaster> without a domain, and postmaster at every served
        # domain, case-insensitively.
        for rcpt in ("postmaster", "postmaster@example.test", "PostMaster@example.test"):
            with self.subTest(rcpt=rcpt):
                raw = message(b"to " + rcpt.encode(), b"Dear " + rcpt.encode() + b".")
                status, out = self.swaks(to=rcpt, data=raw)
                self.assertEqual(status, 0, out.decode(errors="replace"))
                self.assertIn(f" -> RCPT TO:<{rcpt}>\n<-  250 2.1.5 Ok".encode(), out)
                stored = self.one_copy(self.queued_id(out), raw + b"\r\n", "bob@example.test")
                self.assertIn(b"Delivered-To: bob@example.test\r\n", stored)

    def test_postmaster_is_not_ann(self):
        status, out = self.swaks(to="postmaster@example.test", data=message(b"pm", b"x"))
        self.assertEqual(status, 0, out.decode(errors="replace"))
        self.assertEqual(self.stored(self.queued_id(out), "ann@example.test", timeout=0), [])


if __name__ == "__main__":
    harness.main()
