// mailctl dkim: a hosted domain's DKIM keys (Directory.GenerateDkimKey, ListDkimKeys), printed
// as zone-file lines an operator pastes into the domain's zone. The private key never comes
// here: mailctl lists without include_private.
#include "dkim/dkim.hpp"

#include <iostream>

#include "command.hpp"
#include "output.hpp"

namespace tessera::mailctl {
namespace {

v1::DkimAlgorithm parse_algorithm(const std::string& text) {
  if (text.empty() || text == "rsa" || text == "rsa-sha256") return v1::DKIM_ALGORITHM_RSA_SHA256;
  if (text == "ed25519" || text == "ed25519-sha256") return v1::DKIM_ALGORITHM_ED25519_SHA256;
  usage("unknown DKIM algorithm \"" + text + "\" (rsa or ed25519)");
}

// "rsa-202611._domainkey.example.org. IN TXT "v=DKIM1; k=rsa; p=..." "..."", one line.
void print_key(const v1::DkimKey& key, bool json) {
  if (json) return print_json(key);
  std::cout << dkim::zone_line(key.record_name(), key.record_text()) << "\n";
}

int generate(Client& client, const Command& c, const std::string& domain) {
  v1::GenerateDkimKeyRequest request;
  request.set_domain(domain);
  request.set_selector(c.selector);
  request.set_algorithm(parse_algorithm(c.algorithm));
  request.set_replace(c.replace);
  v1::DkimKey reply;
  auto ctx = Client::context();
  const auto status = client.directory().GenerateDkimKey(ctx.get(), request, &reply);
  if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS)
    throw Failure{kRefused, "dkim generate " + domain + ": " + status.error_message() +
                                " (replace it with --replace, or choose another --selector)"};
  client.check(status, "dkim generate " + domain);
  print_key(reply, c.json);
  return kOk;
}

int show(Client& client, const Command& c, const std::string& domain) {
  v1::ListDkimKeysRequest request;
  request.set_domain(domain);
  v1::ListDkimKeysReply reply;
  auto ctx = Client::context();
  client.check(client.directory().ListDkimKeys(ctx.get(), request, &reply), "dkim show " + domain);
  for (const auto& key : reply.keys())
    print_key(key, c.json);
  if (reply.keys().empty() && !c.json)
    std::cerr << domain << " has no DKIM key (make one with: mailctl dkim generate " << domain
              << ")\n";
  return kOk;
}

}  // namespace

int dkim(Client& client, const Command& c) {
  const auto& verb = word(c, 1, "dkim command (generate, show)");
  const auto& domain = word(c, 2, "domain");
  expect_words(c, 3);
  if (verb == "generate") return generate(client, c, domain);
  if (verb == "show") return show(client, c, domain);
  usage("unknown dkim command \"" + verb + "\"");
}

}  // namespace tessera::mailctl
