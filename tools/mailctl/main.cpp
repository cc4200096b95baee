// mailctl: administration of a Tessera store from the command line (domains, accounts,
// aliases, mailboxes, quota, DKIM keys). See README.md for every command.
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"
#include "command.hpp"
#include "config/value.hpp"
#include "crypto/random.hpp"
#include "output.hpp"

namespace tessera::mailctl {
namespace {

constexpr const char* kHelp = R"(Usage: mailctl [--store HOST:PORT] [--json] COMMAND ...

  domain add NAME | list | remove NAME | show NAME
  domain signature NAME --text-file FILE [--html-file FILE] | --clear
                                             (the mandatory signature of all its mail, RL-07)
  account add LOGIN [--name NAME] [--quota SIZE] [--password-stdin]
  account list [DOMAIN] | show LOGIN | remove LOGIN
  account passwd LOGIN [--password-stdin]
  account disable LOGIN | enable LOGIN
  account block LOGIN | unblock LOGIN        (sending through the relay, RL-04)
  account limits LOGIN [--messages-per-hour N] [--max-recipients N]
                                             (RL-03; 0 = the relay's default)
  account access LOGIN [--imap on|off] [--pop3 on|off]
                                             (API-10: the protocols its subscription includes)
  alias add LOGIN ADDRESS | remove LOGIN ADDRESS | list LOGIN
  mailbox list LOGIN
  quota show LOGIN | set LOGIN SIZE          (SIZE: 500MB, 2GiB, 0 = unlimited)
  dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519] [--replace]
  dkim show DOMAIN                           (the TXT records to publish in DNS)

--store defaults to $TESSERA_STORE or 127.0.0.1:17001. Without --password-stdin a password is
generated and printed once. Exit: 0 done, 1 refused by the store, 2 usage, 3 store unreachable.
)";

std::uint64_t parse_quota(const std::string& text) {
  auto size = config::parse_size(text);
  if (!size) usage("bad size \"" + text + "\" (e.g. 500MB, 2GB, 0)");
  return *size;
}

std::uint32_t parse_count(const std::string& text, const std::string& option) {
  std::uint32_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end)
    usage(option + " needs a whole number, not \"" + text + "\"");
  return value;
}

bool parse_switch(const std::string& text, const std::string& option) {
  if (text != "on" && text != "off") usage(option + " takes on or off, not \"" + text + "\"");
  return text == "on";
}

std::string read_password(bool from_stdin, bool& generated) {
  generated = !from_stdin;
  if (!from_stdin) return crypto::random_token(12);
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) usage("no password on standard input");
  return password;
}

// RL-03: 0 is the relay's default, which only the relay's configuration knows.
std::string own_or_default(std::uint32_t limit) {
  return limit == 0 ? std::string("default") : std::to_string(limit);
}

void print_account(const v1::Account& a, bool json) {
  if (json) return print_json(a);
  std::cout << a.login() << "  id " << a.account_id() << "  "
            << (a.enabled() ? "enabled" : "disabled") << (a.relay_blocked() ? "  blocked" : "")
            << "  quota "
            << (a.quota_bytes() == 0 ? std::string("unlimited") : human_size(a.quota_bytes()))
            << "  messages/hour " << own_or_default(a.messages_per_hour())
            << "  recipients/message " << own_or_default(a.max_recipients()) << "  imap "
            << (a.imap_disabled() ? "off" : "on") << "  pop3 "
            << (a.pop3_disabled() ? "off" : "on");
  if (!a.display_name().empty()) std::cout << "  \"" << a.display_name() << "\"";
  std::cout << "\n";
}

int domain(Client& client, const Command& c) {
  const auto& verb = word(c, 1, "domain command (add, list, remove, show, signature)");
  if (verb == "list") {
    expect_words(c, 2);
    v1::ListDomainsReply reply;
    auto ctx = Client::context();
    client.check(client.directory().ListDomains(ctx.get(), {}, &reply), "domain list");
    if (c.json) {
      print_json(reply);
    } else {
      for (const auto& d : reply.domains())
        std::cout << d.name() << "  " << d.account_count() << " accounts\n";
    }
    return kOk;
  }
  const auto& name = word(c, 2, "domain name");
  expect_words(c, 3);
  if (verb == "show") return domain_show(client, c, name);
  if (verb == "signature") return domain_signature(client, c, name);
  auto ctx = Client::context();
  if (verb == "add") {
    v1::AddDomainRequest request;
    request.set_name(name);
    v1::Domain reply;
    client.check(client.directory().AddDomain(ctx.get(), request, &reply), "domain add " + name);
    if (c.json)
      print_json(reply);
    else
      std::cout << "added domain " << reply.name() << "\n";
    return kOk;
  }
  if (verb == "remove") {
    v1::RemoveDomainRequest request;
    request.set_name(name);
    v1::RemoveDomainReply reply;
    client.check(client.directory().RemoveDomain(ctx.get(), request, &reply),
                 "domain remove " + name);
    if (!c.json) std::cout << "removed domain " << name << "\n";
    return kOk;
  }
  usage("unknown domain command \"" + verb + "\"");
}

