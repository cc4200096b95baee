// Messages: List (metadata in batches), GetBody (raw bytes of a message or MIME part,
// RFC 9051 §6.4.5 section specs, RFC 3516 BINARY) and GetBodies (whole messages, many a call).
#include <algorithm>

#include "blobs.hpp"
#include "errors.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"
#include "message_data.hpp"
#include "messages.hpp"
#include "mime/mime.hpp"

namespace tessera::store {
namespace {

// A batch stays well under the 8 MiB gRPC message limit and the 1 MiB the contract promises.
constexpr std::size_t kBatchBytes = 512 * 1024;
constexpr int kBatchMessages = 1000;
constexpr int kMaxBodiesUids = 1000;

Result<storedb::v1::MailboxRecord> load_mailbox(const Db& db, std::uint64_t account,
                                                std::uint64_t mailbox) {
  auto stored = db.get(Family::mailboxes, keys::mailbox(account, mailbox));
  if (!stored) return stored.error();
  if (!*stored || mailbox == 0) {
    auto state = read_account_state(db, account);
    if (!state) return state.error();
    if (!*state) return not_found("no such account " + std::to_string(account));
    return not_found("no such mailbox " + std::to_string(mailbox));
  }
  storedb::v1::MailboxRecord record;
  if (!record.ParseFromString(**stored)) return corrupt("mailbox record unreadable");
  return record;
}

bool wants(const v1::ListMessagesRequest& request, v1::MessageField field) {
  return std::find(request.fields().begin(), request.fields().end(), field) !=
         request.fields().end();
}

// The [begin, end) bytes of the requested section of `derived`'s message (RFC 9051 §6.4.5).
Result<std::pair<std::uint64_t, std::uint64_t>> section_span(const storedb::v1::Derived& derived,
                                                             std::uint64_t size,
                                                             const v1::GetBodyRequest& request,
                                                             std::string* encoding) {
  const auto& part = request.part();
  if (part.empty()) {
    const auto found = derived.spans().find("");
    const auto header_end = found != derived.spans().end() ? found->second.header_end() : 0;
    switch (request.section()) {
      case v1::SECTION_HEADER:
        return std::pair{std::uint64_t{0}, std::min(header_end, size)};
      case v1::SECTION_TEXT:
        return std::pair{std::min(header_end, size), size};
      case v1::SECTION_MIME:
        return invalid_argument("MIME needs a part number");
      default:
        // BINARY[] (RFC 3516 §4.2): a whole message has no transfer encoding to undo.
        return std::pair{std::uint64_t{0}, size};
    }
  }
  const auto found = derived.spans().find(part);
  if (found == derived.spans().end()) return invalid_argument("the message has no part " + part);
  const auto& span = found->second;
  if (encoding) *encoding = span.encoding();
  switch (request.section()) {
    case v1::SECTION_MIME:
      return std::pair{span.header_begin(), span.header_end()};
    case v1::SECTION_HEADER:
    case v1::SECTION_TEXT:
      if (!span.message()) return invalid_argument("part " + part + " is not a message/rfc822");
      if (request.section() == v1::SECTION_HEADER)
        return std::pair{span.body_begin(), span.message_header_end()};
      return std::pair{span.message_header_end(), span.body_end()};
    default:
      // A multipart or message/rfc822 part is 7bit/8bit/binary (RFC 2045 §6.4): BINARY gives
      // it as it is, whatever a broken header claims.
      if (!span.leaf() && encoding) encoding->clear();
      return std::pair{span.body_begin(), span.body_end()};
  }
}

}  // namespace

Status MessageOps::list(const v1::ListMessagesRequest& request, const ListSink& send) {
  auto mailbox = load_mailbox(context_.db, request.account_id(), request.mailbox_id());
  if (!mailbox) return mailbox.error();
  const auto& status = mailbox->status();
  if (request.expected_uid_validity() != 0 &&
      request.expected_uid_validity() != status.uid_validity())
    return failed_precondition("UIDVALIDITY is now " + std::to_string(status.uid_validity()));
  const bool envelope = wants(request, v1::MESSAGE_FIELD_ENVELOPE);
  const bool structure = wants(request, v1::MESSAGE_FIELD_BODY_STRUCTURE);
  const bool preview = wants(request, v1::MESSAGE_FIELD_PREVIEW);
  const bool threading = wants(request, v1::MESSAGE_FIELD_THREADING);
  const bool derived_needed = envelope || structure || preview || threading;

  v1::ListMessagesReply batch;
  std::size_t batch_bytes = 0;
  auto start_batch = [&] {
    batch.Clear();
    batch.set_uid_validity(status.uid_validity());
    batch.set_highest_modseq(status.highest_modseq());
    batch_bytes = 0;
  };
  start_batch();
  bool gone = false;
  Status failure;
  std::uint32_t position = 0;
  const bool by_position = request.selection_case() == v1::ListMessagesRequest::kPositions;
  const auto first = by_position ? std::max<std::uint32_t>(request.positions().first(), 1) : 0;
  const auto last = by_position ? request.positions().last() : 0;
  auto walked = for_each_message(
      context_.db, request.account_id(), request.mailbox_id(),
      request.selection_case() == v1::ListMessagesRequest::kUids ? &request.uids() : nullptr,
      [&](std::uint32_t, storedb::v1::IndexRecord& record) {
        ++position;
        if (by_position && position < first) return true;
        if (by_position && last != 0 && position > last) return false;
        if (record.record().modseq() <= request.changed_since_modseq()) return true;
        auto* message = batch.add_messages();
        *message = std::move(*record.mutable_record());
        if (derived_needed) {
          auto derived = read_derived(context_.db, record.blob_id());
          if (!derived) {
            failure = derived.error();
            return false;
          }
          if (*derived) {
            if (envelope) *message->mutable_envelope() = (*derived)->envelope();
            if (structure) *message->mutable_body_structure() = (*derived)->body_structure();
            if (preview) message->set_preview((*derived)->preview());
            if (threading) {
              message->set_base_subject((*derived)->base_subject());
              message->set_reply_subject((*derived)->reply_subject());
              *message->mutable_references() = (*derived)->references();
            }
          }
        }
        batch_bytes += message->ByteSizeLong();
        if (batch_bytes >= kBatchBytes || batch.messages_size() >= kBatchMessages) {
          if (!send(batch)) {
            gone = true;
            return false;
          }
          start_batch();
        }
        return true;
      });
  if (!walked) return walked.error();
  if (!failure) return failure.error();
  if (!gone && (batch.messages_size() > 0 || batch_bytes == 0)) send(batch);
  return {};
}

Status MessageOps::get_body(const v1::GetBodyRequest& request, const BodySink& send) {
  auto mailbox = load_mailbox(context_.db, request.account_id(), request.mailbox_id());
  if (!mailbox) return mailbox.error();
  auto found = find_message(context_.db, request.account_id(), request.mailbox_id(), request.uid());
  if (!found) return found.error();
  auto raw = read_blob(context_.db, found->blob_id());
  if (!raw) return raw.error();
  std::string_view bytes = *raw;
  std::string decoded;
  if (!request.part().empty() || request.section() != v1::SECTION_UNSPECIFIED || request.decode()) {
    auto derived = read_derived(context_.db, found->blob_id());
    if (!derived) return derived.error();
    storedb::v1::Derived none;
    std::string encoding;
    auto span = section_span(*derived ? **derived : none, bytes.size(), request, &encoding);
    if (!span) return span.error();
    const auto begin = std::min<std::uint64_t>(span->first, bytes.size());
    const auto end = std::clamp<std::uint64_t>(span->second, begin, bytes.size());
    bytes = bytes.substr(begin, end - begin);
    if (request.decode()) {
      auto plain = mime::decode_transfer(bytes, encoding);
      if (!plain) return invalid_argument("UNKNOWN-CTE: " + plain.error().message);
      decoded = std::move(*plain);
      bytes = decoded;
    }
  }
  v1::GetBodyReply reply;
  reply.set_total_size(bytes.size());
  const auto offset = std::min<std::uint64_t>(request.offset(), bytes.size());
  auto piece = bytes.substr(offset);
  if (request.has_length())
    piece = piece.substr(0, std::min<std::uint64_t>(request.length(), piece.size()));
  bool first = true;
  do {
    const auto n = std::min<std::size_t>(piece.size(), kMaxChunkBytes);
    reply.set_data(std::string(piece.substr(0, n)));
    piece.remove_prefix(n);
    if (!first) reply.clear_total_size();
    first = false;
    if (!send(reply)) break;
  } while (!piece.empty());
  return {};
}

Result<v1::GetBodiesReply> MessageOps::get_bodies(const v1::GetBodiesRequest& request) {
  if (request.uids_size() > kMaxBodiesUids)
    return invalid_argument("GetBodies takes at most " + std::to_string(kMaxBodiesUids) + " UIDs");
  auto mailbox = load_mailbox(context_.db, request.account_id(), request.mailbox_id());
  if (!mailbox) return mailbox.error();
  v1::GetBodiesReply reply;
  std::uint64_t total = 0;
  for (const auto uid : request.uids()) {
    auto found = find_message(context_.db, request.account_id(), request.mailbox_id(), uid);
    if (!found && !is_not_found(found.error())) return found.error();
    if (found && total + found->record().size() > kMaxChunkBytes) break;  // the caller asks again
    auto& body = *reply.add_bodies();
    body.set_uid(uid);
    if (!found) {
      body.set_missing(true);
      continue;
    }
    auto raw = read_blob(context_.db, found->blob_id());
    if (!raw) return raw.error();
    total += raw->size();
    body.set_data(std::move(*raw));
  }
  return reply;
}

}  // namespace tessera::store
