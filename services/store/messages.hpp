// The Messages service logic: adding, listing, reading and changing messages of one account.
// Every method is scoped by the request's account_id: keys start with it (keys.hpp), so no call
// can reach another account's records.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.hpp"
#include "context.hpp"
#include "tessera/store/v1/messages.pb.h"

namespace tessera::store {

class MessageOps {
 public:
  explicit MessageOps(Context& context) : context_(context) {}

  // `body` is the whole message (the service has checked its size against the header).
  Result<v1::AppendReply> append(const v1::AppendHeader& header, std::string body);
  Result<v1::DeliverReply> deliver(const v1::DeliverHeader& header, std::string body);

  // Streams batches to `send` (false: the reader went away, stop).
  using ListSink = std::function<bool(v1::ListMessagesReply&)>;
  Status list(const v1::ListMessagesRequest& request, const ListSink& send);
  using BodySink = std::function<bool(v1::GetBodyReply&)>;
  Status get_body(const v1::GetBodyRequest& request, const BodySink& send);
  Result<v1::GetBodiesReply> get_bodies(const v1::GetBodiesRequest& request);

  Result<v1::StoreFlagsReply> store_flags(const v1::StoreFlagsRequest& request);
  Result<v1::CopyReply> copy(const v1::CopyRequest& request, bool move);
  Result<v1::ExpungeReply> expunge(const v1::ExpungeRequest& request);
  Result<v1::CopyReply> move_to_trash(const v1::MoveToTrashRequest& request);
  Result<v1::SetCommentReply> set_comment(const v1::SetCommentRequest& request);

  // ST-09: expunges Trash messages trashed more than 7 days ago. Returns how many.
  Result<std::size_t> purge_trash(std::uint64_t account_id);

 private:
  Context& context_;
};

}  // namespace tessera::store
