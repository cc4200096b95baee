"""Outbound delivery (issue 6): the relay's workers take queued mail to remote MX hosts found in
DNS and tell the sender what became of it. The Internet is on loopback: dnsmasq answers for a
test zone, Postfix's smtp-sink plays the remote MX hosts (one port, several 127.0.0.x
addresses), and what users see is checked — the message at the sink, once; the bounce (RFC 3464
DSN) in the sender's INBOX, once.

Zone: ok.test → mx.ok.test (127.0.0.1, takes everything); reject.test → 127.0.0.3 (550 to RCPT);
grey.test → 127.0.0.4 (451 to RCPT until the test restarts it as a plain sink); dead.test →
127.0.0.2 (nothing listens); pref.test → dead host at preference 10, ok host at 20;
implicit.test has no MX but an address (RFC 5321 §5.1 implicit MX); nosuch.test does not exist.
"""
import email
import json
import os
import subprocess
import time
import unittest

import harness
import outbound_peers
from outbound_peers import DnsZone, Sink, message_of, rcpts_of
from test_relay_submission import SubmissionServed

ZONE_MX = [("ok.test", "mx.ok.test", 10), ("reject.test", "mx.reject.test", 10),
           ("grey.test", "mx.grey.test", 10), ("dead.test", "mx.dead.test", 10),
           ("pref.test", "mx.dead.test", 10), ("pref.test", "mx.ok.test", 20),
           ("v6.test", "mx.v6.test", 10)] + \
    [("many.test", f"mx{i}.many.test", 10 * i) for i in range(1, 8)]  # 7 dead hosts
ZONE_HOSTS = {"mx.ok.test": ["127.0.0.1"], "mx.reject.test": ["127.0.0.3"],
              "mx.grey.test": ["127.0.0.4"], "mx.dead.test": ["127.0.0.2"],
              "implicit.test": ["127.0.0.1"], "mx.v6.test": ["::1"],
              **{f"mx{i}.many.test": [f"127.0.0.{20 + i}"] for i in range(1, 8)}}


