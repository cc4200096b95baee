#include "mime/mime.hpp"

#include <catch2/catch.hpp>

namespace mime = tessera::mime;

namespace {
std::string slice(std::string_view raw, std::uint64_t begin, std::uint64_t end) {
  return std::string(raw.substr(begin, end - begin));
}
}  // namespace

TEST_CASE("a plain text message: envelope, size, lines, body part 1") {
  const std::string raw =
      "Date: Mon, 13 Nov 2023 10:00:00 +0100\r\n"
      "From: \"Ann Example\" <ann@example.org>\r\n"
      "To: bob@example.org, Carol <carol@example.net>\r\n"
      "Subject: Hello\r\n  world\r\n"
      "Message-ID: <1@example.org>\r\n\r\n"
      "Line one\r\nLine two\r\n";
  const auto m = mime::parse(raw);
  CHECK(m.envelope.subject == "Hello  world");
  CHECK(m.envelope.date_unix_ms == 1699866000000);
  REQUIRE(m.envelope.from.size() == 1);
  CHECK(m.envelope.from[0].name == "Ann Example");
  CHECK(m.envelope.from[0].local_part == "ann");
  CHECK(m.envelope.from[0].domain == "example.org");
  REQUIRE(m.envelope.to.size() == 2);
  CHECK(m.envelope.to[1].name == "Carol");
  CHECK(m.body.type == "text");
  CHECK(m.body.subtype == "plain");
  CHECK(m.body.params[0].value == "us-ascii");
  CHECK(m.body.size == 20);
  CHECK(m.body.lines == 2);
  CHECK(slice(raw, m.body.body_begin, m.body.body_end) == "Line one\r\nLine two\r\n");
  CHECK(m.preview == "Line one Line two");
  CHECK_FALSE(m.has_attachment);
}

