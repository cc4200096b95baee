// Directory.GenerateDkimKey and ListDkimKeys: each hosted domain's DKIM keys (libs/dkim), kept
// under 'K' domain \0 selector in the `accounts` family so that one prefix scan lists a domain's
// keys and RemoveDomain drops them in its own batch. The private key is stored as PEM inside
// the record; the DNS record text is derived once, at generation.
#include <chrono>
#include <cstdio>

#include "addresses.hpp"
#include "directory_ops.hpp"
#include "dkim/dkim.hpp"
#include "errors.hpp"

namespace tessera::store {
namespace {

std::string dkim_prefix(const std::string& domain) {
  return "K" + domain + std::string(1, '\0');
}

dkim::Algorithm to_dkim(v1::DkimAlgorithm algorithm) {
  return algorithm == v1::DKIM_ALGORITHM_ED25519_SHA256 ? dkim::Algorithm::ed25519_sha256
                                                        : dkim::Algorithm::rsa_sha256;
}

// "rsa-202611" / "ed25519-202611": the algorithm and the UTC month the key was made in.
std::string default_selector(dkim::Algorithm algorithm, std::int64_t now_ms) {
  using namespace std::chrono;
  const year_month_day day{floor<days>(sys_time<milliseconds>(milliseconds(now_ms)))};
  char month[16];
  std::snprintf(month, sizeof month, "%04d%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()));
  return std::string(algorithm == dkim::Algorithm::rsa_sha256 ? "rsa-" : "ed25519-") + month;
}

// A selector is a dot-separated list of LDH labels like a domain name (RFC 6376 §3.1), compared
// without case as DNS does; lower case it is stored.
Result<std::string> normalize_selector(const std::string& selector, const std::string& domain) {
  auto normal = normalize_domain(selector);
  if (!normal)
    return invalid_argument("selector \"" + selector +
                            "\" must be letters, digits and '-' in dot-separated labels");
  if (normal->size() + std::string("._domainkey.").size() + domain.size() > 253)
    return invalid_argument("selector \"" + selector + "\" makes the DNS name over 253 octets");
  return normal;
}

}  // namespace

Result<v1::DkimKey> DirectoryOps::generate_dkim_key(const v1::GenerateDkimKeyRequest& request) {
  auto domain = normalize_domain(request.domain());
  if (!domain) return domain.error();
  const auto algorithm = to_dkim(request.algorithm());
  const auto now = context_.now_ms();
  auto selector = normalize_selector(
      request.selector().empty() ? default_selector(algorithm, now) : request.selector(), *domain);
  if (!selector) return selector.error();
  auto exists = hosted(*domain);
  if (!exists) return exists.error();
  if (!*exists) return not_found("domain " + *domain + " is not hosted");
  // Key generation (RSA: tens of milliseconds) runs before the directory's write lock is taken.
  auto key = dkim::generate(*domain, *selector, algorithm);
  if (!key) return key.error();
  auto text = dkim::dns_record(*key);
  if (!text) return text.error();
  v1::DkimKey record;
  record.set_domain(*domain);
  record.set_selector(*selector);
  record.set_algorithm(algorithm == dkim::Algorithm::rsa_sha256
                           ? v1::DKIM_ALGORITHM_RSA_SHA256
                           : v1::DKIM_ALGORITHM_ED25519_SHA256);
  record.set_record_name(dkim::record_name(*key));
  record.set_record_text(std::move(*text));
  record.set_created_unix_ms(now);
  record.set_private_key_pem(std::move(key->private_key));

  std::lock_guard lock(write_mutex_);
  exists = hosted(*domain);  // RemoveDomain may have run meanwhile
  if (!exists) return exists.error();
  if (!*exists) return not_found("domain " + *domain + " is not hosted");
  const auto db_key = dkim_prefix(*domain) + *selector;
  auto stored = context_.db.get(Family::accounts, db_key);
  if (!stored) return stored.error();
  if (*stored && !request.replace())
    return already_exists("domain " + *domain + " has a DKIM key with selector " + *selector +
                          " already");
  rocksdb::WriteBatch batch;
  batch.Put(context_.db.family(Family::accounts), db_key, record.SerializeAsString());
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  record.clear_private_key_pem();
  return record;
}

Result<v1::ListDkimKeysReply> DirectoryOps::list_dkim_keys(const v1::ListDkimKeysRequest& request) {
  auto domain = normalize_domain(request.domain());
  if (!domain) return domain.error();
  auto exists = hosted(*domain);
  if (!exists) return exists.error();
  if (!*exists) return not_found("domain " + *domain + " is not hosted");
  v1::ListDkimKeysReply reply;
  bool bad = false;
  auto scanned = context_.db.scan(
      Family::accounts, dkim_prefix(*domain), [&](std::string_view, std::string_view value) {
        auto* key = reply.add_keys();
        bad = !key->ParseFromArray(value.data(), static_cast<int>(value.size()));
        if (!request.include_private()) key->clear_private_key_pem();
        return !bad;
      });
  if (!scanned) return scanned.error();
  if (bad) return corrupt("DKIM key record of " + *domain + " unreadable");
  return reply;
}

Status DirectoryOps::drop_dkim_keys(rocksdb::WriteBatch& batch, const std::string& domain) {
  auto* family = context_.db.family(Family::accounts);
  return context_.db.scan(Family::accounts, dkim_prefix(domain),
                          [&](std::string_view key, std::string_view) {
                            batch.Delete(family, rocksdb::Slice(key.data(), key.size()));
                            return true;
                          });
}

}  // namespace tessera::store