int account_add(Client& client, const Command& c, const std::string& login) {
  bool generated = false;
  v1::AddAccountRequest request;
  request.set_login(login);
  request.set_display_name(c.name);
  if (!c.quota.empty()) request.set_quota_bytes(parse_quota(c.quota));
  request.set_password(read_password(c.password_stdin, generated));
  v1::Account reply;
  auto ctx = Client::context();
  const auto status = client.directory().AddAccount(ctx.get(), request, &reply);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    const auto domain = login.substr(login.rfind('@') + 1);
    throw Failure{kRefused, "account add " + login + ": " + status.error_message() +
                                " (add it with: mailctl domain add " + domain + ")"};
  }
  client.check(status, "account add " + login);
  if (c.json) {
    print_json(reply);
  } else {
    std::cout << "added account " << reply.login() << " (id " << reply.account_id() << ")\n";
  }
  if (generated) std::cerr << "password: " << request.password() << "\n";
  return kOk;
}

// The UpdateAccount of an account verb that changes one (disable, enable, block, unblock,
// limits or access with an option), or nothing.
std::optional<v1::UpdateAccountRequest> account_update(const Command& c, const std::string& verb) {
  v1::UpdateAccountRequest request;
  if (verb == "disable" || verb == "enable") {
    request.set_enabled(verb == "enable");
  } else if (verb == "block" || verb == "unblock") {
    request.set_relay_blocked(verb == "block");
  } else if (verb == "limits" && (c.messages_per_hour || c.max_recipients)) {
    if (c.messages_per_hour) request.set_messages_per_hour(*c.messages_per_hour);
    if (c.max_recipients) request.set_max_recipients(*c.max_recipients);
  } else if (verb == "access" && (c.imap || c.pop3)) {
    if (c.imap) request.set_imap_disabled(!*c.imap);
    if (c.pop3) request.set_pop3_disabled(!*c.pop3);
  } else {
    return std::nullopt;
  }
  return request;
}

int account(Client& client, const Command& c) {
  const auto& verb = word(c, 1, "account command");
  if (verb == "list") {
    expect_words(c, 3);
    v1::ListAccountsRequest request;
    if (c.words.size() > 2) request.set_domain(c.words[2]);
    request.set_page_size(1000);
    for (;;) {
      v1::ListAccountsReply reply;
      auto ctx = Client::context();
      client.check(client.directory().ListAccounts(ctx.get(), request, &reply), "account list");
      for (const auto& a : reply.accounts())
        print_account(a, c.json);
      if (reply.next_page_token().empty()) break;
      request.set_page_token(reply.next_page_token());
    }
    return kOk;
  }
  const auto& login = word(c, 2, "login (the account's address)");
  expect_words(c, 3);
  if (verb == "add") return account_add(client, c, login);
  const auto id = client.account_id(login);
  auto ctx = Client::context();
  if (auto update = account_update(c, verb)) {
    update->set_account_id(id);
    v1::Account reply;
    client.check(client.directory().UpdateAccount(ctx.get(), *update, &reply),
                 "account " + verb + " " + login);
    print_account(reply, c.json);
    return kOk;
  }
  if (verb == "show" || verb == "limits" || verb == "access") {  // without an option: shows
    v1::GetAccountRequest request;
    request.set_account_id(id);
    v1::Account reply;
    client.check(client.directory().GetAccount(ctx.get(), request, &reply), "account " + login);
    print_account(reply, c.json);
    return kOk;
  }
  if (verb == "passwd") {
    bool generated = false;
    v1::SetPasswordRequest request;
    request.set_account_id(id);
    request.set_password(read_password(c.password_stdin, generated));
    v1::SetPasswordReply reply;
    client.check(client.directory().SetPassword(ctx.get(), request, &reply),
                 "account passwd " + login);
    if (!c.json) std::cout << "password changed for " << login << "\n";
    if (generated) std::cerr << "password: " << request.password() << "\n";
    return kOk;
  }
  if (verb == "remove") {
    v1::RemoveAccountRequest request;
    request.set_account_id(id);
    v1::RemoveAccountReply reply;
    client.check(client.directory().RemoveAccount(ctx.get(), request, &reply),
                 "account remove " + login);
    if (!c.json) std::cout << "removed account " << login << " and all its mail\n";
    return kOk;
  }
  usage("unknown account command \"" + verb + "\"");
}

