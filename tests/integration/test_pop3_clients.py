"""fetchmail and getmail6 against Tessera's POP3 service over implicit TLS (issue 7): each downloads
a 1,000-message INBOX in keep mode (every message once, byte for byte, nothing removed on the
server; a second run finds nothing new), then in delete mode (what the INBOX held ends in Trash,
the INBOX is empty). Each client has an account of its own, so the two tests are independent.

What the clients change in a message they deliver, and so what "byte for byte" allows:
- both write LF line ends (POP3 carries CRLF);
- fetchmail adds one "Received: ... with POP3 (fetchmail-...)" field after the Return-Path and
  Delivered-To fields at the top;
- getmail6 writes a Return-Path of its own in place of the stored one, then "Delivered-To:
  unknown" and "Received: ... getmail6 msgid:<UIDL>; ..." at the top."""
import hashlib
import json
import os
import poplib
import pwd
import re
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest

import harness
from pop3_served import Pop3Served

COUNT = 1000
LATER = 5  # arriving after the keep-mode runs, before the delete-mode one
LARGE = 500  # one message of ~1.2 MB: more than one 1 MiB piece read from the store
TOPICS = ["invoice", "meeting notes", "build report", "travel plans", "release checklist",
          "quarterly numbers", "lunch", "security advisory", "newsletter", "r\u00e9sum\u00e9"]
SENDER = "sender@remote.test"
# A client's run never needs this long here (about 10 s for 1,000 messages); a hang fails.
CLIENT_TIMEOUT = 120


def make_message(tag, login, i):
    """Message `i` for `login`: distinct Subject, Message-ID and body; some with lines the server
    byte-stuffs (".", "..", ".x"), an mbox-looking "From " line, 8-bit UTF-8; one large one."""
    topic = TOPICS[i % len(TOPICS)]
    head = (f"From: Sender {i % 17} <sender{i % 17}@remote.test>\r\n"
            f"To: {login}\r\n"
            f"Subject: {tag} {i:04d}: {topic}\r\n"
            f"Date: Mon, {1 + i % 28:02d} Jan 2024 {i % 24:02d}:{i % 60:02d}:00 +0100\r\n"
            f"Message-ID: <{tag}-{i}@remote.test>\r\n"
            "MIME-Version: 1.0\r\n")
    if i % 10 == 9:
        head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        lines = [f"Gr\u00fc\u00dfe aus M\u00fcnchen, {tag} Nachricht {i} ({topic})."]
    else:
        head += "Content-Type: text/plain; charset=us-ascii\r\n"
        lines = [f"Hello, this is {tag} message {i} about {topic}."]
    lines += [f"line {n} of message {i}: " + "abcdefghij" * (n % 7) for n in range(2 + i % 30)]
    if i % 50 == 7:
        lines += [".", "..", ".leading dot", "From the desk of the sender", "-- ", "."]
    if i == LARGE:
        lines += ["%06d " % n + "x" * 70 for n in range(16000)]
    return (head + "\r\n" + "\r\n".join(lines) + "\r\n").encode()


def message_id(raw):
    m = re.search(rb"^Message-ID: (<[^>\r\n]+>)\r?$", raw, re.M)
    if not m:
        raise AssertionError(f"no Message-ID in {raw[:300]!r}")
    return m.group(1).decode()


def lf(message):
    return message.replace(b"\r\n", b"\n")


def read_files(directory):
    """{name: bytes} of every file in `directory`."""
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = f.read()
    return out


# fetchmail's trace field: "Received: from localhost [127.0.0.1]\n\tby HOST with POP3
# (fetchmail-6.4.37)\n\tfor <root@localhost> (single-drop); DATE\n".
FETCHMAIL_RECEIVED = re.compile(
    rb"^Received: from localhost \[127\.0\.0\.1\]\n(?:[ \t][^\n]*\n)*?"
    rb"[ \t][^\n]*with POP3 \(fetchmail-[^\n]*\n(?:[ \t][^\n]*\n)*", re.M)
# getmail6's three fields at the top: its Return-Path, Delivered-To, Received (UIDL as msgid).
GETMAIL_ADDED = re.compile(
    rb"\AReturn-Path: <([^>\n]*)>\nDelivered-To: unknown\n"
    rb"Received: from localhost \(127\.0\.0\.1:\d+\) by \S+ with POP3-SSL\n"
    rb"(?:[ \t][^\n]*\n)*?[ \t]+getmail6 msgid:([0-9A-F]{16});[^\n]*\n")


