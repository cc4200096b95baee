// mailctl domain signature|show: a hosted domain's mandatory signature (RL-07), which the relay
// appends to all outgoing mail of the domain's accounts (Directory.SetDomainSignature,
// GetDomain). Texts come from files so that an operator keeps them under version control.
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.hpp"
#include "output.hpp"

namespace tessera::mailctl {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure{kUsage, "cannot read " + path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void print_domain(const v1::Domain& domain, bool json) {
  if (json) return print_json(domain);
  std::cout << domain.name() << "  " << domain.account_count() << " accounts\n";
  if (domain.signature_text().empty()) {
    std::cout << "mandatory signature: none\n";
    return;
  }
  std::cout << "mandatory signature (text):\n" << domain.signature_text();
  if (!domain.signature_text().ends_with('\n')) std::cout << "\n";
  if (!domain.signature_html().empty()) {
    std::cout << "mandatory signature (HTML):\n" << domain.signature_html();
    if (!domain.signature_html().ends_with('\n')) std::cout << "\n";
  }
}

}  // namespace

int domain_show(Client& client, const Command& c, const std::string& name) {
  v1::GetDomainRequest request;
  request.set_name(name);
  v1::Domain reply;
  auto ctx = Client::context();
  client.check(client.directory().GetDomain(ctx.get(), request, &reply), "domain show " + name);
  print_domain(reply, c.json);
  return kOk;
}

int domain_signature(Client& client, const Command& c, const std::string& name) {
  if (c.clear == (!c.text_file.empty() || !c.html_file.empty()))
    usage("domain signature needs --text-file FILE [--html-file FILE], or --clear");
  v1::SetDomainSignatureRequest request;
  request.set_name(name);
  if (!c.clear) {
    if (c.text_file.empty()) usage("an HTML signature needs its text version (--text-file)");
    request.set_text(read_file(c.text_file));
    if (!c.html_file.empty()) request.set_html(read_file(c.html_file));
  }
  v1::Domain reply;
  auto ctx = Client::context();
  client.check(client.directory().SetDomainSignature(ctx.get(), request, &reply),
               "domain signature " + name);
  print_domain(reply, c.json);
  return kOk;
}

}  // namespace tessera::mailctl
