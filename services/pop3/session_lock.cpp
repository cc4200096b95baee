// The maildrop lock (RFC 1939 §8: "the POP3 server then acquires an exclusive-access lock on the
// maildrop"; RFC 2449 §8.1 [IN-USE]): the store holds it, so one session at a time holds an
// account's maildrop across every pop3 replica. Its lifetime covers the idle timeout; commands
// renew it, and the end of the session gives it back. A pop3 process that dies stops renewing,
// and the lock lapses by itself.
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
  return static_cast<std::uint32_t>((settings.idle_timeout + std::chrono::minutes(1)).count());
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
    lock_renewed_ = std::chrono::steady_clock::now();
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

awaitable<void> Session::renew_lock() {
  const auto ttl = std::chrono::milliseconds(lock_ttl_ms(settings_));
  if (lock_token_.empty() || std::chrono::steady_clock::now() - lock_renewed_ < ttl / 3) co_return;
  v1::RenewMaildropLockRequest request;
  request.set_account_id(maildrop_->account_id);
  request.set_lock_token(lock_token_);
  request.set_ttl_ms(lock_ttl_ms(settings_));
  auto renewed = co_await rpc::unary(settings_.store->mailboxes->async(),
                                     &v1::Mailboxes::Stub::async::RenewMaildropLock,
                                     std::move(request), store_call(settings_));
  if (renewed)
    lock_renewed_ = std::chrono::steady_clock::now();
  else
    spdlog::warn("pop3 {}: maildrop lock not renewed: {}", net::endpoint_string(connection_.client),
                 renewed.error().message);
}

awaitable<void> Session::release() {
  if (lock_token_.empty() || !maildrop_) co_return;
  v1::UnlockMaildropRequest request;
  request.set_account_id(maildrop_->account_id);
  request.set_lock_token(std::exchange(lock_token_, std::string()));
  (void)co_await rpc::unary(settings_.store->mailboxes->async(),
                            &v1::Mailboxes::Stub::async::UnlockMaildrop, std::move(request),
                            store_call(settings_));
}

}  // namespace tessera::pop3d
