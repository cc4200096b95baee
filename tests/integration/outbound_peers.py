"""The Internet of the relay's outbound tests, on loopback: a DNS server with a test zone
(Debian's dnsmasq) and remote MX hosts (Postfix's smtp-sink), started by the test.

* `DnsZone`: dnsmasq on a free 127.0.0.1 port, answering only from its command line (no
  /etc/hosts, no upstream: nothing leaves the machine). MX and A/AAAA records are given as
  `mx=[(domain, host, preference)]` and `hosts={host: [address, ...]}`.
* `Sink`: smtp-sink on `address:port` that takes any mail and dumps each transaction into a file
  of its own (its X-Rcpt-Args lines say who it was for); `hard`/`soft` make it refuse a command
  with 5xx/4xx; `wait=".:1"` makes it wait a second before answering the final dot (the
  message is already dumped then: a client that dies meanwhile never hears the 250). Several
  sinks share one port on different 127.0.0.x addresses, since the relay has one remote SMTP
  port (`delivery.port`).
"""
import os
import shutil
import subprocess
import tempfile
import time

import harness
import smtp_peers

DNSMASQ = "/usr/sbin/dnsmasq"


def missing():
    """Why the outbound tests cannot run here (for unittest.SkipTest), or None."""
    if not os.access(DNSMASQ, os.X_OK):
        return "dnsmasq is not installed (Debian dnsmasq-base)"
    return smtp_peers.ensure_postfix()


def has_ipv6_loopback():
    import socket
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_udp_port():
    import socket
    while True:
        port = harness.free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class DnsZone:
    def __init__(self, mx=(), hosts=None):
        self.port = free_udp_port()
        # --local: every name under .test is answered here, unknown ones with NXDOMAIN.
        args = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--no-poll", "--bind-interfaces", "--listen-address=127.0.0.1",
                f"--port={self.port}", "--log-facility=-", "--cache-size=0", "--local=/test/"]
        if os.geteuid() == 0:
            args.append("--user=root")
        for domain, host, preference in mx:
            args.append(f"--mx-host={domain},{host},{preference}")
        for host, addresses in (hosts or {}).items():
            args.append(f"--host-record={host},{','.join(addresses)}")
        self.args = args
        self.proc = None

    @property
    def server(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        time.sleep(0.3)
        if self.proc.poll() is not None:
            raise AssertionError("dnsmasq failed: " + self.proc.stderr.read().decode())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Sink:
    def __init__(self, address="127.0.0.1", port=None, hard=(), soft=(), wait=None):
        self.address = address
        self.port = port or harness.free_port()
        self.dir = tempfile.mkdtemp(prefix="tessera-sink-")
        os.chmod(self.dir, 0o777)  # as root, smtp-sink runs as nobody
        self.hard, self.soft, self.wait = hard, soft, wait
        self.proc = None

    def start(self):
        args = [smtp_peers.tool("smtp-sink")]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        if self.hard:
            args += ["-f", ",".join(self.hard)]
        if self.soft:
            args += ["-r", ",".join(self.soft)]
        if self.wait:
            args += ["-W", self.wait]
        where = f"[{self.address}]" if ":" in self.address else self.address
        args += ["-d", os.path.join(self.dir, "%H%M%S."), f"{where}:{self.port}", "50"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not self._wait():
            raise AssertionError(f"smtp-sink did not listen on {self.address}:{self.port}")
        return self

    def _wait(self, timeout=10.0):
        import socket
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection((self.address, self.port), 0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def received(self):
        """The dumped transactions, oldest first, as bytes."""
        out = []
        for name in sorted(os.listdir(self.dir)):
            with open(os.path.join(self.dir, name), "rb") as f:
                dump = f.read()
            if dump:  # smtp-sink makes the file at MAIL and writes it at the final dot
                out.append(dump)
        return out

    def wait_received(self, count, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.received()
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def message_of(dump):
    """The message in an smtp-sink dump: without smtp-sink's X-* records and its three-line
    Received, CRLF line ends as on the wire, without the dump's final empty line."""
    lines = dump.split(b"\n")
    while lines and lines[0].startswith(b"X-"):
        lines.pop(0)
    if lines and lines[0].startswith(b"Received: from"):
        lines = lines[3:]
    if lines and lines[-1] == b"":
        lines.pop()
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line.rstrip(b"\r") + b"\r\n" for line in lines)


def rcpts_of(dump):
    return [line[len(b"X-Rcpt-Args: "):].decode() for line in dump.split(b"\n")
            if line.startswith(b"X-Rcpt-Args: ")]
