#include "signing.hpp"

#include <map>
#include <vector>

#include <spdlog/spdlog.h>

#include "dkim/dkim.hpp"
#include "rpc/client.hpp"
#include "settings.hpp"
#include "timed_cache.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;
constexpr std::size_t kChunk = std::size_t{256} << 10;

TimedCache<std::vector<dkim::Key>>& key_cache() {
  static TimedCache<std::vector<dkim::Key>> cache;
  return cache;
}

// The newest key of each algorithm.
std::vector<dkim::Key> signing_keys(const v1::ListDkimKeysReply& reply) {
  std::map<int, const v1::DkimKey*> newest;
  for (const auto& key : reply.keys()) {
    auto& slot = newest[key.algorithm()];
    if (slot == nullptr || key.created_unix_ms() > slot->created_unix_ms()) slot = &key;
  }
  std::vector<dkim::Key> out;
  for (const auto& [algorithm, key] : newest) {
    out.push_back({.domain = key->domain(),
                   .selector = key->selector(),
                   .algorithm = algorithm == v1::DKIM_ALGORITHM_ED25519_SHA256
                                    ? dkim::Algorithm::ed25519_sha256
                                    : dkim::Algorithm::rsa_sha256,
                   .private_key = key->private_key_pem()});
  }
  return out;
}

awaitable<Result<std::vector<dkim::Key>>> keys_of(const Settings& settings,
                                                  const std::string& domain) {
  if (auto cached = key_cache().find(domain)) co_return std::move(*cached);
  v1::ListDkimKeysRequest request;
  request.set_domain(domain);
  request.set_include_private(true);
  const auto options = store_call(settings);
  auto reply =
      co_await rpc::unary(settings.clients->directory->async(),
                          &v1::Directory::Stub::async::ListDkimKeys, std::move(request), options);
  std::vector<dkim::Key> keys;
  if (reply) {
    keys = signing_keys(*reply);
  } else if (rpc::status_code(reply.error()) != grpc::StatusCode::NOT_FOUND) {
    co_return reply.error();  // NOT_FOUND: not a hosted domain, nothing to sign with
  }
  key_cache().put(domain, keys);
  co_return keys;
}

Result<std::string> sign_with(const dkim::Key& key, const smtp::Spool& message) {
  auto signer = dkim::Signer::create(key);
  if (!signer) return signer.error();
  for (std::size_t at = 0; at < message.size(); at += kChunk) {
    auto piece = message.read(at, kChunk);
    if (!piece) return piece.error();
    if (auto fed = (*signer)->feed(*piece); !fed) return fed.error();
  }
  return (*signer)->finish();
}

}  // namespace

awaitable<Result<std::string>> dkim_signatures(const Settings& settings,
                                               const std::string& from_domain,
                                               const smtp::Spool& message) {
  if (from_domain.empty()) co_return std::string();
  const auto& domain = from_domain;
  auto keys = co_await keys_of(settings, domain);
  if (!keys) co_return keys.error();
  std::string fields;
  for (const auto& key : *keys) {
    auto field = sign_with(key, message);
    if (!field) {
      spdlog::error("relay: DKIM key {} of {} cannot sign: {}", key.selector, key.domain,
                    field.error().message);
      continue;
    }
    fields += *field;
  }
  co_return fields;
}

}  // namespace tessera::relay
