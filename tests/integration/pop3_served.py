"""The store + smtp-in (LMTP) + imap + pop3 fixture the POP3 integration tests share.

On top of smtp_served.Served (accounts ann@example.test and bob@example.test, password "pw"; LMTP
on `lmtp_port`; imap over implicit TLS on `imap_port` to read mailboxes back): tessera-pop3d with
STLS on `pop3_port` and implicit TLS on `pop3s_port`, all on 127.0.0.1.
"""
import poplib
import smtplib
import time

import harness
import smtp_served


class Pop3Served(smtp_served.Served):
    @classmethod
    def start_services(cls):
        super().start_services()
        cls.pop3_port = harness.free_port()
        cls.pop3s_port = harness.free_port()
        cls.pop3 = harness.Service("pop3d", {
            "listen": {"pop3": f"127.0.0.1:{cls.pop3_port}",
                       "pop3s": f"127.0.0.1:{cls.pop3s_port}"},
            "tls": {"cert": cls.cert, "key": cls.key},
            "store": {"address": cls.store_address},
        }, wait_ports=(cls.pop3_port, cls.pop3s_port)).start()

    @classmethod
    def tearDownClass(cls):
        if cls.pop3.proc.poll() is None:
            cls.pop3.stop()
        super().tearDownClass()

    def deliver(self, login, count, body=b"Hello.\r\n"):
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            for i in range(count):
                lmtp.sendmail("sender@remote.test", [login],
                              b"From: sender@remote.test\r\nSubject: message %d\r\n"
                              b"Message-ID: <%d.%d@remote.test>\r\n\r\n" % (i, time.monotonic_ns(), i)
                              + body)

    def pop3d(self, port, **keys):
        """Another tessera-pop3d, pop3s only on `port`, on the fixture's store; `keys` add to or
        replace top-level sections of its configuration (timeouts, drain, store). Not started."""
        config = {"listen": {"pop3": "", "pop3s": f"127.0.0.1:{port}"},
                  "tls": {"cert": self.cert, "key": self.key},
                  "store": {"address": self.store_address}}
        return harness.Service("pop3d", dict(config, **keys), wait_ports=(port,))

    def connect(self, port=None):
        """A POP3 client over implicit TLS to `port` (the fixture's pop3s_port), not logged in."""
        return poplib.POP3_SSL("127.0.0.1", port or self.pop3s_port,
                               context=harness.client_tls_context(), timeout=30)

    def pop3s(self, login="bob@example.test"):
        c = self.connect()
        c.user(login)
        c.pass_("pw")
        return c

    def refused_login(self, login, password, port=None):
        """The -ERR line USER/PASS gets (then QUIT); fails the test if the login succeeds."""
        c = self.connect(port)
        try:
            c.user(login)
            c.pass_(password)
        except poplib.error_proto as e:
            return e.args[0]
        finally:
            c.quit()
        raise AssertionError(f"{login} logged in with {password!r}")
