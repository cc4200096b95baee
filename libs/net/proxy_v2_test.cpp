#include "net/proxy_v2.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace tessera::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes kSig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// Signature, version/command byte, family byte, big-endian length of `payload`, payload.
Bytes header(std::uint8_t ver_cmd, std::uint8_t family, const Bytes& payload,
             std::size_t claimed_length = SIZE_MAX) {
  Bytes b = kSig;
  const std::size_t length = claimed_length == SIZE_MAX ? payload.size() : claimed_length;
  b.push_back(ver_cmd);
  b.push_back(family);
  b.push_back(static_cast<std::uint8_t>(length >> 8));
  b.push_back(static_cast<std::uint8_t>(length & 0xFF));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// 203.0.113.7:4242 → 192.0.2.1:143
const Bytes kTcp4 = {203, 0, 113, 7, 192, 0, 2, 1, 0x10, 0x92, 0x00, 0x8F};

Bytes tcp6_block() {
  Bytes b(36, 0);
  b[0] = 0x20, b[1] = 0x01, b[2] = 0x0d, b[3] = 0xb8, b[15] = 0x07;  // 2001:db8::7
  b[16] = 0x20, b[17] = 0x01, b[18] = 0x0d, b[19] = 0xb8, b[31] = 0x01;
  b[32] = 0x01, b[33] = 0xBB, b[34] = 0x03, b[35] = 0xE1;  // 443 → 993
  return b;
}

// Two TLVs: PP2_TYPE_ALPN "imap" and PP2_TYPE_NOOP (empty).
const Bytes kTlvs = {0x01, 0x00, 0x04, 'i', 'm', 'a', 'p', 0x04, 0x00, 0x00};

Bytes first_bytes(const Bytes& b, std::size_t n) {
  return Bytes(b.begin(), b.begin() + n);
}

std::string show(const ProxyParse& p) {
  switch (p.status) {
    case ProxyParseStatus::need_more:
      return "need_more(" + std::to_string(p.needed) + ")";
    case ProxyParseStatus::bad:
      return "bad(" + std::string(p.reason) + ")";
    case ProxyParseStatus::ok:
      return "ok(" + std::to_string(p.header.length) + ")";
  }
  return "?";
}

TEST_CASE("parse_proxy_v2 accepts valid headers") {
  struct Case {
    const char* name;
    Bytes input;
    std::size_t want_length;
    ProxyCommand want_command;
    ProxyFamily want_family;
    std::string want_source;  // "" = none
  };
  const std::vector<Case> cases = {
      {"tcp4", header(0x21, 0x11, kTcp4), 28, ProxyCommand::proxy, ProxyFamily::inet,
       "203.0.113.7:4242"},
      {"tcp6", header(0x21, 0x21, tcp6_block()), 52, ProxyCommand::proxy, ProxyFamily::inet6,
       "[2001:db8::7]:443"},
      {"tcp4 + TLVs", header(0x21, 0x11, concat(kTcp4, kTlvs)), 38, ProxyCommand::proxy,
       ProxyFamily::inet, "203.0.113.7:4242"},
      {"unix", header(0x21, 0x31, Bytes(216, 'x')), 232, ProxyCommand::proxy,
       ProxyFamily::unix_socket, ""},
      {"local", header(0x20, 0x00, {}), 16, ProxyCommand::local, ProxyFamily::unspec, ""},
      {"local ignores its block", header(0x20, 0x11, {1, 2, 3}), 19, ProxyCommand::local,
       ProxyFamily::inet, ""},
      {"proxy unspec", header(0x21, 0x00, {}), 16, ProxyCommand::proxy, ProxyFamily::unspec, ""},
      {"trailing protocol bytes", concat(header(0x21, 0x11, kTcp4), {'A', '1', ' '}), 28,
       ProxyCommand::proxy, ProxyFamily::inet, "203.0.113.7:4242"},
  };
  for (const Case& c : cases) {
    const ProxyParse got = parse_proxy_v2(c.input);
    INFO(c.name << ": got " << show(got));
    REQUIRE(got.ok());
    CHECK(got.header.length == c.want_length);
    CHECK(got.header.command == c.want_command);
    CHECK(got.header.family == c.want_family);
    if (c.want_source.empty()) {
      CHECK_FALSE(got.header.source.has_value());
    } else {
      REQUIRE(got.header.source.has_value());
      const auto& s = *got.header.source;
      const std::string text = s.address().is_v6()
                                   ? "[" + s.address().to_string() + "]:" + std::to_string(s.port())
                                   : s.address().to_string() + ":" + std::to_string(s.port());
      CHECK(text == c.want_source);
    }
  }
}

TEST_CASE("parse_proxy_v2 destination and transport of a TCP4 header") {
  const ProxyParse got = parse_proxy_v2(header(0x21, 0x11, kTcp4));
  REQUIRE(got.ok());
  CHECK(got.header.transport == ProxyTransport::stream);
  REQUIRE(got.header.destination.has_value());
  CHECK(got.header.destination->address().to_string() == "192.0.2.1");
  CHECK(got.header.destination->port() == 143);
}

TEST_CASE("parse_proxy_v2 asks for exactly the missing bytes of every prefix") {
  for (const Bytes& full : {header(0x21, 0x11, concat(kTcp4, kTlvs)),
                            header(0x21, 0x21, tcp6_block()), header(0x20, 0x00, {})}) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      const ProxyParse got = parse_proxy_v2(std::span(full.data(), n));
      const std::size_t want = n < 16 ? 16 : full.size();
      INFO("prefix " << n << " of " << full.size() << ": got " << show(got) << " want need_more("
                     << want << ")");
      REQUIRE(got.status == ProxyParseStatus::need_more);
      CHECK(got.needed == want);
    }
  }
}

