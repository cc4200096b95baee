#include "smtp/client.hpp"

#include <catch2/catch.hpp>

#include "net/errors.hpp"
#include "net/test_support.hpp"
#include "smtp/data_decoder.hpp"

namespace tessera::smtp {
namespace {

using namespace std::chrono_literals;
using net::testing::run_coro;

Path path(std::string_view text) {
  auto parsed = parse_path(text, true);
  if (!parsed) throw std::runtime_error("bad test path " + std::string(text));
  return *parsed;
}

MailFrom mail_from(std::string_view text) {
  MailFrom mail;
  mail.path = path(text);
  return mail;
}

RcptTo rcpt_to(std::string_view text) {
  RcptTo rcpt;
  rcpt.path = path(text);
  return rcpt;
}

Capabilities offering(const std::string& extensions) {
  return Capabilities::parse({250, "", "mx.example.org\n" + extensions});
}

// --- pure parts ---------------------------------------------------------------------------

TEST_CASE("SMTP client: replies are assembled from their lines, with enhanced codes") {
  struct Case {
    const char* name;
    std::vector<std::string> lines;
    bool enhanced;
    int want_code;  // 0: want an error
    std::string want_enhanced;
    std::string want_text;
    std::string want_error;
  };
  const std::vector<Case> cases = {
      {"one line", {"250 Ok"}, false, 250, "", "Ok", ""},
      {"multi-line",
       {"250-mx", "250-PIPELINING", "250 SIZE 10"},
       false,
       250,
       "",
       "mx\nPIPELINING\nSIZE 10",
       ""},
      {"code alone", {"354"}, false, 354, "", "", ""},
      {"enhanced", {"550 5.1.1 No such user"}, true, 550, "5.1.1", "No such user", ""},
      {"enhanced not offered",
       {"550 5.1.1 No such user"},
       false,
       550,
       "",
       "5.1.1 No such user",
       ""},
      {"enhanced of another class", {"250 5.1.1 odd"}, true, 250, "", "5.1.1 odd", ""},
      {"enhanced on every line", {"452-4.5.3 a", "452 4.5.3 b"}, true, 452, "4.5.3", "a\nb", ""},
      {"enhanced alone", {"250 2.0.0"}, true, 250, "2.0.0", "", ""},
      {"not a version", {"250 2.0.0x y"}, true, 250, "", "2.0.0x y", ""},
      {"no code", {"hello"}, false, 0, "", "", "smtp.bad_reply"},
      {"1yz", {"199 x"}, false, 0, "", "", "smtp.bad_reply"},
      {"bad separator", {"250x"}, false, 0, "", "", "smtp.bad_reply"},
      {"codes differ", {"250-a", "251 b"}, false, 0, "", "", "smtp.bad_reply"},
      {"too many lines",
       {"250-a", "250-b", "250-c", "250 d"},
       false,
       0,
       "",
       "",
       "smtp.reply_too_long"},
  };
  for (const Case& c : cases) {
    ReplyParser parser(3, c.enhanced);
    std::optional<Reply> got;
    std::string error;
    for (const std::string& line : c.lines) {
      REQUIRE_FALSE(got.has_value());  // nothing after the last line
      auto step = parser.feed(line);
      if (!step) {
        error = step.error().code;
        break;
      }
      got = *step;
    }
    INFO(c.name << ": error " << error);
    CHECK(error == c.want_error);
    if (c.want_code == 0) continue;
    REQUIRE(got.has_value());
    CHECK(got->code == c.want_code);
    CHECK(got->enhanced == c.want_enhanced);
    CHECK(got->text == c.want_text);
  }
}

TEST_CASE("SMTP client: EHLO capabilities are keywords in upper case with their parameters") {
  const auto caps = offering("PIPELINING\nsize 1000\nAUTH PLAIN LOGIN\n8BITMIME\n-bad\n");
  CHECK(caps.has("pipelining"));
  CHECK(caps.has("8BITMIME"));
  CHECK(caps.size_limit() == 1000);
  CHECK(caps.parameters("Auth") == "PLAIN LOGIN");
  CHECK(caps.parameters("PIPELINING") == "");
  CHECK_FALSE(caps.parameters("STARTTLS").has_value());
  CHECK_FALSE(caps.has("-bad"));
  CHECK_FALSE(caps.has("mx.example.org"));  // the first line is the name, not an extension
  CHECK(offering("SIZE").size_limit() == 0);
  CHECK(Capabilities::parse({250, "", "mx.example.org"}).empty());
}

TEST_CASE("SMTP client: MAIL and RCPT carry only the parameters the server offered") {
  MailFrom mail = mail_from("<a@x.org>");
  mail.body = Body::eight_bit_mime;
  mail.ret = DsnReturn::headers;
  mail.envid = "Q+1";
  RcptTo rcpt = rcpt_to("<b@y.org>");
  rcpt.notify = notify_success | notify_delay;
  rcpt.orcpt_type = "rfc822";
  rcpt.orcpt = "b+y@y.org";
  const auto all = offering("SIZE 100\n8BITMIME\nSMTPUTF8\nDSN");
  const auto none = offering("PIPELINING");
  CHECK(format_mail(mail, all, 42, true) ==
        "MAIL FROM:<a@x.org> SIZE=42 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=Q+2B1");
  CHECK(format_mail(mail, none, 42, true) == "MAIL FROM:<a@x.org>");
  CHECK(format_mail(mail_from("<>"), all, 0, false) == "MAIL FROM:<> SIZE=0");
  CHECK(format_rcpt(rcpt, all) ==
        "RCPT TO:<b@y.org> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2By@y.org");
  CHECK(format_rcpt(rcpt, none) == "RCPT TO:<b@y.org>");
  rcpt.notify = notify_never | notify_failure;
  CHECK(format_rcpt(rcpt, offering("DSN")).starts_with("RCPT TO:<b@y.org> NOTIFY=NEVER ORCPT="));
  RcptTo postmaster;
  postmaster.path = path("<postmaster@y.org>");
  postmaster.postmaster = true;
  CHECK(format_rcpt(postmaster, all) == "RCPT TO:<Postmaster>");
}

TEST_CASE("SMTP client: DotStuffer in pieces gives dot_stuff's bytes, and CRLF for bare LF") {
  for (const std::string message :
       {"", "a", "a\r\n", ".a\r\n..b\r\n.\r\nc\r\n", "x\r\n.", "\r\n.\r\n", ". \r\n.."}) {
    for (std::size_t piece = 1; piece <= message.size() + 1; ++piece) {
      DotStuffer stuffer;
      std::string out;
      for (std::size_t at = 0; at < message.size(); at += piece)
        stuffer.feed(std::string_view(message).substr(at, piece), out);
      stuffer.finish(out);
      INFO("message \"" << message << "\" in pieces of " << piece);
      CHECK(out == dot_stuff(message));
    }
  }
  DotStuffer stuffer;
  std::string out;
  stuffer.feed("a\n.b\nc\r", out);
  stuffer.feed("\nd", out);
  stuffer.finish(out);
  CHECK(out == "a\r\n..b\r\nc\r\nd\r\n.\r\n");
}

TEST_CASE("SMTP client: outcome maps each recipient to the reply that decides it") {
  SendResult lmtp;
  lmtp.mail = {250, "2.1.0", "Ok"};
  lmtp.recipients = {{250, "", "a"}, {550, "", "b"}, {250, "", "c"}};
  lmtp.data = {{250, "", "first"}, {452, "", "third"}};
  CHECK(lmtp.outcome(0).text == "first");
  CHECK(lmtp.outcome(1).text == "b");
  CHECK(lmtp.outcome(2).text == "third");
  SendResult refused;
  refused.mail = {451, "", "later"};
  CHECK(refused.outcome(0).text == "later");
}

// --- against the server engine ------------------------------------------------------------

// Accepts recipients @example.org except nobody@; LMTP: "full@" gets 452 after the data.
struct FakeHandler : Handler {
  std::vector<std::string> delivered;
  std::vector<std::size_t> recipients;
  std::vector<MailFrom> mails;
  std::vector<bool> chunked;
  std::vector<bool> tls;
  int resets = 0;

