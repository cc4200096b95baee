"""POP3 with Python's poplib: login over 995 and after STLS on 110 (USER/PASS and AUTH refused
before TLS), CAPA, STAT/LIST/UIDL/RETR/TOP with byte-stuffing, DELE that takes effect only at QUIT
and moves the messages to Trash, a dropped connection that deletes nothing, RSET, the snapshot
semantics, [IN-USE] for a second session, the error replies, APOP refused, the login timeout and
the idle timeout's 10-minute floor. The exact wire text of every reply is in the golden
transcripts (tests/protocol/pop3, test_pop3_transcripts.py)."""
import concurrent.futures
import poplib
import socket
import time
import unittest

import harness
from pop3_served import Pop3Served


class Pop3(Pop3Served, unittest.TestCase):
    def test_plaintext_login_is_refused_until_stls(self):
        c = poplib.POP3("127.0.0.1", self.pop3_port, timeout=20)
        caps = c.capa()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        with self.assertRaises(poplib.error_proto) as refused:
            c.user("bob@example.test")
        self.assertIn(b"[AUTH]", refused.exception.args[0])
        c.stls(context=harness.client_tls_context())
        self.assertIn("USER", c.capa())
        c.user("bob@example.test")
        self.assertTrue(c.pass_("pw").startswith(b"+OK"))
        c.quit()

    def test_download_with_stat_list_uidl_retr_top(self):
        self.deliver("ann@example.test", 3, body=b".leading dot\r\nline 2\r\nline 3\r\n")
        c = self.pop3s("ann@example.test")
        count, octets = c.stat()
        self.assertEqual(count, 3)
        listing = c.list()[1]
        self.assertEqual(len(listing), 3)
        self.assertEqual(sum(int(line.split()[1]) for line in listing), octets)
        uidls = [line.split()[1] for line in c.uidl()[1]]
        self.assertEqual(len(set(uidls)), 3)
        _, lines, size = c.retr(1)
        self.assertIn(b".leading dot", lines)  # poplib undoes the byte-stuffing
        self.assertEqual(int(listing[0].split()[1]), sum(len(l) + 2 for l in lines))
        _, top, _ = c.top(2, 1)
        self.assertEqual(top[-2:], [b"", b".leading dot"])
        self.assertEqual(c.uidl(2).split()[2], uidls[1])
        c.quit()
        again = self.pop3s("ann@example.test")
        self.assertEqual([line.split()[1] for line in again.uidl()[1]], uidls)  # stable
        again.quit()

    def test_dele_takes_effect_at_quit_into_trash_and_a_drop_deletes_nothing(self):
        self.deliver("bob@example.test", 2)
        c = self.pop3s()
        count, _ = c.stat()
        c.dele(1)
        with self.assertRaises(poplib.error_proto):
            c.retr(1)  # marked: no such message
        self.assertEqual(c.stat()[0], count - 1)
        c.sock.shutdown(socket.SHUT_RDWR)  # dropped before QUIT
        c.sock.close()
        time.sleep(0.3)
        c = self.pop3s()
        self.assertEqual(c.stat()[0], count)  # nothing deleted
        c.dele(1)
        c.rset()
        self.assertEqual(c.stat()[0], count)
        c.dele(1)
        c.dele(2)
        c.quit()
        c = self.pop3s()
        self.assertEqual(c.stat()[0], count - 2)
        c.quit()
        self.assertGreaterEqual(len(self.messages("bob@example.test", "Trash")), 2)

    def test_a_second_session_gets_in_use_and_new_mail_waits_for_the_next(self):
        c = self.pop3s()
        before = c.stat()[0]
        with self.assertRaises(poplib.error_proto) as refused:
            self.pop3s()
        self.assertIn(b"[IN-USE]", refused.exception.args[0])
        self.deliver("bob@example.test", 1)
        self.assertEqual(c.stat()[0], before)  # the snapshot of the login
        c.quit()
        c = self.pop3s()
        self.assertEqual(c.stat()[0], before + 1)
        c.quit()

    def test_error_replies(self):
        c = self.pop3s()
        for command, expected in ((b"RETR 0", b"-ERR No such message"),
                                  (b"RETR 999999", b"-ERR No such message"),
                                  (b"TOP 1 x", b"-ERR Invalid line count"),
                                  (b"XYZZY", b"-ERR Unknown command"),
                                  (b"STAT 1", b"-ERR Too many arguments"),
                                  (b"USER bob@example.test", b"-ERR Already logged in")):
            with self.subTest(command=command):
                c._putcmd(command.decode())
                self.assertEqual(c._getline()[0], expected)
        c.quit()

    def test_wrong_password(self):
        self.assertEqual(self.refused_login("bob@example.test", "wrong"),
                         b"-ERR [AUTH] Invalid credentials")

    def test_three_failed_logins_end_the_connection(self):
        c = self.connect()
        for attempt in range(3):
            c.user("bob@example.test")
            with self.assertRaises(poplib.error_proto) as refused:
                c.pass_("wrong")
        self.assertIn(b"too many failures, closing", refused.exception.args[0])
        with self.assertRaises((poplib.error_proto, OSError, EOFError)):
            c.noop()

    def test_a_line_over_255_octets_is_refused_and_the_session_goes_on(self):
        c = self.pop3s()
        c._putcmd("LIST " + "1" * 300)  # RFC 2449 §4
        self.assertEqual(c._getline()[0], b"-ERR Line too long")
        c._putcmd("X" * 9000)  # past what the reader keeps: the rest of the line is dropped
        self.assertEqual(c._getline()[0], b"-ERR Line too long")
        self.assertTrue(c.noop().startswith(b"+OK"))
        c.quit()

    def test_only_the_inbox_is_served(self):
        """P3-02: mail moved out of the INBOX (by a filter, by the user, or as spam) is not in
        the maildrop."""
        self.mailctl("account", "add", "cora@example.test", "--password-stdin", input="pw\n")
        self.deliver("cora@example.test", 3)
        imap = self.imap_client("cora@example.test")
        try:
            imap.create("Filed")
            imap.select("INBOX")
            self.assertEqual(imap.uid("MOVE", "1", "Filed")[0], "OK")
            junk = [line.decode() for line in imap.list()[1] if b"\\Junk" in line]
            self.assertEqual(len(junk), 1, imap.list())
            self.assertEqual(imap.uid("MOVE", "2", junk[0].rsplit(" ", 1)[-1])[0], "OK")
        finally:
            imap.logout()
        c = self.pop3s("cora@example.test")
        self.assertEqual(c.stat()[0], 1)
        self.assertIn(b"Subject: message 2", b"\r\n".join(c.retr(1)[1]))
        c.quit()

    def test_a_message_expunged_over_imap_during_the_session(self):
        """IMAP may expunge what the POP3 snapshot still lists: RETR answers -ERR, small
        (read ahead) or large (streamed), and the session goes on."""
        login = "finn@example.test"
        self.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        self.deliver(login, 2)
        self.deliver(login, 2, body=(b"x" * 98 + b"\r\n") * 2000)  # over the read-ahead size
        c = self.pop3s(login)
        self.assertEqual(c.stat()[0], 4)
        imap = self.imap_client(login)
        try:
            imap.select("INBOX")
            imap.uid("STORE", "2,4", "+FLAGS.SILENT", "(\\Deleted)")
            imap.expunge()
        finally:
            imap.logout()
        for number in (2, 4):
            with self.subTest(number=number):
                with self.assertRaises(poplib.error_proto) as gone:
                    c.retr(number)
                self.assertEqual(gone.exception.args[0],
                                 b"-ERR Message was expunged by another client")
        self.assertIn(b"Subject: message 0", b"\r\n".join(c.retr(1)[1]))
        self.assertIn(b"Subject: message 0", b"\r\n".join(c.retr(3)[1]))
        c.quit()

    def test_ten_failures_lock_the_account_out_with_login_delay(self):
        """SEC-02 through the store: failed logins are slowed down, and the tenth in the window
        locks the account (RFC 2449 §8.1.2 [LOGIN-DELAY]) even for the right password. The ten
        run at once so that their growing delays overlap."""
        login = "gina@example.test"
        self.mailctl("account", "add", login, "--password-stdin", input="pw\n")

        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            replies = list(pool.map(lambda _: self.refused_login(login, "wrong"), range(10)))
        self.assertEqual(replies, [b"-ERR [AUTH] Invalid credentials"] * 10)
        self.assertEqual(self.refused_login(login, "pw"),
                         b"-ERR [LOGIN-DELAY] Too many failed logins; try again later")

    def test_pop3_off_in_the_subscription(self):
        """P3-01, API-10: "available only if the subscription allows it" — the right password
        gets [SYS/PERM] (RFC 3206 §4: the user must act), IMAP goes on working, and switching
        POP3 on again lets the next login in."""
        login = "hugo@example.test"
        self.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        self.mailctl("account", "access", login, "--pop3", "off")
        self.assertEqual(self.refused_login(login, "pw"),
                         b"-ERR [SYS/PERM] POP3 is not included in this account's subscription")
        self.imap_client(login).logout()
        self.mailctl("account", "access", login, "--pop3", "on")
        self.pop3s(login).quit()

    def test_apop_is_refused_and_the_session_goes_on(self):
        c = self.connect()
        c.welcome = b"+OK <1.2@example.test>"  # the greeting has no timestamp: pretend it had
        with self.assertRaises(poplib.error_proto) as refused:
            c.apop("bob@example.test", "pw")
        self.assertIn(b"APOP is not supported", refused.exception.args[0])
        c.user("bob@example.test")
        c.pass_("pw")
        c.quit()

    def test_login_timeout_ends_an_idle_connection_but_not_a_session(self):
        """timeouts.login ends a connection that does not log in; once logged in the idle
        timeout is at least 10 minutes (RFC 1939 §3) whatever is configured."""
        port = harness.free_port()
        with self.pop3d(port, timeouts={"login": "1s", "idle": "1s"}, drain={"timeout": "1s"}):
            idle = self.connect(port)
            session = self.connect(port)
            session.user("ann@example.test")
            session.pass_("pw")
            time.sleep(2.5)
            self.assertEqual(idle._getline()[0], b"-ERR Idle for too long, closing")
            with self.assertRaises(poplib.error_proto) as closed:  # then the server closes
                idle._getline()
            self.assertEqual(closed.exception.args[0], "-ERR EOF")
            self.assertTrue(session.noop().startswith(b"+OK"))
            session.quit()


if __name__ == "__main__":
    harness.main()
