// The maildrop lock (RFC 1939 §8: "the POP3 server then acquires an exclusive-access lock on the
// maildrop"; RFC 2449 §8.1 [IN-USE]): the store holds it, so one session at a time holds an
// account's maildrop across every pop3 replica. It lives timeouts.lock; a Keeper renews it every
// third of that while the session lasts (idle or not), and the end of the session gives it back.
// A pop3 process that dies (kill -9, a lost node) stops renewing: the lock lapses within
// timeouts.lock and the user can log in again, instead of waiting out an idle timeout.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "net/errors.hpp"
#include "pop3/response.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"
#include "session.hpp"

namespace tessera::pop3d {
namespace {

namespace v1 = store::v1;

std::uint32_t lock_ttl_ms(const Settings& settings) {
  return static_cast<std::uint32_t>(settings.lock_ttl.count());
}

rpc::Keeper::Renew renew_lock(const Settings& settings, std::uint64_t account_id, std::string token,
                              std::string client) {
  return [&settings, account_id, token = std::move(token),
          client = std::move(client)]() -> awaitable<rpc::Renewal> {
    v1::RenewMaildropLockRequest request;
    request.set_account_id(account_id);
    request.set_lock_token(token);
    request.set_ttl_ms(lock_ttl_ms(settings));
    auto renewed = co_await rpc::unary(settings.store->mailboxes->async(),
                                       &v1::Mailboxes::Stub::async::RenewMaildropLock,
                                       std::move(request), store_call(settings));
    if (renewed) co_return rpc::Renewal::kept;
    if (rpc::status_code(renewed.error()) != grpc::StatusCode::FAILED_PRECONDITION) {
      spdlog::warn("pop3 {}: maildrop lock not renewed, trying again: {}", client,
                   renewed.error().message);
      co_return rpc::Renewal::retry;
    }
    // Lapsed while the store was away, maybe taken by another session: this one goes on with
    // its snapshot; its UPDATE only moves messages by UID, which stays right either way.
    spdlog::warn("pop3 {}: maildrop lock lost: {}", client, renewed.error().message);
    co_return rpc::Renewal::lost;
  };
}

}  // namespace

awaitable<bool> Session::lock_maildrop(std::uint64_t account_id) {
  v1::LockMaildropRequest request;
  request.set_account_id(account_id);
  request.set_holder("pop3:" + std::to_string(::getpid()) + ":" +
                     net::endpoint_string(connection_.client));
  request.set_ttl_ms(lock_ttl_ms(settings_));
  auto locked = co_await rpc::unary(settings_.store->mailboxes->async(),
                                    &v1::Mailboxes::Stub::async::LockMaildrop, std::move(request),
                                    store_call(settings_));
  if (locked) {
    lock_token_ = locked->lock_token();
    locked_account_ = account_id;
    lock_keeper_.emplace(
        connection_.stream.get_executor(), settings_.lock_ttl / 3,
        renew_lock(settings_, account_id, lock_token_, net::endpoint_string(connection_.client)));
    co_return true;
  }
  if (rpc::status_code(locked.error()) == grpc::StatusCode::FAILED_PRECONDITION) {
    if (!co_await send(pop3::err("Mailbox is in use by another session", "IN-USE")))
      state_ = State::closed;
    co_return false;
  }
  if (!co_await send(pop3::err("Maildrop not available, try again later", "SYS/TEMP")))
    state_ = State::closed;
  co_return false;
}

awaitable<void> Session::release() {
  lock_keeper_.reset();
  if (lock_token_.empty()) co_return;
  v1::UnlockMaildropRequest request;
  request.set_account_id(locked_account_);
  request.set_lock_token(std::exchange(lock_token_, std::string()));
  (void)co_await rpc::unary(settings_.store->mailboxes->async(),
                            &v1::Mailboxes::Stub::async::UnlockMaildrop, std::move(request),
                            store_call(settings_));
}

}  // namespace tessera::pop3d