TEST_CASE("multipart/alternative with quoted-printable and base64 parts") {
  const std::string raw =
      "From: a@b.c\r\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe?= =?UTF-8?B?w6Rw?=\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n"
      "preamble\r\n--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nK=E4se und Brot=\r\n!\r\n"
      "--XX\r\nContent-Type: text/html; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nPGI+SGk8L2I+\r\n--XX--\r\nepilogue\r\n";
  const auto m = mime::parse(raw);
  CHECK(m.envelope.subject == "Grüßeäp");  // adjacent encoded words join without the space
  CHECK(m.body.type == "multipart");
  CHECK(m.body.subtype == "alternative");
  REQUIRE(m.body.children.size() == 2);
  const auto& text = m.body.children[0];
  CHECK(text.part == "1");
  CHECK(text.encoding == "QUOTED-PRINTABLE");
  // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
  CHECK(slice(raw, text.body_begin, text.body_end) == "K=E4se und Brot=\r\n!");
  CHECK(text.size == 19);
  CHECK(text.lines == 2);
  CHECK(slice(raw, text.header_begin, text.header_end) ==
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  CHECK(m.body.children[1].part == "2");
  CHECK(*mime::decode_transfer("PGI+SGk8L2I+", "base64") == "<b>Hi</b>");
  CHECK(m.preview == "Käse und Brot!");
}

TEST_CASE("an attachment's RFC 2231 file name, continued and charset-encoded") {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E2%82%AC%20;\r\n"
      " filename*1=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n";
  const auto m = mime::parse(raw);
  REQUIRE(m.body.children.size() == 2);
  const auto& file = m.body.children[1];
  CHECK(file.disposition == "attachment");
  CHECK(file.filename == "€ report.pdf");
  CHECK(m.has_attachment);
}

TEST_CASE("a nested message/rfc822 with its own multipart is numbered below its part") {
  const std::string inner =
      "From: inner@x.org\r\nSubject: Inner\r\n"
      "Content-Type: multipart/mixed; boundary=in\r\n\r\n"
      "--in\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
      "--in\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--in--\r\n";
  const std::string raw =
      "From: outer@x.org\r\nContent-Type: multipart/mixed; boundary=out\r\n\r\n"
      "--out\r\nContent-Type: text/plain\r\n\r\nforwarded:\r\n"
      "--out\r\nContent-Type: message/rfc822\r\n\r\n" +
      inner + "\r\n--out--\r\n";
  const auto m = mime::parse(raw);
  REQUIRE(m.body.children.size() == 2);
  const auto& attached = m.body.children[1];
  CHECK(attached.type == "message");
  CHECK(attached.part == "2");
  REQUIRE(attached.message);
  CHECK(attached.message->envelope.subject == "Inner");
  CHECK(slice(raw, attached.body_begin, attached.body_end) == inner);
  CHECK(attached.size == inner.size());
  const auto& body = attached.message->body;
  REQUIRE(body.children.size() == 2);
  CHECK(body.children[0].part == "2.1");
  CHECK(body.children[1].part == "2.2");
  CHECK(slice(raw, body.children[0].body_begin, body.children[0].body_end) == "inner text");
  CHECK(slice(raw, attached.body_begin, body.header_end).ends_with("boundary=in\r\n\r\n"));
}

TEST_CASE("a message that is itself message/rfc822: what it encloses is numbered below 1") {
  // imaptest fetch-body-message-rfc822-mime: the body of the top-level message is part 1, so
  // the digest inside the enclosed message has parts 1.1 and 1.2, each message/rfc822 by default.
  const std::string raw =
      "From: user@domain.org\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: sub@domain.org\r\nContent-Type: multipart/digest; boundary=\"foo\"\r\n\r\n"
      "--foo \r\n\r\nFrom: m1@example.com\r\n\r\nm1 body\r\n"
      "--foo\r\nX-Mime: m2\r\n\r\nFrom: m2@example.com\r\n\r\nm2 body\r\n--foo--\r\n";
  const auto m = mime::parse(raw);
  REQUIRE(m.body.message);
  const auto& digest = m.body.message->body;
  REQUIRE(digest.children.size() == 2);
  CHECK(digest.children[0].part == "1.1");
  CHECK(digest.children[0].type == "message");
  CHECK(digest.children[1].part == "1.2");
  const auto plain = mime::parse("Content-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\nx\r\n");
  REQUIRE(plain.body.message);
  CHECK(plain.body.message->body.part == "1.1");
  // A message in a message in a message: 1 is the first, 1.1 the second, 1.1.1 its text.
  const auto twice = mime::parse(
      "Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n"
      "Subject: inner\r\n\r\nHello\r\n");
  REQUIRE(twice.body.message);
  const auto& second = twice.body.message->body;
  CHECK(second.part == "1.1");
  REQUIRE(second.message);
  CHECK(second.message->body.part == "1.1.1");
}

TEST_CASE("broken MIME degrades: missing close delimiter, unknown boundary, no blank line") {
  SECTION("missing close delimiter: the last part runs to the end") {
    const std::string raw =
        "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nfirst\r\n--z\r\n\r\nlast";
    const auto m = mime::parse(raw);
    REQUIRE(m.body.children.size() == 2);
    CHECK(slice(raw, m.body.children[1].body_begin, m.body.children[1].body_end) == "last");
  }
  SECTION("a boundary that never appears: one text part") {
    const std::string raw = "Content-Type: multipart/mixed; boundary=nope\r\n\r\njust text\r\n";
    const auto m = mime::parse(raw);
    REQUIRE(m.body.children.size() == 1);
    CHECK(m.body.children[0].type == "text");
    CHECK(m.body.children[0].size == 11);
  }
  SECTION("multipart without a boundary parameter is text") {
    const auto m = mime::parse("Content-Type: multipart/mixed\r\n\r\nx\r\n");
    CHECK(m.body.type == "text");
  }
  SECTION("header only, no empty line") {
    const std::string raw = "Subject: only a header\r\nFrom: a@b\r\n";
    const auto m = mime::parse(raw);
    CHECK(m.body.header_end == raw.size());
    CHECK(m.body.size == 0);
    CHECK(m.envelope.subject == "only a header");
  }
  SECTION("empty input") {
    const auto m = mime::parse("");
    CHECK(m.body.size == 0);
    CHECK(m.envelope.from.empty());
  }
  SECTION("LF-only line ends are counted as they are") {
    const std::string raw = "Subject: lf\n\nline1\nline2\n";
    const auto m = mime::parse(raw);
    CHECK(m.body.size == 12);
    CHECK(m.body.lines == 2);
  }
  SECTION("deep nesting stops at the depth limit") {
    std::string raw;
    for (int i = 0; i < 200; ++i)
      raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
             std::to_string(i) + "\r\n";
    const auto m = mime::parse(raw);
    int depth = 0;
    for (const auto* p = &m.body; !p->children.empty(); p = &p->children[0])
      ++depth;
    CHECK(depth <= 64);
  }
}

TEST_CASE("8-bit and encoded headers become UTF-8") {
  const std::string raw =
      "From: \xC9milie <e@x.fr>\r\nSubject: =?utf-8?q?caf=C3=A9_cr=C3=A8me?= ok\r\n"
      "To: =?bogus-charset?Q?x?= <t@x.fr>\r\n\r\n";
  const auto m = mime::parse(raw);
  CHECK(m.envelope.from[0].name == "Émilie");
  CHECK(m.envelope.subject == "café crème ok");
  CHECK(m.envelope.to[0].name == "=?bogus-charset?Q?x?=");  // unknown charset: left as written
  CHECK(m.envelope.to[0].raw_name == "=?bogus-charset?Q?x?=");
  CHECK(mime::decode_words("=?UTF-8?B?invalid base64?=") == "=?UTF-8?B?invalid base64?=");
}

TEST_CASE("groups, old-style names and obsolete dates") {
  const std::string raw =
      "To: undisclosed-recipients:;\r\nCc: Team: a@x.org, \"B, Jr.\" <b@x.org>;, c@y.org\r\n"
      "From: d@x.org (Dee Old)\r\nDate: 5 Nov 99 10:00 EST\r\n\r\n";
  const auto m = mime::parse(raw);
  REQUIRE(m.envelope.to.size() == 1);
  CHECK(m.envelope.to[0].group == "undisclosed-recipients");
  CHECK(m.envelope.to[0].local_part.empty());
  REQUIRE(m.envelope.cc.size() == 3);
  CHECK(m.envelope.cc[0].group == "Team");
  CHECK(m.envelope.cc[1].name == "B, Jr.");
  CHECK(m.envelope.cc[1].group == "Team");
  CHECK(m.envelope.cc[2].group.empty());
  CHECK(m.envelope.from[0].name == "Dee Old");
  CHECK(m.envelope.date_unix_ms == 941814000000);  // 1999-11-05 15:00 UTC
}

TEST_CASE("thread inputs, priority and base subject") {
  const std::string raw =
      "Subject: Re: [list] Fwd: Plans (fwd)\r\nIn-Reply-To: <b@x>\r\n"
      "References: <a@x> <b@x>\r\nX-Priority: 1 (Highest)\r\n\r\n";
  const auto m = mime::parse(raw);
  CHECK(m.base_subject == "plans");
  CHECK(m.reply_subject);
  CHECK(m.references == std::vector<std::string>{"<a@x>", "<b@x>"});
  CHECK(m.priority == mime::Priority::high);
  CHECK(mime::parse("Importance: low\r\n\r\n").priority == mime::Priority::low);
  CHECK_FALSE(mime::parse("Subject: Plans\r\n\r\n").reply_subject);
  // A list tag alone is no reply (RFC 5256 §2.1); In-Reply-To counts only without References.
  const auto listed = mime::parse("Subject: [list] Plans\r\nIn-Reply-To: <c@x> <d@x>\r\n\r\n");
  CHECK(listed.base_subject == "plans");
  CHECK_FALSE(listed.reply_subject);
  CHECK(listed.references == std::vector<std::string>{"<c@x>"});
  CHECK(mime::parse("Subject: [Fwd: Plans]\r\n\r\n").reply_subject);
}

TEST_CASE("transfer decoding: unknown encodings are refused, garbage is tolerated") {
  CHECK(*mime::decode_transfer("a=3Db=\r\nc", "Quoted-Printable") == "a=bc");
  CHECK(*mime::decode_transfer("abc", "8bit") == "abc");
  CHECK(mime::decode_transfer("x", "x-uuencode").error().code == "mime.unknown_cte");
  CHECK(mime::decode_transfer("!!!!", "base64").has_value());
}

TEST_CASE("HTML-only preview has no tags, scripts or entities") {
  const std::string raw =
      "Content-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><style>p{}</style><script>x()</script><p>Fish &amp; chips</p>&nbsp;now</html>";
  CHECK(mime::parse(raw).preview == "Fish & chips now");
}

TEST_CASE("an obsolete source route is kept for IMAP addr-adl") {
  const std::string raw = "From: <@route:user@domain>\r\nTo: Ann <@a,@b:ann@x.org>\r\n\r\n";
  const auto m = mime::parse(raw);
  REQUIRE(m.envelope.from.size() == 1);
  CHECK(m.envelope.from[0].route == "@route");
  CHECK(m.envelope.from[0].local_part == "user");
  CHECK(m.envelope.from[0].domain == "domain");
  REQUIRE(m.envelope.to.size() == 1);
  CHECK(m.envelope.to[0].route == "@a,@b");
  CHECK(m.envelope.to[0].name == "Ann");
}

TEST_CASE("quoted-printable as RFC 2045 §6.7 decodes it") {
  // Trailing whitespace is padding (rule 3), also after a soft break (rule 5); "=" without two
  // hex digits stays; a final line without a break gets none.
  const std::string qp =
      "hello  \r\nbar=\r\n\r\nfoo\t \t= \r\n=62\r\nfoo = \t\r\nbar\r\n=ZZ=4\n3D=3d";
  CHECK(mime::decode_transfer(qp, "quoted-printable").value() ==
        "hello\r\nbar\r\nfoo\t \tb\r\nfoo bar\r\n=ZZ=4\r\n3D=");
}
