"""A relay `kill -9` loses no acknowledged message and sends none twice beyond at-least-once
(issue 6): the store, smtpd, imap and relayd of test_relay_outbound's fixture, dnsmasq's zone
and smtp-sink as mx.ok.test on 127.0.0.1; `delivery.lease` is 3 s so a killed worker's entries
are due again soon.

* Burst: 8 submitters (smtplib: 587, STARTTLS, AUTH PLAIN as ann@example.test) send 200 numbered
  messages (own Message-ID, the ordinal in the body): most to rN@ok.test (the sink), every tenth
  to bob@example.test as well and as many to bob alone (smtp-in, his INBOX). When 80 have their
  250, relayd gets SIGKILL and starts again at once on the same ports, configuration and store.
  A submitter whose session broke sends the same bytes again (bounded), as a client that lost
  the reply would: the relay's idempotency key makes that no second copy.
* Slow sink: the sink waits a second before each final 250; 40 messages are queued, and relayd
  is killed while its deliveries wait for those 250s — the copies are at the sink, the relay
  never heard so: the window at-least-once leaves open.

Then, once the queue has drained (every acknowledged copy arrived, the killed worker's leases
have expired and the sink has been quiet for a while), what users see: every message that got
250 is at the sink for each remote recipient and in bob's INBOX, at least once. Duplicates are
counted and printed. The bound: only an entry the killed relay held a lease on can go out twice —
any other entry was either completed (never leased again) or not yet tried — and the restarted
relay, not killed, sends each of those once more at most; a relay holds at most
`delivery.concurrency` leases. So duplicates at the sink <= delivery.concurrency per kill, every
duplicate is one queue entry (the same relay Received id) whose first copy reached the sink
before the kill; bob's INBOX has none (hosted mail is delivered during the submission, and a
resubmission carries the same idempotency key). In these two rounds `per_destination` equals
`concurrency`, so no leased entry waits at the one domain's gate.

* Slow destination, no kill (`SlowDestination`): more entries leased than the domain's gate lets
  through while their leases last. Nothing crashed, so each message goes out exactly once (the
  README: the one window for a duplicate is between the remote 250 and Complete).
"""
import collections
import contextlib
import datetime
import os
import re
import signal
import smtplib
import threading
import time
import unittest

import harness
from outbound_peers import message_of, rcpts_of
from test_relay_outbound import OutboundServed

CONCURRENCY = 8
LEASE_SECONDS = 3
SENDER = "ann@example.test"
MESSAGE_ID = re.compile(rb"^Message-ID: <([^>\r\n]+)>", re.M | re.I)
RELAY_ID = re.compile(rb"by relay\.example\.test \(Tessera\) with \S+ id (\S+)")
ADDRESS = re.compile(r"<([^>]*)>")
QUEUED = re.compile(r"relay (\S+): queued as entry (\d+)")
SENT = re.compile(r"entry (\d+) to=<([^>]*)> \S+ status=sent")


class Message:
    def __init__(self, tag, n, remote, local):
        self.id = f"{tag}-{n}@client.example"
        self.rcpts = ([f"r{n}@ok.test"] if remote else []) + (["bob@example.test"] if local else [])
        filler = "".join(f"line {i} of message {n}: the quick brown fox\r\n" for i in range(20))
        self.data = (f"From: {SENDER}\r\nTo: {', '.join(self.rcpts)}\r\n"
                     f"Subject: {tag} #{n}\r\nMessage-ID: <{self.id}>\r\n"
                     f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\n"
                     f"Message {n} of the {tag} round.\r\n{filler}"
                     f"-- end of {self.id} --\r\n").encode()
        self.acked_at = None   # monotonic time of the 250
        self.errors = []       # what went wrong on the attempts before


def complete(raw):
    """The Message-ID of a whole copy (its last line arrived), else None."""
    m = MESSAGE_ID.search(raw)
    if not m or b"-- end of " + m.group(1) + b" --" not in raw:
        return None
    return m.group(1).decode()


