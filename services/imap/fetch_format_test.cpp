#include "fetch_format.hpp"

#include <catch2/catch.hpp>

namespace imap = tessera::imap;
namespace v1 = tessera::store::v1;

TEST_CASE("HEADER.FIELDS keeps folded lines with their field; NOT inverts") {
  const std::string header =
      "From: a@b\r\nSubject: long\r\n  continued\r\nX-Spam: yes\r\nTo: c@d\r\n\r\n";
  CHECK(imap::select_header_fields(header, {"SUBJECT", "TO"}, false) ==
        "Subject: long\r\n  continued\r\nTo: c@d\r\n\r\n");
  CHECK(imap::select_header_fields(header, {"SUBJECT", "TO"}, true) ==
        "From: a@b\r\nX-Spam: yes\r\n\r\n");
  CHECK(imap::select_header_fields(header, {"NONE"}, false) == "\r\n");
}

TEST_CASE("flags, dates and strings in IMAP syntax") {
  v1::Flags flags;
  flags.add_system(v1::SYSTEM_FLAG_SEEN);
  flags.add_system(v1::SYSTEM_FLAG_FLAGGED);
  flags.add_keywords("$Forwarded");
  CHECK(imap::format_flags(flags) == "(\\Seen \\Flagged $Forwarded)");
  CHECK(imap::format_flags(v1::Flags()) == "()");
  CHECK(imap::format_internal_date(837571465000) == "\"17-Jul-1996 02:44:25 +0000\"");
}

TEST_CASE("an envelope without Sender or Reply-To repeats From (RFC 9051 §7.5.2)") {
  v1::Envelope envelope;
  envelope.set_raw_subject("Caf\xC3\xA9");
  auto* from = envelope.add_from();
  from->set_raw_name("Ann \"A\"");
  from->set_local_part("ann");
  from->set_domain("example.org");
  CHECK(imap::format_envelope(envelope) ==
        "(NIL {5}\r\nCaf\xC3\xA9 ((\"Ann \\\"A\\\"\" NIL \"ann\" \"example.org\")) "
        "((\"Ann \\\"A\\\"\" NIL \"ann\" \"example.org\")) "
        "((\"Ann \\\"A\\\"\" NIL \"ann\" \"example.org\")) NIL NIL NIL NIL NIL)");
}
