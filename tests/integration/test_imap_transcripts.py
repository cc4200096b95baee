"""Replays the golden IMAP transcripts of tests/protocol/imap/*.txt (format: the README.md
there) against a store and an imap service on loopback, with transcripts.py. One test per
transcript; each runs on an account of its own, so the transcripts do not depend on each other.

`python3 test_imap_transcripts.py --record FILE` replays FILE and prints it back with the lines
the server sent instead of the expected ones (patterns that still match are kept): a start for a
new transcript, whose every reply must then be checked against the RFC by hand."""
import os

import harness
import transcripts

TRANSCRIPTS = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol", "imap"))


class Served(transcripts.Served):
    """imaps by default; `@listener imap` for the STARTTLS port."""

    default_listener = "imaps"

    def start_front_end(self, cert, key):
        imap_port, imaps_port = harness.free_port(), harness.free_port()
        self.listeners = {"imap": (imap_port, False), "imaps": (imaps_port, True)}
        return harness.Service("imap", {
            "listen": {"imap": f"127.0.0.1:{imap_port}", "imaps": f"127.0.0.1:{imaps_port}"},
            "tls": {"cert": cert, "key": key},
            "store": {"address": self.store_address},
        }, wait_ports=(imap_port, imaps_port)).start()


ImapTranscripts = transcripts.test_class("ImapTranscripts", TRANSCRIPTS, Served)

if __name__ == "__main__":
    transcripts.main(Served)
