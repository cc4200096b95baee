"""mbsync (isync) against Tessera's IMAP service, as a user who keeps a Maildir copy of the account
(issue 4): it pulls a 1,000-message INBOX byte for byte without marking anything read, pushes the
user's offline changes back (\\Seen, \\Flagged, a deletion with expunge, a new message), then pulls
what another client changed on the server (flags set and cleared, an expunge, a new message).

mbsync changes each message it copies in two ways of its own: its Maildir side stores LF line ends
(converted from IMAP's CRLF and back), and it adds an "X-TUID:" header as the last header line (the
tag it finds a copy by after an interrupted run). "Byte for byte" here is the message as loaded
with exactly those two changes."""
import imaplib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

import harness
from imap_served import Served

COUNT = 1000
TOPICS = ["invoice", "meeting notes", "build report", "travel plans", "r\u00e9sum\u00e9",
          "release checklist", "quarterly numbers", "lunch", "security advisory", "newsletter"]


def make_message(i):
    """Message `i` of the loaded account: distinct subject, Message-ID, date and body; some with
    8-bit UTF-8, RFC 2047 subjects, lines that look like mbox/SMTP escapes, one large one."""
    topic = TOPICS[i % len(TOPICS)]
    subject = f"Sync {i:04d}: {topic}"
    if i % 10 == 4:  # r\u00e9sum\u00e9 as an encoded word, as a real MUA would send it
        subject = f"Sync {i:04d}: =?UTF-8?Q?r=C3=A9sum=C3=A9?="
    head = (f"From: Sender {i % 17} <sender{i % 17}@example.test>\r\n"
            f"To: Ann <ann@example.test>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Mon, {1 + i % 28:02d} Jan 2024 {i % 24:02d}:{i % 60:02d}:00 +0100\r\n"
            f"Message-ID: <sync-{i}@example.test>\r\n"
            "MIME-Version: 1.0\r\n")
    if i % 10 == 4:
        head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        lines = [f"Gr\u00fc\u00dfe aus M\u00fcnchen, Nachricht {i}."]
    else:
        head += "Content-Type: text/plain; charset=us-ascii\r\n"
        lines = [f"Hello Ann, this is message {i} about {topic}."]
    lines += [f"line {n} of message {i}: " + "abcdefghij" * (n % 7) for n in range(3 + i % 40)]
    if i % 100 == 7:
        lines += ["From the desk of the sender (a line mbox would escape)", ".", "..", "-- "]
    if i == 500:  # one large message, fetched in more than one piece by most clients
        lines += ["%06d " % n + "x" * 70 for n in range(4000)]
    return (head + "\r\n" + "\r\n".join(lines) + "\r\n").encode()


def without_tuid(test, message, eol):
    """`message` with the one X-TUID header mbsync adds at the end of the header removed."""
    tuid = re.compile(rb"%sX-TUID: [A-Za-z0-9+/]{12}%s%s" % (eol, eol, eol))
    test.assertEqual(len(tuid.findall(message)), 1, message[:600])
    return tuid.sub(eol + eol, message, count=1)


def subject_of(message):
    return re.search(rb"^Subject: (.*?)\r?$", message, re.M).group(1).decode()


def server_messages(c):
    """INBOX as the server shows it: {subject: (uid, flags without \\Recent, bytes)}."""
    typ, data = c.select("INBOX")
    assert typ == "OK", data
    if int(data[0]) == 0:
        return {}
    typ, data = c.fetch("1:*", "(UID FLAGS BODY.PEEK[])")
    assert typ == "OK", data
    messages = {}
    items = iter(data)
    for item in items:
        if not isinstance(item, tuple):
            continue
        meta = item[0] + next(items, b"")  # FLAGS may follow the literal
        uid = int(re.search(rb"UID (\d+)", meta).group(1))
        flags = set(re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split())
        messages[subject_of(item[1])] = (uid, flags - {"\\Recent"}, item[1])
    return messages