class Submitter(threading.Thread):
    """One client: its messages in order over one session, a new session after any failure, the
    same bytes again until a 250 (at most ATTEMPTS times, and not after the deadline)."""
    ATTEMPTS = 40

    def __init__(self, port, messages, deadline):
        super().__init__(daemon=True)
        self.port, self.messages, self.deadline = port, messages, deadline
        self.session = None

    def connect(self):
        session = smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.example",
                               timeout=10)
        try:
            session.starttls(context=harness.client_tls_context())
            session.login(SENDER, "pw")  # PLAIN: the first of smtplib's that the relay offers
        except BaseException:
            session.close()
            raise
        return session

    def drop(self):
        if self.session is not None:
            try:
                self.session.close()
            except OSError:
                pass
            self.session = None

    def run(self):
        try:
            for m in self.messages:
                for attempt in range(1, self.ATTEMPTS + 1):
                    try:
                        if self.session is None:
                            self.session = self.connect()
                        refused = self.session.sendmail(SENDER, m.rcpts, m.data)
                        if refused:
                            m.errors.append(f"refused {refused}")
                        else:
                            m.acked_at = time.monotonic()
                        break
                    except (smtplib.SMTPException, OSError) as e:
                        m.errors.append(f"{type(e).__name__}: {e}"[:200])
                        self.drop()
                        if time.monotonic() > self.deadline:
                            break
                        time.sleep(min(0.1 * attempt, 0.5))
        finally:
            self.drop()


