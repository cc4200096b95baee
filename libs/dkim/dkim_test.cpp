// Signatures are checked by libopendkim's own verifier fed our TXT record through its key-lookup
// hook (no DNS); verify_test.py checks them again with python3-dkim.
#include "dkim/dkim.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include "dkim/opendkim.hpp"

namespace tessera::dkim {
namespace {

const char kMessage[] =
    "Return-Path: <ann@example.org>\r\n"
    "Received: from client.example.org by relay.example.org; Mon, 13 Nov 2023 10:00:01 +0000\r\n"
    "From: Ann <ann@example.org>\r\n"
    "To: Bob <bob@remote.example>\r\n"
    "Bcc: carol@remote.example\r\n"
    "Subject: Lunch\r\n"
    "Date: Mon, 13 Nov 2023 10:00:00 +0000\r\n"
    "Message-ID: <lunch-1@example.org>\r\n"
    "List-Unsubscribe: <mailto:leave@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Noon at the usual place?\r\n"
    "\r\n"
    "-- \r\n"
    "Ann\r\n";

// One key per algorithm for the whole run: RSA generation takes a while.
const Key& test_key(Algorithm algorithm) {
  static std::map<Algorithm, Key> keys;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto found = keys.find(algorithm);
  if (found == keys.end())
    found = keys.emplace(algorithm, generate("example.org", "s1", algorithm).value()).first;
  return found->second;
}

// The verifier's key lookup: the record the test put in the handle's user context.
DKIM_CBSTAT lookup_record(DKIM* handle, DKIM_SIGINFO*, u_char* buf, size_t size) {
  const auto* record = static_cast<const std::string*>(dkim_get_user_context(handle));
  if (record->size() + 1 > size) return DKIM_CBSTAT_ERROR;
  std::memcpy(buf, record->c_str(), record->size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}

DKIM_LIB* verifier() {
  static DKIM_LIB* const lib = [] {
    DKIM_LIB* made = dkim_init(nullptr, nullptr);
    dkim_set_key_lookup(made, lookup_record);
    return made;
  }();
  return lib;
}

// DKIM_STAT_OK when the message's first signature verifies against `record`.
DKIM_STAT verify(std::string message, std::string record) {
  DKIM_STAT status = DKIM_STAT_OK;
  DKIM* handle = dkim_verify(verifier(), reinterpret_cast<const u_char*>("test"), nullptr, &status);
  REQUIRE(handle != nullptr);
  dkim_set_user_context(handle, &record);
  status = dkim_chunk(handle, reinterpret_cast<u_char*>(message.data()), message.size());
  if (status == DKIM_STAT_OK) status = dkim_chunk(handle, nullptr, 0);
  if (status == DKIM_STAT_OK) status = dkim_eom(handle, nullptr);
  dkim_free(handle);
  return status;
}

std::string signed_message(const Key& key, std::string_view message) {
  auto field = sign(key, message);
  REQUIRE(field);
  return *field + std::string(message);
}

// The value of tag `name` in a signature field, unfolded (RFC 6376 §3.2 tag-list).
std::string tag(const std::string& field, const std::string& name) {
  std::string flat;
  std::copy_if(field.begin(), field.end(), std::back_inserter(flat),
               [](char c) { return c != '\r' && c != '\n' && c != '\t' && c != ' '; });
  const auto at = flat.find(";" + name + "=");
  if (at == std::string::npos) return {};
  const auto start = at + name.size() + 2;
  return flat.substr(start, flat.find(';', start) - start);
}

// The field without the t= and b= values, which change with the clock and the key's randomness.
std::string without_time_and_signature(const std::string& field) {
  return tag(field, "a") + tag(field, "c") + tag(field, "d") + tag(field, "s") + tag(field, "bh") +
         tag(field, "h");
}

std::string decode_base64(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - std::count(text.end() - 2, text.end(), '='));
  return out;
}

}  // namespace

TEST_CASE("rsa-sha256 and ed25519-sha256 signatures verify, relaxed/relaxed") {
  for (auto algorithm : {Algorithm::rsa_sha256, Algorithm::ed25519_sha256}) {
    const auto& key = test_key(algorithm);
    INFO(algorithm_name(algorithm));
    auto field = sign(key, kMessage);
    REQUIRE(field);
    CHECK(field->starts_with("DKIM-Signature: v=1; a=" + std::string(algorithm_name(algorithm))));
    CHECK(field->ends_with("\r\n"));
    CHECK(tag(*field, "c") == "relaxed/relaxed");
    CHECK(tag(*field, "d") == "example.org");
    CHECK(tag(*field, "s") == "s1");
    // Folded lines: every line break is CRLF followed by white space (RFC 5322 §2.2.3).
    for (auto at = field->find('\n'); at + 1 < field->size(); at = field->find('\n', at + 1)) {
      CHECK((*field)[at - 1] == '\r');
      CHECK(((*field)[at + 1] == '\t' || (*field)[at + 1] == ' '));
    }
    CHECK(verify(*field + kMessage, *dns_record(key)) == DKIM_STAT_OK);
  }
}

TEST_CASE("h= oversigns From and never lists Return-Path, Received or Bcc") {
  auto field = sign(test_key(Algorithm::ed25519_sha256), kMessage).value();
  std::string h = tag(field, "h");
  std::transform(h.begin(), h.end(), h.begin(), [](char c) { return std::tolower(c); });
  std::vector<std::string> names;
  for (std::size_t at = 0; at <= h.size();) {
    const auto end = std::min(h.find(':', at), h.size());
    names.push_back(h.substr(at, end - at));
    at = end + 1;
  }
  auto count = [&](const char* name) { return std::count(names.begin(), names.end(), name); };
  INFO("h=" << h);
  CHECK(count("from") == 2);
  CHECK(count("subject") == 2);
  CHECK(count("reply-to") == 1);  // absent, listed once: one added later breaks the signature
  CHECK(count("list-unsubscribe") == 1);
  CHECK(count("content-type") == 2);
  CHECK(count("return-path") == 0);
  CHECK(count("received") == 0);
  CHECK(count("bcc") == 0);
}

TEST_CASE("a changed body or Subject, an added From or Reply-To fails verification") {
  for (auto algorithm : {Algorithm::rsa_sha256, Algorithm::ed25519_sha256}) {
    const auto& key = test_key(algorithm);
    const auto record = dns_record(key).value();
    INFO(algorithm_name(algorithm));
    const auto good = signed_message(key, kMessage);
    REQUIRE(verify(good, record) == DKIM_STAT_OK);
    auto body = good;
    body.replace(body.find("Noon"), 4, "Nine");
    CHECK(verify(body, record) == DKIM_STAT_BADSIG);
    const auto subject_line = good.find("\r\nSubject: Lunch") + 2;
    auto from = good;
    from.insert(subject_line, "From: Mallory <ceo@example.org>\r\n");
    CHECK(verify(from, record) == DKIM_STAT_BADSIG);
    auto reply_to = good;
    reply_to.insert(subject_line, "Reply-To: <mallory@remote.example>\r\n");
    CHECK(verify(reply_to, record) == DKIM_STAT_BADSIG);
    auto subject = good;
    subject.replace(subject.find("Lunch"), 5, "Money");
    CHECK(verify(subject, record) == DKIM_STAT_BADSIG);
    // Relaxed canonicalization: re-folding a header and trailing white space do not matter.
    auto refolded = good;
    refolded.replace(refolded.find("Subject: Lunch"), 14, "Subject:\r\n   Lunch  ");
    CHECK(verify(refolded, record) == DKIM_STAT_OK);
    // Another key's record does not verify.
    const auto other = generate("example.org", "s1", algorithm).value();
    CHECK(verify(good, dns_record(other).value()) == DKIM_STAT_BADSIG);
  }
}

TEST_CASE("feeding in chunks of any size signs what the whole message signs") {
  const auto& key = test_key(Algorithm::rsa_sha256);
  const auto whole = sign(key, kMessage).value();
  const std::string message = kMessage;
  for (std::size_t chunk : {1, 2, 3, 7, 64, 1000}) {
    INFO("chunk " << chunk);
    auto signer = Signer::create(key).value();
    for (std::size_t at = 0; at < message.size(); at += chunk)
      REQUIRE(signer->feed(std::string_view(message).substr(at, chunk)));
    const auto field = signer->finish().value();
    CHECK(without_time_and_signature(field) == without_time_and_signature(whole));
    CHECK(verify(field + message, dns_record(key).value()) == DKIM_STAT_OK);
  }
}

TEST_CASE("bare LF line ends are signed as CRLF, the form SMTP transmits") {
  const auto& key = test_key(Algorithm::ed25519_sha256);
  std::string lf = kMessage;
  for (auto at = lf.find("\r\n"); at != std::string::npos; at = lf.find("\r\n", at))
    lf.erase(at, 1);
  REQUIRE(lf.find('\r') == std::string::npos);
  auto signer = Signer::create(key).value();
  // Split so that a chunk ends right before a LF whose CR the signer adds.
  REQUIRE(signer->feed(std::string_view(lf).substr(0, 10)));
  REQUIRE(signer->feed(std::string_view(lf).substr(10)));
  const auto field = signer->finish().value();
  CHECK(without_time_and_signature(field) ==
        without_time_and_signature(sign(key, kMessage).value()));
  CHECK(verify(field + kMessage, dns_record(key).value()) == DKIM_STAT_OK);
}

TEST_CASE("a header field longer than libopendkim's 4 KiB cache signs and verifies") {
  const auto& key = test_key(Algorithm::ed25519_sha256);
  std::string references = "References:";
  for (int i = 0; i < 300; ++i)
    references += " <thread-" + std::to_string(i) + "@example.org>\r\n";
  std::string message = kMessage;
  message.insert(message.find("Subject:"), references);
  CHECK(verify(signed_message(key, message), dns_record(key).value()) == DKIM_STAT_OK);
}

TEST_CASE("signers on several threads share the one library handle") {
  const auto& key = test_key(Algorithm::ed25519_sha256);
  const auto record = dns_record(key).value();
  std::vector<std::string> signed_messages(8);
  std::vector<std::thread> threads;
  for (auto& out : signed_messages)
    threads.emplace_back([&key, &out] { out = *sign(key, kMessage) + kMessage; });
  for (auto& t : threads)
    t.join();
  for (const auto& message : signed_messages)
    CHECK(verify(message, record) == DKIM_STAT_OK);
}

TEST_CASE("the ed25519 key state libopendkim 2.11.0 would leak is found and freed") {
  for (auto algorithm : {Algorithm::ed25519_sha256, Algorithm::rsa_sha256}) {
    auto key = test_key(algorithm);
    INFO(algorithm_name(algorithm));
    detail::HandleMemory memory;
    DKIM_STAT status = DKIM_STAT_OK;
    DKIM* handle = dkim_sign(
        detail::library(), reinterpret_cast<const u_char*>("test"), &memory,
        reinterpret_cast<dkim_sigkey_t>(key.private_key.data()),
        reinterpret_cast<const u_char*>("s1"), reinterpret_cast<const u_char*>("example.org"),
        DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
        algorithm == Algorithm::rsa_sha256 ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256, -1,
        &status);
    REQUIRE(handle != nullptr);
    std::string message = kMessage;
    REQUIRE(dkim_chunk(handle, reinterpret_cast<u_char*>(message.data()), message.size()) ==
            DKIM_STAT_OK);
    REQUIRE(dkim_chunk(handle, nullptr, 0) == DKIM_STAT_OK);
    REQUIRE(dkim_eom(handle, nullptr) == DKIM_STAT_OK);
    // RSA key state is freed by dkim_free itself and must not be taken for ed25519's.
    CHECK(detail::release_ed25519_key(memory) ==
          (algorithm == Algorithm::ed25519_sha256 && dkim_libversion() == 0x020B0000));
    dkim_free(handle);
    CHECK(memory.live.empty());  // everything the handle allocated is gone again
  }
}

TEST_CASE("DNS records publish the public half (RFC 6376 §3.6.1, RFC 8463 §4)") {
  const auto& rsa = test_key(Algorithm::rsa_sha256);
  CHECK(record_name(rsa) == "s1._domainkey.example.org");
  const auto rsa_record = dns_record(rsa).value();
  REQUIRE(rsa_record.starts_with("v=DKIM1; k=rsa; p="));
  const auto spki = decode_base64(rsa_record.substr(18));
  CHECK(spki.size() == 294);  // SubjectPublicKeyInfo of a 2048-bit key
  CHECK(rsa.private_key.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  const auto ed_record = dns_record(test_key(Algorithm::ed25519_sha256)).value();
  REQUIRE(ed_record.starts_with("v=DKIM1; k=ed25519; p="));
  CHECK(decode_base64(ed_record.substr(22)).size() == 32);
}

TEST_CASE("keys and names that cannot sign are refused before libopendkim sees them") {
  struct Case {
    const char* name;
    Key key;
    const char* code;
  };
  const auto& rsa = test_key(Algorithm::rsa_sha256);
  const auto& ed = test_key(Algorithm::ed25519_sha256);
  const std::vector<Case> cases = {
      {"not PEM", {"example.org", "s1", Algorithm::rsa_sha256, "garbage"}, "dkim.bad_key"},
      {"RSA key for ed25519",
       {"example.org", "s1", Algorithm::ed25519_sha256, rsa.private_key},
       "dkim.bad_key"},
      {"Ed25519 key for rsa",
       {"example.org", "s1", Algorithm::rsa_sha256, ed.private_key},
       "dkim.bad_key"},
      {"selector with ';'",
       {"example.org", "s1; x=1", Algorithm::rsa_sha256, rsa.private_key},
       "dkim.bad_name"},
      {"empty domain", {"", "s1", Algorithm::rsa_sha256, rsa.private_key}, "dkim.bad_name"},
      {"empty label",
       {"example..org", "s1", Algorithm::rsa_sha256, rsa.private_key},
       "dkim.bad_name"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto signer = Signer::create(c.key);
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code == c.code);
  }
  CHECK(generate("example.org", "", Algorithm::ed25519_sha256).error().code == "dkim.bad_name");
}

TEST_CASE("a message without From, or a spent signer, is an error value") {
  const auto& key = test_key(Algorithm::ed25519_sha256);
  auto no_from = sign(key, "To: bob@remote.example\r\nSubject: x\r\n\r\nbody\r\n");
  REQUIRE_FALSE(no_from);
  CHECK(no_from.error().code.starts_with("dkim."));
  auto signer = Signer::create(key).value();
  REQUIRE(signer->feed(kMessage));
  REQUIRE(signer->finish());
  CHECK(signer->feed("more").error().code == "dkim.state");
  CHECK(signer->finish().error().code == "dkim.state");
}

TEST_CASE("zone lines split TXT text into strings of at most 255 octets") {
  struct Case {
    std::string name, text, want;
  };
  const std::string long_text(300, 'a');
  const std::vector<Case> cases = {
      {"s1._domainkey.example.org", "v=DKIM1; k=ed25519; p=AAAA",
       "s1._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p=AAAA\""},
      {"s1._domainkey.example.org.", long_text,
       "s1._domainkey.example.org. IN TXT \"" + std::string(255, 'a') + "\" \"" +
           std::string(45, 'a') + "\""},
      {"x.example", "say \"hi\\\"", "x.example. IN TXT \"say \\\"hi\\\\\\\"\""},
      {"x.example", "", "x.example. IN TXT \"\""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(zone_line(c.name, c.text) == c.want);
  }
}

}  // namespace tessera::dkim
