// Changing the folder tree: CREATE (RFC 9051 §6.3.4), DELETE (§6.3.5), RENAME (§6.3.6, with the
// INBOX special case), SUBSCRIBE and UNSUBSCRIBE (§6.3.7-8). The six special folders cannot be
// deleted or renamed (IM-09; the store refuses with FAILED_PRECONDITION).
#include "rpc/client.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

// RFC 5530 response codes for the store's refusals.
std::string refusal(const Error& error) {
  if (error.code == "rpc.ALREADY_EXISTS") return "[ALREADYEXISTS] Mailbox already exists";
  if (error.code == "rpc.NOT_FOUND") return "[NONEXISTENT] No such mailbox";
  if (error.code == "rpc.FAILED_PRECONDITION" || error.code == "rpc.INVALID_ARGUMENT")
    return "[CANNOT] " + error.message;
  if (error.code == "imap.no_such_mailbox") return "[NONEXISTENT] " + error.message;
  return "[UNAVAILABLE] Try again later";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

const v1::Mailbox* by_path(const v1::ListMailboxesReply& tree, const std::string& path) {
  for (const auto& m : tree.mailboxes())
    if (m.path() == path) return &m;
  return nullptr;
}

}  // namespace

awaitable<Result<v1::Mailbox>> Session::create_path(const std::string& path) {
  auto tree = co_await mailboxes(false);
  if (!tree) co_return tree.error();
  if (by_path(*tree, path)) co_return make_error("rpc.ALREADY_EXISTS", "exists");
  std::uint64_t parent = 0;
  std::string prefix;
  v1::Mailbox last;
  for (const auto& level : split_path(path)) {
    prefix += (prefix.empty() ? "" : "/") + level;
    if (const auto* existing = by_path(*tree, prefix)) {
      parent = existing->mailbox_id();
      continue;
    }
    v1::CreateMailboxRequest request;
    request.set_account_id(account_id_);
    request.set_parent_id(parent);
    request.set_name(level);
    auto created = co_await rpc::unary(settings_.store->mailboxes->async(),
                                       &v1::Mailboxes::Stub::async::CreateMailbox, request,
                                       {.timeout = settings_.store_timeout});
    if (!created) co_return created.error();
    parent = created->mailbox_id();
    last = std::move(*created);
  }
  co_return last;
}

awaitable<bool> Session::create(const Command& c, Reader& args) {
  auto name = args.astring();
  if (!name || !args.at_end()) co_return co_await tagged(c, "BAD", "CREATE needs a mailbox name");
  auto path = mailbox_path(*name);
  // A trailing delimiter announces children to come (§6.3.4): the name is without it.
  if (path && !path->empty() && path->back() == '/') path->pop_back();
  if (!path || path->empty()) co_return co_await tagged(c, "NO", "[CANNOT] Invalid mailbox name");
  auto created = co_await create_path(*path);
  if (!created) {
    const auto why = refusal(created.error());
    co_return co_await tagged(c, "NO", why);
  }
  co_return co_await complete(c, "", "CREATE completed");
}

awaitable<bool> Session::remove(const Command& c, Reader& args) {
  auto name = args.astring();
  if (!name || !args.at_end()) co_return co_await tagged(c, "BAD", "DELETE needs a mailbox name");
  auto mailbox = co_await find_mailbox(*name);
  if (!mailbox) {
    const auto why = refusal(mailbox.error());
    co_return co_await tagged(c, "NO", why);
  }
  // §6.3.5 lets a server refuse a mailbox with inferiors; deleting them too would surprise.
  if (mailbox->has_children())
    co_return co_await tagged(c, "NO", "[HASCHILDREN] Delete the subfolders first");
  v1::DeleteMailboxRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(mailbox->mailbox_id());
  auto deleted = co_await rpc::unary(settings_.store->mailboxes->async(),
                                     &v1::Mailboxes::Stub::async::DeleteMailbox, request,
                                     {.timeout = settings_.store_timeout});
  if (!deleted) {
    const auto why = refusal(deleted.error());
    co_return co_await tagged(c, "NO", why);
  }
  co_return co_await complete(c, "", "DELETE completed");
}