class CrashServed(OutboundServed):
    """OutboundServed with no submission limit, and what the rounds need: kill -9 and restart
    relayd, read what arrived at the sink and in bob's INBOX, wait for the queue to drain."""

    @classmethod
    def start_services(cls):
        super().start_services()
        # OutboundServed has just set relay_config, the relay starts after this: the submission
        # limit (500 an hour) must not refuse the burst and its retries.
        cls.relay_config = {**cls.relay_config, "limits": {"messages_per_hour": 0}}

    # --- kill and restart, same configuration, ports and store

    def kill_and_restart(self):
        old = self.relay
        old.signal(signal.SIGKILL)
        old.proc.wait()
        killed_at = time.time()
        old.log.close()
        self.killed_logs.append(old.output())
        with open(old.config_path) as f:  # the very file the fixture wrote
            config = f.read()
        # The class holds the new relay before it starts: tearDownClass stops it if start fails.
        type(self).relay = harness.Service("relayd", None, wait_ports=old.wait_ports,
                                           config_text=config)
        self.relay.start()
        return killed_at

    def setUp(self):
        self.killed_logs = []

    # --- what arrived

    def sink_copies(self, tag, since=0.0):
        """{(Message-ID, recipient): [(relay Received id, dump's mtime)]} of this round's whole
        copies at the sink, and how many dumps since `since` (wall clock) are not whole."""
        copies, partial = collections.defaultdict(list), 0
        for name in sorted(os.listdir(self.ok.dir)):
            path = os.path.join(self.ok.dir, name)
            with open(path, "rb") as f:
                dump = f.read()
            message = message_of(dump)
            message_id = complete(message)
            if message_id is None:
                partial += os.stat(path).st_mtime >= since
                continue
            if not message_id.startswith(tag + "-"):
                continue
            relay_id = RELAY_ID.search(message)
            for rcpt in rcpts_of(dump):
                copies[(message_id, ADDRESS.search(rcpt).group(1))].append(
                    (relay_id.group(1).decode() if relay_id else None, os.stat(path).st_mtime))
        return copies, partial

    def inbox_copies(self, tag):
        got = collections.Counter()
        for raw in self.messages("bob@example.test"):
            message_id = complete(raw)
            if message_id and message_id.startswith(tag + "-"):
                got[message_id] += 1
        return got

    @staticmethod
    def missing(messages, copies, inbox):
        out = []
        for m in messages:
            if m.acked_at is None:
                continue
            for rcpt in m.rcpts:
                if rcpt == "bob@example.test" and not inbox[m.id]:
                    out.append((m.id, rcpt))
                elif rcpt != "bob@example.test" and not copies.get((m.id, rcpt)):
                    out.append((m.id, rcpt))
        return out

    def drain(self, tag, messages, killed_at, since, timeout=30.0):
        """Waits (bounded) until every acknowledged copy arrived, the killed worker's leases
        have expired and the sink and bob's INBOX stayed the same for a second and a half."""
        deadline = time.monotonic() + timeout
        settle_from = killed_at + LEASE_SECONDS + 1.5  # wall clock: leases taken before the kill
        last, quiet_since = None, time.monotonic()
        while True:
            copies, partial = self.sink_copies(tag, since)
            inbox = self.inbox_copies(tag)
            missing = self.missing(messages, copies, inbox)
            state = (sum(len(c) for c in copies.values()), partial, sum(inbox.values()))
            if state != last:
                last, quiet_since = state, time.monotonic()
            if (not missing and time.time() >= settle_from
                    and time.monotonic() - quiet_since >= 1.5):
                return copies, partial, inbox, missing
            if time.monotonic() > deadline:
                return copies, partial, inbox, missing
            time.sleep(0.3)

    def relay_log(self, since):
        """The lines every relay of this round logged from `since` (wall clock) on."""
        lines = []
        for line in "\n".join(self.killed_logs + [self.relay.output()]).splitlines():
            try:
                at = datetime.datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00"))
            except ValueError:
                continue
            if at.timestamp() >= since - 0.01:
                lines.append(line)
        return "\n".join(lines)

    def check_and_report(self, tag, messages, killed_at, started, since):
        copies, partial, inbox, missing = self.drain(tag, messages, killed_at, since)
        acked = [m for m in messages if m.acked_at is not None]
        unacked = [m for m in messages if m.acked_at is None]
        failures = collections.Counter(e.split(":", 1)[0] for m in messages for e in m.errors)
        sink_dups = {key: c for key, c in copies.items() if len(c) > 1}
        sink_extra = sum(len(c) - 1 for c in sink_dups.values())
        inbox_extra = sum(n - 1 for n in inbox.values() if n > 1)
        log = self.relay_log(since)
        queued = QUEUED.findall(log)
        entries = dict(queued)  # relay id -> queue entry
        # A resubmission the queue knew by its idempotency key: a new relay id, the old entry.
        recalled = len(queued) - len({entry for _, entry in queued})
        print(f"\nrelay crash ({tag}): {len(messages)} sent, {len(acked)} acknowledged "
              f"({sum(1 for m in acked if m.errors)} after failed attempts: "
              f"{dict(failures) or 'none'}; {recalled} resubmissions found queued already), "
              f"{len(unacked)} never acknowledged, {len(missing)} lost, {sink_extra} duplicates "
              f"at the sink (bound {CONCURRENCY}), {inbox_extra} in bob's INBOX, {partial} "
              f"unfinished transactions at the sink, {time.monotonic() - started:.1f} s")
        sent_by_killed = set(SENT.findall("\n".join(self.killed_logs)))
        for (message_id, rcpt), c in sorted(sink_dups.items()):
            relay_ids = sorted({r for r, _ in c})
            entry = entries.get(relay_ids[0], "?")
            window = ("between the sink's 250 and Complete" if (entry, rcpt) in sent_by_killed
                      else "before the sink's 250 reached it")
            print(f"  {message_id} to {rcpt}: {len(c)} copies of entry {entry} (relay id "
                  f"{', '.join(relay_ids)}), the first {min(t for _, t in c) - killed_at:+.2f} s "
                  f"from the kill: killed {window}")
        self.assertEqual(missing, [], f"acknowledged but lost:\n{log[-6000:]}")
        self.assertEqual(unacked, [], [(m.id, m.errors[-3:]) for m in unacked][:10])
        self.assertLessEqual(sink_extra, CONCURRENCY, sink_dups)
        for key, c in sink_dups.items():
            self.assertEqual(len({r for r, _ in c}), 1, f"{key}: two queue entries for one "
                             f"submission (the idempotency key did not hold): {c}")
            self.assertLessEqual(min(t for _, t in c), killed_at + 1.0,
                                 f"{key}: a duplicate the kill does not explain: {c}")
        self.assertEqual(inbox_extra, 0, {k: n for k, n in inbox.items() if n > 1})

    @contextlib.contextmanager
    def slow_sink(self):
        """The sink waits a second before each final 250 (the copy is dumped already)."""
        self.ok.stop()
        self.ok.wait = ".:1"
        self.ok.start()
        try:
            yield
        finally:
            self.ok.stop()
            self.ok.wait = None
            self.ok.start()

    def submit_all(self, messages, submitters, timeout=30):
        load = [Submitter(self.submission_port, messages[i::submitters],
                          time.monotonic() + timeout) for i in range(submitters)]
        for t in load:
            t.start()
        for t in load:
            t.join(timeout + 15)
        self.assertTrue(all(m.acked_at for m in messages),
                        [(m.id, m.errors[-2:]) for m in messages if not m.acked_at][:5])


