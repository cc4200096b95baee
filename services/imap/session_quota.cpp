// QUOTA (RFC 9208): one quota root, "", for the whole account, with the STORAGE resource in
// units of 1024 octets (§5.1) from the store's account counters. An account without a limit
// has no quota root (§4.3: GETQUOTAROOT then names none). Limits are the administrator's
// (mailctl), so SETQUOTA is refused and QUOTASET not advertised.
#include "imap/list_command.hpp"
#include "response.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

// "* QUOTA "" (STORAGE used limit)": used rounded up, so a non-empty account never shows 0.
std::string quota_line(const v1::Quota& quota) {
  return "* QUOTA \"\" (STORAGE " + std::to_string((quota.used_bytes() + 1023) / 1024) + " " +
         std::to_string(quota.limit_bytes() / 1024) + ")\r\n";
}

}  // namespace

awaitable<Result<v1::Quota>> Session::account_quota() {
  v1::GetQuotaRequest request;
  request.set_account_id(account_id_);
  co_return co_await rpc::unary(settings_.store->directory->async(),
                                &v1::Directory::Stub::async::GetQuota, request,
                                {.timeout = settings_.store_timeout});
}

awaitable<bool> Session::get_quota_root(const Command& c, Reader& args) {
  auto name = args.astring();
  if (!name || !args.at_end()) co_return co_await tagged(c, "BAD", "GETQUOTAROOT needs a mailbox");
  auto mailbox = co_await find_mailbox(*name);
  if (!mailbox) {
    const bool missing = mailbox.error().code == "imap.no_such_mailbox";
    co_return co_await tagged(
        c, "NO", missing ? "[NONEXISTENT] No such mailbox" : "[UNAVAILABLE] Try again later");
  }
  auto quota = co_await account_quota();
  if (!quota) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  std::string out = "* QUOTAROOT " + wire_name(mailbox->path());
  if (quota->limit_bytes() == 0) {
    out += "\r\n";
  } else {
    out += " \"\"\r\n" + quota_line(*quota);
  }
  co_return co_await complete(c, std::move(out), "GETQUOTAROOT completed");
}

awaitable<bool> Session::get_quota(const Command& c, Reader& args) {
  auto root = args.astring();
  if (!root || !args.at_end()) co_return co_await tagged(c, "BAD", "GETQUOTA needs a quota root");
  auto quota = co_await account_quota();
  if (!quota) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  // §4.2: a quota root that does not exist is a tagged NO.
  if (!root->empty() || quota->limit_bytes() == 0)
    co_return co_await tagged(c, "NO", "[NONEXISTENT] No such quota root");
  co_return co_await complete(c, quota_line(*quota), "GETQUOTA completed");
}

awaitable<bool> Session::set_quota(const Command& c) {
  co_return co_await tagged(c, "NO", "[NOPERM] Quotas are set by the administrator");
}

}  // namespace tessera::imap
