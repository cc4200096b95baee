"""Starts Tessera service binaries on loopback for integration tests and stops them.

Each test gets its own temporary directory (config, certificate, logs) and free ports, so tests
run in parallel under `ctest -j`. Only 127.0.0.1 is ever used.
"""
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

BUILD_DIR = os.environ.get("TESSERA_BUILD_DIR", "build")


# Services whose folder and binary names differ (services/smtp-in builds tessera-smtpd).
BINARY_PATHS = {"smtpd": ("smtp-in", "tessera-smtpd"), "relayd": ("relay", "tessera-relayd"),
                "pop3d": ("pop3", "tessera-pop3d")}


def binary(service):
    folder, name = BINARY_PATHS.get(service, (service, f"tessera-{service}"))
    return os.path.join(BUILD_DIR, "services", folder, name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(directory, name="cert"):
    """A self-signed EC certificate for localhost/127.0.0.1; returns (cert, key) paths."""
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    return cert, key


def client_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def read_until(sock, marker, timeout=10.0):
    """Reads from `sock` until `marker` has arrived; fails on EOF or after `timeout` seconds."""
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before {marker!r}; got {data!r}")
        data += chunk
    return data


def wait_for_port(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def to_yaml(mapping, indent=0):
    """Nested dicts of scalars to YAML (enough for service configs; avoids a PyYAML dependency)."""
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            lines.append(" " * indent + f"{key}:")
            lines.append(to_yaml(value, indent + 2))
        else:
            lines.append(" " * indent + f"{key}: {value}")
    return "\n".join(lines)


class Service:
    """One service process: `with Service(...) as svc:` starts it and waits for `wait_ports`."""

    def __init__(self, name, config, wait_ports=(), env=None, config_text=None):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"tessera-{name}-")
        self.config_path = os.path.join(self.dir, f"{name}.yaml")
        with open(self.config_path, "w") as f:
            f.write(config_text if config_text is not None else to_yaml(config) + "\n")
        self.wait_ports = wait_ports
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.dir, "stderr.log")

    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary(self.name), "--config", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        for port in self.wait_ports:
            if not wait_for_port(port, self.proc):
                raise AssertionError(f"{self.name} did not listen on {port}:\n{self.output()}")
        return self

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not stop within {timeout}s on SIGTERM")
        finally:
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()


def start_store(directory):
    """A store with its database under `directory`, gRPC on a free loopback port: (the started
    Service, its "127.0.0.1:port" address)."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    store = Service("store", {
        "grpc": {"listen": address},
        "data": {"path": os.path.join(directory, "data")},
    }, wait_ports=(port,)).start()
    return store, address


def run_once(service, args, env=None, timeout=20):
    """Runs a service binary that is expected to exit; returns (status, combined output)."""
    proc = subprocess.run([binary(service)] + args, capture_output=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")


def main():
    unittest.main(verbosity=2)
