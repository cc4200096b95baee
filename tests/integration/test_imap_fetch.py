"""FETCH and UID FETCH through the store (issue 4), as imaplib sees them: message sequence
numbers, FLAGS/UID/RFC822.SIZE/INTERNALDATE, ENVELOPE and BODYSTRUCTURE of a multipart message,
BODY[section]<partial> with HEADER.FIELDS, MIME and TEXT, BINARY decoding, \\Seen set by a
non-PEEK fetch but not by EXAMINE or BODY.PEEK, and BAD for a sequence number past EXISTS."""
import unittest

import harness
from imap_served import Served

MESSAGE = (
    b"From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\r\n"
    b"To: Ann <ann@example.test>, team: b@example.test;\r\n"
    b"Subject: Report\r\n"
    b"Date: Mon, 13 Nov 2023 10:00:00 +0100\r\n"
    b"Message-ID: <m1@example.de>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
    b"--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
    b"Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b1--\r\n")


class ImapFetch(Served, unittest.TestCase):
    message = MESSAGE

    def test_metadata_envelope_structure(self):
        c = self.client()
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1:*", "(UID FLAGS RFC822.SIZE)")
        self.assertEqual(typ, "OK")
        # EXAMINE first: nobody claimed the messages, so they are \Recent (RFC 3501 §2.3.2).
        self.assertEqual(data, [b"%d (UID %d FLAGS (\\Recent) RFC822.SIZE %d)" % (i, i, len(MESSAGE))
                                for i in (1, 2, 3)])
        typ, data = c.fetch("2", "(ENVELOPE)")
        self.assertEqual(data[0], (
            b'2 (ENVELOPE ("Mon, 13 Nov 2023 10:00:00 +0100" "Report" '
            b'(("=?UTF-8?Q?J=C3=BCrgen?=" NIL "j" "example.de")) '
            b'(("=?UTF-8?Q?J=C3=BCrgen?=" NIL "j" "example.de")) '
            b'(("=?UTF-8?Q?J=C3=BCrgen?=" NIL "j" "example.de")) '
            b'(("Ann" NIL "ann" "example.test")(NIL NIL "team" NIL)'
            b'(NIL NIL "b" "example.test")(NIL NIL NIL NIL)) NIL NIL NIL "<m1@example.de>"))'))
        typ, data = c.fetch("2", "(BODYSTRUCTURE)")
        self.assertEqual(data[0], (
            b'2 (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 13 1 NIL NIL '
            b'NIL NIL)("APPLICATION" "PDF" ("NAME" "r.pdf") NIL NIL "BASE64" 8 NIL '
            b'("ATTACHMENT" ("FILENAME" "r.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL NIL))'))
        typ, data = c.fetch("3", "(INTERNALDATE)")
        self.assertRegex(data[0], rb'^3 \(INTERNALDATE "\d\d-\w\w\w-\d{4} \d\d:\d\d:\d\d \+0000"\)$')
        c.logout()

    def test_sections_binary_and_seen(self):
        import imaplib
        c = self.client()
        c.select("INBOX")
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])")
        self.assertEqual(data[0][1], b"Subject: Report\r\nMessage-ID: <m1@example.de>\r\n\r\n")
        typ, data = c.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BINARY.PEEK[2] BODY.PEEK[]<0.6>)")
        literals = [item[1] for item in data if isinstance(item, tuple)]
        self.assertEqual(literals[0], b"See attached.")
        self.assertTrue(literals[1].startswith(b"Content-Type: application/pdf"))
        self.assertEqual(literals[2], b"%PDF-")
        self.assertEqual(literals[3], b"From: ")
        # PEEK left it unseen; the first SELECT made it \Recent for this session.
        self.assertEqual(c.fetch("1", "FLAGS")[1], [b"1 (FLAGS (\\Recent))"])
        typ, data = c.uid("FETCH", "2", "(BODY[TEXT])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"UID 2", data[0][0])
        self.assertIn(b"FLAGS (\\Seen \\Recent)", data[1])  # a non-PEEK fetch sets and reports \Seen
        self.assertEqual(c.fetch("2", "FLAGS")[1], [b"2 (FLAGS (\\Seen \\Recent))"])
        with self.assertRaises(imaplib.IMAP4.error) as bad:
            c.fetch("9", "FLAGS")
        self.assertIn("Invalid message sequence number", str(bad.exception))
        self.assertEqual(c.uid("FETCH", "9:20", "FLAGS"), ("OK", [None]))  # UIDs: none, no error
        c.logout()


class ImapStoreExpunge(Served, unittest.TestCase):
    """STORE, UID STORE, EXPUNGE, UID EXPUNGE and CLOSE on their own store and messages."""
    message = MESSAGE

    def test_store_and_expunge(self):
        import imaplib
        c = self.client()
        c.select("INBOX")
        typ, data = c.store("1:2", "+FLAGS", "(\\Flagged $Work)")
        self.assertEqual(data, [b"1 (FLAGS (\\Flagged $Work \\Recent))",
                                b"2 (FLAGS (\\Flagged $Work \\Recent))"])
        # A new keyword is announced in FLAGS and PERMANENTFLAGS first (RFC 9051 §7.3.5).
        self.assertIn(b"$Work", c.response("FLAGS")[1][-1])
        typ, data = c.store("2", "-FLAGS.SILENT", "\\Flagged")
        self.assertEqual((typ, data), ("OK", [None]))
        self.assertEqual(c.fetch("2", "FLAGS")[1], [b"2 (FLAGS ($Work \\Recent))"])
        typ, data = c.uid("STORE", "3", "FLAGS", "(\\Deleted \\Seen)")
        self.assertEqual(data, [b"3 (FLAGS (\\Seen \\Deleted \\Recent) UID 3)"])
        with self.assertRaises(imaplib.IMAP4.error):
            c.store("1", "+FLAGS", "\\Recent")
        c.store("1", "+FLAGS", "\\Deleted")
        self.assertEqual(c.uid("EXPUNGE", "3")[0], "OK")  # RFC 4315: only UID 3, 1 stays
        self.assertEqual(c.response("EXPUNGE")[1], [b"3"])
        self.assertEqual(c.fetch("1:*", "UID")[1], [b"1 (UID 1)", b"2 (UID 2)"])
        typ, data = c.expunge()
        self.assertEqual(data, [b"1"])
        self.assertEqual(c.fetch("1:*", "UID")[1], [b"1 (UID 2)"])  # renumbered
        c.store("1", "+FLAGS", "\\Deleted")
        self.assertEqual(c.close()[0], "OK")  # expunges silently
        self.assertEqual(c.select("INBOX")[1], [b"0"])
        c.select("INBOX", readonly=True)
        typ, data = c.store("1", "+FLAGS", "\\Seen")
        self.assertEqual((typ, data), ("NO", [b"[READ-ONLY] Mailbox is read-only"]))
        c.logout()


if __name__ == "__main__":
    harness.main()
