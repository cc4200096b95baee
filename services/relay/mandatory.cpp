#include "mandatory.hpp"

#include "crypto/random.hpp"
#include "rpc/client.hpp"
#include "settings.hpp"
#include "signature.hpp"
#include "timed_cache.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;

TimedCache<MandatorySignature>& signature_cache() {
  static TimedCache<MandatorySignature> cache;
  return cache;
}

awaitable<Result<MandatorySignature>> signature_of(const Settings& settings,
                                                   const std::string& domain) {
  if (auto cached = signature_cache().find(domain)) co_return std::move(*cached);
  v1::GetDomainRequest request;
  request.set_name(domain);
  const auto options = store_call(settings);
  auto reply =
      co_await rpc::unary(settings.clients->directory->async(),
                          &v1::Directory::Stub::async::GetDomain, std::move(request), options);
  MandatorySignature signature;
  if (reply) {
    signature.text = reply->signature_text();
    signature.html = reply->signature_html();
  } else if (rpc::status_code(reply.error()) != grpc::StatusCode::NOT_FOUND) {
    co_return reply.error();
  }
  signature_cache().put(domain, signature);
  co_return signature;
}

}  // namespace

awaitable<Status> add_mandatory_signature(const Settings& settings, const Identity& identity,
                                          smtp::Transaction& transaction) {
  const auto at = identity.login.rfind('@');
  if (at == std::string::npos) co_return Status{};
  auto signature = co_await signature_of(settings, identity.login.substr(at + 1));
  if (!signature) co_return signature.error();
  if (signature->empty()) co_return Status{};
  auto message = transaction.body.read(0, transaction.body.size());
  if (!message) co_return message.error();
  const auto boundary = "=_tessera_" + crypto::random_token(12);
  smtp::Spool signed_body(settings.submission.spool_directory, settings.submission.spool_memory);
  if (auto ok = signed_body.append(add_signature(*message, *signature, boundary)); !ok)
    co_return ok;
  transaction.body = std::move(signed_body);
  co_return Status{};
}

}  // namespace tessera::relay
