"""Nothing acknowledged is lost (issue 3 acceptance, non-negotiable 2): several clients append
concurrently while the test kill -9s the store at random moments, several times. After the last
restart every UID the store acknowledged is present with its exact bytes, no UID was given to
two messages, and every counter (mailbox messages/unseen/size, UIDNEXT, account quota usage)
equals a full recount. The clients retry an interrupted Append with its idempotency key, so a
reply lost in the crash is recovered without a duplicate."""
import os
import random
import signal
import subprocess
import tempfile
import time
import unittest

import harness

KILLS = 6


def load_tool():
    return os.path.join(harness.BUILD_DIR, "tools", "bench", "store", "tessera-store-load")


class StoreCrash(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tessera-crash-")
        self.port = harness.free_port()
        self.store_addr = f"127.0.0.1:{self.port}"
        self.config = {
            "grpc": {"listen": self.store_addr},
            "data": {"path": os.path.join(self.dir, "data")},
            "metrics": {"listen": f"127.0.0.1:{harness.free_port()}"},
        }
        self.store = None

    def tearDown(self):
        if self.store and self.store.proc.poll() is None:
            self.store.proc.kill()
            self.store.proc.wait()

    def start_store(self):
        self.store = harness.Service("store", self.config, wait_ports=(self.port,)).start()

    def load(self, *args, timeout=300):
        return subprocess.run([load_tool(), *args, "--store", self.store_addr],
                              capture_output=True, text=True, timeout=timeout)

    def test_kill_9_loses_no_acknowledged_append(self):
        self.start_store()
        accounts = os.path.join(self.dir, "accounts.txt")
        setup = self.load("setup", "--accounts", "3", "--out", accounts)
        self.assertEqual(setup.returncode, 0, setup.stderr)
        log = os.path.join(self.dir, "acks")
        # 6 clients over 3 accounts (two writers contend for each account), ~4 KB messages,
        # bounded by count and by time.
        writer = subprocess.Popen(
            [load_tool(), "append", "--store", self.store_addr, "--accounts-file", accounts,
             "--clients", "6", "--count", "1500", "--seconds", "90", "--size", "4000",
             "--log", log], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rng = random.Random(int(os.environ.get("TESSERA_CRASH_SEED", "7")))
        mid_write = 0
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.5))
            mid_write += writer.poll() is None
            self.store.proc.send_signal(signal.SIGKILL)
            self.store.proc.wait()
            self.store.log.close()
            self.start_store()
        out, err = writer.communicate(timeout=240)
        self.assertEqual(writer.returncode, 0, err)
        acked = sum(1 for name in os.listdir(log) for _ in open(os.path.join(log, name)))
        self.assertGreater(acked, 100, out)
        self.assertGreaterEqual(mid_write, 3, "the writers finished before the kills")
        # One more kill right after the last acknowledgement: still nothing lost.
        self.store.proc.send_signal(signal.SIGKILL)
        self.store.proc.wait()
        self.store.log.close()
        self.start_store()
        verify = self.load("verify", "--log", log)
        self.assertEqual(verify.returncode, 0, verify.stderr + verify.stdout)
        self.assertIn('"problems": 0', verify.stdout)
        print(f"\n{KILLS + 1} kills ({mid_write} while appending), {acked} acknowledged appends: {verify.stdout.strip()}")


if __name__ == "__main__":
    harness.main()
