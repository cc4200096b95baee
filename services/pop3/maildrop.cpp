#include "maildrop.hpp"

#include <algorithm>

namespace tessera::pop3d {
namespace {

namespace v1 = store::v1;

}  // namespace

const MaildropMessage* Maildrop::find(std::uint32_t number) const {
  if (number == 0 || number > messages.size()) return nullptr;
  const auto& message = messages[number - 1];
  return message.deleted ? nullptr : &message;
}

MaildropMessage* Maildrop::find(std::uint32_t number) {
  return const_cast<MaildropMessage*>(std::as_const(*this).find(number));
}

std::size_t Maildrop::count() const {
  return static_cast<std::size_t>(
      std::count_if(messages.begin(), messages.end(), [](const auto& m) { return !m.deleted; }));
}

std::uint64_t Maildrop::octets() const {
  std::uint64_t total = 0;
  for (const auto& m : messages)
    if (!m.deleted) total += m.size;
  return total;
}

awaitable<Result<Maildrop>> open_maildrop(const Settings& settings, std::uint64_t account_id) {
  Maildrop maildrop;
  maildrop.account_id = account_id;
  v1::GetMailboxStatusRequest status_request;
  status_request.set_account_id(account_id);
  status_request.mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
  auto status = co_await rpc::unary(settings.store->mailboxes->async(),
                                    &v1::Mailboxes::Stub::async::GetMailboxStatus,
                                    std::move(status_request), store_call(settings));
  if (!status) co_return status.error();
  maildrop.mailbox_id = status->mailbox_id();
  maildrop.uid_validity = status->uid_validity();
  v1::ListMessagesRequest list;
  list.set_account_id(account_id);
  list.set_mailbox_id(maildrop.mailbox_id);
  list.set_expected_uid_validity(maildrop.uid_validity);
  auto reader = rpc::server_stream(settings.store->messages->async(),
                                   &v1::Messages::Stub::async::List, list, store_call(settings));
  for (;;) {
    auto batch = co_await reader->next();
    if (!batch) co_return batch.error();
    if (!*batch) break;
    for (const auto& record : (*batch)->messages())
      maildrop.messages.push_back({record.uid(), record.size(), false});
  }
  co_return maildrop;
}

awaitable<Status> move_deleted_to_trash(const Settings& settings, const Maildrop& maildrop) {
  v1::MoveToTrashRequest request;
  request.set_account_id(maildrop.account_id);
  request.set_mailbox_id(maildrop.mailbox_id);
  for (const auto& m : maildrop.messages) {
    if (!m.deleted) continue;
    auto* ranges = request.mutable_uids()->mutable_ranges();
    if (!ranges->empty() && ranges->rbegin()->last() + 1 == m.uid) {
      ranges->rbegin()->set_last(m.uid);
    } else {
      auto* range = request.mutable_uids()->add_ranges();
      range->set_first(m.uid);
      range->set_last(m.uid);
    }
  }
  if (request.uids().ranges().empty()) co_return Status{};
  auto moved = co_await rpc::unary(settings.store->messages->async(),
                                   &v1::Messages::Stub::async::MoveToTrash, std::move(request),
                                   store_call(settings));
  if (!moved) co_return moved.error();
  co_return Status{};
}

awaitable<Status> read_message(const Settings& settings, const Maildrop& maildrop,
                               std::uint32_t uid,
                               const std::function<awaitable<Status>(std::string_view)>& write) {
  v1::GetBodyRequest request;
  request.set_account_id(maildrop.account_id);
  request.set_mailbox_id(maildrop.mailbox_id);
  request.set_uid(uid);
  auto reader =
      rpc::server_stream(settings.store->messages->async(), &v1::Messages::Stub::async::GetBody,
                         request, store_call(settings));
  for (;;) {
    auto piece = co_await reader->next();
    if (!piece) co_return piece.error();
    if (!*piece) co_return Status{};
    if (auto ok = co_await write((*piece)->data()); !ok) co_return ok;
  }
}

awaitable<Result<v1::GetBodiesReply>> read_bodies(const Settings& settings,
                                                  const Maildrop& maildrop,
                                                  const std::vector<std::uint32_t>& uids) {
  v1::GetBodiesRequest request;
  request.set_account_id(maildrop.account_id);
  request.set_mailbox_id(maildrop.mailbox_id);
  request.mutable_uids()->Add(uids.begin(), uids.end());
  co_return co_await rpc::unary(settings.store->messages->async(),
                                &v1::Messages::Stub::async::GetBodies, std::move(request),
                                store_call(settings));
}

}  // namespace tessera::pop3d
