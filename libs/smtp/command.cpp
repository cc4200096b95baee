#include "smtp/command.hpp"

#include <charconv>
#include <cstdlib>

#include "base/ascii.hpp"
#include "base/utf8.hpp"

namespace tessera::smtp {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_non_ascii(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}

// atext (RFC 5322 §3.2.3), plus UTF-8 under SMTPUTF8 (RFC 6531 §3.3).
bool is_atext(char c, bool utf8) {
  if (is_alpha(c) || is_digit(c)) return true;
  if (is_non_ascii(c)) return utf8;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_string(std::string_view s, bool utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char previous = 0;
  for (char c : s) {
    if (c == '.' ? previous == '.' : !is_atext(c, utf8)) return false;
    previous = c;
  }
  return true;
}

// Domain (§4.1.2): sub-domains of letters, digits and hyphens, not starting or ending with one;
// a U-label may hold UTF-8 under SMTPUTF8. An address literal is "[...]" of printable ASCII.
bool is_domain(std::string_view s, bool utf8) {
  if (s.empty() || s.size() > 255) return false;
  if (s.front() == '[') {
    if (s.size() < 3 || s.back() != ']') return false;
    for (char c : s.substr(1, s.size() - 2))
      if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
    return true;
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = s[i];
    if (!(is_alpha(c) || is_digit(c) || c == '-' || (utf8 && is_non_ascii(c)))) return false;
    ++label;
  }
  return true;
}

// Local-part = Dot-string / Quoted-string (§4.1.2). Returns its canonical form: unquoted when
// the content is a valid dot-string (the two forms are the same mailbox), else quoted as sent.
std::optional<std::string> parse_local(std::string_view s, bool utf8) {
  if (s.empty() || s.size() > 64 + 2) return std::nullopt;
  if (s.front() != '"') {
    if (s.size() > 64 || !is_dot_string(s, utf8)) return std::nullopt;
    return std::string(s);
  }
  if (s.size() < 2 || s.back() != '"') return std::nullopt;
  std::string content;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      if (i + 2 >= s.size()) return std::nullopt;
      c = s[++i];
      if (c < 32 || c > 126) return std::nullopt;  // quoted-pairSMTP
    } else if (c == '"' || (static_cast<unsigned char>(c) < 32) || c == 127 ||
               (is_non_ascii(c) && !utf8)) {
      return std::nullopt;  // qtextSMTP
    }
    content.push_back(c);
  }
  if (content.size() > 64) return std::nullopt;
  if (is_dot_string(content, utf8)) return content;
  return std::string(s);
}

// Splits "<path> params" at the end of the path: the '>' outside a quoted string.
std::optional<std::pair<std::string_view, std::string_view>> split_path(std::string_view args) {
  if (args.empty()) return std::nullopt;
  if (args.front() != '<') {
    // Without brackets (a common client error Postfix accepts): the path is the first word.
    const auto sp = args.find(' ');
    if (sp == std::string_view::npos) return std::pair{args, std::string_view()};
    return std::pair{args.substr(0, sp), args.substr(sp + 1)};
  }
  bool quoted = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const char c = args[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      auto rest = args.substr(i + 1);
      if (!rest.empty() && rest.front() != ' ') return std::nullopt;
      if (!rest.empty()) rest.remove_prefix(1);
      return std::pair{args.substr(0, i + 1), rest};
    }
  }
  return std::nullopt;
}

struct Param {
  std::string keyword;  // upper case
  std::optional<std::string_view> value;
};

// Mail-parameters (§4.1.2): esmtp-keyword ["=" esmtp-value], separated by spaces.
std::optional<std::vector<Param>> split_params(std::string_view text) {
  std::vector<Param> out;
  while (!text.empty()) {
    if (text.front() == ' ') {
      text.remove_prefix(1);
      continue;
    }
    const auto sp = text.find(' ');
    auto item = text.substr(0, sp);
    text = sp == std::string_view::npos ? std::string_view() : text.substr(sp);
    const auto eq = item.find('=');
    Param param{ascii_upper(item.substr(0, eq)), std::nullopt};
    if (param.keyword.empty() || !(is_alpha(param.keyword[0]) || is_digit(param.keyword[0])))
      return std::nullopt;
    for (char c : param.keyword)
      if (!(is_alpha(c) || is_digit(c) || c == '-')) return std::nullopt;
    if (eq != std::string_view::npos) {
      auto value = item.substr(eq + 1);
      if (value.empty()) return std::nullopt;
      // esmtp-value: %d33-60 / %d62-126, plus UTF-8 (RFC 6531 §3.3).
      for (char c : value)
        if (c == '=' || (!is_non_ascii(c) && (c < 33 || c > 126))) return std::nullopt;
      if (!valid_utf8(value)) return std::nullopt;
      param.value = value;
    }
    out.push_back(std::move(param));
  }
  return out;
}

Error fail(int code, std::string_view enhanced, std::string_view text) {
  return reply_error(Reply{code, std::string(enhanced), std::string(text)});
}

