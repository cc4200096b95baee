"""kill -9 of tessera-pop3d in the middle of a session (non-negotiable 2: nothing acknowledged is
lost): the messages marked with DELE are all still there, with the same UIDLs, and the maildrop
lock the dead process held lapses within timeouts.lock, so the user can log in again on another
pop3 process (as on another replica) without waiting out an idle timeout. And a live session's
lock does not lapse while the session is idle: the keeper renews it."""
import poplib
import signal
import time
import unittest

import harness
from pop3_served import Pop3Served

LOCK = 3.0  # timeouts.lock of the pop3 processes below, seconds


class Pop3Crash(Pop3Served, unittest.TestCase):
    def pop3d(self, port):
        return harness.Service("pop3d", {
            "listen": {"pop3": "", "pop3s": f"127.0.0.1:{port}"},
            "tls": {"cert": self.cert, "key": self.key},
            "store": {"address": self.store_address},
            "timeouts": {"lock": f"{LOCK:g}s"},
            "drain": {"timeout": "1s"},
        }, wait_ports=(port,))

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
        victim = self.pop3d(port).start()
        try:
            c = self.login(port, login)
            uidls = c.uidl()[1]
            c.dele(1)
            c.dele(2)
            victim.signal(signal.SIGKILL)
            victim.proc.wait(10)
        finally:
            victim.stop()
        other = self.pop3d(harness.free_port())
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
        with self.pop3d(port):
            c = self.login(port, login)
            time.sleep(LOCK * 1.7)
            with self.assertRaises(poplib.error_proto) as refused:
                self.login(port, login)
            self.assertIn(b"[IN-USE]", refused.exception.args[0])
            self.assertTrue(c.noop().startswith(b"+OK"))
            c.quit()


if __name__ == "__main__":
    harness.main()