int alias(Client& client, const Command& c) {
  const auto& verb = word(c, 1, "alias command (add, list, remove)");
  const auto& login = word(c, 2, "login");
  const auto id = client.account_id(login);
  if (verb == "list") {
    expect_words(c, 3);
    v1::GetAccountRequest request;
    request.set_account_id(id);
    v1::Account reply;
    auto ctx = Client::context();
    client.check(client.directory().GetAccount(ctx.get(), request, &reply), "alias list");
    if (c.json)
      print_json(reply);
    else
      for (const auto& a : reply.aliases())
        std::cout << a << "\n";
    return kOk;
  }
  const auto& address = word(c, 3, "alias address");
  expect_words(c, 4);
  v1::AliasRequest request;
  request.set_account_id(id);
  request.set_address(address);
  v1::AliasReply reply;
  auto ctx = Client::context();
  if (verb == "add") {
    client.check(client.directory().AddAlias(ctx.get(), request, &reply), "alias add " + address);
  } else if (verb == "remove") {
    client.check(client.directory().RemoveAlias(ctx.get(), request, &reply),
                 "alias remove " + address);
  } else {
    usage("unknown alias command \"" + verb + "\"");
  }
  if (!c.json) std::cout << (verb == "add" ? "added alias " : "removed alias ") << address << "\n";
  return kOk;
}

int mailbox(Client& client, const Command& c) {
  if (word(c, 1, "mailbox command (list)") != "list") usage("unknown mailbox command");
  const auto& login = word(c, 2, "login");
  expect_words(c, 3);
  v1::ListMailboxesRequest request;
  request.set_account_id(client.account_id(login));
  request.set_include_status(true);
  v1::ListMailboxesReply reply;
  auto ctx = Client::context();
  client.check(client.mailboxes().ListMailboxes(ctx.get(), request, &reply), "mailbox list");
  if (c.json) return print_json(reply), kOk;
  for (const auto& m : reply.mailboxes()) {
    std::cout << m.path() << "  " << m.status().messages() << " messages, " << m.status().unseen()
              << " unseen, " << human_size(m.status().size_bytes()) << "\n";
  }
  return kOk;
}

int quota(Client& client, const Command& c) {
  const auto& verb = word(c, 1, "quota command (show, set)");
  const auto& login = word(c, 2, "login");
  const auto id = client.account_id(login);
  if (verb == "set") {
    const auto limit = parse_quota(word(c, 3, "size"));
    expect_words(c, 4);
    v1::UpdateAccountRequest request;
    request.set_account_id(id);
    request.set_quota_bytes(limit);
    v1::Account reply;
    auto ctx = Client::context();
    client.check(client.directory().UpdateAccount(ctx.get(), request, &reply), "quota set");
  } else if (verb != "show") {
    usage("unknown quota command \"" + verb + "\"");
  }
  v1::GetQuotaRequest request;
  request.set_account_id(id);
  v1::Quota reply;
  auto ctx = Client::context();
  client.check(client.directory().GetQuota(ctx.get(), request, &reply), "quota show");
  if (c.json) return print_json(reply), kOk;
  std::cout << login << "  " << human_size(reply.used_bytes()) << " of "
            << (reply.limit_bytes() == 0 ? std::string("unlimited")
                                         : human_size(reply.limit_bytes()))
            << " used, " << reply.message_count() << " messages\n";
  return kOk;
}

int run(int argc, char** argv) {
  Command c;
  const char* env = std::getenv("TESSERA_STORE");
  std::string store = env && *env ? env : "127.0.0.1:17001";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* what) -> std::string {
      if (i + 1 >= argc) usage(std::string(what) + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      return kOk;
    }
    if (arg == "--json")
      c.json = true;
    else if (arg == "--store")
      store = value("--store");
    else if (arg == "--name")
      c.name = value("--name");
    else if (arg == "--quota")
      c.quota = value("--quota");
    else if (arg == "--password-stdin")
      c.password_stdin = true;
    else if (arg == "--selector")
      c.selector = value("--selector");
    else if (arg == "--algorithm")
      c.algorithm = value("--algorithm");
    else if (arg == "--text-file")
      c.text_file = value("--text-file");
    else if (arg == "--html-file")
      c.html_file = value("--html-file");
    else if (arg == "--clear")
      c.clear = true;
    else if (arg == "--replace")
      c.replace = true;
    else if (arg == "--messages-per-hour")
      c.messages_per_hour = parse_count(value("--messages-per-hour"), arg);
    else if (arg == "--max-recipients")
      c.max_recipients = parse_count(value("--max-recipients"), arg);
    else if (arg == "--imap")
      c.imap = parse_switch(value("--imap"), arg);
    else if (arg == "--pop3")
      c.pop3 = parse_switch(value("--pop3"), arg);
    else if (arg.starts_with("--"))
      usage("unknown option " + arg);
    else
      c.words.push_back(arg);
  }
  if (c.words.empty()) usage("no command");
  Client client(store);
  const auto& topic = c.words[0];
  if (topic == "domain") return domain(client, c);
  if (topic == "account") return account(client, c);
  if (topic == "alias") return alias(client, c);
  if (topic == "mailbox") return mailbox(client, c);
  if (topic == "quota") return quota(client, c);
  if (topic == "dkim") return dkim(client, c);
  usage("unknown command \"" + topic + "\"");
}

}  // namespace
}  // namespace tessera::mailctl

int main(int argc, char** argv) {
  try {
    return tessera::mailctl::run(argc, argv);
  } catch (const tessera::mailctl::Failure& failure) {
    std::cerr << "mailctl: " << failure.message << "\n";
    return failure.code;
  }
}
