"""The store + imap fixture the IMAP integration tests share."""
import os
import subprocess
import tempfile

import harness


class Served:
    """A store with account ann@example.test (password "pw") holding `count` copies of
    `message`, and an imap service on it (implicit TLS on `port`)."""

    message = b"Subject: hello\r\n\r\nbody\r\n"
    count = 3
    imap_config = {}  # more keys for the imap service's configuration

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tessera-imap-")
        cls.cert, cls.key = harness.make_certificate(cls.dir)
        cls.store, store = harness.start_store(cls.dir)
        cls.store_address = store
        mailctl = [os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl"), "--store", store]
        subprocess.run(mailctl + ["domain", "add", "example.test"], check=True, capture_output=True)
        subprocess.run(mailctl + ["account", "add", "ann@example.test", "--password-stdin"],
                       input="pw\n", text=True, check=True, capture_output=True)
        if cls.count:
            message = os.path.join(cls.dir, "message.eml")
            with open(message, "wb") as f:
                f.write(cls.message)
            accounts = os.path.join(cls.dir, "accounts.txt")
            with open(accounts, "w") as f:
                f.write("1\n")
            load = os.path.join(harness.BUILD_DIR, "tools", "bench", "store", "tessera-store-load")
            subprocess.run([load, "append", "--store", store, "--accounts-file", accounts,
                            "--clients", "1", "--count", str(cls.count), "--file", message],
                           check=True, capture_output=True)
        cls.port = harness.free_port()
        cls.imap = harness.Service("imap", {
            "listen": {"imap": f"127.0.0.1:{harness.free_port()}",
                       "imaps": f"127.0.0.1:{cls.port}"},
            "tls": {"cert": cls.cert, "key": cls.key},
            "store": {"address": store},
            **cls.imap_config,
        }, wait_ports=(cls.port,)).start()

    @classmethod
    def tearDownClass(cls):
        cls.imap.stop()
        cls.store.stop()

    def raw_tls(self, timeout=10):
        """A TLS socket to the imap service with the greeting already read."""
        import socket
        tls = harness.client_tls_context().wrap_socket(
            socket.create_connection(("127.0.0.1", self.port)))
        tls.settimeout(timeout)
        harness.read_until(tls, b"\r\n")
        return tls

    def client(self):
        import imaplib
        c = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=harness.client_tls_context())
        c.login("ann@example.test", "pw")
        return c
