"""Golden transcripts (tests/protocol/*/: the format is in tests/protocol/imap/README.md),
replayed against a store and one front-end service on loopback: the client lines are sent as
written, every server line must match its pattern, in order. test_imap_transcripts.py and
test_pop3_transcripts.py each give their Served (which service, which listeners) to
`test_class()`, one test per transcript, and to `main()`, which also offers
`--record FILE`: FILE replayed and printed back with the lines the server sent instead of the
expected ones (patterns that still match are kept), a start for a new transcript whose every
reply must then be checked against the RFC by hand."""
import concurrent.futures
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness

READ_TIMEOUT = 5.0  # seconds one expected server line may take
QUIET = 0.1  # after the last line: how long to listen for lines nobody expected
TRANSCRIPT_TIMEOUT = 60.0  # seconds one whole transcript may take
CONCURRENT_REPLAYS = 4  # more only queue up for the store's Argon2 hashing

LINE = re.compile(r"^(?P<side>[CS])(?P<conn>\d*)(?P<any>~?):(?: (?P<text>.*))?$")
PLACEHOLDER = re.compile(r"\{(\$?[A-Za-z][\w.-]*(?:[=:][^{}]*)?)\}")
DATE_TIME = r'"[ 0-3]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"'


class TranscriptError(AssertionError):
    pass


class Step:
    """One line of a transcript: a client line, a server pattern or a directive."""

    def __init__(self, kind, lineno, conn=1, text="", unordered=False, args=()):
        self.kind, self.lineno, self.conn = kind, lineno, conn
        self.text, self.unordered, self.args = text, unordered, args


def parse(path):
    steps = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                steps.append(Step("#", lineno, text=line))  # kept for --record
                continue
            if line.startswith("@"):
                words = line[1:].split()
                steps.append(Step("@" + words[0], lineno, args=words[1:]))
                continue
            m = LINE.match(line)
            if not m:
                raise TranscriptError(f"{os.path.basename(path)}:{lineno}: not a transcript line "
                                      f"(C:, S:, S~:, @directive or # comment): {line!r}")
            kind = "send" if m["side"] == "C" else "expect"
            if kind == "send" and m["any"]:
                raise TranscriptError(f"{os.path.basename(path)}:{lineno}: C~: means nothing")
            steps.append(Step(kind, lineno, int(m["conn"] or 1), m["text"] or "", bool(m["any"])))
    return steps


class Pattern:
    """A server line with placeholders, compiled to a regular expression (see README.md)."""

    def __init__(self, text, variables):
        self.text = text
        self.checks = []  # (group, required tokens, forbidden tokens) of {contains:...}
        self.captures = []  # (group, variable)
        regex, at = [], 0
        for i, m in enumerate(PLACEHOLDER.finditer(text)):
            regex.append(re.escape(text[at:m.start()]))
            regex.append(self.placeholder(m.group(1), f"g{i}", variables))
            at = m.end()
        regex.append(re.escape(text[at:]))
        self.regex = re.compile("".join(regex), re.DOTALL)

    def placeholder(self, body, group, variables):
        if body.startswith("$"):
            if body[1:] not in variables:
                raise TranscriptError(f"variable {body[1:]} used before it was captured")
            return re.escape(variables[body[1:]])
        if body == "sp":
            return " "
        if body.startswith("contains:"):
            words = body[len("contains:"):].split()
            self.checks.append((group, [w.upper() for w in words if not w.startswith("!")],
                                [w[1:].upper() for w in words if w.startswith("!")]))
            return rf"(?P<{group}>[^\]]*)"
        name, _, kind = body.rpartition("=")
        kinds = {"any": ".*?", "n": r"\d+", "datetime": DATE_TIME}
        if kind not in kinds:
            raise TranscriptError(f"unknown placeholder {{{body}}}")
        if not name:
            return f"(?:{kinds[kind]})"
        self.captures.append((group, name))
        return f"(?P<{group}>{kinds[kind]})"

    def match(self, line):
        """The captured variables if `line` matches, else None."""
        m = self.regex.fullmatch(line)
        if not m:
            return None
        for group, required, forbidden in self.checks:
            tokens = set(m.group(group).upper().split())
            if not set(required) <= tokens or tokens & set(forbidden):
                return None
        return {name: m.group(group) for group, name in self.captures}


