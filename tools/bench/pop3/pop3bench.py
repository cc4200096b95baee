#!/usr/bin/env python3
"""Messages, filler and POP3 download client of tools/bench/pop3/run; the same code for both
sides, so the figures compare the servers, not two clients.

  fill     --port P --password W --plan LOGIN:COUNT[,LOGIN:COUNT...] --out FILE [--seed S]
           [--parallel J] [--chunk C]
      Appends COUNT generated messages to each LOGIN's INBOX over IMAP (plain TCP on loopback,
      LOGIN, APPEND with a synchronising literal; J sessions at once, C messages a session).
      Message i of LOGIN depends only on (seed, LOGIN, i): both sides get byte-identical mail.
      Writes FILE, one line per account: `LOGIN COUNT BYTES DIGEST` (DIGEST: SHA-256 over the
      sorted SHA-256s of the messages, so the order of arrival does not matter).

  download --port P --password W --logins LOGIN[,LOGIN...] --expected FILE [--pipeline K]
           [--watch PID,...] [--watch-family PID] [--timeout S] [--deadline S]
      One process a login: connect, implicit TLS, USER/PASS (retried while the maildrop is
      [IN-USE]); when every session is in, all start together: STAT, LIST, UIDL, RETR of every
      message (K commands in flight, 1 by default: one RETR after the other, as fetchmail
      does), QUIT. No DELE: the maildrops stay as they are. Every message is checked: its
      length equals its LIST size, and per account the count, the bytes and the digest equal
      FILE's. While they download, the parent samples the memory (VmRSS, PSS) of the watched
      processes (and of every process of the family of --watch-family, found when the window
      starts) every 0.1 s, and reads their CPU time (with the reaped children's) at both ends.
      Prints one line of key=value pairs, first_error last:
        sessions= messages= bytes= download_s= login_s= client_cpu_s= server_cpu_s=
        peak_rss_kib= peak_pss_kib= front_rss_kib= switches= procs= errors= first_error=

Bounded: every socket operation has --timeout; the whole download ends after --deadline
seconds, sessions still going then are killed and count as errors; only 127.0.0.1."""
import argparse
import base64
import hashlib
import imaplib
import multiprocessing
import os
import random
import socket
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"
TERM = b"\r\n.\r\n"

# ---------------------------------------------------------------------------------------------
# Messages: 1 KiB to 19 KiB (10 KiB on average), 60 % plain text, 40 % multipart with a base64
# part; some lines start with "." (byte-stuffed on the wire).

WORDS = ("the of and to in is for on that with as by this be are from at or an it was not "
         "meeting report invoice quarter budget office schedule project review draft summary "
         "attached please regards thanks tomorrow monday friday client supplier delivery order "
         "payment contract update minutes agenda printer network account password holiday "
         "Tessera Dovecot POP3 mailbox message server download archive").split()


def line_pool(seed):
    r = random.Random(f"{seed}/lines")
    pool = []
    for n in range(4000):
        words, length = [], 0
        target = r.randint(8, 76)
        while length < target:
            w = r.choice(WORDS)
            words.append(w)
            length += len(w) + 1
        text = " ".join(words)[:76]
        if n % 37 == 0:
            text = "." + text  # stuffed on the wire
        elif n % 401 == 0:
            text = "."  # a line that is a lone dot (stuffed to "..")
        elif n % 53 == 0:
            text = ""
        pool.append(text.encode() + b"\r\n")
    return pool