class OutboundServed(SubmissionServed):
    delivery = {}  # more delivery.* keys

    @classmethod
    def setUpClass(cls):
        reason = outbound_peers.missing()
        if reason:
            raise unittest.SkipTest(reason)
        cls.mx_port = harness.free_port()
        cls.zone = DnsZone(ZONE_MX, ZONE_HOSTS).start()
        cls.ok = Sink("127.0.0.1", cls.mx_port).start()
        cls.reject = Sink("127.0.0.3", cls.mx_port, hard=("RCPT",)).start()
        cls.grey = Sink("127.0.0.4", cls.mx_port, soft=("RCPT",)).start()
        cls.v6 = Sink("::1", cls.mx_port).start() if outbound_peers.has_ipv6_loopback() else None
        cls.relay_config = {
            "delivery": {"port": cls.mx_port, "internal_addresses": True,
                         "first_retry": "1s", "max_retry": "1s",
                         "connect_timeout": "2s", "poll": "200ms", **cls.delivery},
            "dns": {"servers": [cls.zone.server], "timeout": "1s"},
        }
        try:
            super().setUpClass()
        except BaseException:
            cls.stop_peers()
            raise

    @classmethod
    def stop_peers(cls):
        for sink in (cls.ok, cls.reject, cls.grey, cls.v6):
            if sink:
                sink.remove()
        cls.zone.stop()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.stop_peers()

    def submit(self, to, sender="ann@example.test", subject="outbound"):
        data = self.message(sender if sender else "ann@example.test", subject)
        args = ["--port", str(self.submission_port), "--tls", "--auth", "PLAIN",
                "--auth-user", "ann@example.test", "--auth-password", "pw",
                "--from", sender or "<>", "--to", to, "--data", "@" + data]
        out = self.swaks(*args)
        self.assertIn("250 2.0.0 Ok: queued as", out)
        with open(data, "rb") as f:
            return f.read()

    def notices(self, login="ann@example.test"):
        return [m for m in self.messages(login) if b"multipart/report" in m]

    def wait_notices(self, count, login="ann@example.test", timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.notices(login)
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.2)

    def status_of(self, notice):
        """The per-recipient fields of a DSN's message/delivery-status part."""
        parsed = email.message_from_bytes(notice)
        for part in parsed.walk():
            if part.get_content_type() == "message/delivery-status":
                fields = {}
                for block in part.get_payload():
                    for key, value in block.items():
                        fields[key] = value
                return fields
        self.fail("no message/delivery-status part")

    def log(self):
        return self.relay.output()[-4000:]

    def wait_for_rcpt(self, sink, address, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not self.for_rcpt(sink, address) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)  # smtp-sink writes a dump as the data comes: let it finish
        return self.for_rcpt(sink, address)

    def wait_for_log(self, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while text not in self.relay.output():
            self.assertLess(time.monotonic(), deadline, f"no {text!r} in the relay's log")
            time.sleep(0.1)

    def for_rcpt(self, sink, address):
        return [d for d in sink.received() if any(address in r for r in rcpts_of(d))]


# python3-dkim (dkimpy, with nacl for ed25519) as Debian installs it: /usr/bin/python3, whatever
# python3 runs the suite. Verifies every DKIM-Signature of the message on stdin against the TXT
# records given as JSON {name: text}; prints one line per signature.
VERIFY = r"""
import json, sys, dkim
records = json.loads(sys.argv[1])
message = sys.stdin.buffer.read()
def dnsfunc(name, timeout=5):
    return records.get(name.decode().rstrip("."), "").encode()
d = dkim.DKIM(message)
count = sum(1 for line in message.split(b"\r\n\r\n")[0].split(b"\r\n")
            if line.lower().startswith(b"dkim-signature:"))
for i in range(count):
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.ValidationError:
        ok = False
    print(ok, d.signature_fields.get(b"a", b"").decode())
"""


def dkim_verify(message, records):
    out = subprocess.run(["/usr/bin/python3", "-c", VERIFY, json.dumps(records)], input=message,
                         capture_output=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(out.stderr.decode())
    return out.stdout.decode().split("\n")[:-1]


class Outbound(OutboundServed, unittest.TestCase):
    delivery = {"lifetime": "1h"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mailctl("dkim", "generate", "example.test", "--selector", "rsa1")
        cls.mailctl("dkim", "generate", "example.test", "--selector", "ed1", "--algorithm",
                    "ed25519")
        keys = [json.loads(line) for line in
                cls.mailctl("--json", "dkim", "show", "example.test").splitlines()]
        cls.records = {k["record_name"]: k["record_text"] for k in keys}

    def test_remote_mail_carries_rsa_and_ed25519_signatures_that_verify(self):
        self.submit("kim@ok.test", subject="signed")
        self.wait_for_rcpt(self.ok, "kim@ok.test")
        dumps = self.for_rcpt(self.ok, "kim@ok.test")
        self.assertEqual(len(dumps), 1, self.log())
        message = message_of(dumps[0])
        self.assertIn(b"d=example.test", message)
        results = dkim_verify(message, self.records)
        self.assertEqual(sorted(results), ["True ed25519-sha256", "True rsa-sha256"], message)
        tampered = message.replace(b"Hello.", b"Hello!")
        self.assertEqual(dkim_verify(tampered, self.records),
                         [r.replace("True", "False") for r in results])

    def test_587_submission_reaches_the_remote_mx_found_in_dns(self):
        sent = self.submit("carol@ok.test", subject="to ok")
        dumps = self.wait_for_rcpt(self.ok, "carol@ok.test")
        self.assertEqual(len(dumps), 1, self.log())
        message = message_of(dumps[0])
        self.assertIn(b"by relay.example.test", message)  # our Received
        self.assertTrue(message.endswith(sent.split(b"\r\n\r\n", 1)[1] + b"\r\n"))
        self.assertIn(b"X-Mail-Args: <ann@example.test>", dumps[0])
        self.assertIn("<carol@ok.test>", rcpts_of(dumps[0])[0])

    def test_465_submission_reaches_the_remote_mx_too(self):
        data = self.message("ann@example.test", "over 465 to the Internet")
        out = self.swaks(*self.auth(), "--to", "nina@ok.test", "--data", "@" + data)
        self.assertIn("250 2.0.0 Ok: queued as", out)
        self.assertEqual(len(self.wait_for_rcpt(self.ok, "nina@ok.test")), 1, self.log())

    def test_mx_hosts_in_preference_order_the_dead_one_first(self):
        self.submit("dave@pref.test", subject="pref")
        self.wait_for_rcpt(self.ok, "dave@pref.test")
        self.assertEqual(len(self.for_rcpt(self.ok, "dave@pref.test")), 1)
        log = self.relay.output()
        self.assertIn("mx.dead.test[127.0.0.2] for pref.test", log)  # tried first, refused

    def test_an_attempt_tries_at_most_five_addresses(self):
        """Seven MX hosts where nothing listens: each attempt tries the first five in preference
        order and gives up (remote.hpp max_addresses), so a domain of dead hosts cannot hold a
        delivery worker for twenty connect timeouts."""
        self.submit("kurt@many.test", subject="many")
        deadline = time.monotonic() + 20
        while "mx5.many.test[127.0.0.25] for many.test" not in self.relay.output():
            self.assertLess(time.monotonic(), deadline, self.relay.output()[-3000:])
            time.sleep(0.2)
        time.sleep(1)
        log = self.relay.output()
        for i in range(1, 6):
            self.assertIn(f"mx{i}.many.test[127.0.0.{20 + i}] for many.test", log)
        self.assertNotIn("mx6.many.test", log)
        self.assertNotIn("mx7.many.test", log)

    def test_an_mx_with_only_an_ipv6_address_is_reached_over_ipv6(self):
        if not self.v6:
            self.skipTest("no IPv6 loopback here")
        self.submit("uma@v6.test", subject="six")
        self.assertEqual(len(self.wait_for_rcpt(self.v6, "uma@v6.test")), 1, self.log())
        self.assertIn("relay=mx.v6.test[::1] status=sent", self.relay.output())

    def test_a_domain_without_mx_gets_its_address_as_implicit_mx(self):
        self.submit("erin@implicit.test", subject="implicit")
        self.wait_for_rcpt(self.ok, "erin@implicit.test")
        self.assertEqual(len(self.for_rcpt(self.ok, "erin@implicit.test")), 1, self.log())

    def test_451_then_250_is_delivered_once(self):
        self.submit("frank@grey.test", subject="grey")
        self.wait_for_log("to=<frank@grey.test> relay=mx.grey.test")
        self.assertIn("status=deferred", self.relay.output())
        self.grey.stop()
        self.grey.soft = ()
        self.grey.start()
        got = self.grey.wait_received(1)
        time.sleep(2.5)  # two more retry periods: nothing more may come
        got = self.grey.received()
        self.assertEqual(len(got), 1)
        self.assertIn("<frank@grey.test>", rcpts_of(got[0])[0])
        self.assertEqual(self.notices(), [])  # no bounce, no delay warning yet

    def test_550_gives_exactly_one_dsn_in_the_senders_inbox(self):
        before = len(self.notices())
        self.submit("gina@reject.test", subject="rejected")
        notices = self.wait_notices(before + 1)
        time.sleep(2.5)  # retry periods pass: no second notice
        notices = self.notices()
        self.assertEqual(len(notices), before + 1)
        notice = notices[-1]
        self.assertIn(b"Subject: Undelivered Mail Returned to Sender", notice)
        self.assertIn(b"Return-Path: <>", notice)
        fields = self.status_of(notice)
        self.assertEqual(fields["Final-Recipient"], "rfc822; gina@reject.test")
        self.assertEqual(fields["Action"], "failed")
        self.assertTrue(fields["Status"].startswith("5."), fields)
        self.assertIn("mx.reject.test", fields["Remote-MTA"])
        self.assertIn(b"Subject: rejected", notice)  # the returned header

    def test_a_domain_that_does_not_exist_bounces_at_once(self):
        before = len(self.notices())
        self.submit("hal@nosuch.test", subject="nowhere")
        notices = self.wait_notices(before + 1)
        self.assertEqual(len(notices), before + 1, self.log())
        fields = self.status_of(notices[-1])
        self.assertEqual(fields["Final-Recipient"], "rfc822; hal@nosuch.test")
        self.assertEqual(fields["Status"], "5.1.2")

    def test_a_bounce_is_never_bounced(self):
        before = len(self.notices())
        self.submit("ivan@reject.test", sender="", subject="null sender")
        self.wait_for_log("to=<ivan@reject.test> relay=mx.reject.test")
        time.sleep(1.0)
        self.assertIn("status=bounced", self.relay.output())
        self.assertEqual(len(self.notices()), before)


class Expiry(OutboundServed, unittest.TestCase):
    delivery = {"lifetime": "4s", "delay_warning": "1s"}

    def test_an_unreachable_mx_warns_then_expires_into_a_dsn(self):
        self.submit("jill@dead.test", subject="dead")
        notices = self.wait_notices(2, timeout=30)
        self.assertEqual(len(notices), 2, self.relay.output()[-3000:])
        delayed, failed = notices
        self.assertIn(b"Subject: Delayed Mail (still being retried)", delayed)
        self.assertEqual(self.status_of(delayed)["Action"], "delayed")
        self.assertIn(b"Subject: Undelivered Mail Returned to Sender", failed)
        fields = self.status_of(failed)
        self.assertEqual(fields["Action"], "failed")
        self.assertIn("expired", fields["Diagnostic-Code"])
        time.sleep(2)
        self.assertEqual(len(self.notices()), 2)


class InternalAddresses(OutboundServed, unittest.TestCase):
    delivery = {"internal_addresses": False}  # the production default

    def test_mx_on_an_internal_address_bounces_and_nothing_connects(self):
        self.submit("lee@ok.test", subject="inward")
        notices = self.wait_notices(1)
        self.assertEqual(len(notices), 1, self.log())
        fields = self.status_of(notices[0])
        self.assertEqual(fields["Status"], "5.4.4")
        self.assertIn("internal address", fields["Diagnostic-Code"])
        self.assertEqual(self.for_rcpt(self.ok, "lee@ok.test"), [])


if __name__ == "__main__":
    harness.main()
