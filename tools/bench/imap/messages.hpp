// The benchmark's messages: a deterministic function of an index, so that Tessera and Dovecot
// are seeded with byte-identical mailboxes and every run sees the same data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tessera::bench {

// An RFC 5322 message with the headers an ENVELOPE is made of (Date, Subject, From, Sender,
// Reply-To on some, To, Cc, In-Reply-To on replies, Message-ID), CRLF line ends, 7-bit text.
// `size` 0 picks a size from the index: 1.5 KiB to 24 KiB, 8 KiB on average, like mail with
// text bodies; any other value is the size in bytes (at least the headers).
std::string make_message(std::uint64_t index, std::size_t size = 0);

}  // namespace tessera::bench
