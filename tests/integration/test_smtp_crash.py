"""Nothing acknowledged with 250 is lost, nothing is stored twice or half (smtpd's durability
promise): Postfix's smtp-source sends 2 KB messages to ann@example.test over 4 parallel sessions
while the test kill -9s tessera-smtpd and the store at random moments, several times, restarting
each at once with the same configuration, ports and data. smtp-source gives up at the first lost
connection, so new rounds start until enough messages were acknowledged (bounded by count and
time). With everything up again, ann's INBOX is read over IMAP:
  * every ID a "250 2.0.0 Ok: queued as <ID>" named is in exactly one message's Received header;
  * no ID is in two messages, and no submission (smtp-source's Message-Id) is stored twice;
  * every stored message, acknowledged or not, is whole: smtp-source's four headers and its exact
    payload under smtpd's trace fields.
A message whose 250 never arrived may or may not be there. TESSERA_CRASH_SEED picks the moments."""
import collections
import os
import random
import re
import signal
import threading
import time
import unittest

import harness
import smtp_peers
import smtp_served

KILLS = 6             # half smtpd, half store, in random order
SESSIONS, ROUND_MESSAGES, LENGTH = "4", "400", 2000
MIN_ACKED = 300       # stop loading once this many got 250 (after the kills) ...
LOAD_SECONDS = 45     # ... or after this long, whatever comes first
SENDER, RCPT, HELO = "sender@remote.test", "ann@example.test", "client.remote.test"
TESSERA_ID = re.compile(r"^[0-9A-Z]{12,}$")


class Load(threading.Thread):
    """smtp-source rounds, one after another, until stopped or out of time; keeps every
    acknowledged ID."""

    def __init__(self, port, deadline):
        super().__init__(daemon=True)
        self.port, self.deadline = port, deadline
        self.stopping = threading.Event()
        self.acked = []            # every "queued as" ID, in order, duplicates kept
        self.rounds = []           # (exit status, acknowledged in that round)
        self.in_round = threading.Event()
        self.last_failure = ""
        self.lock = threading.Lock()

    def run(self):
        n = 0
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            # -A: carry on past 4xx (the store away); -d on odd rounds: reuse the connection.
            args = ["-v", "-A", "-s", SESSIONS, "-m", ROUND_MESSAGES, "-l", str(LENGTH),
                    "-M", HELO, "-f", SENDER, "-t", RCPT] + (["-d"] if n % 2 else [])
            self.in_round.set()
            timeout = max(5.0, min(20.0, self.deadline + 5 - time.monotonic()))
            status, out = smtp_peers.run_smtp_source(args + [f"127.0.0.1:{self.port}"],
                                                     timeout=timeout)
            self.in_round.clear()
            ids = smtp_peers.queued_ids(out)
            with self.lock:
                self.acked += ids
                self.rounds.append((status, len(ids)))
                if status != 0:
                    self.last_failure = "\n".join(l for l in out.splitlines()
                                                  if "fatal" in l or "warning" in l)[-1500:]
            n += 1
            if not ids:
                time.sleep(0.2)  # the service is still coming back

    def count(self):
        with self.lock:
            return len(self.acked)