  awaitable<Reply> mail(const SessionInfo&, const MailFrom& mail) override {
    mails.push_back(mail);
    co_return Reply{250, "2.1.0", "Ok"};
  }
  awaitable<Reply> rcpt(const SessionInfo&, const Transaction&, const RcptTo& rcpt) override {
    if (rcpt.path.mailbox->domain != "example.org") co_return Reply{554, "5.7.1", "Relay denied"};
    if (rcpt.path.mailbox->local == "nobody") co_return Reply{550, "5.1.1", "No such user"};
    co_return Reply{250, "2.1.5", "Ok"};
  }
  awaitable<std::vector<Reply>> deliver(const SessionInfo& session, Transaction& t) override {
    delivered.push_back(*t.body.read(0, t.body.size()));
    recipients.push_back(t.recipients.size());
    chunked.push_back(t.chunked);
    tls.push_back(session.tls);
    std::vector<Reply> out;
    for (const RcptTo& rcpt : t.recipients) {
      if (rcpt.path.mailbox->local == "full")
        out.push_back({452, "4.2.2", "Mailbox full"});
      else
        out.push_back({250, "2.0.0", "Ok: queued as " + t.id});
    }
    if (session.dialect == Dialect::smtp) out.resize(1);
    co_return out;
  }
  void reset() override { ++resets; }
};

awaitable<void> serve_one(net::Stream stream, const ServerSettings& settings, Handler& handler) {
  // A named local: GCC 12 mishandles aggregates built inside co_await.
  net::Connection connection{std::move(stream), {}, {}, {}, {}};
  co_await serve(std::move(connection), settings, handler);
}

// A man in the middle that only listens: forwards both ways and keeps what the client wrote.
struct Tap {
  Tap(tcp::socket client, tcp::socket server)
      : client_side(std::move(client)), server_side(std::move(server)) {}
  tcp::socket client_side;
  tcp::socket server_side;
  std::string sent;
};

awaitable<void> pump(std::shared_ptr<Tap> tap, bool upstream) {
  tcp::socket& from = upstream ? tap->client_side : tap->server_side;
  tcp::socket& to = upstream ? tap->server_side : tap->client_side;
  std::array<char, 8192> buffer;
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer), use_nothrow);
    if (upstream) tap->sent.append(buffer.data(), n);
    auto [write_ec, written] =
        co_await asio::async_write(to, asio::buffer(buffer.data(), n), use_nothrow);
    if (ec || write_ec) break;
  }
  error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

