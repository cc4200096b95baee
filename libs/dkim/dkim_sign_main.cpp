// dkim-sign: libs/dkim from the command line, for verify_test.py (python3-dkim as the verifier)
// and for trying a key by hand.
//   dkim-sign generate rsa|ed25519 DOMAIN SELECTOR KEYFILE   writes the PEM, prints the TXT value
//   dkim-sign sign rsa|ed25519 DOMAIN SELECTOR KEYFILE [CHUNK] < message > signed message
// CHUNK feeds the signer that many bytes at a time (default: the whole message at once).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "dkim/dkim.hpp"

namespace {

using tessera::dkim::Algorithm;

int fail(const std::string& message) {
  std::cerr << "dkim-sign: " << message << "\n";
  return 1;
}

std::string slurp(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int generate(tessera::dkim::Key key, const std::string& path) {
  auto made = tessera::dkim::generate(key.domain, key.selector, key.algorithm);
  if (!made) return fail(made.error().message);
  std::ofstream(path, std::ios::binary) << made->private_key;
  auto record = tessera::dkim::dns_record(*made);
  if (!record) return fail(record.error().message);
  std::cout << *record << "\n";
  return 0;
}

int sign(tessera::dkim::Key key, const std::string& path, std::size_t chunk) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return fail("cannot read " + path);
  key.private_key = slurp(file);
  const std::string message = slurp(std::cin);
  auto signer = tessera::dkim::Signer::create(key);
  if (!signer) return fail(signer.error().message);
  if (chunk == 0) chunk = message.size() + 1;
  for (std::size_t at = 0; at < message.size(); at += chunk) {
    if (auto fed = (*signer)->feed(std::string_view(message).substr(at, chunk)); !fed)
      return fail(fed.error().code + ": " + fed.error().message);
  }
  auto field = (*signer)->finish();
  if (!field) return fail(field.error().code + ": " + field.error().message);
  std::cout << *field << message;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return fail("usage: dkim-sign generate|sign rsa|ed25519 DOMAIN SELECTOR KEYFILE");
  const std::string verb = argv[1], algorithm = argv[2];
  if (algorithm != "rsa" && algorithm != "ed25519") return fail("algorithm is rsa or ed25519");
  tessera::dkim::Key key{
      argv[3], argv[4], algorithm == "rsa" ? Algorithm::rsa_sha256 : Algorithm::ed25519_sha256, {}};
  if (verb == "generate") return generate(std::move(key), argv[5]);
  if (verb == "sign")
    return sign(std::move(key), argv[5], argc > 6 ? std::strtoul(argv[6], nullptr, 10) : 0);
  return fail("unknown command " + verb);
}