Error unknown_parameter(const Param& p) {
  return fail(555, "5.5.4", "Unsupported option: " + p.keyword);
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
  std::uint64_t n = 0;
  if (s.empty() || s.size() > 20) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// "FROM:" / "TO:" then optional spaces (RFC 5321 has none; many clients send one).
std::optional<std::string_view> after_keyword(std::string_view args, std::string_view keyword) {
  if (args.size() < keyword.size() || ascii_upper(args.substr(0, keyword.size())) != keyword)
    return std::nullopt;
  args.remove_prefix(keyword.size());
  while (!args.empty() && args.front() == ' ')
    args.remove_prefix(1);
  while (!args.empty() && args.back() == ' ')
    args.remove_suffix(1);
  return args;
}

bool needs_utf8(std::string_view s) {
  for (char c : s)
    if (is_non_ascii(c)) return true;
  return false;
}

}  // namespace

CommandLine split_command(std::string_view line) {
  static constexpr std::pair<std::string_view, Verb> kVerbs[] = {
      {"HELO", Verb::helo}, {"EHLO", Verb::ehlo},         {"LHLO", Verb::lhlo},
      {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},         {"DATA", Verb::data},
      {"BDAT", Verb::bdat}, {"RSET", Verb::rset},         {"NOOP", Verb::noop},
      {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy},         {"EXPN", Verb::expn},
      {"HELP", Verb::help}, {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
  };
  CommandLine out;
  const auto sp = line.find(' ');
  out.name = ascii_upper(line.substr(0, std::min<std::size_t>(sp, 16)));
  out.args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  for (const auto& [name, verb] : kVerbs)
    if (out.name == name) out.verb = verb;
  return out;
}

std::optional<Path> parse_path(std::string_view text, bool allow_utf8) {
  if (text.size() > 256 + 2 || (!allow_utf8 && needs_utf8(text)) || !valid_utf8(text))
    return std::nullopt;
  if (text.starts_with('<')) {
    if (!text.ends_with('>') || text.size() < 2) return std::nullopt;
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty()) return Path{};
  // A-d-l ":" — the source route is accepted and ignored (§4.1.1.3, Appendix C).
  if (text.front() == '@') {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    for (auto route = text.substr(0, colon); !route.empty();) {
      const auto comma = route.find(',');
      auto hop = route.substr(0, comma);
      if (hop.size() < 2 || hop.front() != '@' || !is_domain(hop.substr(1), allow_utf8))
        return std::nullopt;
      route = comma == std::string_view::npos ? std::string_view() : route.substr(comma + 1);
    }
    text = text.substr(colon + 1);
  }
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  auto local = parse_local(text.substr(0, at), allow_utf8);
  const auto domain = text.substr(at + 1);
  if (!local || !is_domain(domain, allow_utf8)) return std::nullopt;
  Mailbox mailbox{std::move(*local), std::string(domain), needs_utf8(text)};
  return Path{std::move(mailbox)};
}

Result<MailFrom> parse_mail(std::string_view args, const Extensions& extensions) {
  auto rest = after_keyword(args, "FROM:");
  if (!rest) return fail(501, "5.5.4", "Syntax: MAIL FROM:<address>");
  auto split = split_path(*rest);
  if (!split) return fail(501, "5.1.7", "Bad sender address syntax");
  auto params = split_params(split->second);
  if (!params) return fail(501, "5.5.4", "Bad parameter syntax");
  MailFrom out;
  for (const auto& p : *params) {
    if (p.keyword == "SIZE" && p.value) {
      auto n = parse_number(*p.value);
      if (!n) return fail(501, "5.5.4", "Bad SIZE value");
      if (extensions.max_size != 0 && *n > extensions.max_size)
        return fail(552, "5.3.4", "Message size exceeds fixed limit");
      out.size = n;
    } else if (p.keyword == "BODY" && p.value) {
      const auto body = ascii_upper(*p.value);
      if (body == "7BIT") {
        out.body = Body::seven_bit;
      } else if (body == "8BITMIME" && extensions.eight_bit) {
        out.body = Body::eight_bit_mime;
      } else {
        return fail(555, "5.5.4", "Unsupported BODY type");
      }
    } else if (p.keyword == "SMTPUTF8" && !p.value && extensions.smtputf8) {
      out.smtputf8 = true;
    } else if (p.keyword == "RET" && p.value && extensions.dsn) {
      const auto ret = ascii_upper(*p.value);
      if (ret != "FULL" && ret != "HDRS") return fail(501, "5.5.4", "Bad RET value");
      if (out.ret != DsnReturn::unspecified) return fail(501, "5.5.4", "RET given twice");
      out.ret = ret == "FULL" ? DsnReturn::full : DsnReturn::headers;
    } else if (p.keyword == "AUTH" && p.value && extensions.auth) {
      auto auth = decode_xtext(*p.value);
      if (!auth) return fail(501, "5.5.4", "Bad AUTH value");
      out.auth = std::move(*auth);
    } else if (p.keyword == "ENVID" && p.value && extensions.dsn) {
      auto envid = decode_xtext(*p.value);
      if (!envid || envid->size() > 100) return fail(501, "5.5.4", "Bad ENVID value");
      out.envid = std::move(*envid);
    } else {
      return unknown_parameter(p);
    }
  }
  auto path = parse_path(split->first, out.smtputf8);
  if (!path) {
    if (!out.smtputf8 && needs_utf8(split->first))
      return fail(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
    return fail(501, "5.1.7", "Bad sender address syntax");
  }
  out.path = std::move(*path);
  return out;
}

Result<RcptTo> parse_rcpt(std::string_view args, const Extensions& extensions) {
  auto rest = after_keyword(args, "TO:");
  if (!rest) return fail(501, "5.5.4", "Syntax: RCPT TO:<address>");
  auto split = split_path(*rest);
  if (!split) return fail(501, "5.1.3", "Bad recipient address syntax");
  auto params = split_params(split->second);
  if (!params) return fail(501, "5.5.4", "Bad parameter syntax");
  RcptTo out;
  for (const auto& p : *params) {
    if (p.keyword == "NOTIFY" && p.value && extensions.dsn && out.notify == 0) {
      // RFC 3461 §4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY.
      for (auto list = ascii_upper(*p.value); !list.empty();) {
        const auto comma = list.find(',');
        const auto item = list.substr(0, comma);
        list = comma == std::string::npos ? std::string() : list.substr(comma + 1);
        unsigned bit = 0;
        if (item == "NEVER") bit = notify_never;
        if (item == "SUCCESS") bit = notify_success;
        if (item == "FAILURE") bit = notify_failure;
        if (item == "DELAY") bit = notify_delay;
        if (bit == 0 || (out.notify & bit) != 0) return fail(501, "5.5.4", "Bad NOTIFY value");
        out.notify |= bit;
      }
      if ((out.notify & notify_never) != 0 && out.notify != notify_never)
        return fail(501, "5.5.4", "NOTIFY=NEVER stands alone");
    } else if (p.keyword == "ORCPT" && p.value && extensions.dsn && out.orcpt_type.empty()) {
      // RFC 3461 §4.2: addr-type ";" xtext.
      const auto semi = p.value->find(';');
      auto decoded =
          semi == std::string_view::npos ? std::nullopt : decode_xtext(p.value->substr(semi + 1));
      if (!decoded || semi == 0 || decoded->empty() || decoded->size() > 500)
        return fail(501, "5.5.4", "Bad ORCPT value");
      out.orcpt_type = std::string(p.value->substr(0, semi));
      out.orcpt = std::move(*decoded);
    } else {
      return unknown_parameter(p);
    }
  }
  if (auto bare = split->first; bare.size() >= 10 && ascii_upper(bare) == "<POSTMASTER>") {
    out.postmaster = true;
    out.path.mailbox = Mailbox{"postmaster", "", false};
    return out;
  }
  // SMTPUTF8 of the MAIL command governs; the engine checks that separately and passes
  // utf8-allowed paths here: the address itself may carry UTF-8.
  auto path = parse_path(split->first, true);
  if (!path || !path->mailbox) return fail(501, "5.1.3", "Bad recipient address syntax");
  out.path = std::move(*path);
  return out;
}

Result<Bdat> parse_bdat(std::string_view args) {
  const auto sp = args.find(' ');
  auto size = parse_number(args.substr(0, sp));
  if (!size) return fail(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]");
  Bdat out{*size, false};
  if (sp != std::string_view::npos) {
    if (ascii_upper(args.substr(sp + 1)) != "LAST")
      return fail(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]");
    out.last = true;
  }
  return out;
}

Result<std::string> parse_hello(std::string_view args) {
  while (!args.empty() && args.back() == ' ')
    args.remove_suffix(1);
  // One word (§4.1.1.1); a client's bad name is logged, not refused (§4.1.4: no rejection for
  // a failing EHLO verification), but it must be printable for the Received field.
  if (args.empty()) return fail(501, "5.5.4", "Syntax: EHLO hostname");
  for (char c : args)
    if (c < 33 || c > 126) return fail(501, "5.5.4", "Bad hostname syntax");
  if (args.size() > 255) return fail(501, "5.5.4", "Hostname too long");
  return std::string(args);
}

std::optional<std::string> decode_xtext(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      if (i + 2 >= text.size()) return std::nullopt;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;  // xtext hex digits are upper case (RFC 3461 §4)
      };
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return std::nullopt;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string encode_xtext(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '+' || c == '=') {
      out.push_back('+');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Error reply_error(const Reply& reply) {
  std::string text = std::to_string(reply.code) + " " + reply.enhanced + " " + reply.text;
  return make_error("smtp.reply", std::move(text));
}

Reply reply_of(const Error& error) {
  if (error.code != "smtp.reply") return replies::temporary_failure(error.message);
  // "550 5.1.1 text": code, enhanced code, text.
  Reply out;
  std::string_view m = error.message;
  out.code = std::atoi(std::string(m.substr(0, 3)).c_str());
  m.remove_prefix(std::min<std::size_t>(4, m.size()));
  const auto sp = m.find(' ');
  out.enhanced = std::string(m.substr(0, sp));
  out.text = sp == std::string_view::npos ? std::string() : std::string(m.substr(sp + 1));
  return out;
}

}  // namespace tessera::smtp
