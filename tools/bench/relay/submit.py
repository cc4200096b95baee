#!/usr/bin/env python3
"""Submission load client of tools/bench/relay/run: SESSIONS processes, each one authenticated
submission session at a time (STARTTLS, then AUTH PLAIN) sending its share of MESSAGES messages
of SIZE body bytes, each to one remote recipient; every reply is checked. The same client
serves both sides, so the figures compare the servers, not two clients.

Session k (1..SESSIONS) logs in as LOGIN with {k} replaced by k and sends from that address
(MAIL FROM and From:) to RCPT with {k} replaced, and {d} by 1..DOMAINS in turn (message i of
session k: (k + i) mod DOMAINS + 1, so that the messages spread evenly over the domains). The sessions log in together (connect,
STARTTLS, AUTH: login_s is the time until all are in), then send together: elapsed_s runs from
the moment every session is logged in until the last one has had its last reply. With
--reconnect each further message comes on a new session (its login counted in elapsed_s).
Prints one line, `accepted=N errors=E login_s=T elapsed_s=T started=EPOCH first_error=...`
(started: the wall-clock time at which the messages started), and exits 0 only when every
message got 250.

Bounded: every socket operation has --timeout; the whole run ends after --deadline seconds,
the sessions still going then are killed and count as errors."""
import argparse
import multiprocessing
import smtplib
import ssl
import sys
import time


def message(sender, rcpt, size, k, i):
    line = b"0123456789" * 7 + b"abcdefgh\r\n"  # 80 bytes a line
    body = (line * (size // len(line) + 1))[:size]
    return (f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: bench {k}.{i}\r\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{k}.{i}.{time.monotonic_ns()}@client.bench.test>\r\n\r\n").encode() + \
        body + b"\r\n"


def connect(args, login, context):
    s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="client.bench.test",
                     timeout=args.timeout)
    s.ehlo()
    s.starttls(context=context)
    s.ehlo()
    s.login(login, args.password)  # AUTH PLAIN (smtplib prefers CRAM-MD5, PLAIN, LOGIN)
    return s


def session(args, k, count, barriers, results):
    login = args.login.replace("{k}", str(k))
    rcpts = [args.rcpt.replace("{k}", str(k)).replace("{d}", str(d + 1))
             for d in range(args.domains)]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    accepted, errors, first_error = 0, 0, ""
    s = None
    try:
        barriers[0].wait(args.timeout)  # every process is ready: logins start
        try:
            s = connect(args, login, context)
        except Exception as e:  # noqa: BLE001 - counted below; the others go on
            first_error = f"session {k}: login: {e!r}"
        barriers[1].wait(args.timeout + 60)  # every session logged in: messages start
    except Exception as e:  # noqa: BLE001 - a broken barrier: reported, not raised
        results.put((0, f"session {k}: barrier: {e!r}"))
        return
    if s is None:
        results.put((0, first_error))
        return
    for i in range(count):
        try:
            if s is None:
                s = connect(args, login, context)
            rcpt = rcpts[(k + i) % len(rcpts)]
            code, reply = s.mail(login)
            if code != 250:
                raise RuntimeError(f"MAIL: {code} {reply!r}")
            code, reply = s.rcpt(rcpt)
            if code not in (250, 251):
                raise RuntimeError(f"RCPT: {code} {reply!r}")
            code, reply = s.data(message(login, rcpt, args.size, k, i))
            if code != 250:
                raise RuntimeError(f"DATA: {code} {reply!r}")
            accepted += 1
            if args.reconnect and i + 1 < count:
                s.quit()
                s = None
        except Exception as e:  # noqa: BLE001 - count it, start a new session
            errors += 1
            first_error = first_error or f"session {k}, message {i}: {e!r}"
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
                s = None
            if errors >= 3:  # a side that keeps refusing: stop, the run has failed anyway
                break
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass
    results.put((accepted, first_error))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, default=1)
    p.add_argument("--messages", type=int, default=100)
    p.add_argument("--size", type=int, default=10240)
    p.add_argument("--login", required=True, help="account of session {k}")
    p.add_argument("--password", default="bench-password")
    p.add_argument("--rcpt", default="rcpt{k}@sink.bench.example")
    p.add_argument("--domains", type=int, default=1, help="values of {d} in --rcpt")
    p.add_argument("--reconnect", action="store_true", help="a new session for every message")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--deadline", type=float, default=600)
    args = p.parse_args()
    n, m = args.sessions, args.messages
    ctx = multiprocessing.get_context("fork")
    barriers = (ctx.Barrier(n + 1), ctx.Barrier(n + 1))
    results = ctx.Queue()
    procs = [ctx.Process(target=session, args=(args, k, m // n + (k <= m % n), barriers, results))
             for k in range(1, n + 1)]
    for proc in procs:
        proc.start()
    try:
        barriers[0].wait(args.timeout)
        t0 = time.monotonic()
        barriers[1].wait(args.timeout + 60)
        t1, started = time.monotonic(), time.time()
    except Exception as e:  # noqa: BLE001 - a session died before its barrier
        for proc in procs:
            proc.kill()
            proc.join()
        print(f"accepted=0 errors={m} first_error=start: {e!r}")
        sys.exit(1)
    got = []
    deadline = t1 + args.deadline
    while len(got) < n and time.monotonic() < deadline:
        try:
            got.append(results.get(timeout=max(0.1, min(1.0, deadline - time.monotonic()))))
        except Exception:  # noqa: BLE001 - queue.Empty: look at the clock again
            pass
    t2 = time.monotonic()
    for proc in procs:
        proc.join(max(0.1, deadline + 5 - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()
    accepted = sum(a for a, _ in got)
    errors = m - accepted  # refused, failed or never sent
    first = next((f for _, f in got if f), "")
    if len(got) < n:
        first = first or f"{n - len(got)} session(s) still running after {args.deadline} s"
    print(f"accepted={accepted} errors={errors} login_s={t1 - t0:.3f} elapsed_s={t2 - t1:.3f} "
          f"started={started:.6f} first_error={first}")
    sys.exit(0 if accepted == m and errors == 0 else 1)


if __name__ == "__main__":
    main()
