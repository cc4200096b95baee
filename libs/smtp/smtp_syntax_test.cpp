#include <catch2/catch.hpp>

#include "smtp/command.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/reply.hpp"

namespace tessera::smtp {
namespace {

const Extensions kAll{.max_size = 1000};

Reply failure(const Error& e) {
  return reply_of(e);
}

TEST_CASE("SMTP replies are formatted with continuation lines and enhanced codes") {
  CHECK(format({250, "2.1.5", "Ok"}) == "250 2.1.5 Ok\r\n");
  CHECK(format({250, "", "mx\nPIPELINING\nDSN"}) == "250-mx\r\n250-PIPELINING\r\n250 DSN\r\n");
  CHECK(format({220, "", "mx ESMTP Tessera"}) == "220 mx ESMTP Tessera\r\n");
}

TEST_CASE("split_command finds the verb case-insensitively") {
  auto c = split_command("mail FROM:<a@b>");
  CHECK(c.verb == Verb::mail);
  CHECK(c.args == "FROM:<a@b>");
  CHECK(split_command("QUIT").verb == Verb::quit);
  CHECK(split_command("StartTLS").verb == Verb::starttls);
  CHECK(split_command("XYZZY 1").verb == Verb::unknown);
  CHECK(split_command("").verb == Verb::unknown);
}

TEST_CASE("MAIL FROM parses paths and parameters of RFC 5321, 1870, 6152, 6531 and 3461") {
  auto m = parse_mail("FROM:<ann@example.org> SIZE=500 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1", kAll);
  REQUIRE(m.has_value());
  CHECK(m->path.text() == "ann@example.org");
  CHECK(m->size == 500u);
  CHECK(m->body == Body::eight_bit_mime);
  CHECK(m->ret == DsnReturn::headers);
  CHECK(m->envid == "QQ+1");

  auto null = parse_mail("FROM:<>", kAll);
  REQUIRE(null.has_value());
  CHECK(!null->path.mailbox);

  auto spaced = parse_mail("from: <a@b.c>", kAll);  // a space after the colon, as clients send
  REQUIRE(spaced.has_value());
  CHECK(spaced->path.text() == "a@b.c");

  auto bare = parse_mail("FROM:a@b.c", kAll);  // no brackets (Postfix accepts it too)
  REQUIRE(bare.has_value());
  CHECK(bare->path.text() == "a@b.c");

  auto routed = parse_mail("FROM:<@relay.example,@r2.example:ann@example.org>", kAll);
  REQUIRE(routed.has_value());
  CHECK(routed->path.text() == "ann@example.org");  // source route ignored (§4.1.1.3)

  auto quoted = parse_mail("FROM:<\"ann.b\"@example.org>", kAll);
  REQUIRE(quoted.has_value());
  CHECK(quoted->path.mailbox->local == "ann.b");  // same mailbox as ann.b@ (§4.1.2)
  auto needs_quotes = parse_mail("FROM:<\"ann b\"@example.org>", kAll);
  REQUIRE(needs_quotes.has_value());
  CHECK(needs_quotes->path.mailbox->local == "\"ann b\"");

  auto utf8 = parse_mail("FROM:<jörg@bücher.example> SMTPUTF8", kAll);
  REQUIRE(utf8.has_value());
  CHECK(utf8->smtputf8);
  CHECK(utf8->path.mailbox->utf8);
}

TEST_CASE("MAIL FROM errors carry the reply to give") {
  struct Case {
    const char* args;
    int code;
    const char* enhanced;
  };
  const Case cases[] = {
      {"FROM:<ann@example.org> SIZE=1001", 552, "5.3.4"},
      {"FROM:<ann@example.org> SIZE=abc", 501, "5.5.4"},
      {"FROM:<ann@example.org> FOO=1", 555, "5.5.4"},
      {"FROM:<ann@example.org> BODY=BINARYMIME", 555, "5.5.4"},
      {"FROM:<ann@example.org> RET=ALL", 501, "5.5.4"},
      {"FROM:<ann@example.org> ENVID=+ZZ", 501, "5.5.4"},
      {"FROM:<jörg@example.org>", 553, "5.6.7"},
      {"FROM:<ann@@example.org>", 501, "5.1.7"},
      {"FROM:<ann@exa mple.org>", 501, "5.1.7"},
      {"FROM:<ann..b@example.org>", 501, "5.1.7"},
      {"FROM:<ann@-example.org>", 501, "5.1.7"},
      {"FROM:<ann@example.org", 501, "5.1.7"},
      {"FROM:", 501, "5.1.7"},
      {"TO:<ann@example.org>", 501, "5.5.4"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    auto m = parse_mail(c.args, kAll);
    REQUIRE(!m.has_value());
    const auto r = failure(m.error());
    CHECK(r.code == c.code);
    CHECK(r.enhanced == c.enhanced);
  }
}

TEST_CASE("MAIL FROM without ESMTP refuses extension parameters") {
  const Extensions helo{.max_size = 1000, .eight_bit = false, .smtputf8 = false, .dsn = false};
  CHECK(failure(parse_mail("FROM:<a@b.c> BODY=8BITMIME", helo).error()).code == 555);
  CHECK(failure(parse_mail("FROM:<a@b.c> RET=FULL", helo).error()).code == 555);
  CHECK(parse_mail("FROM:<a@b.c> SIZE=10", helo).has_value());
}

TEST_CASE("RCPT TO parses DSN parameters and Postmaster") {
  auto r =
      parse_rcpt("TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2B1@x.org", kAll);
  REQUIRE(r.has_value());
  CHECK(r->path.text() == "bob@example.org");
  CHECK(r->notify == (notify_success | notify_failure));
  CHECK(r->orcpt_type == "rfc822");
  CHECK(r->orcpt == "bob+1@x.org");

  auto pm = parse_rcpt("TO:<Postmaster>", kAll);
  REQUIRE(pm.has_value());
  CHECK(pm->postmaster);

  CHECK(failure(parse_rcpt("TO:<>", kAll).error()).code == 501);
  CHECK(failure(parse_rcpt("TO:<a@b.c> NOTIFY=NEVER,SUCCESS", kAll).error()).code == 501);
  CHECK(failure(parse_rcpt("TO:<a@b.c> NOTIFY=SOMETIMES", kAll).error()).code == 501);
  CHECK(failure(parse_rcpt("TO:<a@b.c> ORCPT=rfc822", kAll).error()).code == 501);
  CHECK(failure(parse_rcpt("TO:<a@b.c> SIZE=1", kAll).error()).code == 555);
  CHECK(failure(parse_rcpt("TO:<a@b@c>", kAll).error()).enhanced == "5.1.3");
  // The relay tricks are only syntax here; the domain decides (the last '@' wins).
  CHECK(parse_rcpt("TO:<user%other.org@example.org>", kAll)->path.mailbox->domain == "example.org");
  CHECK(parse_rcpt("TO:<other.org!user@example.org>", kAll)->path.mailbox->domain == "example.org");
  CHECK(parse_rcpt("TO:<\"user@other.org\"@example.org>", kAll)->path.mailbox->domain ==
        "example.org");
  CHECK(parse_rcpt("TO:<@example.org:user@other.org>", kAll)->path.mailbox->domain == "other.org");
}

TEST_CASE("paths keep RFC 5321 §4.5.3.1 length limits") {
  const std::string local65(65, 'a');
  CHECK(!parse_path("<" + local65 + "@example.org>", false));
  CHECK(parse_path("<" + std::string(64, 'a') + "@example.org>", false));
  CHECK(!parse_path("<a@" + std::string(64, 'b') + ".org>", false));
}

TEST_CASE("BDAT and EHLO arguments") {
  CHECK(parse_bdat("100")->size == 100u);
  CHECK(parse_bdat("0 LAST")->last);
  CHECK(parse_bdat("7 last")->last);
  CHECK(!parse_bdat("x"));
  CHECK(!parse_bdat("10 MORE"));
  CHECK(!parse_bdat(""));
  CHECK(*parse_hello("client.example") == "client.example");
  CHECK(*parse_hello("[127.0.0.1] ") == "[127.0.0.1]");
  CHECK(!parse_hello(""));
}

TEST_CASE("xtext round-trips") {
  CHECK(encode_xtext("a+b=c d") == "a+2Bb+3Dc+20d");
  CHECK(*decode_xtext("a+2Bb+3Dc+20d") == "a+b=c d");
  CHECK(!decode_xtext("a+2"));
  CHECK(!decode_xtext("a+2b"));  // hex digits are upper case
}

std::string decode_all(const std::vector<std::string>& pieces, std::size_t* rest = nullptr,
                       bool* done = nullptr) {
  DataDecoder decoder;
  std::string out;
  for (const auto& piece : pieces) {
    const auto step = decoder.feed(piece, out);
    if (step.done) {
      if (rest) *rest = piece.size() - step.consumed;
      if (done) *done = true;
      return out;
    }
  }
  if (done) *done = false;
  return out;
}

TEST_CASE("DATA decoding removes dot-stuffing and ends only at CRLF.CRLF") {
  bool done = false;
  std::size_t rest = 0;
  CHECK(decode_all({"a\r\n..b\r\n.\r\nQUIT\r\n"}, &rest, &done) == "a\r\n.b\r\n");
  CHECK(done);
  CHECK(rest == 6);
  CHECK(decode_all({".\r\n"}, nullptr, &done).empty());
  CHECK(done);
  // Split at every byte.
  const std::string wire = "Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n";
  std::vector<std::string> bytes;
  for (char c : wire)
    bytes.emplace_back(1, c);
  CHECK(decode_all(bytes, nullptr, &done) == "Subject: x\r\n\r\n.dot\r\nend\r\n");
  CHECK(done);
}

TEST_CASE("DATA decoding stores bare LF as CRLF and never ends at a smuggling sequence") {
  bool done = false;
  CHECK(decode_all({"a\nb\n.\r\n"}, nullptr, &done) == "a\r\nb\r\n\r\n");
  CHECK(!done);  // <LF>.<CRLF> is content
  CHECK(decode_all({"a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n"}, nullptr, &done) ==
        "a\r\n\r\nMAIL FROM:<x@y>\r\n");
  CHECK(done);  // <CRLF>.<LF> was content; the real end came later
  CHECK(decode_all({"a\rb\r\n.\r\n"}, nullptr, &done) == "a\rb\r\n");
  CHECK(done);
  CHECK(decode_all({"x\r\n.\rz\r\n.\r\n"}, nullptr, &done) == "x\r\n\rz\r\n");
  CHECK(done);
}

TEST_CASE("dot_stuff is the inverse of the decoder") {
  const std::string message = ".hidden\r\nline\r\n.\r\n..x";
  const auto wire = dot_stuff(message);
  CHECK(wire == "..hidden\r\nline\r\n..\r\n...x\r\n.\r\n");
  bool done = false;
  CHECK(decode_all({wire}, nullptr, &done) == message + "\r\n");
  CHECK(done);
}

}  // namespace
}  // namespace tessera::smtp