class RelayCrash(CrashServed, unittest.TestCase):
    delivery = {"lease": f"{LEASE_SECONDS}s", "concurrency": CONCURRENCY,
                "per_destination": CONCURRENCY, "lifetime": "1h"}

    def test_1_kill_9_during_a_burst(self):
        started, since = time.monotonic(), time.time()
        count, submitters, kill_at = 200, 8, 80
        messages = [Message("burst", n, remote=n % 10 != 5, local=n % 10 in (0, 5))
                    for n in range(1, count + 1)]
        deadline = started + 45
        load = [Submitter(self.submission_port, messages[i::submitters], deadline)
                for i in range(submitters)]
        for t in load:
            t.start()
        try:
            wait_until = time.monotonic() + 30
            while (sum(m.acked_at is not None for m in messages) < kill_at
                   and time.monotonic() < wait_until and any(t.is_alive() for t in load)):
                time.sleep(0.01)
            before = sum(m.acked_at is not None for m in messages)
            self.assertGreaterEqual(before, kill_at, self.relay.output()[-3000:])
            self.assertLess(before, count, "the burst was over before the kill")
            killed_at = self.kill_and_restart()
            restarted = time.monotonic()
        finally:
            for t in load:
                t.join(max(1.0, deadline + 15 - time.monotonic()))
        self.assertFalse(any(t.is_alive() for t in load), "a submitter did not finish")
        after = sum(m.acked_at is not None and m.acked_at > restarted for m in messages)
        self.assertGreater(after, 0, "nothing was acknowledged after the restart")
        print(f"\nkill -9 after {before} acknowledged; {after} acknowledged by the new relay")
        self.check_and_report("burst", messages, killed_at, started, since)

    def test_2_kill_9_while_the_sink_holds_the_250(self):
        started, since = time.monotonic(), time.time()
        with self.slow_sink():
            messages = [Message("slow", n, remote=True, local=False) for n in range(1, 41)]
            self.submit_all(messages, 4)
            # Killed while deliveries wait for their final 250 (each takes a second).
            deadline = time.monotonic() + 20
            while (sum(len(c) for c in self.sink_copies("slow")[0].values()) < 12
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            time.sleep(0.5)  # mid-wait of the next sessions
            killed_at = self.kill_and_restart()
            self.check_and_report("slow", messages, killed_at, started, since)


class SlowDestination(CrashServed, unittest.TestCase):
    """6 leases, one session at a time to ok.test, a second a message: the sixth entry waits
    5 s at the gate, longer than its 3 s lease. No kill."""
    delivery = {"lease": f"{LEASE_SECONDS}s", "concurrency": 6, "per_destination": 1,
                "lifetime": "1h"}

    def test_an_entry_waiting_longer_than_its_lease_still_goes_out_once(self):
        since = time.time()
        with self.slow_sink():
            messages = [Message("gate", n, remote=True, local=False) for n in range(1, 9)]
            self.submit_all(messages, 2)
            copies, _, _, missing = self.drain("gate", messages, time.time(), since, timeout=20)
        self.assertEqual(missing, [])
        counts = {key[0]: len(c) for key, c in copies.items()}
        print(f"\nslow destination: {len(messages)} messages, {sum(counts.values())} copies at "
              "the sink")
        lease_lost = [l for l in self.relay.output().splitlines() if "Complete failed" in l]
        self.assertEqual({k: n for k, n in counts.items() if n > 1}, {},
                         "sent more than once without a crash; the relay:\n" +
                         "\n".join(lease_lost[:8]))

if __name__ == "__main__":
    harness.main()