class Maildir:
    """The near side as a user's mail reader sees it: {subject: (path, flag letters, bytes)}."""

    def __init__(self, path):
        self.path = path

    def messages(self):
        found = {}
        for sub in ("cur", "new"):
            for name in sorted(os.listdir(os.path.join(self.path, sub))):
                path = os.path.join(self.path, sub, name)
                with open(path, "rb") as f:
                    content = f.read()
                flags = name.split(":2,", 1)[1] if ":2," in name else ""
                found[subject_of(content)] = (path, set(flags), content)
        return found

    def set_flags(self, path, flags):
        """Renames a message file the way a Maildir reader records flags (cur/, sorted letters)."""
        base = os.path.basename(path).split(":2,", 1)[0]
        target = os.path.join(self.path, "cur", base + ":2," + "".join(sorted(flags)))
        os.rename(path, target)

    def deliver(self, name, content):
        """A message written by a local program: tmp/ then new/, as the Maildir spec says."""
        tmp = os.path.join(self.path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(content)
        os.rename(tmp, os.path.join(self.path, "new", name))


class MbsyncSync(Served, unittest.TestCase):
    count = 0  # the fixture's identical messages are not wanted: 1,000 distinct ones below

    @classmethod
    def setUpClass(cls):
        if not shutil.which("mbsync"):
            raise AssertionError("no mbsync: Debian package isync (tools/test installs it)")
        super().setUpClass()
        cls.loaded = [make_message(i) for i in range(COUNT)]
        c = imaplib.IMAP4_SSL("127.0.0.1", cls.port, ssl_context=harness.client_tls_context())
        # imaplib sends a literal and its closing CRLF as two writes: with Nagle on, each APPEND
        # then waits out the server's delayed ACK (~40 ms, 1,000 times).
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            c.login("ann@example.test", "pw")
            for message in cls.loaded:  # plain APPENDs in one session, in order
                typ, data = c.append("INBOX", None, None, message)
                assert typ == "OK", data
            c.logout()
        except BaseException:
            cls.tearDownClass()  # unittest skips it when setUpClass fails
            raise

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="tessera-mbsync-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)
        self.maildir = Maildir(os.path.join(self.home, "mail", "INBOX"))
        os.mkdir(os.path.join(self.home, "mail"))  # mbsync creates INBOX, not the store's root
        self.config = os.path.join(self.home, "mbsyncrc")
        with open(self.config, "w") as f:
            f.write(f"""\
IMAPAccount tessera
# mbsync matches the name against the certificate's DNS names only (not its IP address entry):
# localhost, which is loopback as 127.0.0.1 is.
Host localhost
Port {self.port}
User ann@example.test
Pass pw
SSLType IMAPS
# The server's self-signed certificate, trusted as its own issuer.
CertificateFile {self.cert}

IMAPStore tessera-remote
Account tessera

MaildirStore local
Path {self.home}/mail/
Inbox {self.home}/mail/INBOX
SubFolders Verbatim

Channel tessera
Far :tessera-remote:
Near :local:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *
""")

    def mbsync(self):
        """One `mbsync -a` run; returns its output, failing the test on a non-zero exit."""
        proc = subprocess.run(["mbsync", "-V", "-c", self.config, "-a"], capture_output=True,
                              timeout=60, env=dict(os.environ, HOME=self.home))
        output = (proc.stdout + proc.stderr).decode(errors="replace")
        self.assertEqual(proc.returncode, 0, f"mbsync failed:\n{output}\n{self.imap.output()}")
        return output

    def lf(self, message):
        return message.replace(b"\r\n", b"\n")

    def test_pull_push_and_pull_again(self):
        # 1. Pull: every message arrives once, byte for byte; none is marked read on the server.
        self.mbsync()
        local = self.maildir.messages()
        self.assertEqual(len(local), COUNT)
        for message in self.loaded:
            path, flags, content = local[subject_of(message)]
            self.assertEqual(without_tuid(self, content, b"\n"), self.lf(message), path)
            self.assertEqual(flags, set(), path)
        c = self.client()
        server = server_messages(c)
        self.assertEqual(len(server), COUNT)
        self.assertEqual([s for s, (uid, flags, _) in server.items() if flags], [])

        # 2. Push: the user read ten messages, flagged one, deleted one, and filed a new one.
        subjects = [subject_of(m) for m in self.loaded]
        read, flagged, deleted = subjects[10:20], subjects[20], subjects[30]
        for s in read:
            self.maildir.set_flags(local[s][0], {"S"})
        self.maildir.set_flags(local[flagged][0], {"F"})
        self.maildir.set_flags(local[deleted][0], {"S", "T"})
        written = (b"From: Ann <ann@example.test>\nTo: bob@example.test\n"
                   b"Subject: Written offline\nMessage-ID: <offline-1@example.test>\n\n"
                   b"Drafted on the train, synced later.\n")
        self.maildir.deliver("1700000000.M1P1.laptop", written)
        self.mbsync()
        server = server_messages(c)
        self.assertEqual(len(server), COUNT)  # one expunged, one added
        self.assertNotIn(deleted, server)
        for s in read:
            self.assertEqual(server[s][1], {"\\Seen"}, s)
        self.assertEqual(server[flagged][1], {"\\Flagged"})
        self.assertEqual(server[subjects[40]][1], set())
        self.assertEqual(without_tuid(self, server["Written offline"][2], b"\r\n"),
                         written.replace(b"\n", b"\r\n"))
        self.assertEqual(len(self.maildir.messages()), COUNT)  # the deleted file is gone

        # 3. Pull again: another client read five, answered one, unread one, expunged one and a
        #    new flagged message arrived.
        uid = {s: server[s][0] for s in server}
        c.uid("STORE", ",".join(str(uid[s]) for s in subjects[40:45]), "+FLAGS", "(\\Seen)")
        c.uid("STORE", str(uid[subjects[45]]), "+FLAGS", "(\\Answered)")
        c.uid("STORE", str(uid[subjects[10]]), "-FLAGS", "(\\Seen)")
        c.uid("STORE", str(uid[subjects[50]]), "+FLAGS", "(\\Deleted)")
        self.assertEqual(c.expunge()[0], "OK")
        arrived = (b"From: Bob <bob@example.test>\r\nTo: ann@example.test\r\n"
                   b"Subject: Arrived later\r\n\r\nSee you at 10.\r\n")
        self.assertEqual(c.append("INBOX", "(\\Flagged)", None, arrived)[0], "OK")
        c.logout()
        self.mbsync()
        local = self.maildir.messages()
        self.assertEqual(len(local), COUNT)
        self.assertNotIn(subjects[50], local)
        for s in subjects[40:45]:
            self.assertEqual(local[s][1], {"S"}, s)
        self.assertEqual(local[subjects[45]][1], {"R"})
        self.assertEqual(local[subjects[10]][1], set())
        self.assertEqual(local[subjects[11]][1], {"S"})
        self.assertEqual(local[flagged][1], {"F"})
        self.assertEqual(local["Arrived later"][1], {"F"})
        self.assertEqual(without_tuid(self, local["Arrived later"][2], b"\n"), self.lf(arrived))
        self.assertEqual(local["Written offline"][2], written)

        # 4. Nothing left to do: a fourth run changes neither side.
        self.mbsync()
        self.assertEqual({s: v[1:] for s, v in self.maildir.messages().items()},
                         {s: v[1:] for s, v in local.items()})


if __name__ == "__main__":
    harness.main()