using ClientBody = std::function<awaitable<void>(Client&)>;

// Runs `body` with a Client talking to one server engine session through a Tap; returns the
// bytes the client wrote.
std::string with_server(FakeHandler& handler, ServerSettings settings, ClientSettings client,
                        ClientBody body) {
  std::string wire;
  settings.hostname = "mx.example.org";
  settings.spool_directory = std::filesystem::temp_directory_path().string();
  run_coro([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto [server, tap_server] = co_await net::testing::socket_pair();
    auto [tap_client, socket] = co_await net::testing::socket_pair();
    auto tap = std::make_shared<Tap>(std::move(tap_client), std::move(tap_server));
    asio::co_spawn(executor, serve_one(net::Stream(std::move(server)), settings, handler),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
    asio::co_spawn(executor, pump(tap, true), asio::detached);
    asio::co_spawn(executor, pump(tap, false), asio::detached);
    Client session(net::Stream(std::move(socket)), client);
    co_await body(session);
    wire = tap->sent;
  });
  return wire;
}

awaitable<void> greet(Client& client, Dialect dialect = Dialect::smtp) {
  auto greeting = co_await client.read_greeting();
  REQUIRE(greeting.has_value());
  CHECK(greeting->code == 220);
  auto hello = co_await client.hello("client.example", dialect);
  REQUIRE(hello.has_value());
  CHECK(hello->code == 250);
}

awaitable<void> quit(Client& client) {
  auto bye = co_await client.quit();
  REQUIRE(bye.has_value());
  CHECK(bye->code == 221);
}

TEST_CASE("SMTP client: greeting and EHLO capabilities from the server engine") {
  FakeHandler handler;
  with_server(handler, {}, {}, [&](Client& client) -> awaitable<void> {
    auto greeting = co_await client.read_greeting();
    REQUIRE(greeting.has_value());
    CHECK(greeting->code == 220);
    CHECK(greeting->text == "mx.example.org ESMTP Tessera");
    const Envelope nobody;
    auto send_early = co_await client.send(nobody, "x");
    REQUIRE_FALSE(send_early.has_value());
    CHECK(send_early.error().code == "smtp.client_sequence");
    auto hello = co_await client.hello("client.example");
    REQUIRE(hello.has_value());
    CHECK(hello->text.starts_with("mx.example.org\nPIPELINING\n"));
    CHECK(client.esmtp());
    for (const char* keyword :
         {"PIPELINING", "SIZE", "8bitmime", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "DSN"}) {
      INFO(keyword);
      CHECK(client.has(keyword));
    }
    CHECK_FALSE(client.has("STARTTLS"));  // no TLS configured
    CHECK(client.size_limit() == 52428800);
    co_await quit(client);
  });
}

TEST_CASE("SMTP client: a pipelined send, one recipient refused, dot-stuffed on the wire") {
  FakeHandler handler;
  ClientSettings settings;
  settings.chunk_size = 7;  // the stuffing crosses piece boundaries
  const std::string message = "Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\nend\r\n";
  Envelope envelope{mail_from("<a@x.org>"),
                    {rcpt_to("<ann@example.org>"), rcpt_to("<nobody@example.org>"),
                     rcpt_to("<bob@example.org>")}};
  envelope.mail.body = Body::eight_bit_mime;
  envelope.recipients[2].notify = notify_success | notify_failure;
  const auto wire = with_server(handler, {}, settings, [&](Client& client) -> awaitable<void> {
    co_await greet(client);
    auto sent = co_await client.send(envelope, message);
    REQUIRE(sent.has_value());
    CHECK_FALSE(sent->local);
    CHECK(sent->mail.code == 250);
    CHECK(sent->mail.enhanced == "2.1.0");  // ENHANCEDSTATUSCODES was offered
    REQUIRE(sent->recipients.size() == 3);
    CHECK(sent->recipients[0].code == 250);
    CHECK(sent->recipients[1].code == 550);
    CHECK(sent->recipients[1].enhanced == "5.1.1");
    CHECK(sent->recipients[1].text == "No such user");
    CHECK(sent->recipients[2].code == 250);
    REQUIRE(sent->data.size() == 1);
    CHECK(sent->data[0].text.starts_with("Ok: queued as "));
    CHECK(sent->outcome(0).code == 250);
    CHECK(sent->outcome(1).code == 550);
    co_await quit(client);
  });
  INFO(wire);
  CHECK(
      wire.starts_with("EHLO client.example\r\n"
                       "MAIL FROM:<a@x.org> SIZE=" +
                       std::to_string(message.size()) +
                       " BODY=8BITMIME\r\n"
                       "RCPT TO:<ann@example.org>\r\nRCPT TO:<nobody@example.org>\r\n"
                       "RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE\r\nDATA\r\n"
                       "Subject: dots\r\n\r\n..leading\r\n...two\r\n..\r\nend\r\n.\r\nQUIT\r\n"));
  REQUIRE(handler.delivered.size() == 1);
  CHECK(handler.delivered[0] == message);
  CHECK(handler.recipients[0] == 2);
  CHECK(handler.mails[0].size == message.size());
}

TEST_CASE("SMTP client: BDAT chunks from a Spool when CHUNKING is offered and preferred") {
  FakeHandler handler;
  ClientSettings settings;
  settings.prefer_chunking = true;
  settings.chunk_size = 10;
  const std::string message = ".one\r\n..two\nbare LF, no dot-stuffing\r\n.";
  Spool spool(std::filesystem::temp_directory_path().string(), 16);  // the rest in a file
  REQUIRE(spool.append(message).has_value());
  Envelope envelope{mail_from("<a@x.org>"), {rcpt_to("<ann@example.org>")}};
  const auto wire = with_server(handler, {}, settings, [&](Client& client) -> awaitable<void> {
    co_await greet(client);
    MessageSource source = MessageSource::of(spool);
    auto sent = co_await client.send(envelope, std::move(source));
    REQUIRE(sent.has_value());
    REQUIRE(sent->data.size() == 1);
    CHECK(sent->data[0].code == 250);
    co_await quit(client);
  });
  INFO(wire);
  CHECK(wire.find("RCPT TO:<ann@example.org>\r\nBDAT 10\r\n.one\r\n..tw") != std::string::npos);
  CHECK(wire.find("BDAT " + std::to_string(message.size() - 30) + " LAST\r\n" + message.substr(30) +
                  "QUIT\r\n") != std::string::npos);
  CHECK(wire.find("DATA") == std::string::npos);
  REQUIRE(handler.delivered.size() == 1);
  CHECK(handler.delivered[0] == message);  // BDAT carries the bytes as they are
  CHECK(handler.chunked[0]);
}

TEST_CASE("LMTP client: one final reply per accepted recipient") {
  FakeHandler handler;
  ServerSettings settings;
  settings.dialect = Dialect::lmtp;
  Envelope envelope{mail_from("<a@x.org>"),
                    {rcpt_to("<ann@example.org>"), rcpt_to("<nobody@example.org>"),
                     rcpt_to("<full@example.org>"), rcpt_to("<bob@example.org>")}};
  const auto wire = with_server(handler, settings, {}, [&](Client& client) -> awaitable<void> {
    co_await greet(client, Dialect::lmtp);
    auto sent = co_await client.send(envelope, "Subject: lmtp\r\n\r\nhi\r\n");
    REQUIRE(sent.has_value());
    REQUIRE(sent->data.size() == 3);
    CHECK(sent->outcome(0).code == 250);
    CHECK(sent->outcome(1).code == 550);
    CHECK(sent->outcome(2).code == 452);
    CHECK(sent->outcome(2).enhanced == "4.2.2");
    CHECK(sent->outcome(3).code == 250);
    co_await quit(client);
  });
  CHECK(wire.starts_with("LHLO client.example\r\n"));
  CHECK(handler.recipients == std::vector<std::size_t>{3});
}

TEST_CASE("SMTP client: every recipient refused: no data, RSET, and the session goes on") {
  FakeHandler handler;
  Envelope refused{mail_from("<a@x.org>"),
                   {rcpt_to("<x@foreign.org>"), rcpt_to("<nobody@example.org>")}};
  Envelope good{mail_from("<a@x.org>"), {rcpt_to("<ann@example.org>")}};
  const auto wire = with_server(handler, {}, {}, [&](Client& client) -> awaitable<void> {
    co_await greet(client);
    auto sent = co_await client.send(refused, "never sent\r\n");
    REQUIRE(sent.has_value());
    CHECK(sent->mail.code == 250);
    CHECK(sent->recipients.size() == 2);
    CHECK(sent->data.empty());
    CHECK(sent->outcome(0).code == 554);
    CHECK(sent->outcome(1).code == 550);
    CHECK(handler.resets == 1);  // the server's transaction ended with RSET
    auto again = co_await client.send(good, "second\r\n");
    REQUIRE(again.has_value());
    CHECK(again->outcome(0).code == 250);
    co_await quit(client);
  });
  INFO(wire);
  CHECK(wire.find("RCPT TO:<nobody@example.org>\r\nRSET\r\nMAIL FROM:") != std::string::npos);
  CHECK(wire.find("never sent") == std::string::npos);
  CHECK(handler.delivered == std::vector<std::string>{"second\r\n"});
}

TEST_CASE("SMTP client: STARTTLS against the server engine, then EHLO again") {
  net::testing::TempDir dir;
  net::testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"), "localhost");
  auto loaded = net::TlsContext::load(dir.file("cert.pem"), dir.file("key.pem"));
  REQUIRE(loaded.has_value());
  ServerSettings settings;
  settings.tls = std::make_shared<net::TlsContext>(std::move(*loaded));
  auto context = net::make_client_context();
  REQUIRE(context.has_value());
  (*context)->load_verify_file(dir.file("cert.pem"));
  FakeHandler handler;
  Envelope envelope{mail_from("<a@x.org>"), {rcpt_to("<ann@example.org>")}};
  const auto wire = with_server(handler, settings, {}, [&](Client& client) -> awaitable<void> {
    co_await greet(client);
    CHECK(client.has("STARTTLS"));
    auto go = co_await client.starttls(*context, "localhost", true);
    REQUIRE(go.has_value());
    CHECK(go->code == 220);
    CHECK(client.stream().is_tls());
    CHECK(client.capabilities().empty());  // RFC 3207 §4.2
    auto early = co_await client.send(envelope, "x\r\n");
    CHECK_FALSE(early.has_value());
    auto hello = co_await client.hello("client.example");
    REQUIRE(hello.has_value());
    CHECK(client.has("PIPELINING"));
    CHECK_FALSE(client.has("STARTTLS"));
    auto sent = co_await client.send(envelope, "Subject: secret\r\n\r\nhi\r\n");
    REQUIRE(sent.has_value());
    CHECK(sent->outcome(0).code == 250);
    co_await quit(client);
  });
  CHECK(wire.find("STARTTLS\r\n") != std::string::npos);
  CHECK(wire.find("secret") == std::string::npos);  // encrypted on the wire
  CHECK(handler.tls == std::vector<bool>{true});
}

// --- against scripted servers -------------------------------------------------------------

// One turn of a scripted server: read `lines` lines, then write `reply`.
struct Turn {
  std::size_t lines;
  std::string reply;
};

awaitable<void> scripted_server(tcp::socket socket, std::vector<Turn> script,
                                std::shared_ptr<std::vector<std::string>> got) {
  net::Stream stream(std::move(socket));
  net::LineReader reader(stream, {.max_line_bytes = 4096, .read_timeout = 5s});
  for (const Turn& turn : script) {
    for (std::size_t i = 0; i < turn.lines; ++i) {
      auto line = co_await reader.read_line();
      if (!line) co_return;
      got->push_back(*line);
    }
    if (!co_await net::write_all(stream, turn.reply)) co_return;
  }
}

using ScriptBody = std::function<awaitable<void>(Client&)>;

std::vector<std::string> with_script(std::vector<Turn> script, ClientSettings settings,
                                     ScriptBody body) {
  auto got = std::make_shared<std::vector<std::string>>();
  run_coro([&]() -> awaitable<void> {
    auto [server, socket] = co_await net::testing::socket_pair();
    asio::co_spawn(socket.get_executor(), scripted_server(std::move(server), script, got),
                   asio::detached);
    Client client(net::Stream(std::move(socket)), settings);
    co_await body(client);
  });
  return *got;
}

TEST_CASE("SMTP client: with PIPELINING, MAIL and every RCPT go out before any reply") {
  ClientSettings settings;
  settings.timeouts.mail = settings.timeouts.rcpt = 2s;  // a client that waits fails fast
  // The server answers MAIL only once it has all four lines; it offers no SIZE, 8BITMIME or
  // ENHANCEDSTATUSCODES.
  const std::vector<Turn> script = {
      {0, "220 raw.example\r\n"},
      {1, "250-raw.example\r\n250 PIPELINING\r\n"},
      {4, "250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n250 ok\r\n"},
      {1, "354 go\r\n"},
      {2, "250 queued\r\n"},
      {1, "221 bye\r\n"},
  };
  Envelope envelope{mail_from("<a@x.org>"),
                    {rcpt_to("<b@y.org>"), rcpt_to("<c@y.org>"), rcpt_to("<d@y.org>")}};
  envelope.mail.body = Body::eight_bit_mime;
  const auto got = with_script(script, settings, [&](Client& client) -> awaitable<void> {
    co_await greet(client);
    auto sent = co_await client.send(envelope, "hi\r\n");
    REQUIRE(sent.has_value());
    CHECK(sent->recipients[1].code == 550);
    CHECK(sent->recipients[1].enhanced.empty());  // not offered: the code stays in the text
    CHECK(sent->recipients[1].text == "5.1.1 unknown");
    CHECK(sent->outcome(2).text == "queued");
    co_await quit(client);
  });
  CHECK(got == std::vector<std::string>{"EHLO client.example", "MAIL FROM:<a@x.org>",
                                        "RCPT TO:<b@y.org>", "RCPT TO:<c@y.org>",
                                        "RCPT TO:<d@y.org>", "DATA", "hi", ".", "QUIT"});
}

TEST_CASE("SMTP client: HELO after a 5xx to EHLO; SMTPUTF8 needed but not offered") {
  const std::vector<Turn> script = {
      {0, "220 old.example\r\n"},
      {1, "502 5.5.2 what?\r\n"},
      {1, "250 old.example\r\n"},
      {1, "221 bye\r\n"},
  };
  Envelope envelope{mail_from("<a@x.org>"), {rcpt_to("<jörg@y.org>")}};
  const auto got = with_script(script, {}, [&](Client& client) -> awaitable<void> {
    co_await greet(client);
    CHECK_FALSE(client.esmtp());
    CHECK(client.capabilities().empty());
    auto sent = co_await client.send(envelope, "hi\r\n");
    REQUIRE(sent.has_value());
    CHECK(sent->local);
    CHECK(sent->mail.code == 554);
    CHECK(sent->mail.enhanced == "5.6.7");
    CHECK(sent->outcome(0).enhanced == "5.6.7");
    co_await quit(client);
  });
  CHECK(got == std::vector<std::string>{"EHLO client.example", "HELO client.example", "QUIT"});
}

// Writes `unit` over and over (or once) until the client goes away.
awaitable<void> flood(tcp::socket socket, std::string unit, bool repeat) {
  for (int i = 0; i < 1'000'000; ++i) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(unit), use_nothrow);
    if (ec || !repeat) break;
  }
  co_await net::testing::read_until_closed(socket, 5000ms);
}

