"""libs/dkim's signatures checked by a verifier that shares no code with libopendkim: Debian's
python3-dkim (dkimpy; python3-nacl for ed25519), with our TXT record served by its dnsfunc hook
instead of DNS. Usage: verify_test.py PATH/TO/dkim-sign"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import dkim

DKIM_SIGN = None  # set from argv

MESSAGE = (b"Return-Path: <ann@example.org>\r\n"
           b"Received: from client.example.org by relay.example.org; "
           b"Mon, 13 Nov 2023 10:00:01 +0000\r\n"
           b"From: Ann <ann@example.org>\r\n"
           b"To: Bob <bob@remote.example>\r\n"
           b"Bcc: carol@remote.example\r\n"
           b"Subject: Lunch\r\n"
           b"Date: Mon, 13 Nov 2023 10:00:00 +0000\r\n"
           b"Message-ID: <lunch-1@example.org>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"\r\n"
           b"Noon at the usual place?\r\n"
           b"\r\n"
           b"-- \r\n"
           b"Ann\r\n")


class Key:
    """A key made by dkim-sign generate, and its record served as the only DNS answer."""

    def __init__(self, directory, algorithm, name="key"):
        self.algorithm = algorithm
        self.path = os.path.join(directory, f"{name}-{algorithm}.pem")
        out = subprocess.run([DKIM_SIGN, "generate", algorithm, "example.org", "s1", self.path],
                             check=True, capture_output=True)
        self.record = out.stdout.strip()

    def dns(self, name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return self.record if name.rstrip(".") == "s1._domainkey.example.org" else None

    def sign(self, message, chunk=0):
        return subprocess.run([DKIM_SIGN, "sign", self.algorithm, "example.org", "s1", self.path,
                               str(chunk)], input=message, check=True, capture_output=True).stdout

    def verify(self, message):
        return dkim.verify(message, dnsfunc=self.dns)


def signed_headers(signed):
    """The lower-cased names of h= in the DKIM-Signature field that starts `signed`."""
    lines = signed.split(b"\r\n")
    field = lines[0]
    for line in lines[1:]:
        if not line[:1].isspace():
            break
        field += line
    tags = dict(tag.strip().split(b"=", 1) for tag in field.split(b":", 1)[1].split(b";"))
    return [name.strip().lower() for name in tags[b"h"].split(b":")]


class Verify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tessera-dkim-")
        cls.keys = [Key(cls.dir, "rsa"), Key(cls.dir, "ed25519")]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_both_algorithms_verify(self):
        for key in self.keys:
            with self.subTest(key.algorithm):
                signed = key.sign(MESSAGE)
                self.assertTrue(signed.startswith(b"DKIM-Signature: v=1; a=" +
                                                  key.algorithm.encode() + b"-sha256;"))
                self.assertTrue(key.verify(signed))

    def test_tampering_fails(self):
        for key in self.keys:
            with self.subTest(key.algorithm):
                signed = key.sign(MESSAGE)
                self.assertFalse(key.verify(signed.replace(b"Noon", b"Nine")))
                self.assertFalse(key.verify(signed.replace(b"Subject: Lunch", b"Subject: Money")))
                added_from = signed.replace(b"\r\nSubject: Lunch",
                                            b"\r\nFrom: Mallory <ceo@example.org>\r\nSubject: Lunch")
                self.assertFalse(key.verify(added_from))
                other = Key(self.dir, key.algorithm, "other")
                self.assertFalse(dkim.verify(signed, dnsfunc=other.dns))

    def test_chunked_feed_verifies(self):
        for key in self.keys:
            for chunk in (1, 5, 4096):
                with self.subTest(key.algorithm, chunk=chunk):
                    self.assertTrue(key.verify(key.sign(MESSAGE, chunk)))

    def test_bare_lf_is_signed_as_crlf(self):
        for key in self.keys:
            with self.subTest(key.algorithm):
                signed = key.sign(MESSAGE.replace(b"\r\n", b"\n"), 7)
                self.assertTrue(key.verify(signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))

    def test_header_list(self):
        names = signed_headers(self.keys[1].sign(MESSAGE))
        self.assertEqual(names.count(b"from"), 2, names)
        for never in (b"return-path", b"received", b"bcc"):
            self.assertNotIn(never, names)
        for signed in (b"to", b"subject", b"date", b"message-id", b"mime-version",
                       b"content-type"):
            self.assertIn(signed, names)


if __name__ == "__main__":
    DKIM_SIGN = sys.argv.pop(1)
    unittest.main(verbosity=2)