def client_text(text, variables):
    """A C: line with {$var} and {repeat:N:TEXT} expanded."""
    def expand(m):
        body = m.group(1)
        if body.startswith("$"):
            if body[1:] not in variables:
                raise TranscriptError(f"variable {body[1:]} used before it was captured")
            return variables[body[1:]]
        if body == "sp":
            return " "
        if body.startswith("repeat:"):
            _, count, chunk = body.split(":", 2)
            return chunk * int(count)
        raise TranscriptError(f"unknown placeholder {{{body}}} in a client line")
    return PLACEHOLDER.sub(expand, text)


class Connection:
    """One client connection: lines out, CRLF-terminated lines in, each read with a deadline."""

    def __init__(self, port, tls):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
        if tls:
            self.sock = harness.client_tls_context().wrap_socket(self.sock,
                                                                 server_hostname="localhost")
        self.buffer = b""
        self.history = []  # ("C"|"S", text), for the failure message
        self.closed = False

    def send(self, text):
        self.history.append(("C", text))
        self.sock.sendall(text.encode("utf-8") + b"\r\n")

    def readline(self, timeout=READ_TIMEOUT):
        """The next line without CRLF; None on timeout; raises EOFError when the server closed."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except (ConnectionResetError, ssl.SSLError) as e:
                raise EOFError(f"connection broken: {e}")
            if not chunk:
                self.closed = True
                raise EOFError("server closed the connection" +
                               (f" after {self.buffer!r}" if self.buffer else ""))
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        text = line.decode("utf-8", errors="backslashreplace")
        self.history.append(("S", text))
        return text

    def starttls(self):
        if self.buffer:
            raise TranscriptError(f"server sent more before TLS started: {self.buffer!r}")
        self.sock = harness.client_tls_context().wrap_socket(self.sock, server_hostname="localhost")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Replay:
    """Runs one transcript's steps against the served front end; raises TranscriptError on the first
    difference. With `record`, differences are collected instead (see --record)."""

    def __init__(self, path, served, record=False):
        self.name, self.directory = os.path.basename(path), os.path.dirname(path)
        self.steps, self.served, self.record = parse(path), served, record
        self.variables = {}
        self.connections = {}
        self.listener = served.default_listener
        self.account = None
        self.output = []  # record mode: the transcript as the server answered it

    def fail(self, step, message, conn=None):
        lines = [f"{self.name}:{step.lineno}: {message}"]
        c = self.connections.get(conn or step.conn)
        if c and c.history:
            lines.append(f"  conversation so far on connection {conn or step.conn} "
                         f"(last {min(len(c.history), 12)} lines):")
            lines += [f"    {side}: {text}" for side, text in c.history[-12:]]
        raise TranscriptError("\n".join(lines))

    def connection(self, n):
        if n not in self.connections:
            port, tls = self.served.listeners[self.listener]
            self.connections[n] = Connection(port, tls)
        return self.connections[n]

    def run(self):
        try:
            i = 0
            while i < len(self.steps):
                step = self.steps[i]
                if step.kind == "expect":
                    group = [step]
                    while (step.unordered and i + len(group) < len(self.steps)
                           and self.steps[i + len(group)].kind == "expect"
                           and self.steps[i + len(group)].unordered
                           and self.steps[i + len(group)].conn == step.conn):
                        group.append(self.steps[i + len(group)])
                    self.expect(group)
                    i += len(group)
                    continue
                if self.record and step.kind in ("send", "@eof"):
                    self.drain(step.conn if step.kind == "send" else self.conn_arg(step))
                self.do(step)
                i += 1
            for n in sorted(self.connections):
                if self.record:
                    self.drain(n)
                else:
                    self.expect_nothing_more(n)
        finally:
            for c in self.connections.values():
                c.close()

    def do(self, step):
        if step.kind == "#":
            self.emit(step.text)
            return
        if step.kind == "send":
            try:
                text = client_text(step.text, self.variables)
            except TranscriptError as e:
                self.fail(step, str(e))
            self.emit(f"C{self.conn_label(step.conn)}: {step.text}")
            try:
                self.connection(step.conn).send(text)
            except OSError as e:
                self.fail(step, f"could not send {text!r}: {e}")
            return
        self.emit(self.directive_text(step))
        if step.kind == "@account":
            if len(step.args) != 2 or self.account:
                self.fail(step, "@account LOGIN PASSWORD, once per transcript")
            self.account = self.served.add_account(*step.args)
        elif step.kind == "@load":
            if not self.account or not 1 <= len(step.args) <= 2:
                self.fail(step, "@load FILE [COUNT] after @account")
            self.served.load(self.account, os.path.join(self.directory, "messages", step.args[0]),
                             int(step.args[1]) if len(step.args) == 2 else 1)
        elif step.kind == "@listener":
            names = "|".join(self.served.listeners)
            if len(step.args) != 1 or step.args[0] not in self.served.listeners \
                    or self.connections:
                self.fail(step, f"@listener {names} before the first C: or S: line")
            self.listener = step.args[0]
        elif step.kind == "@starttls":
            try:
                self.connection(self.conn_arg(step)).starttls()
            except (TranscriptError, OSError) as e:
                self.fail(step, f"TLS handshake: {e}", self.conn_arg(step))
        elif step.kind == "@close":
            n = self.conn_arg(step)
            c = self.connection(n)
            c.close()
            c.closed = True
        elif step.kind == "@eof":
            n = self.conn_arg(step)
            c = self.connection(n)
            try:
                line = c.readline()
            except EOFError:
                c.closed = True
                return
            if self.record:
                self.emit("# !!! the server did not close the connection here")
                return
            self.fail(step, "expected the server to close the connection; got " +
                      ("nothing" if line is None else f"S: {line}"), n)
        else:
            self.fail(step, f"unknown directive {step.kind}")

    def conn_arg(self, step):
        return int(step.args[0]) if step.args else 1

    @staticmethod
    def conn_label(n):
        return "" if n == 1 else str(n)

    @staticmethod
    def directive_text(step):
        return " ".join([step.kind] + list(step.args))

    def emit(self, line):
        if self.record:
            self.output.append(line)

    def read(self, step):
        try:
            line = self.connection(step.conn).readline()
        except (EOFError, OSError) as e:
            if self.record:
                return None
            self.fail(step, f"{e}; expected S: {step.text}")
        if line is None and not self.record:
            self.fail(step, f"no line within {READ_TIMEOUT:g}s; expected S: {step.text}")
        return line

    def expect(self, group):
        label = self.conn_label(group[0].conn)
        patterns = [(step, self.pattern(step)) for step in group]
        lines = []
        for step, _ in patterns:
            line = self.read(step)
            if line is None:  # record mode: the server sent less
                break
            lines.append(line)
        if len(group) == 1:
            step, pattern = patterns[0]
            captured = pattern.match(lines[0]) if lines else None
            if captured is None:
                if self.record:
                    self.output += [f"S{label}: {line}" for line in lines]
                    return
                self.fail(step, f"server line differs\n  expected: S{label}: {step.text}\n"
                                f"  actual:   S{label}: {lines[0]}")
            self.variables.update(captured)
            self.emit(f"S{label}: {step.text}")
            return
        # S~: any order: each line must match a different pattern of the group.
        unmatched = list(patterns)
        for line in lines:
            for k, (step, pattern) in enumerate(unmatched):
                captured = pattern.match(line)
                if captured is not None:
                    self.variables.update(captured)
                    del unmatched[k]
                    break
            else:
                if self.record:
                    self.output += [f"S{label}: {line}" for line in lines]
                    return
                expected = "\n".join(f"    S{label}~: {s.text}" for s, _ in unmatched)
                self.fail(group[0], f"server line matches none of the S~: lines left\n"
                                    f"  actual:   S{label}: {line}\n  expected one of:\n"
                                    f"{expected}")
        if self.record and unmatched:
            self.output += [f"S{label}: {line}" for line in lines]
            return
        for step, _ in patterns:
            self.emit(f"S{label}~: {step.text}")

    def pattern(self, step):
        try:
            return Pattern(step.text, self.variables)
        except TranscriptError as e:
            self.fail(step, str(e))

    def expect_nothing_more(self, n):
        c = self.connections[n]
        if c.closed:
            return
        try:
            line = c.readline(QUIET)
        except EOFError:
            return
        if line is not None:
            last = max(s.lineno for s in self.steps)
            raise TranscriptError(f"{self.name}:{last}: server sent a line after the end of the "
                                  f"transcript on connection {n}: S: {line}")

    def drain(self, n):
        """Record mode: whatever the server sends until it is quiet for a moment."""
        c = self.connections.get(n)
        if not c or c.closed:
            return
        while True:
            try:
                line = c.readline(0.7)
            except EOFError:
                return
            if line is None:
                return
            self.output.append(f"S{self.conn_label(n)}: {line}")


class Served:
    """The store (with the domain example.test) and the front-end service the transcripts run
    against, one for all of them. A subclass starts the service in start_front_end() and names
    its listeners: {name: (port, implicit TLS?)}, `default_listener` the one without
    @listener."""

    listeners = {}
    default_listener = None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tessera-transcripts-")
        self.tools = threading.Lock()
        cert, key = harness.make_certificate(self.dir)
        self.store, self.store_address = harness.start_store(self.dir)
        try:
            self.mailctl([], "domain", "add", "example.test")
            self.front_end = self.start_front_end(cert, key)
        except BaseException:
            self.store.stop()
            raise

    def start_front_end(self, cert, key):
        raise NotImplementedError

    def mailctl(self, stdin, *args):
        tool = os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl")
        with self.tools:  # one at a time: mailctl gives up after 5 s
            done = subprocess.run([tool, "--store", self.store_address, "--json"] + list(args),
                                  input="".join(stdin), text=True, capture_output=True,
                                  timeout=30)
        if done.returncode != 0:
            raise TranscriptError(f"mailctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def add_account(self, login, password):
        reply = self.mailctl([password + "\n"], "account", "add", login, "--password-stdin")
        return json.loads(reply.splitlines()[-1])["account_id"]

    def load(self, account, path, count):
        """Appends `count` copies of the message file (LF turned into CRLF) to the account's
        INBOX."""
        with open(path, "rb") as f:
            message = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        path = os.path.join(self.dir, f"load-{account}.eml")
        accounts = os.path.join(self.dir, f"accounts-{account}.txt")
        with open(path, "wb") as f:
            f.write(message)
        with open(accounts, "w") as f:
            f.write(f"{account}\n")
        tool = os.path.join(harness.BUILD_DIR, "tools", "bench", "store", "tessera-store-load")
        done = subprocess.run([tool, "append", "--store", self.store_address, "--accounts-file",
                               accounts, "--clients", "1", "--count", str(count), "--file", path],
                              capture_output=True, timeout=60)
        if done.returncode != 0:
            raise TranscriptError(f"tessera-store-load: {done.stdout!r}{done.stderr!r}")

    def stop(self):
        try:
            self.front_end.stop()
        finally:
            self.store.stop()


def replay(path, served):
    Replay(path, served).run()


def transcript_files(directory):
    return sorted(f for f in os.listdir(directory) if f.endswith(".txt"))


def test_class(name, directory, served_class):
    """A TestCase with one test per transcript of `directory`. The replays run concurrently,
    each on its own account, from setUpClass on: every login costs the store an Argon2 hash, and
    one after the other they would spend most of the time budget."""

    class Transcripts(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            cls.served = served_class()
            cls.pool = concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENT_REPLAYS)
            cls.replays = {f: cls.pool.submit(replay, os.path.join(directory, f), cls.served)
                           for f in transcript_files(directory)}

        @classmethod
        def tearDownClass(cls):
            cls.pool.shutdown(wait=True, cancel_futures=True)
            cls.served.stop()

        def check(self, transcript):
            try:
                self.replays[transcript].result(timeout=TRANSCRIPT_TIMEOUT)
            except TranscriptError as e:
                raise self.failureException(str(e)) from None  # the message says it all

        def test_transcripts_exist(self):
            self.assertGreater(len(transcript_files(directory)), 0, directory)

    relative = os.path.relpath(directory, os.path.join(os.path.dirname(__file__), "..", ".."))
    for transcript in transcript_files(directory):
        def test(self, transcript=transcript):
            self.check(transcript)
        test.__doc__ = f"{relative}/{transcript}"
        setattr(Transcripts, "test_" + re.sub(r"\W", "_", transcript[:-len(".txt")]), test)
    Transcripts.__name__ = Transcripts.__qualname__ = name
    Transcripts.__module__ = served_class.__module__
    return Transcripts


def record(path, served_class):
    served = served_class()
    try:
        recording = Replay(path, served, record=True)
        recording.run()
    finally:
        served.stop()
    print("\n".join(recording.output))


def main(served_class):
    """unittest's main, or `--record FILE`."""
    if len(sys.argv) == 3 and sys.argv[1] == "--record":
        record(sys.argv[2], served_class)
    else:
        harness.main()
