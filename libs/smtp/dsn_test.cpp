#include "smtp/dsn.hpp"

#include <catch2/catch.hpp>

#include "mime/mime.hpp"

namespace tessera::smtp {
namespace {

TEST_CASE("a bounce is a multipart/report of RFC 3464 with the original header") {
  DsnReport report;
  report.reporting_mta = "relay.example.org";
  report.to = "ann@example.org";
  report.message_id = "B1@relay.example.org";
  report.envelope_id = "QQ314159";
  report.arrival_unix_ms = 1796117400000;
  report.now_unix_ms = 1796117460000;
  report.recipients.push_back({.final_recipient = "bob@remote.example",
                               .original_recipient = "rfc822;Bob@Remote.example",
                               .action = DsnAction::failed,
                               .status = "5.1.1",
                               .remote_mta = "mx.remote.example",
                               .diagnostic = "550 5.1.1 no such user",
                               .last_attempt_unix_ms = 1796117460000,
                               .will_retry_until_unix_ms = 0});
  report.returned = "From: ann@example.org\r\nSubject: hi\r\n\r\n";
  const auto dsn = build_dsn(report);
  CHECK(dsn.find("Subject: Undelivered Mail Returned to Sender\r\n") != std::string::npos);
  CHECK(dsn.find("Auto-Submitted: auto-replied\r\n") != std::string::npos);
  CHECK(dsn.find("Reporting-MTA: dns; relay.example.org\r\nOriginal-Envelope-Id: QQ314159\r\n") !=
        std::string::npos);
  CHECK(dsn.find("Original-Recipient: rfc822;Bob@Remote.example\r\nFinal-Recipient: rfc822; "
                 "bob@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                 "Remote-MTA: dns; mx.remote.example\r\n"
                 "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n") != std::string::npos);
  const auto parsed = mime::parse(dsn);
  CHECK(parsed.body.type == "multipart");
  CHECK(parsed.body.subtype == "report");
  REQUIRE(parsed.body.children.size() == 3);
  CHECK(parsed.body.children[1].subtype == "delivery-status");
  CHECK(parsed.body.children[2].subtype == "rfc822-headers");
}

TEST_CASE("a delay warning says the mail system keeps trying") {
  DsnReport report;
  report.reporting_mta = "relay.example.org";
  report.to = "ann@example.org";
  report.message_id = "D1@relay.example.org";
  report.now_unix_ms = 1796117460000;
  report.recipients.push_back({.final_recipient = "bob@remote.example",
                               .original_recipient = "",
                               .action = DsnAction::delayed,
                               .status = "4.4.1",
                               .remote_mta = "",
                               .diagnostic = "",
                               .last_attempt_unix_ms = 0,
                               .will_retry_until_unix_ms = 1796549460000});
  const auto dsn = build_dsn(report);
  CHECK(dsn.find("Subject: Delayed Mail (still being retried)\r\n") != std::string::npos);
  CHECK(dsn.find("Action: delayed\r\nStatus: 4.4.1\r\nWill-Retry-Until: ") != std::string::npos);
}

}  // namespace
}  // namespace tessera::smtp
