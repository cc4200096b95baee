"""Start-up failures end a service with one clear line and a non-zero status; configuration
comes from the YAML file with TESSERA_<SERVICE>_<KEY> overrides (issue 2 acceptance)."""
import os
import socket
import tempfile
import unittest

import harness


class StartupErrors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tessera-startup-")
        self.cert, self.key = harness.make_certificate(self.dir)

    def write(self, text):
        path = os.path.join(self.dir, "imap.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def config(self, imap_port=None, imaps_port=None, cert=None):
        return (f"listen:\n  imap: 127.0.0.1:{imap_port or harness.free_port()}\n"
                f"  imaps: 127.0.0.1:{imaps_port or harness.free_port()}\n"
                f"tls:\n  cert: {cert or self.cert}\n  key: {self.key}\n")

    def assert_one_line_failure(self, args, env=None, must_contain=()):
        status, output = harness.run_once("imap", args, env=env)
        lines = [l for l in output.splitlines() if l.strip()]
        self.assertNotEqual(status, 0, output)
        self.assertEqual(len(lines), 1, f"want one line, got:\n{output}")
        for text in must_contain:
            self.assertIn(text, lines[0])
        return lines[0]

    def test_malformed_yaml_names_file_and_line(self):
        path = self.write("listen:\n  imap: [unclosed\n")
        line = self.assert_one_line_failure(["--config", path], must_contain=[path])
        self.assertRegex(line, r"imap\.yaml:\d+:\d+")

    def test_unknown_key_is_named(self):
        path = self.write(self.config() + "limits:\n  max_lien: 10KiB\n")
        self.assert_one_line_failure(["--config", path], must_contain=["limits.max_lien"])

    def test_bad_value_from_environment_names_key_and_variable(self):
        path = self.write(self.config())
        self.assert_one_line_failure(
            ["--config", path], env={"TESSERA_IMAP_LIMITS_MAX_LINE": "lots"},
            must_contain=["limits.max_line", "TESSERA_IMAP_LIMITS_MAX_LINE", "lots"])

    def test_missing_certificate_names_the_file(self):
        missing = os.path.join(self.dir, "nope.pem")
        path = self.write(self.config(cert=missing))
        self.assert_one_line_failure(["--config", path], must_contain=[missing, "tls.cert"])

    def test_port_in_use_names_the_key(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            path = self.write(self.config(imaps_port=port))
            self.assert_one_line_failure(["--config", path],
                                         must_contain=[f"127.0.0.1:{port}", "listen.imaps"])

    def test_missing_config_file(self):
        missing = os.path.join(self.dir, "absent.yaml")
        self.assert_one_line_failure(["--config", missing], must_contain=[missing])

    def test_unknown_option(self):
        self.assert_one_line_failure(["--frobnicate"], must_contain=["--frobnicate"])

    def test_environment_overrides_file(self):
        port = harness.free_port()
        path = self.write(self.config())
        status, output = harness.run_once(
            "imap", ["--config", path, "--print-config"],
            env={"TESSERA_IMAP_LISTEN_IMAPS": f"127.0.0.1:{port}"})
        self.assertEqual(status, 0, output)
        line = next(l for l in output.splitlines() if l.startswith("listen.imaps"))
        self.assertIn(f"127.0.0.1:{port}", line)
        self.assertIn("TESSERA_IMAP_LISTEN_IMAPS", line)

    def test_config_doc_lists_every_key(self):
        status, output = harness.run_once("imap", ["--config-doc"])
        self.assertEqual(status, 0, output)
        for key in ("listen.imaps", "tls.cert", "limits.connections_per_ip", "proxy.trusted",
                    "log.format", "drain.timeout"):
            self.assertIn(key, output)


if __name__ == "__main__":
    harness.main()