class Pop3Clients(Pop3Served, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool, package in (("fetchmail", "fetchmail"), ("getmail", "getmail6")):
            if not shutil.which(tool):
                raise AssertionError(f"no {tool}: Debian package {package} "
                                     "(tools/test installs it)")
        super().setUpClass()
        try:
            for login in ("fetchmail@example.test", "getmail@example.test"):
                cls.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        except BaseException:
            cls.tearDownClass()  # unittest skips it when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            for directory in [cls.dir] + [getattr(cls, name).dir for name in
                                          ("store", "smtpd", "imap", "pop3")]:
                shutil.rmtree(directory, ignore_errors=True)

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="tessera-pop3-clients-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)
        os.chmod(self.home, 0o755)  # getmail6 writes the Maildir as an unprivileged user

    # --- the server side, as a user (or operator) would look at it -------------------------------

    def deliver_all(self, login, messages):
        """Delivers `messages` over LMTP in one session; returns the stored messages (what POP3
        serves: with smtp-in's Return-Path, Delivered-To and Received) by Message-ID."""
        started = time.monotonic()
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as lmtp:
            for message in messages:
                refused = lmtp.sendmail(SENDER, [login], message, mail_options=["BODY=8BITMIME"])
                self.assertEqual(refused, {})
        self.delivery_seconds = time.monotonic() - started
        wanted = {message_id(m): m for m in messages}
        stored = {}
        for raw in self.messages(login):
            mid = message_id(raw)
            if mid in wanted:
                stored[mid] = raw
        self.assertEqual(set(stored), set(wanted))
        for mid, raw in stored.items():
            self.assertTrue(raw.endswith(wanted[mid]), mid)
            self.assertTrue(raw.startswith(b"Return-Path: <%s>\r\n" % SENDER.encode()), mid)
        return stored

    def counts(self, login):
        """{mailbox name: message count}, as `mailctl mailbox list` shows them."""
        listing = json.loads(self.mailctl("--json", "mailbox", "list", login))
        return {m["name"]: m["status"]["messages"] for m in listing["mailboxes"]}

    def stat(self, login):
        c = self.pop3s(login)
        try:
            return c.stat()
        finally:
            c.quit()

    def assert_in_trash(self, login, stored):
        """The INBOX is empty, over POP3 and in the store; Trash holds exactly `stored`,
        unchanged."""
        self.assertEqual(self.stat(login), (0, 0))
        counts = self.counts(login)
        self.assertEqual((counts["INBOX"], counts["Trash"]), (0, len(stored)))
        trash = {}
        for raw in self.messages(login, "Trash"):
            self.assertNotIn(message_id(raw), trash)
            trash[message_id(raw)] = raw
        self.assertEqual(set(trash), set(stored))
        for mid, raw in stored.items():
            self.assertEqual(hashlib.sha256(trash[mid]).hexdigest(),
                             hashlib.sha256(raw).hexdigest(), mid)

    def assert_kept(self, login, stored):
        octets = sum(len(m) for m in stored.values())
        self.assertEqual(self.stat(login), (len(stored), octets))
        counts = self.counts(login)
        self.assertEqual((counts["INBOX"], counts["Trash"]), (len(stored), 0))

    # --- fetchmail -------------------------------------------------------------------------------

    def fetchmail(self, name, keep, out):
        """One fetchmail run (rc file `name`, the same fetchids file every time) delivering through
        an MDA into directory `out`; returns (exit status, output)."""
        os.makedirs(out, exist_ok=True)
        mda = os.path.join(self.home, "deliver.sh")
        with open(mda, "w") as f:
            f.write(f'#!/bin/sh\nf=$(mktemp "{out}/msg.XXXXXXXX") && exec cat > "$f"\n')
        os.chmod(mda, 0o755)
        rc = os.path.join(self.home, name)
        with open(rc, "w") as f:
            f.write(f"""\
set no bouncemail
# fetchmail checks a certificate's DNS names only, not its IP address entry: localhost.
poll localhost service {self.pop3s_port} protocol POP3 uidl timeout 20
  user "fetchmail@example.test" there with password "pw" is "root" here
  ssl sslcertck sslcommonname "localhost" sslcertfile "{self.cert}"
  {"keep" if keep else "fetchall"}
  mda "{mda}"
""")
        os.chmod(rc, 0o600)  # fetchmail refuses an rc file others can read
        proc = subprocess.run(
            ["fetchmail", "-v", "-f", rc, "-i", os.path.join(self.home, "fetchids"),
             "--pidfile", os.path.join(self.home, "fetchmail.pid"), "--nodetach", "--nosyslog"],
            capture_output=True, timeout=CLIENT_TIMEOUT, env=dict(os.environ, HOME=self.home))
        return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")

    def assert_fetchmail_files(self, out, stored):
        """`out` holds one file per stored message: the message with fetchmail's Received."""
        files = read_files(out)
        self.assertEqual(len(files), len(stored))
        seen = set()
        for name, content in files.items():
            self.assertEqual(len(FETCHMAIL_RECEIVED.findall(content)), 1, content[:600])
            mid = message_id(content)
            self.assertNotIn(mid, seen)  # no duplicates
            seen.add(mid)
            self.assertEqual(FETCHMAIL_RECEIVED.sub(b"", content, count=1), lf(stored[mid]), name)
        self.assertEqual(seen, set(stored))  # none missing

    def test_fetchmail_keep_then_delete(self):
        login = "fetchmail@example.test"
        stored = self.deliver_all(login,
                                  [make_message("fetchmail", login, i) for i in range(COUNT)])
        print(f"\n  {COUNT} messages delivered over LMTP in {self.delivery_seconds:.1f} s", end=" ")
        octets = sum(len(m) for m in stored.values())

        # 1. keep: every message once, the INBOX unchanged.
        started = time.monotonic()
        status, output = self.fetchmail("keep.rc", keep=True, out=os.path.join(self.home, "keep"))
        print(f"fetchmail keep {time.monotonic() - started:.1f} s", end=" ")
        self.assertEqual(status, 0, output[-3000:] + self.pop3.output()[-3000:])
        self.assertIn(f"{COUNT} messages for {login} at localhost ({octets} octets).", output)
        self.assert_fetchmail_files(os.path.join(self.home, "keep"), stored)
        self.assert_kept(login, stored)

        # 2. keep again: nothing new (exit 1), nothing delivered.
        status, output = self.fetchmail("keep.rc", keep=True, out=os.path.join(self.home, "keep"))
        self.assertEqual(status, 1, output[-3000:])
        self.assertIn(f"{COUNT} messages ({COUNT} seen) for {login} at localhost", output)
        self.assertEqual(len(os.listdir(os.path.join(self.home, "keep"))), COUNT)
        self.assert_kept(login, stored)

        # 3. delete mode (fetchall, no keep) after more mail came: all of it downloaded once
        #    more, then in Trash at QUIT.
        later = self.deliver_all(login, [make_message("fetchmail", login, COUNT + i)
                                         for i in range(LATER)])
        stored.update(later)
        started = time.monotonic()
        status, output = self.fetchmail("delete.rc", keep=False,
                                        out=os.path.join(self.home, "delete"))
        print(f"fetchmail delete {time.monotonic() - started:.1f} s", end=" ")
        self.assertEqual(status, 0, output[-3000:] + self.pop3.output()[-3000:])
        self.assertEqual(output.count(" flushed"), COUNT + LATER, output[-3000:])
        self.assertNotIn("not flushed", output)
        self.assert_fetchmail_files(os.path.join(self.home, "delete"), stored)
        self.assert_in_trash(login, stored)

        # 4. and again: no mail.
        status, output = self.fetchmail("delete.rc", keep=False,
                                        out=os.path.join(self.home, "delete"))
        self.assertEqual(status, 1, output[-3000:])
        self.assertIn(f"No mail for {login} at localhost", output)

    # --- getmail6 --------------------------------------------------------------------------------

    def getmail(self, name, delete, maildir):
        """One getmail run (rc file `name` in the same getmail directory every time, so the same
        record of messages seen) into `maildir`; returns its output, failing on an error."""
        gmdir = os.path.join(self.home, "getmail")
        os.makedirs(gmdir, exist_ok=True)
        with open(os.path.join(gmdir, name), "w") as f:
            f.write(f"""\
[retriever]
type = SimplePOP3SSLRetriever
server = localhost
port = {self.pop3s_port}
username = getmail@example.test
password = pw
# Verified against the server's self-signed certificate, for the name localhost.
ca_certs = {self.cert}
ssl_cert_hostname = localhost

[destination]
type = Maildir
path = {maildir}/
# getmail refuses to deliver as root.
user = {self.mail_user}

[options]
read_all = false
delete = {"true" if delete else "false"}
""")
        proc = subprocess.run(["getmail", "--getmaildir", gmdir, "--rcfile", name],
                              capture_output=True, timeout=CLIENT_TIMEOUT,
                              env=dict(os.environ, HOME=self.home))
        output = (proc.stdout + proc.stderr).decode(errors="replace")
        self.assertEqual(proc.returncode, 0, output[-3000:] + self.pop3.output()[-3000:])
        self.assertNotIn("Warning:", output)  # e.g. an unknown parameter, ignored
        return output

    def assert_maildir(self, maildir, stored):
        """new/ holds one file per stored message: getmail's three fields, then the message
        without its Return-Path field."""
        self.assertEqual(os.listdir(os.path.join(maildir, "tmp")), [])
        files = read_files(os.path.join(maildir, "new"))
        self.assertEqual(len(files), len(stored))
        seen, uidls = set(), set()
        for name, content in files.items():
            added = GETMAIL_ADDED.match(content)
            self.assertIsNotNone(added, content[:600])
            self.assertEqual(added.group(1), SENDER.encode())
            uidls.add(added.group(2))
            mid = message_id(content)
            self.assertNotIn(mid, seen)  # no duplicates
            seen.add(mid)
            without_return_path = lf(stored[mid]).split(b"\n", 1)[1]
            self.assertEqual(content[added.end():], without_return_path, name)
        self.assertEqual(seen, set(stored))  # none missing
        self.assertEqual(len(uidls), len(stored))

    def test_getmail_keep_then_delete(self):
        try:
            self.mail_user = pwd.getpwnam("nobody").pw_name
        except KeyError:
            self.fail("no user nobody to deliver as")
        maildir = os.path.join(self.home, "Maildir")
        for sub in ("", "cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
            shutil.chown(os.path.join(maildir, sub), self.mail_user)
        login = "getmail@example.test"
        stored = self.deliver_all(login, [make_message("getmail", login, i) for i in range(COUNT)])
        print(f"\n  {COUNT} messages delivered over LMTP in {self.delivery_seconds:.1f} s", end=" ")
        octets = sum(len(m) for m in stored.values())

        # 1. keep: every message once, the INBOX unchanged.
        started = time.monotonic()
        output = self.getmail("keep.rc", delete=False, maildir=maildir)
        print(f"getmail keep {time.monotonic() - started:.1f} s", end=" ")
        self.assertIn(f"{COUNT} messages ({octets} bytes) retrieved, 0 skipped", output)
        self.assert_maildir(maildir, stored)
        self.assert_kept(login, stored)

        # 2. keep again: nothing retrieved, all skipped.
        output = self.getmail("keep.rc", delete=False, maildir=maildir)
        self.assertIn(f"0 messages (0 bytes) retrieved, {COUNT} skipped", output)
        self.assert_maildir(maildir, stored)
        self.assert_kept(login, stored)

        # 3. delete = true after more mail came: the new ones retrieved, every message (seen
        #    before or just retrieved) deleted, so all in Trash at QUIT.
        later = self.deliver_all(login, [make_message("getmail", login, COUNT + i)
                                         for i in range(LATER)])
        started = time.monotonic()
        output = self.getmail("delete.rc", delete=True, maildir=maildir)
        print(f"getmail delete {time.monotonic() - started:.1f} s", end=" ")
        later_octets = sum(len(m) for m in later.values())
        self.assertIn(f"{LATER} messages ({later_octets} bytes) retrieved, {COUNT} skipped", output)
        self.assertEqual(output.count(", deleted"), COUNT + LATER, output[-3000:])
        stored.update(later)
        self.assert_maildir(maildir, stored)
        self.assert_in_trash(login, stored)

        # 4. and again: an empty INBOX.
        output = self.getmail("delete.rc", delete=True, maildir=maildir)
        self.assertIn("0 messages (0 bytes) retrieved, 0 skipped", output)


if __name__ == "__main__":
    harness.main()
