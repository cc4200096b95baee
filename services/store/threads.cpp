#include "threads.hpp"

#include <string>

#include "crypto/digest.hpp"
#include "keys.hpp"

namespace tessera::store {
namespace {

constexpr std::size_t kMaxReferences = 50;  // a long References chain: its tail is enough

std::uint64_t hash64(std::string_view text) {
  const auto digest = crypto::sha256(text);
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = (value << 8) | static_cast<unsigned char>(digest[static_cast<std::size_t>(i)]);
  return value;
}

Result<std::uint64_t> lookup(const Db& db, const std::string& key) {
  auto stored = db.get(Family::threads, key);
  if (!stored) return stored.error();
  if (!*stored) return std::uint64_t{0};
  return keys::get_u64(**stored, 0).value_or(0);
}

std::string encode(std::uint64_t id) {
  std::string value;
  keys::put_u64(value, id);
  return value;
}

}  // namespace

Result<std::uint64_t> assign_thread(Txn& txn, AccountEdit& account,
                                    const storedb::v1::Derived& derived) {
  const auto& db = txn.context().db;
  const auto id = account.account_id();
  std::uint64_t thread = 0;
  const auto& refs = derived.references();
  const int first = refs.size() > static_cast<int>(kMaxReferences)
                        ? refs.size() - static_cast<int>(kMaxReferences)
                        : 0;
  // The nearest ancestor first: In-Reply-To and the end of References.
  for (int i = refs.size() - 1; i >= first && thread == 0; --i) {
    auto found = lookup(db, keys::thread(id, 'M', hash64(refs[i])));
    if (!found) return found.error();
    thread = *found;
  }
  const auto& subject = derived.base_subject();
  const bool reply_like = !refs.empty() || derived.reply_subject();
  if (thread == 0 && reply_like && !subject.empty()) {
    auto found = lookup(db, keys::thread(id, 'S', hash64(subject)));
    if (!found) return found.error();
    thread = *found;
  }
  if (thread == 0) {
    auto& state = account.state();
    thread = std::max<std::uint64_t>(state.next_thread_id(), 1);
    state.set_next_thread_id(thread + 1);
  }
  auto* family = db.family(Family::threads);
  const auto value = encode(thread);
  if (!derived.envelope().message_id().empty())
    txn.batch().Put(family, keys::thread(id, 'M', hash64(derived.envelope().message_id())), value);
  for (int i = first; i < refs.size(); ++i)
    txn.batch().Put(family, keys::thread(id, 'M', hash64(refs[i])), value);
  if (!subject.empty()) txn.batch().Put(family, keys::thread(id, 'S', hash64(subject)), value);
  return thread;
}

}  // namespace tessera::store
