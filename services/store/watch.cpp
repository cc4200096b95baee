#include "watch.hpp"

#include <algorithm>

#include "rpc/status.hpp"

namespace tessera::store {

WatchReactor::WatchReactor(WatchHub& hub, const v1::WatchRequest& request)
    : hub_(hub),
      request_(request),
      heartbeat_(request.heartbeat_seconds() == 0 ? 30 : request.heartbeat_seconds()),
      last_write_(std::chrono::steady_clock::now()) {}

void WatchReactor::begin(Notifier& notifier, ChangeOps& ops) {
  // Subscribe first, then read the state: a change committed in between is seen twice at
  // worst, never missed.
  subscription_ = notifier.subscribe(request_.account_id(),
                                     [this](const v1::WatchEvent& event) { push(event); });
  auto missed = ops.catch_up(request_);
  if (!missed) {
    end(rpc::to_status(missed.error()));
    return;
  }
  if (*missed) push(**missed);
}

bool WatchReactor::relevant(v1::WatchEvent& event) const {
  if (request_.mailbox_ids().empty()) return true;
  auto* touches = event.mutable_mailboxes();
  touches->erase(std::remove_if(touches->begin(), touches->end(),
                                [&](const v1::MailboxTouch& touch) {
                                  return std::find(request_.mailbox_ids().begin(),
                                                   request_.mailbox_ids().end(),
                                                   touch.mailbox_id()) ==
                                         request_.mailbox_ids().end();
                                }),
                 touches->end());
  return !touches->empty() || event.tree_changed();
}

void WatchReactor::merge(const v1::WatchEvent& event) {
  if (!pending_) {
    pending_ = event;
    return;
  }
  pending_->set_highest_modseq(std::max(pending_->highest_modseq(), event.highest_modseq()));
  pending_->set_tree_changed(pending_->tree_changed() || event.tree_changed());
  for (const auto& touch : event.mailboxes()) {
    auto found =
        std::find_if(pending_->mutable_mailboxes()->begin(), pending_->mutable_mailboxes()->end(),
                     [&](const auto& t) { return t.mailbox_id() == touch.mailbox_id(); });
    if (found == pending_->mutable_mailboxes()->end()) {
      *pending_->add_mailboxes() = touch;
      continue;
    }
    found->set_highest_modseq(std::max(found->highest_modseq(), touch.highest_modseq()));
    found->set_messages_added(found->messages_added() || touch.messages_added());
    found->set_flags_changed(found->flags_changed() || touch.flags_changed());
    found->set_expunged(found->expunged() || touch.expunged());
  }
}

void WatchReactor::push(const v1::WatchEvent& event) {
  v1::WatchEvent copy = event;
  if (!relevant(copy)) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  merge(copy);
  if (!in_flight_) write_locked();
}

void WatchReactor::write_locked() {
  if (!pending_) return;
  writing_ = std::move(*pending_);
  pending_.reset();
  in_flight_ = true;
  last_write_ = std::chrono::steady_clock::now();
  StartWrite(&writing_);
}

void WatchReactor::tick(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (finished_ || in_flight_ || now - last_write_ < heartbeat_) return;
  v1::WatchEvent heartbeat;
  heartbeat.set_heartbeat(true);
  pending_ = heartbeat;
  write_locked();
}

void WatchReactor::end(const grpc::Status& status) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  Finish(status);
}

void WatchReactor::OnWriteDone(bool ok) {
  std::lock_guard lock(mutex_);
  in_flight_ = false;
  if (!ok) {
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watcher went away"));
    }
    return;
  }
  if (!finished_) write_locked();
}

void WatchReactor::OnCancel() {
  end(grpc::Status::CANCELLED);
}

void WatchReactor::OnDone() {
  subscription_.reset();
  hub_.release(this);
}

WatchHub::WatchHub(Context& context) : context_(context), ops_(context) {
  ticker_ = std::thread([this] { run_ticker(); });
}

WatchHub::~WatchHub() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  ticker_.join();
}

WatchReactor* WatchHub::start(const v1::WatchRequest& request) {
  auto reactor = std::make_unique<WatchReactor>(*this, request);
  auto* raw = reactor.get();
  {
    std::lock_guard lock(mutex_);
    reactors_.emplace(raw, std::move(reactor));
  }
  raw->begin(context_.notifier, ops_);
  return raw;
}

void WatchHub::release(WatchReactor* reactor) {
  std::unique_ptr<WatchReactor> gone;
  std::lock_guard lock(mutex_);
  auto found = reactors_.find(reactor);
  if (found == reactors_.end()) return;
  gone = std::move(found->second);
  reactors_.erase(found);
}

void WatchHub::end_all() {
  std::vector<WatchReactor*> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [raw, owned] : reactors_)
      all.push_back(raw);
  }
  for (auto* reactor : all)
    reactor->end(grpc::Status(grpc::StatusCode::UNAVAILABLE, "store is draining; reconnect"));
}

std::size_t WatchHub::active() {
  std::lock_guard lock(mutex_);
  return reactors_.size();
}

void WatchHub::run_ticker() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    for (auto& [raw, owned] : reactors_)
      raw->tick(now);
  }
}

}  // namespace tessera::store
