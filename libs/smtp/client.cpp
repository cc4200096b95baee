#include "smtp/client.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "net/errors.hpp"

namespace tessera::smtp {
namespace {

constexpr const char* kBadReply = "smtp.bad_reply";
constexpr const char* kReplyTooLong = "smtp.reply_too_long";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// §4.2.1: 2yz is a positive completion; 3yz (354) only asks for more.
bool accepted(const Reply& reply) {
  return reply.code >= 200 && reply.code < 300;
}

// The start of a line for an error message: printable ASCII only (logs stay one line).
std::string excerpt(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 64))
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  return out;
}

// The length of a leading RFC 3463 code "c.sss.ddd" whose class is the reply's (RFC 2034 §4),
// followed by a space or the end; 0 when there is none.
std::size_t enhanced_length(std::string_view text, int code) {
  if (text.size() < 5 || text[0] != static_cast<char>('0' + code / 100) || text[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    const std::size_t start = i;
    while (i < text.size() && i - start < 4 && is_digit(text[i]))
      ++i;
    if (i == start || i - start > 3) return 0;
    if (part == 0 && (i >= text.size() || text[i++] != '.')) return 0;
  }
  return i == text.size() || text[i] == ' ' ? i : 0;
}

bool one_line(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool needs_smtputf8(const Envelope& envelope) {
  const auto utf8 = [](const Path& path) { return path.mailbox && path.mailbox->utf8; };
  return envelope.mail.smtputf8 || utf8(envelope.mail.path) ||
         std::any_of(envelope.recipients.begin(), envelope.recipients.end(),
                     [&](const RcptTo& rcpt) { return utf8(rcpt.path); });
}

std::string angle(const Path& path) {
  return "<" + path.text() + ">";
}

// RFC 6152 §2, RFC 3030 §3: BODY only with the extension that defines its value.
std::string body_parameter(Body body, const Capabilities& offered) {
  switch (body) {
    case Body::seven_bit:
      return offered.has("8BITMIME") ? " BODY=7BIT" : "";
    case Body::eight_bit_mime:
      return offered.has("8BITMIME") ? " BODY=8BITMIME" : "";
    case Body::binary_mime:
      return offered.has("BINARYMIME") ? " BODY=BINARYMIME" : "";
    case Body::unspecified:
      break;
  }
  return "";
}

std::string notify_parameter(unsigned notify) {
  if (notify == 0) return "";
  if ((notify & notify_never) != 0) return " NOTIFY=NEVER";  // RFC 3461 §4.1: it stands alone
  std::string out;
  for (const auto& [bit, name] :
       {std::pair{notify_success, "SUCCESS"}, std::pair{notify_failure, "FAILURE"},
        std::pair{notify_delay, "DELAY"}}) {
    if ((notify & bit) != 0) out += (out.empty() ? " NOTIFY=" : ",") + std::string(name);
  }
  return out;
}

// Up to `n` bytes of the message from `offset`; an error when the source gives out early.
Result<std::string> read_piece(const MessageSource& message, std::uint64_t offset, std::size_t n) {
  if (offset >= message.size) return std::string();
  auto piece = message.read(offset, n);
  if (!piece) return piece.error();
  if (piece->empty()) {
    return make_error("smtp.message_source", "the message ended at " + std::to_string(offset) +
                                                 " of " + std::to_string(message.size) + " bytes");
  }
  return piece;
}

}  // namespace

// --- Capabilities -------------------------------------------------------------------------

Capabilities Capabilities::parse(const Reply& ehlo) {
  Capabilities out;
  std::string_view text = ehlo.text;
  for (auto nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n')) {
    text.remove_prefix(nl + 1);  // the first line is the server's name (§4.1.1.1)
    const std::string_view line = text.substr(0, text.find('\n'));
    const auto space = line.find(' ');
    const std::string keyword = ascii_upper(line.substr(0, space));
    const bool valid = !keyword.empty() && keyword[0] != '-' &&
                       std::all_of(keyword.begin(), keyword.end(), [](char c) {
                         return is_digit(c) || (c >= 'A' && c <= 'Z') || c == '-';
                       });
    if (!valid) continue;  // §4.1.1.1 ehlo-keyword; anything else is not an extension
    const std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
    out.entries_.emplace(keyword, std::string(rest));
  }
  return out;
}

bool Capabilities::has(std::string_view keyword) const {
  return entries_.find(ascii_upper(keyword)) != entries_.end();
}

std::optional<std::string_view> Capabilities::parameters(std::string_view keyword) const {
  const auto it = entries_.find(ascii_upper(keyword));
  if (it == entries_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::uint64_t Capabilities::size_limit() const {
  const auto value = parameters("SIZE");
  std::uint64_t limit = 0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), limit);
  return limit;
}

// --- ReplyParser --------------------------------------------------------------------------

Result<std::optional<Reply>> ReplyParser::feed(std::string_view line) {
  if (++lines_ > max_lines_) {
    return make_error(kReplyTooLong, "reply longer than " + std::to_string(max_lines_) + " lines");
  }
  // §4.2: Reply-code [ ("-" / SP) textstring ]; the code is 2yz to 5yz (§4.2.1).
  const bool has_code = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && is_digit(line[1]) &&
                        is_digit(line[2]);
  if (!has_code || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
    return make_error(kBadReply, "not an SMTP reply: \"" + excerpt(line) + "\"");
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (lines_ > 1 && code != reply_.code)
    return make_error(kBadReply, "reply code changed within a reply: \"" + excerpt(line) + "\"");
  reply_.code = code;
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (enhanced_) {
    if (const auto n = enhanced_length(text, code); n > 0) {
      if (reply_.enhanced.empty()) reply_.enhanced = std::string(text.substr(0, n));
      text.remove_prefix(std::min(n + 1, text.size()));
    }
  }
  if (lines_ > 1) reply_.text += '\n';
  reply_.text += text;
  if (line.size() > 3 && line[3] == '-') return std::optional<Reply>();
  Reply done = std::move(reply_);
  reply_ = {};
  lines_ = 0;
  return std::optional<Reply>(std::move(done));
}

// --- MessageSource, SendResult ------------------------------------------------------------

MessageSource MessageSource::of(std::string_view bytes) {
  return {bytes.size(), [bytes](std::size_t offset, std::size_t n) -> Result<std::string> {
            return std::string(bytes.substr(std::min(offset, bytes.size()), n));
          }};
}

MessageSource MessageSource::of(const Spool& spool) {
  return {spool.size(), [&spool](std::size_t offset, std::size_t n) -> Result<std::string> {
            return spool.read(offset, n);
          }};
}

const Reply& SendResult::outcome(std::size_t recipient) const {
  if (!accepted(mail) || recipient >= recipients.size()) return mail;
  if (!accepted(recipients[recipient]) || data.empty()) return recipients[recipient];
  if (data.size() == 1) return data.front();
  // LMTP: the n-th final reply belongs to the n-th accepted recipient.
  const auto before = std::count_if(recipients.begin(), recipients.begin() + recipient, accepted);
  return data[std::min(static_cast<std::size_t>(before), data.size() - 1)];
}

// --- wire formats -------------------------------------------------------------------------

std::string format_mail(const MailFrom& mail, const Capabilities& offered, std::uint64_t size,
                        bool smtputf8) {
  std::string out = "MAIL FROM:" + angle(mail.path);
  if (offered.has("SIZE")) out += " SIZE=" + std::to_string(size);  // RFC 1870 §6
  out += body_parameter(mail.body, offered);
  if (smtputf8 && offered.has("SMTPUTF8")) out += " SMTPUTF8";  // RFC 6531 §3.4
  if (offered.has("DSN")) {                                     // RFC 3461 §4.3, §4.4
    if (mail.ret == DsnReturn::full) out += " RET=FULL";
    if (mail.ret == DsnReturn::headers) out += " RET=HDRS";
    if (!mail.envid.empty()) out += " ENVID=" + encode_xtext(mail.envid);
  }
  return out;
}

std::string format_rcpt(const RcptTo& rcpt, const Capabilities& offered) {
  std::string out = "RCPT TO:" + (rcpt.postmaster ? std::string("<Postmaster>") : angle(rcpt.path));
  if (offered.has("DSN")) {  // RFC 3461 §4.1, §4.2
    out += notify_parameter(rcpt.notify);
    if (!rcpt.orcpt_type.empty())
      out += " ORCPT=" + rcpt.orcpt_type + ";" + encode_xtext(rcpt.orcpt);
  }
  return out;
}

void DotStuffer::feed(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 64 + 2);
  for (char c : in) {
    if (c == '\n') {
      if (!after_cr_) out.push_back('\r');
      out.push_back('\n');
      line_start_ = true;
      after_cr_ = false;
      continue;
    }
    if (line_start_ && c == '.') out.push_back('.');
    out.push_back(c);
    line_start_ = false;
    after_cr_ = c == '\r';
  }
}

void DotStuffer::finish(std::string& out) {
  if (!line_start_) out += after_cr_ ? "\n" : "\r\n";
  out += ".\r\n";
  *this = DotStuffer();
}

// --- Client -------------------------------------------------------------------------------

Client::Client(net::Stream stream, ClientSettings settings)
    : stream_(std::move(stream)),
      settings_(settings),
      reader_(stream_, {.max_line_bytes = settings.max_reply_line,
                        .read_timeout = settings.timeouts.command}) {}

awaitable<Status> Client::write(std::string_view bytes, net::Clock::duration timeout) {
  Status written = co_await net::write_all(stream_, bytes, timeout);
  if (!written) stream_.close();  // a timed-out write leaves the stream fit only for close
  co_return written;
}

awaitable<Result<Reply>> Client::read_reply(net::Clock::duration timeout) {
  ReplyParser parser(settings_.max_reply_lines, has("ENHANCEDSTATUSCODES"));
  const auto deadline = net::Clock::now() + timeout;
  for (;;) {
    // The lines of one reply share its timeout: a server cannot stretch it line by line.
    reader_.set_read_timeout(
        std::max<net::Clock::duration>(deadline - net::Clock::now(), std::chrono::milliseconds(1)));
    auto line = co_await reader_.read_line();
    Result<std::optional<Reply>> step = std::optional<Reply>();
    if (!line && line.error().code == net::errc::line_too_long) {
      step = make_error(kReplyTooLong, "reply line longer than " +
                                           std::to_string(settings_.max_reply_line) + " bytes");
    } else if (!line) {
      step = line.error();
    } else {
      step = parser.feed(*line);
    }
    if (!step) {
      stream_.close();  // out of step with the server: nothing more can be read or said
      co_return step.error();
    }
    if (step->has_value()) co_return std::move(**step);
  }
}

awaitable<Result<Reply>> Client::command(std::string line, net::Clock::duration timeout) {
  if (!one_line(line)) co_return make_error("smtp.bad_command", "line break in a command");
  line += "\r\n";
  if (Status written = co_await write(line, timeout); !written) co_return written.error();
  co_return co_await read_reply(timeout);
}

awaitable<Result<Reply>> Client::read_greeting() {
  co_return co_await read_reply(settings_.timeouts.greeting);
}

awaitable<Result<Reply>> Client::hello(std::string name, Dialect dialect) {
  dialect_ = dialect;
  capabilities_ = Capabilities();
  greeted_ = esmtp_ = false;
  const std::string verb = dialect == Dialect::lmtp ? "LHLO " : "EHLO ";
  auto reply = co_await command(verb + name, settings_.timeouts.command);
  if (reply && reply->code == 250) {
    capabilities_ = Capabilities::parse(*reply);
    greeted_ = esmtp_ = true;
  }
  // §3.2: a server that does not know EHLO answers 5xx, and the client falls back to HELO.
  // LMTP has no HELO (RFC 2033 §4.1).
  if (!reply || reply->code == 250 || lmtp() || !reply->permanent()) co_return reply;
  auto helo = co_await command("HELO " + name, settings_.timeouts.command);
  greeted_ = helo && helo->code == 250;
  co_return helo;
}

awaitable<Result<Reply>> Client::starttls(std::shared_ptr<asio::ssl::context> context,
                                          std::string server_name, bool verify) {
  auto reply = co_await command("STARTTLS", settings_.timeouts.command);
  if (!reply || reply->code != 220) co_return reply;
  // Bytes behind the 220 came in the clear and would be read as if protected: a man in the
  // middle's injected replies (the client side of CVE-2011-0411, "NO STARTTLS" 2021).
  if (const auto dropped = reader_.discard_buffer(); dropped > 0)
    spdlog::warn("smtp client: dropped {} bytes received in the clear after 220 to STARTTLS",
                 dropped);
  Status handshake = co_await stream_.client_handshake(std::move(context), std::move(server_name),
                                                       verify, settings_.timeouts.tls_handshake);
  if (!handshake) co_return handshake.error();
  // RFC 3207 §4.2: the client MUST discard what it knew from the server and EHLO again.
  capabilities_ = Capabilities();
  greeted_ = esmtp_ = false;
  co_return reply;
}

awaitable<Result<Reply>> Client::reset() {
  co_return co_await command("RSET", settings_.timeouts.command);
}

awaitable<Result<Reply>> Client::quit() {
  auto reply = co_await command("QUIT", settings_.timeouts.command);
  co_await stream_.shutdown(std::chrono::seconds(5));
  co_return reply;
}

std::optional<Reply> Client::refusal(const Envelope& envelope, std::uint64_t size) const {
  // RFC 6531 §3.2: a message that needs SMTPUTF8 must not go to a server without it.
  if (needs_smtputf8(envelope) && !has("SMTPUTF8"))
    return Reply{554, "5.6.7", "SMTPUTF8 is required, but was not offered by the server"};
  // RFC 3030 §3: binary bodies need BINARYMIME, and go only by BDAT.
  if (envelope.mail.body == Body::binary_mime && !(has("BINARYMIME") && has("CHUNKING")))
    return Reply{554, "5.6.3", "BINARYMIME is required, but was not offered by the server"};
  // RFC 1870 §6.1: no point sending what the server has said it will refuse.
  if (const auto limit = size_limit(); limit > 0 && size > limit) {
    return Reply{552, "5.3.4",
                 "message size " + std::to_string(size) + " exceeds the server's limit of " +
                     std::to_string(limit)};
  }
  return std::nullopt;
}

awaitable<Result<SendResult>> Client::send(const Envelope& envelope, std::string_view message) {
  MessageSource source = MessageSource::of(message);  // a named local (GCC 12, see net/README)
  co_return co_await send(envelope, std::move(source));
}

awaitable<Result<SendResult>> Client::send(const Envelope& envelope, MessageSource message) {
  if (!greeted_) co_return make_error("smtp.client_sequence", "send() before a successful hello()");
  SendResult result;
  const std::uint64_t size = envelope.mail.size.value_or(message.size);
  if (auto refused = refusal(envelope, size)) {
    result.mail = std::move(*refused);
    result.local = true;
    co_return result;
  }
  if (Status sent = co_await send_envelope(envelope, size, result); !sent) co_return sent.error();
  if (!accepted(result.mail)) co_return result;
  const auto taken = static_cast<std::size_t>(
      std::count_if(result.recipients.begin(), result.recipients.end(), accepted));
  if (taken == 0) {
    // §3.3: no valid recipient, no data. The outcome is known: a failing RSET shows at the
    // next command.
    auto ignored = co_await reset();
    co_return result;
  }
  // RFC 3030 §3: BINARYMIME goes only by BDAT.
  const bool chunked =
      envelope.mail.body == Body::binary_mime || (settings_.prefer_chunking && has("CHUNKING"));
  Status body;
  if (chunked)
    body = co_await send_chunks(message, taken, result);
  else
    body = co_await send_data(message, taken, result);
  if (!body) co_return body.error();
  co_return result;
}

awaitable<Status> Client::send_envelope(const Envelope& envelope, std::uint64_t size,
                                        SendResult& result) {
  std::vector<std::string> lines;
  lines.push_back(format_mail(envelope.mail, capabilities_, size, needs_smtputf8(envelope)));
  for (const RcptTo& rcpt : envelope.recipients)
    lines.push_back(format_rcpt(rcpt, capabilities_));
  for (std::string& line : lines) {
    // A line break in an address or parameter would smuggle in a command of its own.
    if (!one_line(line)) co_return make_error("smtp.bad_command", "line break in the envelope");
    line += "\r\n";
  }
  // RFC 2920 §3.1: MAIL and every RCPT in one write, then the replies in order.
  const bool pipelining = has("PIPELINING");
  if (pipelining) {
    std::string batch;
    for (const std::string& line : lines)
      batch += line;
    if (Status written = co_await write(batch, settings_.timeouts.mail); !written)
      co_return written;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto timeout = i == 0 ? settings_.timeouts.mail : settings_.timeouts.rcpt;
    if (!pipelining) {
      if (Status written = co_await write(lines[i], timeout); !written) co_return written;
    }
    auto reply = co_await read_reply(timeout);
    if (!reply) co_return reply.error();
    if (i == 0)
      result.mail = std::move(*reply);
    else
      result.recipients.push_back(std::move(*reply));
    if (i == 0 && !pipelining && !accepted(result.mail)) break;  // no transaction: no RCPT
  }
  co_return Status{};
}

// §4.1.1.4: DATA, 354, the dot-stuffed message and its end line, the final reply(ies).
awaitable<Status> Client::send_data(const MessageSource& message, std::size_t taken,
                                    SendResult& result) {
  auto go = co_await command("DATA", settings_.timeouts.data_initiation);
  if (!go) co_return go.error();
  if (go->code != 354) {
    result.data.push_back(std::move(*go));
    auto ignored = co_await reset();  // else MAIL and RCPT stay in force on the server
    co_return Status{};
  }
  DotStuffer stuffer;
  std::string wire;
  std::uint64_t offset = 0;
  do {
    auto piece = read_piece(message, offset, settings_.chunk_size);
    if (!piece) {
      stream_.close();  // the end line never goes out, so the server delivers nothing
      co_return piece.error();
    }
    offset += piece->size();
    wire.clear();
    stuffer.feed(*piece, wire);
    if (offset >= message.size) stuffer.finish(wire);
    if (Status written = co_await write(wire, settings_.timeouts.data_block); !written)
      co_return written;
  } while (offset < message.size);
  co_return co_await read_final(taken, result);
}

// RFC 3030 §2: BDAT chunks carry the message as it is (no dot-stuffing, no end line); the last
// says LAST and gets the final reply(ies).
awaitable<Status> Client::send_chunks(const MessageSource& message, std::size_t taken,
                                      SendResult& result) {
  std::uint64_t offset = 0;
  for (;;) {
    auto piece = read_piece(message, offset, settings_.chunk_size);
    if (!piece) {
      stream_.close();  // without BDAT LAST the server delivers nothing
      co_return piece.error();
    }
    offset += piece->size();
    const bool last = offset >= message.size;
    std::string wire = "BDAT " + std::to_string(piece->size()) + (last ? " LAST\r\n" : "\r\n");
    wire += *piece;
    if (Status written = co_await write(wire, settings_.timeouts.data_block); !written)
      co_return written;
    if (last) co_return co_await read_final(taken, result);
    auto reply = co_await read_reply(settings_.timeouts.data_block);
    if (!reply) co_return reply.error();
    if (!accepted(*reply)) {
      result.data.push_back(std::move(*reply));
      auto ignored = co_await reset();
      co_return Status{};
    }
  }
}

awaitable<Status> Client::read_final(std::size_t taken, SendResult& result) {
  // RFC 2033 §4.2: LMTP answers the end of data once per accepted recipient, in order.
  const std::size_t count = lmtp() ? taken : 1;
  while (result.data.size() < count) {
    auto reply = co_await read_reply(settings_.timeouts.data_termination);
    if (!reply && result.data.empty()) co_return reply.error();
    if (!reply) {
      // Some LMTP recipients have their answer: keep them, and the rest are not known to be
      // delivered (a retry may deliver those twice; Postfix warns the same way).
      result.data.push_back(
          {451, "4.4.2", "lost connection after the end of data: " + reply.error().message});
      continue;
    }
    result.data.push_back(std::move(*reply));
  }
  co_return Status{};
}

}  // namespace tessera::smtp