awaitable<bool> Session::rename(const Command& c, Reader& args) {
  auto from = args.astring();
  auto to = from && args.sp() ? args.astring() : Result<std::string>(args.error("x"));
  if (!from || !to || !args.at_end())
    co_return co_await tagged(c, "BAD", "RENAME needs two mailbox names");
  auto source = co_await find_mailbox(*from);
  auto target = mailbox_path(*to);
  if (!source || !target) {
    const auto why = refusal(source ? target.error() : source.error());
    co_return co_await tagged(c, "NO", why);
  }
  if (target->empty() || target->back() == '/')
    co_return co_await tagged(c, "NO", "[CANNOT] Invalid mailbox name");
  if (source->role() == v1::MAILBOX_ROLE_INBOX) {
    // §6.3.6: renaming INBOX moves its messages to the new mailbox and leaves INBOX empty.
    auto created = co_await create_path(*target);
    if (!created) {
      const auto why = refusal(created.error());
      co_return co_await tagged(c, "NO", why);
    }
    v1::CopyRequest move;
    move.set_account_id(account_id_);
    move.set_mailbox_id(source->mailbox_id());
    auto* all = move.mutable_uids()->add_ranges();
    all->set_first(1);
    all->set_last(0xFFFFFFFFU);
    move.mutable_target()->set_mailbox_id(created->mailbox_id());
    auto moved =
        co_await rpc::unary(settings_.store->messages->async(), &v1::Messages::Stub::async::Move,
                            move, {.timeout = settings_.store_timeout});
    if (!moved) {
      const auto why = refusal(moved.error());
      co_return co_await tagged(c, "NO", why);
    }
    co_return co_await complete(c, "", "RENAME completed");
  }
  // The new parent: created if missing (§6.3.6 "superior hierarchical names").
  std::uint64_t parent = 0;
  std::string leaf = *target;
  if (const auto slash = target->rfind('/'); slash != std::string::npos) {
    leaf = target->substr(slash + 1);
    const auto parent_path = target->substr(0, slash);
    auto tree = co_await mailboxes(false);
    if (!tree) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
    if (const auto* found = by_path(*tree, parent_path)) {
      parent = found->mailbox_id();
    } else {
      auto created = co_await create_path(parent_path);
      if (!created) {
        const auto why = refusal(created.error());
        co_return co_await tagged(c, "NO", why);
      }
      parent = created->mailbox_id();
    }
  }
  v1::RenameMailboxRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(source->mailbox_id());
  request.set_new_name(leaf);
  request.set_new_parent_id(parent);
  auto renamed = co_await rpc::unary(settings_.store->mailboxes->async(),
                                     &v1::Mailboxes::Stub::async::RenameMailbox, request,
                                     {.timeout = settings_.store_timeout});
  if (!renamed) {
    const auto why = refusal(renamed.error());
    co_return co_await tagged(c, "NO", why);
  }
  if (selected_ && selected_->mailbox_id == source->mailbox_id()) selected_->name = *target;
  co_return co_await complete(c, "", "RENAME completed");
}

awaitable<bool> Session::subscribe(const Command& c, Reader& args, bool subscribed) {
  const std::string verb = subscribed ? "SUBSCRIBE" : "UNSUBSCRIBE";
  auto name = args.astring();
  if (!name || !args.at_end()) co_return co_await tagged(c, "BAD", verb + " needs a mailbox name");
  auto mailbox = co_await find_mailbox(*name);
  v1::SetSubscribedRequest request;
  request.set_account_id(account_id_);
  request.set_subscribed(subscribed);
  if (mailbox) {
    request.set_mailbox_id(mailbox->mailbox_id());
  } else if (auto path = mailbox_path(*name);
             !subscribed && mailbox.error().code == "imap.no_such_mailbox" && path) {
    request.set_path(*path);  // a subscription that outlived its mailbox (RFC 9051 §6.3.7)
  } else {
    const auto why = refusal(mailbox.error());
    co_return co_await tagged(c, "NO", why);
  }
  auto done = co_await rpc::unary(settings_.store->mailboxes->async(),
                                  &v1::Mailboxes::Stub::async::SetSubscribed, request,
                                  {.timeout = settings_.store_timeout});
  if (!done) {
    const auto why = refusal(done.error());
    co_return co_await tagged(c, "NO", why);
  }
  co_return co_await complete(c, "", verb + " completed");
}

}  // namespace tessera::imap