TEST_CASE("SMTP client: a hostile or silent server is given up within the bounds") {
  struct Case {
    const char* name;
    std::string unit;
    bool repeat;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"endless multi-line reply", "220-" + std::string(100, 'x') + "\r\n", true,
       "smtp.reply_too_long"},
      {"endless line", std::string(1000, 'x'), true, "smtp.reply_too_long"},
      {"not SMTP", "HTTP/1.1 400 Bad Request\r\n", false, "smtp.bad_reply"},
      {"silent", "", false, std::string(net::errc::timeout)},
  };
  for (const Case& c : cases) {
    run_coro([&]() -> awaitable<void> {
      auto [server, socket] = co_await net::testing::socket_pair();
      asio::co_spawn(socket.get_executor(), flood(std::move(server), c.unit, c.repeat),
                     asio::detached);
      ClientSettings settings;
      settings.timeouts.greeting = 300ms;
      Client client(net::Stream(std::move(socket)), settings);
      const auto start = net::Clock::now();
      auto greeting = co_await client.read_greeting();
      INFO(c.name);
      REQUIRE_FALSE(greeting.has_value());
      CHECK(greeting.error().code == c.want);
      CHECK(net::Clock::now() - start < 3s);
      CHECK_FALSE(client.stream().is_open());
    });
  }
}

}  // namespace
}  // namespace tessera::smtp
