#include "smtp/server.hpp"

#include <catch2/catch.hpp>

#include "net/test_support.hpp"

namespace tessera::smtp {
namespace {

using namespace std::chrono_literals;
using net::testing::run_coro;

// Accepts recipients @example.org except nobody@; keeps what was delivered.
struct FakeHandler : Handler {
  std::vector<std::string> delivered;
  std::vector<std::size_t> recipients;
  int resets = 0;

  awaitable<Reply> mail(const SessionInfo&, const MailFrom&) override {
    co_return Reply{250, "2.1.0", "Ok"};
  }
  awaitable<Reply> rcpt(const SessionInfo&, const Transaction&, const RcptTo& rcpt) override {
    if (rcpt.path.mailbox->domain != "example.org") co_return Reply{554, "5.7.1", "Relay denied"};
    if (rcpt.path.mailbox->local == "nobody") co_return Reply{550, "5.1.1", "No such user"};
    co_return Reply{250, "2.1.5", "Ok"};
  }
  awaitable<std::vector<Reply>> deliver(const SessionInfo&, Transaction& t) override {
    delivered.push_back(*t.body.read(0, t.body.size()));
    recipients.push_back(t.recipients.size());
    std::vector<Reply> out;
    for (std::size_t i = 0; i < t.recipients.size(); ++i)
      out.push_back({250, "2.0.0", "Ok: queued as " + t.id});
    co_return out;
  }
  void reset() override { ++resets; }
};

awaitable<void> serve_one(net::Stream stream, const ServerSettings& settings, Handler& handler) {
  // A named local: GCC 12 mishandles aggregates built inside co_await.
  net::Connection connection{std::move(stream), {}, {}, {}, {}};
  co_await serve(std::move(connection), settings, handler);
}

// Runs one session over a socket pair: sends `input` (then waits for the server to close) and
// returns everything the server wrote.
std::string converse(const std::string& input, FakeHandler& handler, ServerSettings settings = {}) {
  std::string output;
  settings.hostname = "mx.example.org";
  if (settings.spool_directory == ServerSettings{}.spool_directory)
    settings.spool_directory = std::filesystem::temp_directory_path().string();
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await net::testing::socket_pair();
    asio::co_spawn(co_await asio::this_coro::executor,
                   serve_one(net::Stream(std::move(server)), settings, handler),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
    co_await asio::async_write(client, asio::buffer(input), asio::use_awaitable);
    output = co_await net::testing::read_until_closed(client, 10s);
  });
  return output;
}

TEST_CASE("SMTP server: a pipelined transaction gets its replies in order") {
  FakeHandler handler;
  const auto out = converse(
      "EHLO client.example\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<ann@example.org>\r\n"
      "RCPT TO:<nobody@example.org>\r\nRCPT TO:<x@foreign.org>\r\nDATA\r\n"
      "Subject: hi\r\n\r\n..body\r\n.\r\nQUIT\r\n",
      handler);
  INFO(out);
  CHECK(out.starts_with("220 mx.example.org ESMTP Tessera\r\n250-mx.example.org\r\n"));
  CHECK(out.find("250-PIPELINING\r\n250-SIZE 52428800\r\n") != std::string::npos);
  CHECK(out.find("250 DSN\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n"
                 "554 5.7.1 Relay denied\r\n354 ") != std::string::npos);
  CHECK(out.find("250 2.0.0 Ok: queued as ") != std::string::npos);
  CHECK(out.ends_with("221 2.0.0 Bye\r\n"));
  REQUIRE(handler.delivered.size() == 1);
  CHECK(handler.delivered[0] == "Subject: hi\r\n\r\n.body\r\n");
  CHECK(handler.recipients[0] == 1);
}

TEST_CASE("SMTP server: sequence errors, unknown commands and a too-long line") {
  FakeHandler handler;
  const auto out = converse(
      "MAIL FROM:<a@x.org>\r\nHELO c\r\nRCPT TO:<ann@example.org>\r\n"
      "DATA\r\nFOO\r\nMAIL FROM:<a@x.org> BODY=8BITMIME\r\n" +
          std::string(5000, 'x') + "\r\nVRFY ann\r\nQUIT\r\n",
      handler);
  INFO(out);
  CHECK(out.find("503 5.5.1 Error: send HELO/EHLO first\r\n250 mx.example.org\r\n"
                 "503 5.5.1 Error: need MAIL\r\n503 5.5.1 Error: need MAIL\r\n"
                 "500 5.5.2 Error: command not recognized\r\n555 5.5.4 Unsupported BODY type\r\n"
                 "500 5.5.2 Error: line too long\r\n252 2.5.0 ") != std::string::npos);
}

TEST_CASE("SMTP server: an oversized message is read to its end and refused with 552") {
  FakeHandler handler;
  ServerSettings settings;
  settings.max_message = 100;
  const auto out = converse(
      "EHLO c\r\nMAIL FROM:<a@x.org> SIZE=101\r\nMAIL FROM:<a@x.org>\r\n"
      "RCPT TO:<ann@example.org>\r\nDATA\r\n" +
          std::string(300, 'y') + "\r\n.\r\nNOOP\r\nQUIT\r\n",
      handler, settings);
  CHECK(out.find("552 5.3.4 Message size exceeds fixed limit\r\n250 2.1.0 Ok\r\n") !=
        std::string::npos);
  CHECK(out.find("552 5.3.4 Error: message too large\r\n250 2.0.0 Ok\r\n221") != std::string::npos);
  CHECK(handler.delivered.empty());
}

TEST_CASE("SMTP server: BDAT chunks, and a refused BDAT still consumes its bytes") {
  FakeHandler handler;
  const auto out = converse(
      "EHLO c\r\nBDAT 5\r\nhello"  // no transaction: refused, the 5 bytes skipped
      "MAIL FROM:<a@x.org>\r\nRCPT TO:<ann@example.org>\r\nBDAT 6\r\nline\r\nBDAT 5 LAST\r\n"
      "more\n"
      "QUIT\r\n",
      handler);
  CHECK(out.find("503 5.5.1 Error: need MAIL\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                 "250 2.0.0 6 octets received\r\n250 2.0.0 Ok: queued as ") != std::string::npos);
  REQUIRE(handler.delivered.size() == 1);
  CHECK(handler.delivered[0] == "line\r\nmore\n");  // BDAT data is taken as it is
}

TEST_CASE("LMTP server: LHLO only, one reply per recipient after DATA") {
  FakeHandler handler;
  ServerSettings settings;
  settings.dialect = Dialect::lmtp;
  const auto out = converse(
      "EHLO c\r\nLHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<ann@example.org>\r\n"
      "RCPT TO:<bob@example.org>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
      handler, settings);
  CHECK(
      out.starts_with("220 mx.example.org LMTP Tessera\r\n500 5.5.1 Error: use LHLO in LMTP\r\n"));
  const auto first = out.find("250 2.0.0 Ok: queued as ");
  REQUIRE(first != std::string::npos);
  CHECK(out.find("250 2.0.0 Ok: queued as ", first + 1) != std::string::npos);
  CHECK(handler.recipients == std::vector<std::size_t>{2});
}

TEST_CASE("SMTP server: too many errors end the session with 421") {
  FakeHandler handler;
  ServerSettings settings;
  settings.max_errors = 3;
  settings.errors_before_delay = 10;
  const auto out = converse("A\r\nB\r\nC\r\nD\r\n", handler, settings);
  CHECK(
      out.ends_with("500 5.5.2 Error: command not recognized\r\n"
                    "421 4.7.0 mx.example.org Error: too many errors\r\n"));
}

TEST_CASE("SMTP server: a spool that cannot take the message gives 452 4.3.1, and goes on") {
  FakeHandler handler;
  ServerSettings settings;
  settings.spool_memory = 8;  // the rest would go to a file in a directory that is not there
  settings.spool_directory = "/nonexistent/tessera-spool";
  const auto out = converse(
      "EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n"
      "more than eight bytes\r\n.\r\nNOOP\r\nQUIT\r\n",
      handler, settings);
  INFO(out);
  CHECK(out.find("452 4.3.1 Error: insufficient system storage\r\n250 2.0.0 Ok\r\n221") !=
        std::string::npos);
  CHECK(handler.delivered.empty());
}

TEST_CASE("SMTP server: the client leaving mid-DATA delivers nothing") {
  FakeHandler handler;
  converse("EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\npartial",
           handler);
  CHECK(handler.delivered.empty());
  CHECK(handler.resets == 1);
}

// Offers PLAIN and LOGIN; ann / secret is the only good pair.
struct AuthHandler : FakeHandler {
  std::vector<std::string> auth_mechanisms(const SessionInfo&) override {
    return {"PLAIN", "LOGIN"};
  }
  awaitable<Reply> authenticate(const SessionInfo&, const std::string& login,
                                const std::string& password) override {
    if (login == "ann" && password == "secret")
      co_return Reply{235, "2.7.0", "Authentication successful"};
    co_return Reply{535, "5.7.8", "Authentication credentials invalid"};
  }
};

TEST_CASE("SMTP server: AUTH PLAIN and LOGIN (RFC 4954), required before MAIL") {
  AuthHandler handler;
  ServerSettings settings;
  settings.require_auth = true;
  // "\0ann\0secret" and "\0ann\0wrong" in base64; "ann" and "secret" for LOGIN.
  const auto out = converse(
      "EHLO c\r\nMAIL FROM:<a@x.org>\r\nAUTH PLAIN AGFubgB3cm9uZw==\r\nAUTH CRAM-MD5\r\n"
      "AUTH PLAIN\r\n*\r\nAUTH LOGIN\r\nYW5u\r\n!!\r\nAUTH PLAIN AGFubgBzZWNyZXQ=\r\n"
      "AUTH LOGIN\r\nMAIL FROM:<a@x.org> AUTH=<>\r\nQUIT\r\n",
      handler, settings);
  INFO(out);
  CHECK(out.find("250 AUTH PLAIN LOGIN\r\n") != std::string::npos);
  CHECK(out.find("530 5.7.0 Authentication required\r\n"
                 "535 5.7.8 Authentication credentials invalid\r\n"
                 "504 5.5.4 Unrecognized authentication type\r\n"
                 "334 \r\n501 5.0.0 Authentication cancelled\r\n"
                 "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n501 5.5.2 Cannot decode the response\r\n"
                 "235 2.7.0 Authentication successful\r\n"
                 "503 5.5.1 Error: already authenticated\r\n250 2.1.0 Ok\r\n221") !=
        std::string::npos);
}

TEST_CASE("SMTP server: no AUTH where the handler offers none") {
  FakeHandler handler;
  const auto out = converse("EHLO c\r\nAUTH PLAIN AGFubgBzZWNyZXQ=\r\nQUIT\r\n", handler);
  CHECK(out.find("AUTH") == std::string::npos);
  CHECK(out.find("503 5.5.1 Error: authentication not enabled\r\n") != std::string::npos);
}

}  // namespace
}  // namespace tessera::smtp
