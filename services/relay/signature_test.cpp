// RL-07: where the mandatory signature goes, checked by reading the result back with libs/mime
// as a mail client would.
#include "signature.hpp"

#include <catch2/catch.hpp>

#include "mime/mime.hpp"

namespace tessera::relay {
namespace {

const MandatorySignature kSignature{.text = "Sent with Example Office\nexample.org", .html = ""};

std::string text_of(std::string_view message, const mime::Part& part) {
  auto decoded = mime::decode_transfer(
      message.substr(part.body_begin, part.body_end - part.body_begin), part.encoding);
  REQUIRE(decoded);
  return *decoded;
}

TEST_CASE("a plain 7bit message gets the signature after a blank line, the rest untouched") {
  const std::string message = "From: a@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";
  const auto out = add_signature(message, kSignature, "B");
  CHECK(out == message + "\r\nSent with Example Office\r\nexample.org\r\n");
}

TEST_CASE("HTML gets it before </body>, escaped when only text is configured") {
  const std::string message =
      "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hi</p></BODY></html>\r\n";
  const MandatorySignature signature{.text = "A & B <office>", .html = ""};
  const auto out = add_signature(message, signature, "B");
  CHECK(out.find("<p>Hi</p><div>A &amp; B &lt;office&gt;</div>\r\n</BODY>") != std::string::npos);
}

TEST_CASE("every text alternative gets it, in its own transfer encoding") {
  const std::string message =
      "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
      "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 at noon\r\n"
      "--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "PGh0bWw+PGJvZHk+Q2Fmw6k8L2JvZHk+PC9odG1sPg==\r\n"
      "--alt--\r\n";
  const MandatorySignature signature{.text =
                                         "Gr\xc3\xbc\xc3\x9f"
                                         "e",
                                     .html =
                                         "<i>Gr\xc3\xbc\xc3\x9f"
                                         "e</i>"};
  const auto out = add_signature(message, signature, "B");
  const auto parsed = mime::parse(out);
  REQUIRE(parsed.body.children.size() == 2);
  CHECK(text_of(out, parsed.body.children[0]) ==
        "Caf\xc3\xa9 at noon\r\n\r\nGr\xc3\xbc\xc3\x9f"
        "e\r\n");
  CHECK(text_of(out, parsed.body.children[1]) ==
        "<html><body>Caf\xc3\xa9<i>Gr\xc3\xbc\xc3\x9f"
        "e</i>\r\n</body></html>");
  CHECK(out.find("=C3=BC=C3=9Fe") != std::string::npos);  // quoted-printable stays so
}

TEST_CASE("an attachment first: the signature is a part of its own after the last one") {
  const std::string message =
      "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
      "--mix\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "JVBERi0=\r\n--mix--\r\n";
  const auto out = add_signature(message, kSignature, "B");
  const auto parsed = mime::parse(out);
  REQUIRE(parsed.body.children.size() == 2);
  CHECK(parsed.body.children[0].subtype == "pdf");
  CHECK(text_of(out, parsed.body.children[1]) == "Sent with Example Office\r\nexample.org\r\n");
}

TEST_CASE("a signed message is wrapped, its bytes untouched") {
  const std::string body =
      "--sig\r\nContent-Type: text/plain\r\n\r\nSigned text\r\n"
      "--sig\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
      "--sig--\r\n";
  const std::string message =
      "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; "
      "protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\nSubject: s\r\n\r\n" +
      body;
  const auto out = add_signature(message, kSignature, "WRAP");
  const auto parsed = mime::parse(out);
  CHECK(parsed.body.subtype == "mixed");
  REQUIRE(parsed.body.children.size() == 2);
  const auto& signed_part = parsed.body.children[0];
  CHECK(signed_part.subtype == "signed");
  CHECK(out.substr(signed_part.body_begin, body.size()) == body);
  CHECK(text_of(out, parsed.body.children[1]) == "Sent with Example Office\r\nexample.org\r\n");
  CHECK(out.starts_with("From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"));
  CHECK(out.find("MIME-Version", 40) == std::string::npos);  // once, on top
}

TEST_CASE("text in a charset the signature cannot be written in is wrapped") {
  const std::string message =
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
      "Caf\xe9\r\n";
  const MandatorySignature signature{.text =
                                         "Gr\xc3\xbc\xc3\x9f"
                                         "e",
                                     .html = ""};
  const auto out = add_signature(message, signature, "WRAP");
  const auto parsed = mime::parse(out);
  REQUIRE(parsed.body.children.size() == 2);
  CHECK(text_of(out, parsed.body.children[0]) == "Caf\xe9\r\n");
  CHECK(text_of(out, parsed.body.children[1]) ==
        "Gr\xc3\xbc\xc3\x9f"
        "e\r\n");
}

TEST_CASE("7bit UTF-8 text that must take non-ASCII words becomes quoted-printable") {
  const std::string message =
      "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 7bit\r\nMIME-Version: 1.0\r\n\r\nSee you.\r\n";
  const MandatorySignature signature{.text =
                                         "Gr\xc3\xbc\xc3\x9f"
                                         "e",
                                     .html = ""};
  const auto out = add_signature(message, signature, "B");
  CHECK(out.find("Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n") !=
        std::string::npos);
  const auto parsed = mime::parse(out);
  CHECK(parsed.body.encoding == "QUOTED-PRINTABLE");
  CHECK(text_of(out, parsed.body) ==
        "See you.\r\n\r\nGr\xc3\xbc\xc3\x9f"
        "e\r\n");
}

TEST_CASE("no signature configured: the message is returned as it was") {
  const std::string message = "Subject: x\r\n\r\nbody\r\n";
  CHECK(add_signature(message, {}, "B") == message);
}

}  // namespace
}  // namespace tessera::relay
