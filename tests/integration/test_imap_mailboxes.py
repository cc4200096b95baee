"""The IMAP commands that change things, as imaplib sees them (issue 4): APPEND with flags and
date (APPENDUID), MULTIAPPEND, APPENDLIMIT and [TRYCREATE]; COPY/MOVE with COPYUID; CREATE with
intermediate levels, RENAME (also of INBOX), DELETE, SUBSCRIBE/LSUB; special folders refused
(IM-09). Two sessions on one mailbox see each other's appends, flag changes and expunges in
order with MODSEQ rising, and IDLE wakes within a second of another session's change."""
import re
import socket
import ssl
import threading
import time
import unittest

import harness
from imap_served import Served

MESSAGE = b"From: a@example.test\r\nSubject: appended\r\n\r\nHello\r\n"


def status(c, mailbox, items="(MESSAGES UIDNEXT)"):
    typ, data = c.status(mailbox, items)
    return data[0].decode()


class ImapChanges(Served, unittest.TestCase):
    count = 2

    def test_append_and_appenduid(self):
        c = self.client()
        typ, data = c.append("INBOX", "(\\Seen $Work)", '"17-Jul-1996 02:44:25 -0700"', MESSAGE)
        self.assertEqual(typ, "OK")
        m = re.match(rb"\[APPENDUID (\d+) (\d+)\] APPEND completed", data[0])
        self.assertIsNotNone(m, data)
        uid = int(m.group(2))
        c.select("INBOX")
        typ, data = c.uid("FETCH", str(uid), "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        self.assertIn(b"FLAGS (\\Seen $Work \\Recent)", data[0][0])
        self.assertIn(b'INTERNALDATE "17-Jul-1996 09:44:25 +0000"', data[0][0])
        self.assertIn(b"RFC822.SIZE %d" % len(MESSAGE), data[0][0])
        self.assertEqual(data[0][1], MESSAGE)
        typ, data = c.append("Nowhere", None, None, MESSAGE)
        self.assertEqual((typ, data), ("NO", [b"[TRYCREATE] No such mailbox"]))
        c.logout()

    def test_multiappend_and_appendlimit_on_the_wire(self):
        raw = self.raw()
        raw.command(b"a0 LOGIN ann@example.test pw")
        raw.command(b"a1 CAPABILITY")
        self.assertIn(b"APPENDLIMIT=52428800", raw.lines[-2])
        self.assertIn(b"MULTIAPPEND", raw.lines[-2])
        # Two messages, non-synchronising literals (LITERAL+), one command (RFC 3502).
        raw.send(b"a2 APPEND Drafts (\\Draft) {%d+}\r\n%s (\\Seen) {%d+}\r\n%s\r\n"
                 % (len(MESSAGE), MESSAGE, len(MESSAGE), MESSAGE))
        line = raw.until(b"a2 ")
        self.assertRegex(line, rb"^a2 OK \[APPENDUID \d+ 1:2\] APPEND completed")
        raw.command(b"a3 APPEND Drafts {60000000}")  # over APPENDLIMIT: refused before "+"
        self.assertEqual(raw.lines[-1], b"a3 NO [TOOBIG] Message larger than APPENDLIMIT")
        raw.command(b"a4 STATUS Drafts (MESSAGES)")
        self.assertEqual(raw.lines[-2], b"* STATUS Drafts (MESSAGES 2)")
        raw.close()

    def test_copy_move_and_copyuid(self):
        c = self.client()
        self.assertEqual(c.create("Archive/2024")[0], "OK")  # creates Archive too
        c.select("INBOX")
        typ, data = c.copy("1:2", "Archive/2024")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 1:2 1:2\] COPY completed$")
        typ, data = c.uid("MOVE", "1", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(c.untagged_responses.get("OK", [b""])[-1], rb"^\[COPYUID \d+ 1 1\]")
        self.assertEqual(c.response("EXPUNGE")[1], [b"1"])
        self.assertEqual(c.fetch("1", "UID")[1], [b"1 (UID 2)"])
        self.assertIn("MESSAGES 2", status(c, "Archive/2024"))
        self.assertIn("MESSAGES 1", status(c, "Archive"))
        typ, data = c.copy("1", "Missing")
        self.assertEqual((typ, data), ("NO", [b"[TRYCREATE] No such mailbox"]))
        c.logout()

    def test_tree_commands_and_special_folders(self):
        c = self.client()
        self.assertEqual(c.create("Projects/Alpha")[0], "OK")
        self.assertEqual(c.create("Projects")[1], [b"[ALREADYEXISTS] Mailbox already exists"])
        self.assertEqual(c.rename("Projects/Alpha", "Old/Alpha")[0], "OK")
        names = [line.decode() for line in c.list()[1]]
        self.assertTrue(any(n.endswith('"/" Old/Alpha') for n in names), names)
        self.assertFalse(any(n.endswith('"/" Projects/Alpha') for n in names), names)
        self.assertEqual(c.delete("Old")[1], [b"[HASCHILDREN] Delete the subfolders first"])
        self.assertEqual(c.delete("Old/Alpha")[0], "OK")
        self.assertEqual(c.delete("Old/Alpha")[1], [b"[NONEXISTENT] No such mailbox"])
        for special in ("Sent", "Trash", "INBOX"):
            self.assertEqual(c.delete(special)[0], "NO", special)
        self.assertEqual(c.rename("Sent", "Sent2")[0], "NO")
        self.assertEqual(c.subscribe("Old")[0], "OK")
        self.assertIn(b'"/" Old', b" ".join(c.lsub()[1]))
        self.assertEqual(c.unsubscribe("Old")[0], "OK")
        self.assertNotIn(b'"/" Old', b" ".join(c.lsub()[1]))
        c.logout()

    def test_search_keys_and_esearch(self):
        c = self.client()
        self.assertEqual(c.create("Search")[0], "OK")
        report = (b"From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\r\nTo: ann@example.test\r\n"
                  b"Subject: Quarterly report\r\nDate: Mon, 13 Nov 2023 10:00:00 +0100\r\n"
                  b"X-Project: apollo\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  b"Content-Transfer-Encoding: base64\r\n\r\nR3LDvMOfZSBhdXMgTcO8bmNoZW4=\r\n")
        c.append("Search", "(\\Flagged)", '"14-Nov-2023 09:00:00 +0000"', report)
        c.append("Search", "(\\Seen $Done)", '"01-Jan-2024 09:00:00 +0000"', MESSAGE)
        c.select("Search")
        def uids(*criteria):
            typ, data = c.uid("SEARCH", *criteria)
            self.assertEqual(typ, "OK", criteria)
            return data[0].decode()
        self.assertEqual(uids("ALL"), "1 2")
        c.literal = "J\u00fcrgen".encode()  # 8-bit text travels as a literal
        self.assertEqual(uids("CHARSET", "UTF-8", "FROM"), "1")
        self.assertEqual(uids("SUBJECT", "QUARTERLY"), "1")
        self.assertEqual(uids("HEADER", "X-Project", "apol"), "1")
        self.assertEqual(uids("BODY", "aus"), "1")  # base64 body decoded
        self.assertEqual(uids("FLAGGED"), "1")
        self.assertEqual(uids("UNSEEN"), "1")
        self.assertEqual(uids("KEYWORD", "$Done"), "2")
        self.assertEqual(uids("SENTON", "13-Nov-2023"), "1")
        self.assertEqual(uids("SINCE", "1-Dec-2023"), "2")
        self.assertEqual(uids("OR", "FLAGGED", "SEEN", "NOT", "UID", "2"), "1")
        self.assertEqual(uids("LARGER", "200"), "1")
        raw = self.raw()
        raw.command(b"e0 LOGIN ann@example.test pw")
        raw.command(b"e1 SELECT Search")
        raw.command(b"e2 SEARCH RETURN (MIN MAX COUNT) ALL")
        self.assertEqual(raw.lines[-2], b'* ESEARCH (TAG "e2") MIN 1 MAX 2 COUNT 2')
        raw.command(b"e3 SEARCH RETURN (SAVE) FLAGGED")  # SAVE alone: no ESEARCH (RFC 5182)
        self.assertEqual(raw.lines[-2], b"e2 OK SEARCH completed")
        raw.command(b"e4 FETCH $ (UID)")
        self.assertEqual(raw.lines[-2], b"* 1 FETCH (UID 1)")
        raw.close()
        typ, data = c.search("BADCHARSET-X", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[BADCHARSET", data[0])
        c.logout()

    def raw(self):
        return RawClient(self.port)


class ImapRenameInbox(Served, unittest.TestCase):
    count = 2

    def test_rename_inbox_moves_its_messages(self):
        c = self.client()
        self.assertEqual(c.rename("INBOX", '"Old mail"')[0], "OK")
        self.assertIn("MESSAGES 2", status(c, '"Old mail"'))
        self.assertIn("MESSAGES 0", status(c, "INBOX"))
        c.logout()


class ImapTwoSessions(Served, unittest.TestCase):
    count = 3

    def test_each_sees_the_others_changes_in_order(self):
        a, b = self.client(), self.client()
        a.select("INBOX")
        b.select("INBOX")
        a.response("EXISTS")  # imaplib keeps untagged data until asked: drop SELECT's
        # \Recent goes to the first session only (RFC 3501 §2.3.2); STATUS counts what is left.
        self.assertEqual(a.response("RECENT")[1], [b"3"])
        self.assertEqual(b.response("RECENT")[1], [b"0"])
        other = self.client()
        self.assertIn("RECENT 0", status(other, "INBOX", "(RECENT)"))
        other.logout()
        # b changes flags: a hears FETCH FLAGS at its next command.
        b.store("2", "+FLAGS", "(\\Flagged)")
        a.noop()
        self.assertIn(b"2 (UID 2 FLAGS (\\Flagged \\Recent))", a.response("FETCH")[1])
        # b appends: a hears EXISTS; b, whose APPEND reply told it first, has it as \Recent.
        b.append("INBOX", None, None, MESSAGE)
        typ, data = a.noop()
        self.assertEqual(a.response("EXISTS")[1], [b"4"])
        self.assertEqual(a.response("RECENT")[1], [b"3"])
        self.assertEqual(b.fetch("4", "FLAGS")[1], [b"4 (FLAGS (\\Recent))"])
        # b expunges message 1: a hears EXPUNGE 1, then numbers shift.
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        a.noop()
        self.assertEqual(a.response("EXPUNGE")[1], [b"1"])
        self.assertEqual(a.fetch("1:*", "UID")[1], [b"1 (UID 2)", b"2 (UID 3)", b"3 (UID 4)"])
        # MODSEQ strictly increases with every change (STATUS HIGHESTMODSEQ).
        seen = []
        for flag in ("\\Seen", "\\Answered", "$A"):
            b.store("1", "+FLAGS", "(%s)" % flag)
            seen.append(int(re.search(r"HIGHESTMODSEQ (\d+)",
                                      status(a, "INBOX", "(HIGHESTMODSEQ)")).group(1)))
        self.assertEqual(seen, sorted(set(seen)))
        a.logout()
        b.logout()

    def test_fetch_does_not_report_expunge(self):
        a, b = self.client(), self.client()
        exists = int(a.select("INBOX")[1][0])
        b.select("INBOX")
        b.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        b.expunge()
        typ, data = a.fetch("1", "(UID)")  # RFC 9051 §7.5.1: no EXPUNGE during FETCH
        self.assertEqual(typ, "OK")
        self.assertNotIn("EXPUNGE", a.untagged_responses)
        a.noop()
        self.assertEqual(a.response("EXPUNGE")[1], [b"%d" % n for n in range(exists, 0, -1)])
        b.append("INBOX", None, None, MESSAGE)
        a.logout()
        b.logout()

    def test_idle_wakes_within_a_second(self):
        raw = RawClient(self.port)
        raw.command(b"i1 LOGIN ann@example.test pw")
        raw.command(b"i2 SELECT INBOX")
        exists = int([l for l in raw.lines if l.endswith(b" EXISTS")][0].split()[1])
        raw.send(b"i3 IDLE\r\n")
        self.assertEqual(raw.until(b"+ "), b"+ idling")
        other = self.client()
        started = time.monotonic()
        other.append("INBOX", None, None, MESSAGE)
        line = raw.until(b"* ")
        waited = time.monotonic() - started
        self.assertEqual(line, b"* %d EXISTS" % (exists + 1))
        self.assertLess(waited, 1.0)
        raw.send(b"DONE\r\n")
        self.assertEqual(raw.until(b"i3 "), b"i3 OK IDLE terminated")
        other.logout()
        raw.close()


class RawClient:
    """A line-level IMAP client over TLS, for what imaplib cannot send (LITERAL+, IDLE)."""

    def __init__(self, port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = harness.client_tls_context().wrap_socket(sock, server_hostname="localhost")
        self.buffer = b""
        self.lines = []
        self.readline()

    def send(self, data):
        self.sock.sendall(data)

    def readline(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("server closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        self.lines.append(line)
        return line

    def until(self, prefix):
        while True:
            line = self.readline()
            if line.startswith(prefix):
                return line

    def command(self, line):
        self.send(line + b"\r\n")
        return self.until(line.split(b" ")[0] + b" ")

    def close(self):
        try:
            self.send(b"z LOGOUT\r\n")
            self.sock.close()
        except (OSError, ssl.SSLError):
            pass


if __name__ == "__main__":
    harness.main()
