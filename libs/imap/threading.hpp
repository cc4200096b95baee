// The THREAD algorithms of RFC 5256 (ORDEREDSUBJECT §BASE.ALGORITHMS.ORDEREDSUBJECT, REFERENCES
// §BASE.ALGORITHMS.REFERENCES) and the thread-list response syntax (§5). Pure: the imap service
// hands in what the store keeps about each chosen message and sends the string back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::imap {

struct ThreadMessage {
  std::uint32_t number =
      0;  // what the response lists: sequence number or UID (THREAD / UID THREAD)
  std::uint32_t sequence = 0;  // message sequence number: the tie-breaker of §2.2
  std::int64_t sent = 0;       // §2.2 sent date (Date in UTC, else INTERNALDATE), any unit
  std::string message_id;      // "<id>"; empty if the message has none
  // The message's references: the References ids in order, or In-Reply-To's first id (§5 step 1).
  std::vector<std::string> references;
  std::string base_subject;    // §2.1, compared with i;ascii-casemap
  bool reply_subject = false;  // §2.1: the subject had a reply/forward prefix or trailer
};

struct ThreadNode {
  std::uint32_t number = 0;  // 0: a dummy (a referenced message that is not here)
  std::vector<ThreadNode> children;
};

std::vector<ThreadNode> thread_ordered_subject(const std::vector<ThreadMessage>& messages);
std::vector<ThreadNode> thread_references(const std::vector<ThreadMessage>& messages);

// "(2)(3 6 (4 23)(44 7 96))": thread-list per top-level node (RFC 5256 §5 thread-data).
std::string format_threads(const std::vector<ThreadNode>& threads);

// i;ascii-casemap ordering (RFC 4790 §9.2): octets compared after mapping a-z to A-Z.
int ascii_casemap_compare(const std::string& a, const std::string& b);

}  // namespace tessera::imap
