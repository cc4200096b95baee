"""LIST-EXTENDED, LIST-STATUS, subscriptions that outlive their mailbox, and QUOTA, as a client
sees them (issue 4): selection and return options of RFC 5258, STATUS inside LIST (RFC 5819),
\\NonExistent for a deleted subscribed folder (RFC 9051 §6.3.7), GETQUOTAROOT/GETQUOTA in KiB
(RFC 9208) before and after the administrator sets a limit with mailctl."""
import imaplib
import os
import subprocess
import unittest

import harness
from imap_served import Served

MAILCTL = os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl")


class ListExtended(Served, unittest.TestCase):
    count = 3
    message = b"Subject: hello\r\n\r\n" + b"x" * 2000 + b"\r\n"

    def test_selection_return_and_status(self):
        c = self.client()
        for name in ("Projects", "Projects/Alpha", "Projects/Beta", "Old"):
            self.assertEqual(c.create(name)[0], "OK")
        c.subscribe("Projects/Alpha")
        c.unsubscribe("Projects")
        c.subscribe("Old")
        c.delete("Old")  # stays subscribed by name

        typ, data = c._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"')
        listed = c.untagged_responses.pop("LIST")
        self.assertEqual(typ, "OK")
        self.assertIn(b'(\\HasNoChildren \\Subscribed) "/" Projects/Alpha', listed)
        self.assertIn(b'(\\Subscribed \\NonExistent) "/" Old', listed)
        self.assertNotIn(b'"/" Projects/Beta', b" ".join(listed))

        typ, data = c._simple_command("LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', '"Projects"')
        self.assertEqual(c.untagged_responses.pop("LIST"),
                         [b'(\\HasChildren) "/" Projects ("CHILDINFO" ("SUBSCRIBED"))'])

        typ, data = c._simple_command("LIST", '""', '("INBOX" "Projects/%")', "RETURN",
                                      "(SPECIAL-USE STATUS (MESSAGES SIZE UIDNEXT))")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.untagged_responses.pop("LIST"),
                         [b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "/" Projects/Alpha',
                          b'(\\HasNoChildren) "/" Projects/Beta'])
        size = len(self.message) * 3
        self.assertEqual(c.untagged_responses.pop("STATUS"),
                         [f"INBOX (MESSAGES 3 SIZE {size} UIDNEXT 4)".encode(),
                          b"Projects/Alpha (MESSAGES 0 SIZE 0 UIDNEXT 1)",
                          b"Projects/Beta (MESSAGES 0 SIZE 0 UIDNEXT 1)"])

        typ, data = c._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
        special = c.untagged_responses.pop("LIST")
        self.assertTrue(all(b"\\Sent" in l or b"\\Drafts" in l or b"\\Trash" in l
                            or b"\\Junk" in l for l in special), special)
        self.assertEqual(len(special), 4)

        # LSUB still answers the lost subscription; UNSUBSCRIBE by name drops it.
        typ, data = c.lsub('""', "*")
        self.assertIn(b'(\\Noselect) "/" Old', data)
        self.assertEqual(c.unsubscribe("Old")[0], "OK")
        typ, data = c.lsub('""', "*")
        self.assertNotIn(b'(\\Noselect) "/" Old', data)

        for bad in (('(RECURSIVEMATCH)', '""', '"*"'), ('(BOGUS)', '""', '"*"'),
                    ('""', '"*"', "RETURN", "(BOGUS)")):
            with self.assertRaisesRegex(imaplib.IMAP4.error, "BAD"):
                c._simple_command("LIST", *bad)
        c.logout()

    def test_xlist_for_older_outlook(self):
        # IM-03: XLIST names INBOX and the special folders the way Gmail did (\Spam for Junk).
        c = self.client()
        self.assertIn("XLIST", c.capabilities)
        imaplib.Commands.setdefault("XLIST", ("AUTH", "SELECTED"))
        typ, data = c._simple_command("XLIST", '""', '"*"')
        listed = c.untagged_responses.pop("XLIST")
        self.assertIn(b'(\\HasNoChildren \\Inbox) "/" INBOX', listed)
        self.assertIn(b'(\\HasNoChildren \\Sent) "/" Sent', listed)
        self.assertTrue(any(b"\\Spam" in l for l in listed), listed)
        c.logout()

    def test_quota(self):
        c = self.client()
        self.assertIn("QUOTA", c.capabilities)
        # Unlimited: no quota root (RFC 9208 §4.3).
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], [b"INBOX"])
        mailctl = [MAILCTL, "--store", self.store_address]
        subprocess.run(mailctl + ["quota", "set", "ann@example.test", "1MiB"], check=True,
                       capture_output=True)
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(data, [[b'INBOX ""'], [b'"" (STORAGE 6 1024)']])
        typ, data = c.getquota('""')
        self.assertEqual(data, [b'"" (STORAGE 6 1024)'])
        typ, data = c._simple_command("GETQUOTA", '"other"')
        self.assertEqual(typ, "NO")
        typ, data = c._simple_command("SETQUOTA", '""', "(STORAGE 10)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NOPERM]", data[0])
        c.select("INBOX")
        c.store("1", "+FLAGS", "\\Deleted")
        typ, data = c.status("INBOX", "(DELETED DELETED-STORAGE)")
        self.assertEqual(data, [b"INBOX (DELETED 1 DELETED-STORAGE 2)"])
        subprocess.run(mailctl + ["quota", "set", "ann@example.test", "0"], check=True,
                       capture_output=True)
        c.logout()


if __name__ == "__main__":
    unittest.main()
