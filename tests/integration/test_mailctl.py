"""mailctl against a real tessera-store (issue 3): every command an operator uses, its --json
output, and the one-line errors with their exit codes (1 refused, 2 usage, 3 unreachable)."""
import json
import os
import subprocess
import tempfile
import unittest

import harness


def mailctl_binary():
    return os.path.join(harness.BUILD_DIR, "tools", "mailctl", "mailctl")


class Mailctl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tessera-mailctl-")
        cls.port = harness.free_port()
        cls.store = harness.Service("store", {
            "grpc": {"listen": f"127.0.0.1:{cls.port}"},
            "data": {"path": os.path.join(cls.dir, "data")},
        }, wait_ports=(cls.port,)).start()

    @classmethod
    def tearDownClass(cls):
        cls.store.stop()

    def run_ctl(self, *args, stdin=None, store=None):
        proc = subprocess.run([mailctl_binary(), "--store", store or f"127.0.0.1:{self.port}",
                               *args], input=stdin, capture_output=True, text=True, timeout=30)
        return proc.returncode, proc.stdout, proc.stderr

    def ok(self, *args, stdin=None):
        code, out, err = self.run_ctl(*args, stdin=stdin)
        self.assertEqual(code, 0, err)
        return out, err

    def test_account_lifecycle(self):
        self.ok("domain", "add", "life.test")
        out, err = self.ok("account", "add", "ann@life.test", "--name", "Ann",
                           "--password-stdin", stdin="s3cret\n")
        self.assertIn("added account ann@life.test", out)
        self.assertEqual(err, "")  # no generated password when one was given
        out, err = self.ok("account", "add", "bob@life.test")
        self.assertRegex(err, r"^password: \S{16}\n$")  # generated, printed once
        out, _ = self.ok("--json", "account", "list", "life.test")
        accounts = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([a["login"] for a in accounts], ["ann@life.test", "bob@life.test"])
        self.assertEqual(accounts[0]["display_name"], "Ann")
        self.ok("alias", "add", "ann@life.test", "sales@life.test")
        out, _ = self.ok("alias", "list", "ann@life.test")
        self.assertEqual(out, "sales@life.test\n")
        self.ok("alias", "remove", "ann@life.test", "sales@life.test")
        out, _ = self.ok("--json", "quota", "set", "ann@life.test", "2GiB")
        self.assertEqual(json.loads(out)["limit_bytes"], str(2 * 1024 ** 3))
        out, _ = self.ok("mailbox", "list", "ann@life.test")
        self.assertEqual([l.split("  ")[0] for l in out.splitlines()],
                         ["INBOX", "Sent", "Drafts", "Trash", "Spam?", "Templates"])
        self.ok("account", "passwd", "ann@life.test", "--password-stdin", stdin="new\n")
        out, _ = self.ok("account", "disable", "ann@life.test")
        self.assertIn("disabled", out)
        self.ok("account", "remove", "bob@life.test")
        out, _ = self.ok("account", "list", "life.test")
        self.assertNotIn("bob@", out)

    def test_errors_are_one_line_with_exit_codes(self):
        code, _, err = self.run_ctl("account", "add", "x@nowhere.test")
        self.assertEqual(code, 1)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("nowhere.test is not hosted", err)
        self.assertIn("mailctl domain add nowhere.test", err)
        self.ok("domain", "add", "dup.test")
        code, _, err = self.run_ctl("domain", "add", "DUP.test")
        self.assertEqual((code, len(err.splitlines())), (1, 1), err)
        self.assertIn("hosted already", err)
        code, _, err = self.run_ctl("account", "add", "bad address")
        self.assertEqual(code, 1)
        code, _, err = self.run_ctl("frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("unknown command", err)
        code, _, err = self.run_ctl("domain", "list", store=f"127.0.0.1:{harness.free_port()}")
        self.assertEqual(code, 3)
        self.assertIn("cannot reach the store", err)
        self.assertEqual(len(err.splitlines()), 1)


if __name__ == "__main__":
    harness.main()