TEST_CASE("parse_proxy_v2 refuses malformed headers as early as it can") {
  struct Case {
    const char* name;
    Bytes input;
  };
  Bytes early_mismatch = kSig;
  early_mismatch.resize(5);
  early_mismatch[4] = 'x';
  const std::vector<Case> cases = {
      {"IMAP client at a PROXY port", {'A', '1', ' ', 'L', 'O'}},
      {"single wrong byte", {'E'}},
      {"signature differs at byte 5", early_mismatch},
      {"PROXY v1 text", {'P', 'R', 'O', 'X', 'Y', ' ', 'T', 'C', 'P', '4'}},
      {"version 1", header(0x11, 0x11, kTcp4)},
      {"version 3", header(0x31, 0x11, kTcp4)},
      {"command 2", header(0x22, 0x11, kTcp4)},
      {"command 15, only 13 bytes", first_bytes(header(0x2F, 0x11, {}), 13)},
      {"family 4", header(0x21, 0x41, kTcp4)},
      {"transport 3", header(0x21, 0x13, kTcp4)},
      {"length over the limit", header(0x21, 0x11, {}, 12 + kProxyV2MaxTlvBytes + 1)},
      {"length 0xFFFF", header(0x21, 0x11, {}, 0xFFFF)},
      {"local length over the limit", header(0x20, 0x00, {}, kProxyV2MaxTlvBytes + 1)},
      {"tcp4 block too short", header(0x21, 0x11, Bytes(kTcp4.begin(), kTcp4.end() - 1))},
      {"tcp6 claims tcp4 size", header(0x21, 0x21, kTcp4)},
      {"unix block too short", header(0x21, 0x31, Bytes(100, 0))},
      {"TLV runs past the end", header(0x21, 0x11, concat(kTcp4, {0x01, 0x00, 0x09, 'a'}))},
      {"TLV header cut", header(0x21, 0x11, concat(kTcp4, {0x01, 0x00}))},
  };
  for (const Case& c : cases) {
    const ProxyParse got = parse_proxy_v2(c.input);
    INFO(c.name << ": got " << show(got) << " want bad");
    CHECK(got.status == ProxyParseStatus::bad);
    CHECK_FALSE(got.reason.empty());
  }
}

TEST_CASE("parse_proxy_v2 accepts the largest allowed header") {
  const Bytes big = header(0x21, 0x11, concat(kTcp4, concat({0x04, 0x03, 0xFD}, Bytes(1021, 0))));
  REQUIRE(big.size() == 16 + 12 + kProxyV2MaxTlvBytes);
  const ProxyParse got = parse_proxy_v2(big);
  INFO("got " << show(got));
  CHECK(got.ok());
}

}  // namespace
}  // namespace tessera::net
