"""Inbound.Deliver (proto/tessera/inbound/v1): the pipeline for the relay and the poller, over
gRPC. Each recipient gets its own outcome, the message lands byte-exact with trace fields, and a
retry with the same idempotency key stores nothing new."""
import os
import subprocess
import unittest

import harness
import smtp_served


def tool():
    return os.path.join(harness.BUILD_DIR, "tests", "inbound-deliver")


class InboundDeliver(smtp_served.Served, unittest.TestCase):
    @classmethod
    def smtpd_settings(cls):
        cls.grpc_port = harness.free_port()
        cls.metrics_port = harness.free_port()
        settings = super().smtpd_settings()
        settings["grpc"] = {"listen": f"127.0.0.1:{cls.grpc_port}"}
        settings["metrics"] = {"listen": f"127.0.0.1:{cls.metrics_port}"}
        return settings

    def deliver(self, message, *rcpts, key=None, protocol=None):
        path = os.path.join(self.dir, "inbound.eml")
        with open(path, "wb") as f:
            f.write(message)
        args = [tool(), "--to", f"127.0.0.1:{self.grpc_port}", "--from", "sender@remote.example"]
        for rcpt in rcpts:
            args += ["--rcpt", rcpt]
        if key:
            args += ["--key", key]
        if protocol:
            args += ["--protocol", protocol]
        args.append(path)
        harness.wait_for_port(self.grpc_port, self.smtpd.proc)
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout.splitlines()

    def test_outcomes_per_recipient_and_byte_exact_delivery(self):
        message = b"From: x@remote.example\r\nSubject: via gRPC\r\n\r\n.leading dot kept\r\n"
        before = len(self.messages("bob@example.test"))
        lines = self.deliver(message, "bob@example.test", "nobody@example.test",
                             "x@foreign.example", protocol="ESMTPSA")
        self.assertTrue(lines[0].startswith("250 2.0.0 Ok: queued as"), lines)
        self.assertTrue(lines[1].startswith("550 5.1.1"), lines)
        self.assertTrue(lines[2].startswith("554 5.7.1"), lines)
        stored = self.messages("bob@example.test")
        self.assertEqual(len(stored), before + 1)
        self.assertEqual(self.body_of(stored[-1]), message)
        self.assertIn(b"Return-Path: <sender@remote.example>\r\n", stored[-1])
        self.assertIn(b"with ESMTPSA id", stored[-1])

    def test_retry_with_the_same_key_stores_one_copy(self):
        message = b"Subject: once\r\n\r\nonly once\r\n"
        before = len(self.messages())
        first = self.deliver(message, "ann@example.test", key="poller-42")
        second = self.deliver(message, "ann@example.test", key="poller-42")
        self.assertTrue(first[0].startswith("250"), first)
        self.assertTrue(second[0].startswith("250"), second)
        self.assertEqual(len(self.messages()), before + 1)

    def test_metrics_count_recipients_by_result(self):
        self.deliver(b"Subject: counted\r\n\r\nx\r\n", "bob@example.test", "nobody@example.test")
        import urllib.request
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                      timeout=10).read().decode()
        lines = [line for line in text.splitlines() if line.startswith("tessera_smtp_")]
        def value(listener, result):
            for line in lines:
                if f'listener="{listener}"' in line and f'result="{result}"' in line:
                    return float(line.rsplit(" ", 1)[1])
            return 0.0
        self.assertGreaterEqual(value("inbound", "delivered"), 1, lines)
        self.assertGreaterEqual(value("inbound", "unknown_user"), 1, lines)
        self.assertTrue(any(l.startswith("tessera_smtp_received_bytes_total") for l in lines))


if __name__ == "__main__":
    harness.main()
