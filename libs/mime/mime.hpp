// libs/mime: what IMAP, POP3 and ActiveSync need to know about a raw RFC 5322 message, computed
// once when the store first sees its content (issue 3 "derived data"). Pure functions over bytes:
// no I/O, no exceptions out, linear time, bounded depth. Malformed input never fails: it gives
// what could be understood (README.md, "degradation rules").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tessera::mime {

// One mailbox of an address header (RFC 5322 §3.4), shaped for IMAP's ENVELOPE.
struct Address {
  std::string name;        // display name, RFC 2047 decoded to UTF-8
  std::string raw_name;    // display name as written (encoded words kept, quotes removed)
  std::string local_part;  // IMAP addr-mailbox
  std::string domain;      // IMAP addr-host
  std::string group;       // the RFC 5322 group this mailbox is in ("" = none)
  std::string route;       // obsolete source route "@a,@b" (RFC 5322 §4.4): IMAP addr-adl
};

// The IMAP ENVELOPE fields (RFC 9051 §7.5.2).
struct Envelope {
  std::string date;               // as written, unfolded
  std::int64_t date_unix_ms = 0;  // RFC 5322 §3.3 (and §4.3 obsolete forms); 0 if unparsable
  std::string subject;            // RFC 2047 decoded, UTF-8
  std::string raw_subject;        // as written, unfolded
  std::vector<Address> from, sender, reply_to, to, cc, bcc;
  std::string in_reply_to;  // header value as written
  std::string message_id;   // header value as written
};

struct Parameter {
  std::string name;   // lower case
  std::string value;  // UTF-8; RFC 2231 continuations joined and decoded
};

struct EnclosedMessage;

// One node of the MIME tree (IMAP BODYSTRUCTURE with extension data) and where it lies in the
// raw bytes, so a server can answer BODY[1.2], BODY[1.MIME], BODY[2.HEADER] by slicing.
struct Part {
  std::string part;  // IMAP part specifier: "" for the message, "1", "1.2" (RFC 9051 §6.4.5)
  std::string type = "text";
  std::string subtype = "plain";
  std::vector<Parameter> params;
  std::string id, description;
  std::string encoding = "7BIT";  // upper case
  std::uint64_t size = 0;         // body octets
  std::uint32_t lines = 0;        // text/* and message/rfc822
  std::string md5, disposition;   // disposition lower case
  std::vector<Parameter> disposition_params;
  std::vector<std::string> language;
  std::string location;
  std::string filename;        // decoded, from disposition filename or Content-Type name
  std::vector<Part> children;  // multipart/*
  std::shared_ptr<EnclosedMessage> message;  // message/rfc822 and message/global
  // Offsets into the whole raw message: [header_begin, header_end) is the MIME header including
  // the empty line ending it; [body_begin, body_end) the body (body_begin == header_end).
  std::uint64_t header_begin = 0, header_end = 0, body_begin = 0, body_end = 0;
};

// The message inside a message/rfc822 part. `body.part` equals the enclosing part's specifier;
// its children are numbered below it ("2.1", ...), and a non-multipart enclosed body is "2.1".
struct EnclosedMessage {
  Envelope envelope;
  Part body;
};

enum class Priority { unspecified, high, normal, low };

struct Message {
  Envelope envelope;
  Part body;            // part "" (for a non-multipart message its body is also part "1")
  std::string preview;  // <= 256 characters of text, whitespace collapsed (RFC 8970)
  bool has_attachment = false;
  Priority priority = Priority::unspecified;
  std::string base_subject;             // RFC 5256 §2.1, lower-cased for comparison
  bool reply_subject = false;           // the subject had Re:/Fwd:-style prefixes or trailers
  std::vector<std::string> references;  // "<id>" from References (else In-Reply-To's first)
};

Message parse(std::string_view raw);

// RFC 2047 encoded words decoded; raw 8-bit text that is not UTF-8 read as windows-1252.
std::string decode_words(std::string_view value);
// `bytes` in `charset` as UTF-8 (glibc iconv); nullopt for an unknown charset.
std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset);
// Undoes a Content-Transfer-Encoding (RFC 2045 §6; RFC 3516 BINARY). Unknown encodings are
// mime.unknown_cte (IMAP [UNKNOWN-CTE]).
Result<std::string> decode_transfer(std::string_view body, std::string_view encoding);

}  // namespace tessera::mime
