#include "smtp/trace.hpp"

#include <catch2/catch.hpp>

namespace tessera::smtp {
namespace {

SessionInfo session(bool esmtp, bool tls) {
  SessionInfo s;
  s.client = tcp::endpoint(asio::ip::make_address("192.0.2.7"), 4711);
  s.helo = "client.example";
  s.esmtp = esmtp;
  s.tls = tls;
  s.tls_protocol = "TLSv1.3";
  s.tls_cipher = "TLS_AES_256_GCM_SHA384";
  return s;
}

TEST_CASE("with protocol names follow RFC 3848 and RFC 6531") {
  CHECK(with_protocol(session(false, false), false, false) == "SMTP");
  CHECK(with_protocol(session(true, false), false, false) == "ESMTP");
  CHECK(with_protocol(session(true, true), false, false) == "ESMTPS");
  CHECK(with_protocol(session(true, true), false, true) == "ESMTPSA");
  CHECK(with_protocol(session(true, true), true, false) == "UTF8SMTPS");
  CHECK(with_protocol(session(true, false), true, true) == "UTF8SMTPA");
  CHECK(with_protocol(session(false, true), false, false) == "ESMTPS");
  auto lmtp = session(true, false);
  lmtp.dialect = Dialect::lmtp;
  CHECK(with_protocol(lmtp, false, false) == "LMTP");
}

TEST_CASE("Received names the client, us, the TLS, the id and the one recipient") {
  MailFrom mail;
  const auto field = received_field(session(true, true), mail,
                                    {.hostname = "mx.example.test",
                                     .id = "ABC123",
                                     .for_address = "ann@example.test",
                                     .unix_ms = 1796117400000,
                                     .authenticated = false});
  CHECK(field ==
        "Received: from client.example ([192.0.2.7])\r\n"
        "\tby mx.example.test (Tessera) with ESMTPS id ABC123\r\n"
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
        "\tfor <ann@example.test>; Tue, 01 Dec 2026 09:30:00 +0000\r\n");
  Path null_path;
  CHECK(return_path_field(null_path) == "Return-Path: <>\r\n");
}

TEST_CASE("scan_trace counts Received fields and collects Delivered-To in the header only") {
  const auto seen = scan_trace(
      "Received: from a\r\n\tby b\r\nDelivered-To: Ann@Example.test \r\nreceived: x\r\n"
      "Subject: s\r\n\r\nReceived: in the body\r\nDelivered-To: bob@example.test\r\n");
  CHECK(seen.received == 2);
  CHECK(seen.delivered_to == std::vector<std::string>{"ann@example.test"});
}

}  // namespace
}  // namespace tessera::smtp
