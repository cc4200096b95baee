"""Replays the golden POP3 transcripts of tests/protocol/pop3/*.txt (the format:
tests/protocol/imap/README.md; what is POP3's own: tests/protocol/pop3/README.md) against a
store and tessera-pop3d on loopback, with transcripts.py. One test per transcript, each on an
account of its own.

`python3 test_pop3_transcripts.py --record FILE` prints FILE back with the lines the server
sent, a start for a new transcript whose every reply must then be checked against the RFC."""
import os

import harness
import transcripts

TRANSCRIPTS = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol", "pop3"))


class Served(transcripts.Served):
    """pop3s by default; `@listener pop3` for the STLS port."""

    default_listener = "pop3s"

    def start_front_end(self, cert, key):
        pop3_port, pop3s_port = harness.free_port(), harness.free_port()
        self.listeners = {"pop3": (pop3_port, False), "pop3s": (pop3s_port, True)}
        return harness.Service("pop3d", {
            "listen": {"pop3": f"127.0.0.1:{pop3_port}", "pop3s": f"127.0.0.1:{pop3s_port}"},
            "tls": {"cert": cert, "key": key},
            "store": {"address": self.store_address},
        }, wait_ports=(pop3_port, pop3s_port)).start()


Pop3Transcripts = transcripts.test_class("Pop3Transcripts", TRANSCRIPTS, Served)

if __name__ == "__main__":
    transcripts.main(Served)
