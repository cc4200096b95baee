"""Each service README carries its configuration table exactly as the binary documents it
(`--config-doc`), so the README stays true when keys change."""
import os
import subprocess
import unittest

import harness

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVICES = {"imap": "imap", "store": "store", "smtpd": "smtp-in", "relayd": "relay",
            "pop3d": "pop3"}  # binary name: folder


class ReadmeConfig(unittest.TestCase):
    def test_readme_tables_match_binaries(self):
        for service, folder in SERVICES.items():
            with self.subTest(service=service):
                doc = subprocess.run([harness.binary(service), "--config-doc"],
                                     capture_output=True, check=True, text=True).stdout
                with open(os.path.join(ROOT, "services", folder, "README.md")) as f:
                    readme = f.read()
                missing = [line for line in doc.splitlines() if line not in readme]
                self.assertEqual(missing, [], f"services/{folder}/README.md is stale; "
                                 f"paste `tessera-{service} --config-doc` into it")


if __name__ == "__main__":
    harness.main()
