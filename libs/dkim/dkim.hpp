// DKIM signatures (RFC 6376) for the relay's outgoing mail: rsa-sha256 and ed25519-sha256
// (RFC 8463), relaxed/relaxed canonicalization, signed by libopendkim; key pairs made with
// OpenSSL and the DNS TXT record that publishes their public half. The store keeps the keys
// (Directory.GenerateDkimKey / ListDkimKeys); this library holds no state beyond one shared
// libopendkim handle.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tessera::dkim {

enum class Algorithm { rsa_sha256, ed25519_sha256 };

// "rsa-sha256" / "ed25519-sha256": the a= tag value (RFC 6376 §3.5, RFC 8463 §3).
std::string_view algorithm_name(Algorithm algorithm);

struct Key {
  std::string domain;    // the d= tag: the signing domain, lower case, A-labels
  std::string selector;  // the s= tag (RFC 6376 §3.1)
  Algorithm algorithm = Algorithm::rsa_sha256;
  std::string private_key;  // PEM (PKCS #8 "PRIVATE KEY", or "RSA PRIVATE KEY")
};

// Whether `key` can sign: dkim.bad_name for an empty or non-LDH domain or selector, dkim.bad_key
// if the PEM does not hold an unencrypted key of `key.algorithm` (or an RSA key under 1024 bits,
// RFC 8301 §3.2).
Status validate(const Key& key);

// Streams one message (header, empty line, body) through libopendkim. Bare LF line ends are
// taken as CRLF: the signature covers the message as SMTP transmits it (RFC 5321 §2.3.8), so a
// caller that sends bare LF must send CRLF instead. Dot-stuffing must already be undone.
class Signer {
 public:
  // Errors of validate().
  static Result<std::unique_ptr<Signer>> create(const Key& key);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  Status feed(std::string_view bytes);  // any chunking; dkim.syntax for a malformed header
  // The whole "DKIM-Signature: ...\r\n" field, folded with CRLF + TAB, to put in front of the
  // message. The signer is spent afterwards (feed and finish answer dkim.state).
  Result<std::string> finish();

 private:
  struct State;
  explicit Signer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The signature field of a whole message in memory (Signer::create, feed, finish).
Result<std::string> sign(const Key& key, std::string_view message);

// A new key pair (OpenSSL EVP): RSA 2048 bits (RFC 8301 §3.2 asks for at least 2048 to sign)
// or Ed25519; the private key as PKCS #8 PEM. dkim.bad_name as for validate().
Result<Key> generate(std::string domain, std::string selector, Algorithm algorithm);

// The TXT record of the public half: "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>"
// (RFC 6376 §3.6.1) or "v=DKIM1; k=ed25519; p=<base64 raw 32-byte key>" (RFC 8463 §4).
// dkim.bad_key as for validate().
Result<std::string> dns_record(const Key& key);

// "<selector>._domainkey.<domain>" (RFC 6376 §3.6.2.1).
std::string record_name(const Key& key);

// One zone-file line publishing `text` at `name`:
//   s1._domainkey.example.org. IN TXT "v=DKIM1; k=rsa; p=MIIB..." "...rest"
// A TXT character-string holds at most 255 octets (RFC 1035 §3.3.14), so a 2048-bit RSA record
// is split; verifiers join the strings again (RFC 6376 §3.6.2.2).
std::string zone_line(std::string_view name, std::string_view text);

}  // namespace tessera::dkim
