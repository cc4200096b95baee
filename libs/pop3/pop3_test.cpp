// POP3 syntax: the command parser and the multi-line encoding, as RFC 1939 and RFC 2449 say.
#include <catch2/catch.hpp>

#include "pop3/command.hpp"
#include "pop3/response.hpp"

namespace tessera::pop3 {
namespace {

std::string encode(std::string_view message, std::optional<std::uint32_t> lines = std::nullopt,
                   std::size_t piece = 1000, ClientWorkarounds workarounds = {}) {
  MultilineEncoder encoder(lines, workarounds);
  std::string out;
  for (std::size_t at = 0; at < message.size() && !encoder.done(); at += piece)
    encoder.feed(message.substr(at, piece), out);
  encoder.finish(out);
  return out;
}

TEST_CASE("keywords are case-insensitive; arguments split on spaces") {
  auto top = parse_command("top 3  10");
  REQUIRE(top);
  CHECK(top->verb == Verb::top);
  CHECK(top->args == std::vector<std::string>{"3", "10"});
  auto list = parse_command("LIST ");  // a trailing space, as some clients send
  REQUIRE(list);
  CHECK(list->args.empty());
  auto user = parse_command("USER first.last@a-rather-long-domain-name.example.org");
  REQUIRE(user);
  CHECK(user->args[0] == "first.last@a-rather-long-domain-name.example.org");
}

TEST_CASE("PASS keeps spaces in the password (RFC 1939 §7)") {
  auto pass = parse_command("PASS  my secret  pass ");
  REQUIRE(pass);
  CHECK(pass->args == std::vector<std::string>{" my secret  pass "});
  CHECK(parse_command("PASS").error().message == "Missing argument");
}

TEST_CASE("unknown commands, wrong argument counts, control characters, long lines") {
  CHECK(parse_command("XYZZY").error().message == "Unknown command");
  CHECK(parse_command("").error().message == "Unknown command");
  CHECK(parse_command("RETR").error().message == "Missing argument");
  CHECK(parse_command("STAT 1").error().message == "Too many arguments");
  CHECK(parse_command("TOP 1").error().message == "Missing argument");
  CHECK(parse_command("USER a\tb").error().code == "pop3.syntax");
  CHECK(parse_command("USER " + std::string(250, 'a')).error().message == "Line too long");
  CHECK(parse_command(std::string(300, 'x')).error().message == "Line too long");
  CHECK(parse_command("AUTH PLAIN " + std::string(1000, 'A')));  // RFC 5034 §4
}

TEST_CASE("message numbers are 1 and up, TOP's line count 0 and up") {
  CHECK(message_number("1") == 1u);
  CHECK(message_number("4294967295") == 4294967295u);
  CHECK_FALSE(message_number("0"));
  CHECK_FALSE(message_number("-1"));
  CHECK_FALSE(message_number("+1"));
  CHECK_FALSE(message_number("1x"));
  CHECK_FALSE(message_number("4294967296"));
  CHECK_FALSE(message_number(""));
  CHECK(line_count("0") == 0u);
}

TEST_CASE("responses carry RFC 2449 codes") {
  CHECK(ok() == "+OK\r\n");
  CHECK(ok("2 320") == "+OK 2 320\r\n");
  CHECK(err("Mailbox is locked by another session", "IN-USE") ==
        "-ERR [IN-USE] Mailbox is locked by another session\r\n");
  CHECK(err("No such message") == "-ERR No such message\r\n");
}

TEST_CASE("multi-line bodies are byte-stuffed and end with a dot line, in any chunking") {
  const std::string message = "Subject: x\r\n\r\n.hidden\r\nplain\n..two\r\nlast";
  const std::string expected = "Subject: x\r\n\r\n..hidden\r\nplain\r\n...two\r\nlast\r\n.\r\n";
  CHECK(encode(message) == expected);
  CHECK(encode(message, std::nullopt, 1) == expected);
  CHECK(encode("") == ".\r\n");
  CHECK(encode("a\r\n") == "a\r\n.\r\n");
}

TEST_CASE("TOP sends the header, the empty line and n body lines") {
  const std::string message = "A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";
  CHECK(encode(message, 0) == "A: 1\r\nB: 2\r\n\r\n.\r\n");
  CHECK(encode(message, 2) == "A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\n.\r\n");
  CHECK(encode(message, 2, 1) == "A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\n.\r\n");
  CHECK(encode(message, 10) == message + ".\r\n");
}

TEST_CASE("client workarounds: NULs become 0x80, a missing end of header is added") {
  using namespace std::string_literals;
  const ClientWorkarounds both{.outlook_no_nuls = true, .oe_ns_eoh = true};
  const auto with_nul = "A: 1\r\n\r\nx\0y\r\n"s;
  CHECK(encode(with_nul) == with_nul + ".\r\n");  // off: byte-exact
  CHECK(encode(with_nul, std::nullopt, 1000, both) == "A: 1\r\n\r\nx\x80y\r\n.\r\n");
  CHECK(encode("A: 1\r\nB: 2", std::nullopt, 1000, both) == "A: 1\r\nB: 2\r\n\r\n.\r\n");
  CHECK(encode("A: 1\r\nB: 2\r\n", 0, 1, both) == "A: 1\r\nB: 2\r\n\r\n.\r\n");
  CHECK(encode("A: 1\r\n\r\nbody", 0, 1000, both) == "A: 1\r\n\r\n.\r\n");  // had one
  CHECK(encode("A: 1\r\nB: 2", std::nullopt) == "A: 1\r\nB: 2\r\n.\r\n");
}

TEST_CASE("UIDLs are stable, printable and unique per UIDVALIDITY and UID") {
  CHECK(uidl(1700000000, 42) == "0000002A6553F100");
  CHECK(uidl(1, 2) != uidl(2, 1));
}

}  // namespace
}  // namespace tessera::pop3
