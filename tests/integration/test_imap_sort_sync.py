"""SORT, THREAD and CONDSTORE/QRESYNC as imaplib sees them (issue 4): messages appended with
different dates, senders and References come back sorted and threaded as RFC 5256 says; a
client that knows a modseq resynchronises with SELECT (QRESYNC ...) and learns exactly what
changed; a conditional STORE on a message changed meanwhile fails with [MODIFIED]."""
import imaplib
import re
import unittest

from imap_served import Served


def message(subject, sender, date, message_id, references=None, size_pad=0):
    lines = [f"From: {sender}", "To: team@example.test", f"Subject: {subject}", f"Date: {date}",
             f"Message-ID: {message_id}"]
    if references:
        lines.append(f"References: {references}")
    return ("\r\n".join(lines) + "\r\n\r\nbody" + "x" * size_pad + "\r\n").encode()


MESSAGES = [
    message("Plans", "Carol <carol@example.test>", "Mon, 2 Mar 2026 10:00:00 +0000", "<p1@x>"),
    message("Re: Plans", "alice@example.test", "Mon, 2 Mar 2026 12:00:00 +0000", "<p2@x>",
            "<p1@x>", 50),
    message("Lunch", "Bob <bob@example.test>", "Mon, 2 Mar 2026 09:00:00 +0000", "<l1@x>",
            None, 10),
    message("Re: Re: Plans", "bob@example.test", "Mon, 2 Mar 2026 12:30:00 +0200", "<p3@x>",
            "<p1@x> <p2@x>", 5),
]


class SortThread(Served, unittest.TestCase):
    count = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.client(cls)
        c.create("Work")
        for raw in MESSAGES:
            c.append("Work", None, None, raw)
        c.logout()

    def test_sort(self):
        c = self.client()
        c.select("Work")
        self.assertEqual(c.sort("(DATE)", "UTF-8", "ALL")[1], [b"3 1 4 2"])  # 12:30+0200 = 10:30Z
        self.assertEqual(c.sort("(FROM)", "UTF-8", "ALL")[1], [b"2 3 4 1"])
        self.assertEqual(c.sort("(REVERSE SIZE)", "UTF-8", "ALL")[1], [b"2 4 3 1"])
        self.assertEqual(c.sort("(SUBJECT DATE)", "UTF-8", "ALL")[1], [b"3 1 4 2"])
        self.assertEqual(c.sort("(DISPLAYFROM)", "UTF-8", "ALL")[1], [b"2 3 4 1"])
        typ, data = c.uid("SORT", "(ARRIVAL)", "UTF-8", "SUBJECT", "plans")
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [b"1 2 4"])
        typ, data = c.sort("(DATE)", "KOI8-R", "ALL")
        self.assertIn(b"[BADCHARSET", data[0])

    def test_thread(self):
        c = self.client()
        c.select("Work")
        typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b"(3)(1 2 4)"]))
        typ, data = c.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual(data, [b"(3)(1 (4)(2))"])
        typ, data = c.uid("THREAD", "REFERENCES", "UTF-8", "NOT", "SUBJECT", "lunch")
        self.assertEqual(data, [b"(1 2 4)"])
        with self.assertRaisesRegex(imaplib.IMAP4.error, "BAD.*unknown threading algorithm"):
            c.thread("REFS", "UTF-8", "ALL")


class QuickResync(Served, unittest.TestCase):
    count = 4

    def test_qresync_select_reports_changes_since_modseq(self):
        c = self.client()
        typ, data = c._simple_command("ENABLE", "QRESYNC")
        self.assertEqual(c.untagged_responses.pop("ENABLED"), [b"QRESYNC"])
        c.select("INBOX")
        validity = int(c.untagged_responses["UIDVALIDITY"][-1])
        modseq = int(c.untagged_responses["HIGHESTMODSEQ"][-1])
        c.close()

        other = self.client()
        other.select("INBOX")
        other.store("2", "+FLAGS", "\\Flagged")
        other.store("3", "+FLAGS", "\\Deleted")
        other.expunge()
        other.logout()

        typ, data = c._simple_command("SELECT", "INBOX", f"(QRESYNC ({validity} {modseq}))")
        self.assertEqual(typ, "OK")
        c.state = "SELECTED"  # imaplib's select() cannot send parameters
        self.assertEqual(c.untagged_responses.pop("VANISHED"), [b"(EARLIER) 3"])
        fetches = c.untagged_responses.pop("FETCH", [])
        self.assertEqual(len(fetches), 1, fetches)
        self.assertRegex(fetches[0], rb"^2 \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$")

        # UNCHANGEDSINCE older than message 2's change: refused with [MODIFIED 2] (UID form).
        typ, data = c._simple_command("UID", "STORE", "1,2", f"(UNCHANGEDSINCE {modseq})",
                                      "+FLAGS", "\\Seen")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[MODIFIED 2\]")
        stored = c.untagged_responses.pop("FETCH")
        self.assertEqual(len(stored), 1)
        self.assertRegex(stored[0], rb"^1 \(FLAGS \(\\Seen\) UID 1 MODSEQ \(\d+\)\)$")
        typ, data = c._simple_command("UID", "FETCH", "1:*", "(FLAGS)",
                                      f"(CHANGEDSINCE {modseq} VANISHED)")
        self.assertEqual(c.untagged_responses.pop("VANISHED", None), [b"(EARLIER) 3"])
        flags = {int(re.match(rb"\d+ \(UID (\d+)", f).group(1)): f
                 for f in c.untagged_responses.pop("FETCH", [])}
        self.assertEqual(sorted(flags), [1, 2])
        self.assertIn(b"\\Seen", flags[1])
        self.assertNotIn(b"\\Seen", flags[2])
        c.logout()


if __name__ == "__main__":
    unittest.main()