class Messages:
    def __init__(self, seed):
        self.seed = seed
        self.pool = line_pool(seed)

    def get(self, login, i):
        r = random.Random(f"{self.seed}/{login}/{i}")
        size = r.randint(1024, 19456)
        day = 1 + i % 28
        head = (f"Return-Path: <sender{i % 97}@example.test>\r\n"
                f"Received: from client.example.test (client.example.test [127.0.0.9])\r\n"
                f"\tby mx.bench.test with ESMTPS id {r.getrandbits(64):016x}\r\n"
                f"\tfor <{login}>; Thu, {day:02d} Oct 2026 09:{i % 60:02d}:00 +0000\r\n"
                f"From: Sender {i % 97} <sender{i % 97}@example.test>\r\n"
                f"To: <{login}>\r\n"
                f"Subject: {' '.join(r.choices(WORDS, k=r.randint(2, 8)))} #{i}\r\n"
                f"Date: Thu, {day:02d} Oct 2026 09:{i % 60:02d}:00 +0000\r\n"
                f"Message-ID: <{i}.{r.getrandbits(48):012x}@example.test>\r\n"
                f"MIME-Version: 1.0\r\n").encode()
        if r.random() < 0.6:
            out = [head, b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"]
            n = len(out[0]) + len(out[1])
            while n < size:
                line = self.pool[r.randrange(len(self.pool))]
                out.append(line)
                n += len(line)
            return b"".join(out)
        boundary = f"=_b{r.getrandbits(40):010x}"
        out = [head, f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
                     f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n".encode()]
        n = len(out[0]) + len(out[1])
        text_end = n + (size - n) // 3
        while n < text_end:
            line = self.pool[r.randrange(len(self.pool))]
            out.append(line)
            n += len(line)
        part = (f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Disposition: attachment; filename=\"file{i}.bin\"\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n").encode()
        out.append(part)
        n += len(part) + len(boundary) + 8
        raw = r.randbytes(max(3, (size - n) * 3 // 4 * 76 // 78))
        b64 = base64.b64encode(raw)
        out.extend(b64[k:k + 76] + b"\r\n" for k in range(0, len(b64), 76))
        out.append(f"--{boundary}--\r\n".encode())
        return b"".join(out)


def digest_of(shas):
    return hashlib.sha256("".join(sorted(shas)).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# fill: IMAP APPEND into INBOX.

def fill_chunk(job):
    port, password, seed, login, first, count, timeout = job
    messages = Messages(seed)
    shas, size = [], 0
    imap = imaplib.IMAP4(HOST, port, timeout=timeout)
    try:
        imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        imap.login(login, password)
        for i in range(first, first + count):
            m = messages.get(login, i)
            typ, data = imap.append("INBOX", None, None, m)
            if typ != "OK":
                raise RuntimeError(f"APPEND {login} #{i}: {typ} {data!r}")
            shas.append(hashlib.sha256(m).hexdigest())
            size += len(m)
        imap.logout()
    finally:
        try:
            imap.shutdown()
        except OSError:
            pass
    return login, count, size, shas


def fill(args):
    jobs = []
    order = []
    for item in args.plan.split(","):
        login, count = item.rsplit(":", 1)
        order.append(login)
        for first in range(0, int(count), args.chunk):
            jobs.append((args.port, args.password, args.seed, login, first,
                         min(args.chunk, int(count) - first), args.timeout))
    totals = {login: [0, 0, []] for login in order}
    with multiprocessing.Pool(args.parallel) as pool:
        for login, count, size, shas in pool.imap_unordered(fill_chunk, jobs):
            t = totals[login]
            t[0] += count
            t[1] += size
            t[2].extend(shas)
    with open(args.out, "w") as f:
        for login in order:
            count, size, shas = totals[login]
            f.write(f"{login} {count} {size} {digest_of(shas)}\n")
    return 0


# ---------------------------------------------------------------------------------------------
# download: POP3 over implicit TLS.

class Pop3Error(Exception):
    pass


class Connection:
    def __init__(self, port, timeout):
        raw = socket.create_connection((HOST, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.buf = bytearray()
        self.pos = 0

    def more(self):
        data = self.sock.recv(1 << 18)
        if not data:
            raise Pop3Error("connection closed by the server")
        self.buf += data

    def send(self, text):
        self.sock.sendall(text.encode())

    def line(self):
        """The next line; a new response starts here, so the buffer drops what was read."""
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        start = self.pos
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            if len(self.buf) - self.pos > 4096:
                raise Pop3Error("response line longer than 4096 octets")
            start = max(self.pos, len(self.buf) - 1)
            self.more()

    def ok(self, what):
        line = self.line()
        if not line.startswith(b"+OK"):
            raise Pop3Error(f"{what}: {line[:200]!r}")
        return line

    def multiline(self):
        """The data of a multi-line response after its status line, un-stuffed."""
        start = self.pos - 2  # an empty body: the terminator follows the status line's CRLF
        while True:
            i = self.buf.find(TERM, start)
            if i >= 0:
                break
            start = max(self.pos - 2, len(self.buf) - 4)
            self.more()
        data = bytes(self.buf[self.pos:i + 2]) if i + 2 > self.pos else b""
        self.pos = i + 5
        if b"\r\n.." in data:
            data = data.replace(b"\r\n..", b"\r\n.")
        if data.startswith(b".."):
            data = data[1:]
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def login(args, user):
    """A logged-in connection; retried (bounded) while the previous session's lock is held."""
    for attempt in range(50):
        c = Connection(args.port, args.timeout)
        c.ok("greeting")
        c.send(f"USER {user}\r\n")
        c.ok("USER")
        c.send(f"PASS {args.password}\r\n")
        line = c.line()
        if line.startswith(b"+OK"):
            return c
        c.close()
        if b"[IN-USE]" not in line or attempt == 49:
            raise Pop3Error(f"PASS: {line[:200]!r}")
        time.sleep(0.2)
    raise Pop3Error("unreachable")


def download_session(args, user, expected, ready, go, results):
    out = {"user": user, "messages": 0, "bytes": 0, "error": ""}
    c = None
    try:
        t0 = time.monotonic()
        c = login(args, user)
        out["login_s"] = time.monotonic() - t0
        ready.put(user)
        if not go.wait(args.timeout * 4):
            raise Pop3Error("never started")
        cpu0 = os.times()
        c.send("STAT\r\n")
        stat = c.ok("STAT").split()
        count, octets = int(stat[1]), int(stat[2])
        c.send("LIST\r\n")
        c.ok("LIST")
        sizes = [int(line.split()[1]) for line in c.multiline().split(b"\r\n")[:-1]]
        c.send("UIDL\r\n")
        c.ok("UIDL")
        uidls = {line.split()[1] for line in c.multiline().split(b"\r\n")[:-1]}
        if len(sizes) != count or len(uidls) != count or sum(sizes) != octets:
            raise Pop3Error(f"STAT {count} {octets}, LIST {len(sizes)} {sum(sizes)}, "
                            f"UIDL {len(uidls)} distinct")
        shas, total = [], 0
        window = max(1, args.pipeline)
        sent = 0
        for n in range(1, count + 1):
            if sent < n:  # keep `window` RETRs in flight
                upto = min(count, n + window - 1)
                c.send("".join(f"RETR {k}\r\n" for k in range(sent + 1, upto + 1)))
                sent = upto
            elif sent < count:
                sent += 1
                c.send(f"RETR {sent}\r\n")
            c.ok(f"RETR {n}")
            body = c.multiline()
            if len(body) != sizes[n - 1]:
                raise Pop3Error(f"RETR {n}: {len(body)} octets, LIST said {sizes[n - 1]}")
            shas.append(hashlib.sha256(body).hexdigest())
            total += len(body)
            out["messages"], out["bytes"] = n, total
        c.send("QUIT\r\n")
        c.ok("QUIT")
        out["end"] = time.monotonic()
        cpu1 = os.times()
        out["cpu_s"] = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        want = expected.get(user)
        got = (count, total, digest_of(shas))
        if want is None or got != want:
            raise Pop3Error(f"{user}: downloaded {got[0]} messages, {got[1]} bytes, digest "
                            f"{got[2][:12]}; loaded {want and (want[0], want[1], want[2][:12])}")
    except Exception as e:  # noqa: BLE001 - reported; the other sessions go on
        out["error"] = f"{user}: {e!r}"[:300]
    finally:
        if c is not None:
            c.close()
        results.put(out)


def proc_stat(pid):
    """(utime + stime, cutime + cstime) in clock ticks, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    except (OSError, IndexError, ValueError):
        return None


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def cpu_ticks(pids, family):
    """CPU time of the given processes and, for the family's master, of every process of it
    (its reaped children included)."""
    total = 0
    for pid in pids:
        s = proc_stat(pid)
        total += s[0] if s else 0
    if family:
        s = proc_stat(family)
        if s:
            total += s[0] + s[1]
        for child in children(family):
            s = proc_stat(child)
            total += s[0] if s else 0
    return total


def kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def switches(pid):
    """Context switches (voluntary and not) of all threads of a process so far, or None."""
    total, seen = 0, False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
                        seen = True
        except OSError:
            pass
    return total if seen else None


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class Sampler(threading.Thread):
    """While the download runs, every 0.1 s: the peak of the summed VmRSS and PSS of the given
    processes and of the front ends among them (tessera-pop3d; Dovecot's pop3 and pop3-login),
    and each process's context switches (first and last seen: a process that exits loses its
    last 0.1 s)."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids = pids
        self.front = [p for p in pids if comm(p).startswith(("pop3", "tessera-pop3"))]
        self.peak_rss = self.peak_pss = self.peak_front_rss = 0
        self.first, self.last = {}, {}
        self.stop = threading.Event()

    def sample(self):
        rss = {p: kib(f"/proc/{p}/status", "VmRSS:") for p in self.pids}
        pss = sum(kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in self.pids)
        self.peak_rss = max(self.peak_rss, sum(rss.values()))
        self.peak_front_rss = max(self.peak_front_rss, sum(rss[p] for p in self.front))
        self.peak_pss = max(self.peak_pss, pss)
        for p in self.pids:
            n = switches(p)
            if n is not None:
                self.first.setdefault(p, n)
                self.last[p] = n

    def run(self):
        for _ in range(100000):  # 10,000 s at most
            self.sample()
            if self.stop.wait(0.1):
                break
        self.sample()

    def switched(self):
        return sum(self.last[p] - self.first[p] for p in self.last)


def read_expected(path):
    expected = {}
    with open(path) as f:
        for line in f:
            login, count, size, digest = line.split()
            expected[login] = (int(count), int(size), digest)
    return expected


def download(args):
    users = args.logins.split(",")
    expected = read_expected(args.expected)
    watch = [int(p) for p in args.watch.split(",") if p]
    ready, results = multiprocessing.Queue(), multiprocessing.Queue()
    go = multiprocessing.Event()
    procs = [multiprocessing.Process(target=download_session,
                                     args=(args, u, expected, ready, go, results), daemon=True)
             for u in users]
    begin = time.monotonic()
    for p in procs:
        p.start()
    errors, first_error, outs = 0, "", []
    logged_in = 0
    deadline = begin + args.deadline
    while logged_in < len(users) and time.monotonic() < deadline:
        try:
            ready.get(timeout=1)
            logged_in += 1
        except Exception:  # noqa: BLE001 - queue.Empty: a session failed or is slow
            if not any(p.is_alive() for p in procs) and ready.empty():
                break
    login_s = time.monotonic() - begin
    family = args.watch_family
    sampled = watch + ([family] + children(family) if family else [])
    sampler = Sampler(sampled)
    ticks0 = cpu_ticks(watch, family)
    sampler.start()
    t0 = time.monotonic()
    go.set()
    for _ in users:
        left = deadline - time.monotonic()
        try:
            outs.append(results.get(timeout=max(0.1, left)))
        except Exception:  # noqa: BLE001 - the deadline passed
            break
    sampler.stop.set()
    sampler.join()
    time.sleep(0.3)  # Dovecot's master reaps the pop3 processes that have just quit
    ticks1 = cpu_ticks(watch, family)
    for p in procs:
        p.join(timeout=2)
        if p.is_alive():
            p.kill()
    if len(outs) < len(users):
        errors += len(users) - len(outs)
        first_error = f"{len(users) - len(outs)} session(s) did not finish within {args.deadline} s"
    for o in outs:
        if o["error"]:
            errors += 1
            first_error = first_error or o["error"]
    ends = [o["end"] for o in outs if "end" in o]
    download_s = (max(ends) - t0) if ends and not errors else 0
    hz = os.sysconf("SC_CLK_TCK")
    print(f"sessions={len(users)} messages={sum(o['messages'] for o in outs)} "
          f"bytes={sum(o['bytes'] for o in outs)} download_s={download_s:.3f} "
          f"login_s={login_s:.3f} client_cpu_s={sum(o.get('cpu_s', 0) for o in outs):.2f} "
          f"server_cpu_s={(ticks1 - ticks0) / hz:.2f} peak_rss_kib={sampler.peak_rss} "
          f"peak_pss_kib={sampler.peak_pss} front_rss_kib={sampler.peak_front_rss} "
          f"switches={sampler.switched()} procs={len(sampled)} errors={errors} "
          f"first_error={first_error.replace(chr(10), ' ')}", flush=True)
    return 0 if errors == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fill")
    f.add_argument("--plan", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--parallel", type=int, default=4)
    f.add_argument("--chunk", type=int, default=2500)
    d = sub.add_parser("download")
    d.add_argument("--logins", required=True)
    d.add_argument("--expected", required=True)
    d.add_argument("--pipeline", type=int, default=1)
    d.add_argument("--watch", default="")
    d.add_argument("--watch-family", type=int, default=0)
    d.add_argument("--deadline", type=float, default=600)
    for a in (f, d):
        a.add_argument("--port", type=int, required=True)
        a.add_argument("--password", required=True)
        a.add_argument("--seed", default="tessera-pop3-bench")
        a.add_argument("--timeout", type=float, default=30)
    args = p.parse_args()
    if not 1 <= args.port <= 65535:
        p.error("bad port")
    return fill(args) if args.command == "fill" else download(args)


if __name__ == "__main__":
    sys.exit(main())