class SmtpCrash(smtp_served.Served, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = smtp_peers.ensure_postfix()  # smtp-source comes with Debian's postfix
        if reason:
            raise unittest.SkipTest(reason)
        if not os.path.exists(harness.binary("smtpd")):
            raise AssertionError(f"{harness.binary('smtpd')} is not built")
        try:
            super().setUpClass()
        except BaseException:
            cls.stop_started()
            raise

    # --- kill and restart, same configuration, ports and data

    @classmethod
    def kill(cls, name):
        service = getattr(cls, name)
        service.proc.send_signal(signal.SIGKILL)
        service.proc.wait()
        service.log.close()
        return service

    @classmethod
    def restart(cls, name):
        old = cls.kill(name)
        if name == "smtpd":
            new = harness.Service("smtpd", cls.smtpd_settings(), wait_ports=old.wait_ports)
        else:  # the very file the fixture wrote
            with open(old.config_path) as f:
                new = harness.Service(old.name, None, wait_ports=old.wait_ports,
                                      config_text=f.read())
        try:
            new.start()
        except BaseException:
            if new.proc is not None and new.proc.poll() is None:
                new.proc.kill()
                new.proc.wait()
            raise
        setattr(cls, name, new)

    # --- checks

    def check_stored(self, raw, shape, payload):
        """Problems of one stored message: its ID (from Tessera's Received), and whether it is
        smtp-source's whole message under smtpd's trace fields."""
        problems = []
        body = self.body_of(raw)
        trace = raw[:len(raw) - len(body)]
        unfolded = re.sub(rb"\r\n[ \t]+", b" ", trace)
        ids = re.findall(rb"^Received:[^\r\n]*\(Tessera\)[^\r\n]*\bid ([0-9A-Za-z]+)", unfolded,
                         re.M)
        if len(ids) != 1:
            problems.append(f"{len(ids)} Tessera Received ids in {trace[:400]!r}")
        for field in (b"Return-Path: <" + SENDER.encode() + b">\r\n",
                      b"Delivered-To: " + RCPT.encode() + b"\r\n"):
            if field not in trace:
                problems.append(f"no {field.strip()!r} in {trace[:400]!r}")
        m = shape.match(body)
        if not m:
            problems.append(f"not smtp-source's message ({len(body)} bytes): "
                            f"{body[:300]!r}...{body[-100:]!r}")
        elif m.group("payload") != payload:
            problems.append(f"payload of {len(m.group('payload'))} bytes, "
                            f"not the {len(payload)} sent")
        message_id = re.search(rb"^Message-Id: (<[^>\r\n]*>)", body, re.M)
        return (ids[0].decode() if len(ids) == 1 else None,
                message_id.group(1) if message_id else None, problems)

    def read_inbox(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.messages()
            except Exception as e:  # imap still reconnecting to the store
                if time.monotonic() > deadline:
                    raise AssertionError(f"IMAP read failed after the restarts: {e!r}\n"
                                         f"{self.imap.output()[-2000:]}")
                time.sleep(0.3)

    def test_kill_9_loses_no_acknowledged_message(self):
        started = time.monotonic()
        rng = random.Random(int(os.environ.get("TESSERA_CRASH_SEED", "11")))
        load = Load(self.smtp_port, deadline=started + LOAD_SECONDS)
        load.start()
        try:
            while load.count() == 0 and load.is_alive() and time.monotonic() < started + 15:
                time.sleep(0.05)
            self.assertGreater(load.count(), 0, "smtpd acknowledged nothing before the kills: "
                               f"{load.last_failure}\n{self.smtpd.output()[-2000:]}")
            victims = ["smtpd", "store"] * (KILLS // 2)
            rng.shuffle(victims)
            mid_traffic = 0
            for victim in victims:
                time.sleep(rng.uniform(0.3, 1.5))
                mid_traffic += load.in_round.is_set()
                self.restart(victim)
            acked_at_last_kill = load.count()
            while (load.is_alive() and load.count() < max(MIN_ACKED, acked_at_last_kill + 50)
                   and time.monotonic() < started + LOAD_SECONDS):
                time.sleep(0.1)
        finally:
            load.stopping.set()
            load.join(30)
        self.assertFalse(load.is_alive(), "smtp-source round did not end")

        # The service recovered: one clean round, every message acknowledged.
        status, out = smtp_peers.run_smtp_source(
            ["-v", "-s", "2", "-m", "50", "-l", str(LENGTH), "-M", HELO, "-f", SENDER, "-t", RCPT,
             f"127.0.0.1:{self.smtp_port}"], timeout=30)
        clean = smtp_peers.queued_ids(out)
        self.assertEqual((status, len(clean)), (0, 50), out[-2000:] + self.smtpd.output()[-2000:])
        acked = load.acked + clean
        # One more kill of both right after the last 250: still nothing lost.
        self.restart("smtpd")
        self.restart("store")
        # A fresh imap reads what the store holds (imap's own reconnecting is not tested here).
        self.restart("imap")

        self.assertGreaterEqual(mid_traffic, KILLS // 2, "the kills missed the traffic")
        self.assertGreater(len(load.acked), 100,
                           f"too few acknowledged under kills: {load.rounds}\n"
                           f"{load.last_failure}\n{self.smtpd.output()[-2000:]}")
        problems = [f"malformed ID {i!r}" for i in set(acked) if not TESSERA_ID.match(i)]
        problems += [f"ID {i} acknowledged {n} times"
                     for i, n in collections.Counter(acked).items() if n > 1]

        shape = smtp_peers.smtp_source_message(SENDER, RCPT, HELO)
        payload = smtp_peers.smtp_source_payload(LENGTH)
        stored_ids, message_ids = collections.Counter(), collections.Counter()
        inbox = self.read_inbox()
        for raw in inbox:
            tessera_id, message_id, wrong = self.check_stored(raw, shape, payload)
            problems += wrong
            if tessera_id:
                stored_ids[tessera_id] += 1
            if message_id:
                message_ids[message_id] += 1
        problems += [f"ID {i} in {n} messages" for i, n in stored_ids.items() if n > 1]
        problems += [f"submission {m.decode()} stored {n} times"
                     for m, n in message_ids.items() if n > 1]
        lost = [i for i in set(acked) if stored_ids[i] == 0]
        problems += [f"acknowledged {i} not in the INBOX" for i in lost]
        if problems:
            self.fail(f"{len(problems)} problems; {len(lost)} of {len(set(acked))} acknowledged "
                      f"lost; {len(inbox)} stored; the first ones:\n" + "\n".join(problems[:20]))
        unacked = len(stored_ids) - len(set(acked) & set(stored_ids))
        print(f"\n{KILLS + 2} kills ({mid_traffic} mid-traffic), {len(load.rounds)} smtp-source "
              f"rounds, {len(acked)} acknowledged, {len(inbox)} stored ({unacked} without a 250), "
              f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    harness.main()
