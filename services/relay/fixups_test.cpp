#include "fixups.hpp"

#include <catch2/catch.hpp>

namespace tessera::relay {
namespace {

const FixupContext kContext{.hostname = "relay.example", .id = "ABC", .unix_ms = 1796117400000};

TEST_CASE("a complete header without Bcc is left alone") {
  CHECK(!fix_header("Date: x\r\nMessage-ID: <a@b>\r\nSubject: s\r\n\r\n", kContext));
}

TEST_CASE("Bcc with its continuation lines is removed, Date and Message-ID added") {
  const auto fixed =
      fix_header("From: a@b\r\nBcc: hidden@x,\r\n other@y\r\nSubject: s\r\n\r\n", kContext);
  REQUIRE(fixed);
  CHECK(*fixed ==
        "From: a@b\r\nSubject: s\r\nDate: Tue, 01 Dec 2026 09:30:00 +0000\r\n"
        "Message-ID: <ABC@relay.example>\r\n\r\n");
}

TEST_CASE("header_length finds the empty line") {
  CHECK(header_length("A: b\r\n\r\nbody") == 8);
  CHECK(header_length("A: b\n\nbody") == 6);
  CHECK(header_length("A: b\r\n") == std::string_view::npos);
}

TEST_CASE("apply_fixups keeps the body byte for byte after the new header") {
  smtp::Spool message("/tmp", 16);  // the body spills to a file
  REQUIRE(message.append("Bcc: x@y\r\nSubject: s\r\n\r\nbody line\r\n.dot\r\n"));
  // The header is longer than the 16 bytes kept in memory: left alone.
  CHECK(!*apply_fixups(message, "/tmp", 16, kContext));
  smtp::Spool roomy("/tmp", 1024);
  REQUIRE(roomy.append("Bcc: x@y\r\nSubject: s\r\n\r\nbody line\r\n.dot\r\n"));
  auto out = apply_fixups(roomy, "/tmp", 1024, kContext);
  REQUIRE(out);
  REQUIRE(*out);
  CHECK(*(*out)->read(0, 1000) ==
        "Subject: s\r\nDate: Tue, 01 Dec 2026 09:30:00 +0000\r\n"
        "Message-ID: <ABC@relay.example>\r\n\r\nbody line\r\n.dot\r\n");
}

}  // namespace
}  // namespace tessera::relay
