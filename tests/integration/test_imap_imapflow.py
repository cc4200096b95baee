"""imapflow, a Node.js IMAP library from npm, against Tessera's IMAP service (issue 4): it finds
CONDSTORE and QRESYNC and enables them, and the server accepts every command it sends; after a
restart it resynchronises INBOX through SELECT (QRESYNC ...) and UID FETCH CHANGEDSINCE ...
VANISHED, hearing exactly the flag changes, the expunge and the new message that another client
made meanwhile, and STORE UNCHANGEDSINCE refuses to overwrite a newer change; an idling imapflow
client hears another client's append, flag change and expunge within a second.

The scripts are in js/ and report what imapflow told them as JSON; the assertions are here. The
npm packages are installed from js/package-lock.json into $TESSERA_BUILD_DIR/js (tools/lib/deps.sh,
tessera_js_deps; tools/test runs it before the suite, and so does this file if they are missing).
On failure the scripts print imapflow's protocol transcript to stderr, which is shown here."""
import json
import os
import re
import shutil
import subprocess
import unittest

import harness
from imap_served import Served

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEPS = os.path.join(os.path.abspath(harness.BUILD_DIR), "js")

ARRIVED = (b"From: Bob <bob@example.test>\r\nTo: ann@example.test\r\n"
           b"Subject: Arrived meanwhile\r\n\r\nHi\r\n")


def install_js_deps():
    """`npm ci` of js/package-lock.json into DEPS unless that lock is already installed there."""
    proc = subprocess.run(
        ["bash", "-c", 'source "$0/tools/lib/deps.sh" && tessera_js_deps "$1"', ROOT,
         os.path.abspath(harness.BUILD_DIR)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, TESSERA_ROOT=ROOT))
    if proc.returncode != 0:
        raise AssertionError(f"npm ci failed:\n{proc.stdout}{proc.stderr}")


class Imapflow(Served, unittest.TestCase):
    count = 6

    @classmethod
    def setUpClass(cls):
        if not shutil.which("node"):
            raise AssertionError("node not installed (tools/test installs nodejs)")
        install_js_deps()
        super().setUpClass()

    def node(self, script, *args):
        """Runs js/`script` against the fixture; returns its JSON report."""
        env = dict(os.environ, TESSERA_JS_DEPS=DEPS, IMAP_HOST="127.0.0.1",
                   IMAP_PORT=str(self.port), IMAP_USER="ann@example.test", IMAP_PASS="pw")
        proc = subprocess.run(["node", os.path.join(HERE, "js", script), *args],
                              capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(proc.returncode, 0, f"node {script} {' '.join(args)} failed:\n"
                         f"{proc.stderr}\n{proc.stdout}\n--- imap log ---\n{self.imap.output()}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def test_server_accepts_what_imapflow_sends(self):
        # A session as imapflow opens it: ID, AUTHENTICATE, NAMESPACE, ENABLE, LIST with RFC 9051
        # return options (IMAP4rev2 is advertised and enabled), SELECT, FETCH, LOGOUT. imapflow
        # falls back quietly after a BAD, but a BAD is a protocol error all the same.
        got = self.node("qresync.mjs", "snapshot")
        self.assertEqual(got["rejected"], [])

    def test_qresync_resynchronisation(self):
        snap = self.node("qresync.mjs", "snapshot")
        self.assertIn("CONDSTORE", snap["capabilities"])
        self.assertIn("QRESYNC", snap["capabilities"])
        self.assertIn("CONDSTORE", snap["enabled"])
        self.assertIn("QRESYNC", snap["enabled"])
        self.assertEqual([m["uid"] for m in snap["messages"]], [1, 2, 3, 4, 5, 6])
        modseq = int(snap["highestModseq"])
        self.assertTrue(all(0 < int(m["modseq"]) <= modseq for m in snap["messages"]), snap)

        # While the app is closed, another client reads 2, flags 3, expunges 5, and mail arrives.
        c = self.client()
        c.select("INBOX")
        c.uid("STORE", "2", "+FLAGS", "(\\Seen)")
        c.uid("STORE", "3", "+FLAGS", "(\\Flagged $Work)")
        c.uid("STORE", "5", "+FLAGS", "(\\Deleted)")
        self.assertEqual(c.expunge()[0], "OK")
        typ, data = c.append("INBOX", None, None, ARRIVED)
        new_uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
        c.logout()

        got = self.node("qresync.mjs", "resync", snap["uidValidity"], str(modseq), "2", "4")
        self.assertIn("QRESYNC", got["enabled"])
        select = got["select"]
        self.assertTrue(select["qresync"], select)  # UIDVALIDITY held: the answer is a delta
        self.assertEqual(select["exists"], 6)
        self.assertEqual(select["uidNext"], new_uid + 1)
        self.assertGreater(int(select["highestModseq"]), modseq)
        self.assertEqual(select["expunge"], [{"uid": 5, "vanished": True, "earlier": True}])
        flags = {e["uid"]: set(e["flags"]) for e in select["flags"]}
        # Exactly the messages changed since: 2 and 3 (the new one may be reported too).
        self.assertEqual(set(flags) - {new_uid}, {2, 3}, select["flags"])
        self.assertEqual(flags[2], {"\\Seen"})
        self.assertEqual(flags[3], {"\\Flagged", "$Work"})
        self.assertTrue(all(int(e["modseq"]) > modseq for e in select["flags"]), select["flags"])

        fetch = got["fetch"]  # UID FETCH 1:* (...) (CHANGEDSINCE modseq VANISHED)
        self.assertEqual({m["uid"]: m["subject"] for m in fetch["messages"]},
                         {2: "hello", 3: "hello", new_uid: "Arrived meanwhile"})
        self.assertEqual(fetch["expunge"], [{"uid": 5, "vanished": True, "earlier": True}])

        # STORE (UNCHANGEDSINCE old modseq): refused for 2 (changed since), done for 4.
        self.assertEqual(set(got["conditional"]["changed"]), {"\\Seen"})
        self.assertEqual(set(got["conditional"]["unchanged"]), {"$Conflict"})

    def test_idle_hears_changes_within_a_second(self):
        got = self.node("idle.mjs")
        before = got["exists_before"]
        for step in ("exists", "flags", "expunge"):
            self.assertTrue(got[step]["idling"], f"{step}: A was not idling: {got[step]}")
            self.assertIsNotNone(got[step]["ms"], f"{step}: not heard within 3 s: {got[step]}")
            self.assertLess(got[step]["ms"], 1000, f"{step}: {got[step]}")
        self.assertEqual(got["exists"]["event"]["count"], before + 1)
        self.assertEqual(got["exists"]["event"]["prevCount"], before)
        uid = got["exists"]["outcome"]["uid"]
        self.assertEqual(got["flags"]["event"]["uid"], uid)
        self.assertIn("\\Flagged", got["flags"]["event"]["flags"])
        # QRESYNC is on: the expunge comes as VANISHED with the UID, not EXPUNGE with a number.
        self.assertEqual(got["expunge"]["event"]["uid"], uid)
        self.assertTrue(got["expunge"]["event"]["vanished"])
        self.assertFalse(got["expunge"]["event"]["earlier"])
        self.assertTrue(got["still_idling"])


if __name__ == "__main__":
    harness.main()
