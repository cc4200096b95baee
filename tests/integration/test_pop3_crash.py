"""kill -9 of tessera-pop3d in the middle of a session (non-negotiable 2: nothing acknowledged is
lost): the messages marked with DELE are all still there, with the same UIDLs, and the maildrop
lock the dead process held lapses within timeouts.lock, so the user can log in again on another
pop3 process (as on another replica) without waiting out an idle timeout. A live session's
lock does not lapse while the session is idle: the keeper renews it. And the store going away:
a login gets [SYS/TEMP], an UPDATE that cannot be done says so and deletes nothing."""
import os
import poplib
import signal
import time
import unittest

import harness
import test_pop3_transcripts
from pop3_served import Pop3Served

LOCK = 3.0  # timeouts.lock of the pop3 processes below, seconds


class Pop3Crash(Pop3Served, unittest.TestCase):
    def locking_pop3d(self, port):
        return self.pop3d(port, timeouts={"lock": f"{LOCK:g}s"}, drain={"timeout": "1s"})

    def login(self, port, login):
        c = self.connect(port)
        c.user(login)
        c.pass_("pw")
        return c

    def test_kill_9_mid_session_deletes_nothing_and_the_lock_lapses(self):
        login = "dora@example.test"
        self.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        self.deliver(login, 3)
        port = harness.free_port()
        victim = self.locking_pop3d(port).start()
        try:
            c = self.login(port, login)
            uidls = c.uidl()[1]
            c.dele(1)
            c.dele(2)
            victim.signal(signal.SIGKILL)
            victim.proc.wait(10)
        finally:
            victim.stop()
        other = self.locking_pop3d(harness.free_port())
        with other:
            port = other.wait_ports[0]
            with self.assertRaises(poplib.error_proto) as refused:
                self.login(port, login)
            self.assertIn(b"[IN-USE]", refused.exception.args[0])
            deadline = time.monotonic() + LOCK + 5
            while True:  # bounded: the lock lapses after LOCK seconds
                try:
                    c = self.login(port, login)
                    break
                except poplib.error_proto as e:
                    self.assertIn(b"[IN-USE]", e.args[0])
                    self.assertLess(time.monotonic(), deadline, "the dead session's lock stayed")
                    time.sleep(0.5)
            self.assertEqual(c.uidl()[1], uidls)  # nothing deleted, same UIDLs
            c.quit()

    def test_an_idle_session_keeps_its_lock_past_timeouts_lock(self):
        login = "eric@example.test"
        self.mailctl("account", "add", login, "--password-stdin", input="pw\n")
        port = harness.free_port()
        with self.locking_pop3d(port):
            c = self.login(port, login)
            time.sleep(LOCK * 1.7)
            with self.assertRaises(poplib.error_proto) as refused:
                self.login(port, login)
            self.assertIn(b"[IN-USE]", refused.exception.args[0])
            self.assertTrue(c.noop().startswith(b"+OK"))
            c.quit()

    def test_store_gone_at_login(self):
        port = harness.free_port()
        with self.pop3d(port, store={"address": f"127.0.0.1:{harness.free_port()}",
                                     "timeout": "2s"}):
            self.assertEqual(self.refused_login("ann@example.test", "pw", port),
                             b"-ERR [SYS/TEMP] Try again later")

    def test_store_gone_at_quit_deletes_nothing(self):
        """RFC 1939 §6: when UPDATE cannot remove the marked messages the server says so
        (-ERR, RFC 3206 [SYS/TEMP]); none is deleted, and the next session sees them all."""
        served = test_pop3_transcripts.Served()  # a store and a pop3d of this test's own
        try:
            account = served.add_account("kim@example.test", "pw")
            served.load(account, os.path.join(test_pop3_transcripts.TRANSCRIPTS, "messages",
                                              "short.eml"), 2)
            port = served.listeners["pop3s"][0]
            c = self.connect(port)
            c.user("kim@example.test")
            c.pass_("pw")
            c.dele(1)
            served.store.stop()
            with self.assertRaises(poplib.error_proto) as failed:
                c.quit()
            self.assertEqual(failed.exception.args[0],
                             b"-ERR [SYS/TEMP] Some deleted messages not removed")
            served.store.start()  # the same database and port
            deadline = time.monotonic() + 20
            while True:  # bounded: until pop3d's channel has reconnected to the store
                c = self.connect(port)
                c.user("kim@example.test")
                try:
                    c.pass_("pw")
                    break
                except poplib.error_proto as e:
                    self.assertEqual(e.args[0], b"-ERR [SYS/TEMP] Try again later")
                    self.assertLess(time.monotonic(), deadline, "pop3d never reached the store")
                    c.quit()
                    time.sleep(0.5)
            self.assertEqual(c.stat()[0], 2)
            c.quit()
        finally:
            served.stop()


if __name__ == "__main__":
    harness.main()
