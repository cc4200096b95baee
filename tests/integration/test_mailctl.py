"""mailctl against a real tessera-store (issue 3): every command an operator uses, its --json
output, and the one-line errors with their exit codes (1 refused, 2 usage, 3 unreachable)."""
import base64
import json
import os
import re
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

    def test_account_limits(self):
        self.ok("domain", "add", "limits.test")
        self.ok("account", "add", "ann@limits.test", "--password-stdin", stdin="pw\n")
        out, _ = self.ok("account", "show", "ann@limits.test")
        self.assertIn("  messages/hour default  recipients/message default", out)
        out, _ = self.ok("account", "limits", "ann@limits.test", "--messages-per-hour", "5000",
                         "--max-recipients", "2")
        self.assertRegex(out, r"^ann@limits\.test  id \d+  enabled  .*"
                              r"  messages/hour 5000  recipients/message 2  imap on  pop3 on\n$")
        out, _ = self.ok("--json", "account", "limits", "ann@limits.test",
                         "--max-recipients", "0")
        account = json.loads(out)
        self.assertEqual((account["messages_per_hour"], account["max_recipients"]), (5000, 0))
        out, _ = self.ok("account", "limits", "ann@limits.test")  # no option: shows them
        self.assertIn("messages/hour 5000  recipients/message default", out)
        out, _ = self.ok("--json", "account", "list", "limits.test")
        self.assertEqual(json.loads(out)["messages_per_hour"], 5000)

        code, _, err = self.run_ctl("account", "limits", "ann@limits.test",
                                    "--messages-per-hour", "1000001")
        self.assertEqual((code, len(err.splitlines())), (1, 1), err)
        self.assertIn("account limits ann@limits.test: messages_per_hour is at most 1000000", err)
        code, _, err = self.run_ctl("account", "limits", "ann@limits.test",
                                    "--max-recipients", "100001")
        self.assertEqual(code, 1, err)
        self.assertIn("max_recipients is at most 100000", err)
        for bad in ("-1", "ten", "", "4294967296"):
            code, _, err = self.run_ctl("account", "limits", "ann@limits.test",
                                        "--max-recipients", bad)
            self.assertEqual(code, 2, bad)
            self.assertIn("--max-recipients needs a whole number", err)
        code, _, err = self.run_ctl("account", "limits", "ann@limits.test", "--messages-per-hour")
        self.assertEqual(code, 2)
        code, _, err = self.run_ctl("account", "limits", "nobody@limits.test",
                                    "--messages-per-hour", "1")
        self.assertEqual(code, 1)
        out, _ = self.ok("--json", "account", "show", "ann@limits.test")
        self.assertEqual(json.loads(out)["messages_per_hour"], 5000)  # the refusals changed nothing

    def test_account_access(self):
        self.ok("domain", "add", "access.test")
        self.ok("account", "add", "ann@access.test", "--password-stdin", stdin="pw\n")
        out, _ = self.ok("account", "access", "ann@access.test")  # no option: shows it
        self.assertIn("  imap on  pop3 on", out)
        out, _ = self.ok("account", "access", "ann@access.test", "--pop3", "off")
        self.assertIn("  imap on  pop3 off", out)
        out, _ = self.ok("--json", "account", "access", "ann@access.test", "--imap", "off",
                         "--pop3", "on")
        self.assertTrue(json.loads(out)["imap_disabled"])
        self.assertFalse(json.loads(out)["pop3_disabled"])
        code, _, err = self.run_ctl("account", "access", "ann@access.test", "--imap", "maybe")
        self.assertEqual(code, 2)
        self.assertIn("--imap takes on or off", err)

    def zone_record(self, line):
        """(name, TXT text) of a zone line; checks the DNS limits the line must keep."""
        match = re.fullmatch(r'(\S+\.) IN TXT((?: "[^"\\]*")+)', line)
        self.assertIsNotNone(match, line)
        strings = re.findall(r'"([^"]*)"', match.group(2))
        for string in strings:
            self.assertLessEqual(len(string), 255)  # RFC 1035 §3.3.14
        return match.group(1), "".join(strings)

    def public_key(self, text, k):
        match = re.fullmatch(rf"v=DKIM1; k={k}; p=([A-Za-z0-9+/]+=*)", text)
        self.assertIsNotNone(match, text)
        return base64.b64decode(match.group(1), validate=True)

    def test_domain_signature(self):
        self.ok("domain", "add", "sig.test")
        text = os.path.join(self.dir, "sig.txt")
        with open(text, "w") as f:
            f.write("Sig Office \u2014 sig.test\n")
        out, _ = self.ok("domain", "signature", "sig.test", "--text-file", text)
        self.assertIn("mandatory signature (text):\nSig Office \u2014 sig.test\n", out)
        out, _ = self.ok("--json", "domain", "show", "sig.test")
        self.assertEqual(json.loads(out)["signature_text"], "Sig Office \u2014 sig.test\n")
        out, _ = self.ok("domain", "signature", "sig.test", "--clear")
        self.assertIn("mandatory signature: none", out)
        code, _, err = self.run_ctl("domain", "signature", "sig.test")
        self.assertEqual(code, 2, err)  # neither a text nor --clear
        with open(text, "wb") as f:
            f.write(b"\xff\xfe")
        code, _, err = self.run_ctl("domain", "signature", "sig.test", "--text-file", text)
        self.assertEqual(code, 1, err)
        self.assertIn("UTF-8", err)
        code, _, err = self.run_ctl("domain", "show", "nowhere.test")
        self.assertEqual(code, 1, err)

    def test_dkim_keys(self):
        self.ok("domain", "add", "dkim.test")
        out, _ = self.ok("dkim", "generate", "dkim.test")
        name, text = self.zone_record(out.rstrip("\n"))
        self.assertRegex(name, r"^rsa-\d{6}\._domainkey\.dkim\.test\.$")
        der = self.public_key(text, "rsa")
        described = subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-noout",
                                    "-text"], input=der, capture_output=True, check=True)
        self.assertIn(b"Public-Key: (2048 bit)", described.stdout)
        out, _ = self.ok("dkim", "generate", "dkim.test", "--algorithm", "ed25519",
                         "--selector", "Ed1")
        name, text = self.zone_record(out.rstrip("\n"))
        self.assertEqual(name, "ed1._domainkey.dkim.test.")
        self.assertEqual(len(self.public_key(text, "ed25519")), 32)  # RFC 8463 §4

        code, _, err = self.run_ctl("dkim", "generate", "dkim.test", "--selector", "ed1")
        self.assertEqual((code, len(err.splitlines())), (1, 1), err)
        self.assertIn("--replace", err)
        out, _ = self.ok("dkim", "generate", "dkim.test", "--selector", "ed1", "--replace")
        self.assertIn("k=rsa", out)

        out, _ = self.ok("dkim", "show", "dkim.test")
        selectors = [self.zone_record(line)[0].split(".")[0] for line in out.splitlines()]
        self.assertEqual(len(selectors), 2, out)
        self.assertEqual(selectors[0], "ed1")  # by selector
        self.assertRegex(selectors[1], r"^rsa-\d{6}$")
        out, _ = self.ok("--json", "dkim", "show", "dkim.test")
        keys = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([k["algorithm"] for k in keys], ["DKIM_ALGORITHM_RSA_SHA256"] * 2)
        self.assertEqual([k["private_key_pem"] for k in keys], ["", ""])  # never to mailctl

        code, _, err = self.run_ctl("dkim", "show", "nowhere.test")
        self.assertEqual(code, 1)
        self.assertIn("not hosted", err)
        code, _, err = self.run_ctl("dkim", "generate", "dkim.test", "--algorithm", "dsa")
        self.assertEqual(code, 2)
        self.ok("domain", "remove", "dkim.test")
        self.ok("domain", "add", "dkim.test")
        out, err = self.ok("dkim", "show", "dkim.test")
        self.assertEqual(out, "")  # the keys went with the domain
        self.assertIn("mailctl dkim generate dkim.test", err)

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
