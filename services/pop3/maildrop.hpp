// The maildrop a POP3 session works on (RFC 1939 §4): the account's INBOX only (P3-02: what
// filters moved elsewhere and Spam are not served), as it was at login — messages arriving
// meanwhile wait for the next session. Deletion marks live here until QUIT; UPDATE moves the
// marked messages to Trash in one store call (P3-04), so a dropped connection deletes nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "settings.hpp"
#include "tessera/store/v1/messages.pb.h"

namespace tessera::pop3d {

struct MaildropMessage {
  std::uint32_t uid = 0;
  std::uint64_t size = 0;  // octets as stored (CRLF line ends: what RETR sends, unstuffed)
  bool deleted = false;
};

struct Maildrop {
  std::uint64_t account_id = 0;
  std::uint64_t mailbox_id = 0;
  std::uint32_t uid_validity = 0;
  std::vector<MaildropMessage> messages;

  // Message `number` (1-based, RFC 1939 §5) unless it does not exist or is marked deleted.
  const MaildropMessage* find(std::uint32_t number) const;
  MaildropMessage* find(std::uint32_t number);
  std::size_t count() const;     // not marked deleted
  std::uint64_t octets() const;  // their sizes
};

awaitable<Result<Maildrop>> open_maildrop(const Settings& settings, std::uint64_t account_id);

// UPDATE (RFC 1939 §6): the marked messages to Trash, atomically.
awaitable<Status> move_deleted_to_trash(const Settings& settings, const Maildrop& maildrop);

// Streams one message's bytes to `write`, in pieces of up to 1 MiB.
awaitable<Status> read_message(const Settings& settings, const Maildrop& maildrop,
                               std::uint32_t uid,
                               const std::function<awaitable<Status>(std::string_view)>& write);

// Whole messages, as many of `uids` as the store sends in one call (Messages.GetBodies).
awaitable<Result<store::v1::GetBodiesReply>> read_bodies(const Settings& settings,
                                                         const Maildrop& maildrop,
                                                         const std::vector<std::uint32_t>& uids);

}  // namespace tessera::pop3d
