"""Real SMTP peers for the SMTP integration tests, run by the test itself on 127.0.0.1 high ports.

* `PostfixMTA`: a Debian Postfix 3.7 instance from its own config, queue and data directories in
  a temporary directory (the system /etc/postfix/main.cf is never read or touched). It accepts
  mail from 127.0.0.0/8 on its own smtpd port and relays everything to `[127.0.0.1]:<target>`
  with opportunistic STARTTLS, no DNS at all. Its log is `maillog` in its directory.
* `run_smtp_source()`: Postfix's smtp-source load generator; `queued_ids()` collects the
  "queued as" IDs from its -v output; `smtp_source_payload()` is the body it sends.
* `ensure_postfix()`: installs the Debian package (postfix brings smtp-source/smtp-sink) when
  missing; tests call it in setUpClass and skip only when it cannot be had.

`postfix start` must run as root (the master drops to the `postfix` user).
"""
import os
import pwd
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

import harness

SBIN = "/usr/sbin"


def tool(name):
    """Path of a Postfix program (they live in /usr/sbin, which a test's PATH may lack)."""
    found = shutil.which(name)
    if found:
        return found
    path = os.path.join(SBIN, name)
    return path if os.access(path, os.X_OK) else None


def _missing():
    missing = [name for name in ("postfix", "postqueue", "smtp-source", "smtp-sink")
               if not tool(name)]
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        missing.append("user postfix")
    return missing


def ensure_postfix():
    """None when Postfix and smtp-source are usable, installing Debian's `postfix` package if
    needed; otherwise the reason (for unittest.SkipTest)."""
    if not _missing():
        return None
    if os.geteuid() != 0:
        return f"Postfix missing ({', '.join(_missing())}) and not root to apt-get install postfix"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # No debconf question, no /etc/postfix/main.cf: the instances here bring their own config.
    subprocess.run(["debconf-set-selections"],
                   input="postfix postfix/main_mailer_type select No configuration\n",
                   text=True, capture_output=True, env=env)
    install = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q",
               "--no-install-recommends", "postfix"]
    log = ""
    for attempt in range(2):
        try:
            if attempt:  # a stale or missing package list: refresh once
                run = subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"],
                                     capture_output=True, text=True, env=env, timeout=900)
                log += run.stdout[-1000:] + run.stderr[-1000:]
            run = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
            log += run.stdout[-1000:] + run.stderr[-2000:]
        except (OSError, subprocess.TimeoutExpired) as e:
            log += str(e)
            continue
        if run.returncode == 0 and not _missing():
            return None
    return f"apt-get install postfix failed; missing {', '.join(_missing())}:\n{log[-2000:]}"


def _postfix(config_dir, *args, timeout=60):
    """Runs `postfix -c DIR ARGS`. Without a tty it prints nothing on failure, so a failure is
    re-run under script(1) to get the reason on a pseudo-terminal."""
    cmd = [tool("postfix"), "-c", config_dir, *args]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if run.returncode == 0:
        return 0, run.stdout + run.stderr
    out = run.stdout + run.stderr
    if shutil.which("script") and args and args[0] == "check":
        again = subprocess.run(["script", "-qc", " ".join(cmd), "/dev/null"], capture_output=True,
                               text=True, timeout=timeout)
        out += again.stdout + again.stderr
    return run.returncode, out


MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class PostfixMTA:
    """A sending MTA: mail injected on `port` (from 127.0.0.0/8) is relayed to
    [127.0.0.1]:target_port, with STARTTLS when the target offers it (smtp_tls_security_level =
    may, no certificate check) and plain SMTP otherwise. Mail for `discard_domains` (the
    senders' domains) is discarded by Postfix itself, so bounces never leave it."""

    def __init__(self, target_port, myhostname="relay.peer.test", discard_domains=("remote.test",),
                 main_cf_extra=None):
        self.target_port = target_port
        self.myhostname = myhostname
        self.dir = tempfile.mkdtemp(prefix="tessera-postfix-")
        os.chmod(self.dir, 0o755)  # postlogd and the daemons run as `postfix`
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "spool")
        self.data_dir = os.path.join(self.dir, "data")
        self.maillog = os.path.join(self.dir, "maillog")
        self.port = harness.free_port()
        self.started = False
        transport = ", ".join(f"{d}=discard:" for d in discard_domains)
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.dir,  # maillog_file must lie under one of these
            "myhostname": myhostname,
            "mydomain": "peer.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "relay_domains": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            # Leave the submitted headers alone (no canonicalisation of From:/To:).
            "local_header_rewrite_clients": "",
            # No DNS anywhere: no PTR lookups of clients, IP literal next hop, native lookups.
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "smtp_bind_address": "127.0.0.1",
            "relayhost": f"[127.0.0.1]:{target_port}",
            "transport_maps": f"inline:{{{transport}}}" if discard_domains else "",
            "smtp_tls_security_level": "may",
            "smtp_tls_loglevel": "1",  # logs "... TLS connection established to ...: TLSv1.3 ..."
            # Retry a deferred message within seconds, not minutes.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
        }
        settings.update(main_cf_extra or {})
        self.settings = settings

    # --- life cycle

    def start(self):
        for d in (self.config_dir, self.queue_dir, self.data_dir):
            os.makedirs(d, exist_ok=True)
        postfix_user = pwd.getpwnam("postfix")
        os.chown(self.data_dir, postfix_user.pw_uid, postfix_user.pw_gid)  # master.lock lives here
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for key, value in self.settings.items():
                f.write(f"{key} = {value}\n")
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        status, out = _postfix(self.config_dir, "check")  # also creates the queue directories
        if status != 0:
            raise AssertionError(f"postfix check failed ({status}):\n{out}\n{self.log_tail()}")
        status, out = _postfix(self.config_dir, "start")
        if status != 0:
            raise AssertionError(f"postfix start failed ({status}):\n{out}\n{self.log_tail()}")
        self.started = True
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"Postfix did not listen on 127.0.0.1:{self.port}\n{self.log_tail()}")

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, timeout=15):
        if not self.started:
            return
        self.started = False
        pid = self.master_pid()
        _postfix(self.config_dir, "stop")
        deadline = time.monotonic() + timeout
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        if pid:  # our own master did not stop: abort it (its children follow)
            _postfix(self.config_dir, "abort")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- mail

    def send(self, raw, mail_from, rcpts, helo="client.remote.test"):
        """Submits raw (CRLF) bytes over SMTP to this Postfix; returns Postfix's queue ID.
        8-bit content goes with BODY=8BITMIME."""
        options = ["BODY=8BITMIME"] if any(b > 127 for b in raw) else []
        with smtplib.SMTP("127.0.0.1", self.port, local_hostname=helo, timeout=30) as s:
            s.ehlo(helo)
            code, reply = s.mail(mail_from, options)
            if code != 250:
                raise AssertionError(f"Postfix MAIL FROM: {code} {reply!r}")
            for rcpt in rcpts:
                code, reply = s.rcpt(rcpt)
                if code not in (250, 251):
                    raise AssertionError(f"Postfix RCPT TO:<{rcpt}>: {code} {reply!r}")
            code, reply = s.data(raw)
            if code != 250:
                raise AssertionError(f"Postfix DATA: {code} {reply!r}")
        match = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
        if not match:
            raise AssertionError(f"no queue ID in Postfix's reply {reply!r}")
        return match.group(1).decode()

    def queue_listing(self):
        run = subprocess.run([tool("postqueue"), "-c", self.config_dir, "-p"], capture_output=True,
                             text=True, timeout=30)
        return run.stdout + run.stderr

    def flush(self):
        """Retries the deferred queue now (`postqueue -f`)."""
        subprocess.run([tool("postqueue"), "-c", self.config_dir, "-f"], capture_output=True,
                       timeout=30)

    def wait_queue_empty(self, timeout=30.0):
        """Waits until every message left the queue (delivered, bounced or discarded)."""
        deadline = time.monotonic() + timeout
        while True:
            listing = self.queue_listing()
            if "Mail queue is empty" in listing:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"Postfix queue not empty after {timeout}s:\n{listing}\n"
                                     f"{self.log_tail()}")
            time.sleep(0.2)

    # --- log

    def log(self):
        try:
            with open(self.maillog, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=40):
        tail = "\n".join(self.log().splitlines()[-lines:])
        return f"--- {self.maillog} (last {lines} lines):\n{tail}"

    def deliveries(self, queue_id):
        """{recipient: (status, the rest of the line)} from the maillog lines of one queue ID, e.g.
        {"ann@example.test": ("sent", "... status=sent (250 2.0.0 Ok: queued as X)")}."""
        out = {}
        for line in self.log().splitlines():
            m = re.search(rf"\b{re.escape(queue_id)}: to=<([^>]*)>,.*\bstatus=(\w+)", line)
            if m:
                out[m.group(1)] = (m.group(2), line)
        return out

    def tls_lines(self):
        """Log lines of the smtp client's TLS handshakes to the target."""
        target = f"to 127.0.0.1[127.0.0.1]:{self.target_port}:"
        return [line for line in self.log().splitlines()
                if "TLS connection established" in line and target in line]


# --- smtp-source

# -v prints one line per server reply, the sessions' lines interleaved:
#   smtp-source: <<< 250 2.0.0 Ok: queued as X
QUEUED = re.compile(r"^(?:\S*/)?smtp-source: <<< 250[ -].*?\bqueued as (\S+)\s*$", re.M)


def run_smtp_source(args, timeout=60):
    """Runs smtp-source with `args` (add -v to see replies); returns (exit status, its stdout and
    stderr). A run still going after `timeout` seconds is killed (status None), and what it
    printed until then is returned. smtp-source exits 1 at the first lost connection (all its
    sessions), and at the first 4xx/5xx reply unless given -A."""
    proc = subprocess.Popen(["smtp-source", *args], executable=tool("smtp-source"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        status = None
    return status, out.decode(errors="replace")


def queued_ids(output):
    """Every ID that a 250 reply to the end of data named in smtp-source -v output."""
    return QUEUED.findall(output)


def smtp_source_payload(length):
    """The body smtp-source -l LENGTH sends after its headers: LENGTH bytes of 'X' cut into lines of
    78 + CRLF, each line starting with its number mod 10 except the rest after the last full
    line, then the CRLF that ends the data."""
    data = bytearray(b"X" * length)
    for i in range(80, length, 80):
        data[i - 80] = ord("0123456789"[(i // 80) % 10])
        data[i - 2:i] = b"\r\n"
    return bytes(data) + b"\r\n"


def smtp_source_message(mail_from, rcpt, helo):
    """A regex for a whole message smtp-source sends (without -S/-o/-F): its four headers, the
    blank line, and the payload (group "payload")."""
    return re.compile(
        rb"From: <" + re.escape(mail_from.encode()) + rb">\r\n"
        rb"To: <" + re.escape(rcpt.encode()) + rb">\r\n"
        rb"Date: [^\r\n]+\r\n"
        rb"Message-Id: <[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+@" + re.escape(helo.encode()) + rb">\r\n"
        rb"\r\n(?P<payload>.*)\Z", re.S)
