// Changes.Watch streams, on gRPC's callback API: an idle watcher holds no thread (IMAP IDLE and
// EAS Ping may keep thousands open). Notices from the Notifier are merged while a write is in
// flight, so a slow reader gets one summary, never an unbounded queue. One ticker thread sends
// heartbeats after the requested silence.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "changes.hpp"
#include "context.hpp"
#include "tessera/store/v1/changes.grpc.pb.h"

namespace tessera::store {

class WatchHub;

class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchEvent> {
 public:
  WatchReactor(WatchHub& hub, const v1::WatchRequest& request);
  void begin(Notifier& notifier, ChangeOps& ops);
  void push(const v1::WatchEvent& event);  // Notifier thread
  void tick(std::chrono::steady_clock::time_point now);
  void end(const grpc::Status& status);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  bool relevant(v1::WatchEvent& event) const;
  void merge(const v1::WatchEvent& event);
  void write_locked();

  WatchHub& hub_;
  v1::WatchRequest request_;
  std::chrono::seconds heartbeat_;
  std::mutex mutex_;
  std::unique_ptr<Notifier::Subscription> subscription_;
  std::optional<v1::WatchEvent> pending_;
  v1::WatchEvent writing_;
  bool in_flight_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_write_;
};

class WatchHub {
 public:
  explicit WatchHub(Context& context);
  ~WatchHub();
  WatchReactor* start(const v1::WatchRequest& request);
  void release(WatchReactor* reactor);  // OnDone
  // Ends every stream with UNAVAILABLE (drain): clients reconnect elsewhere with their modseq.
  void end_all();
  std::size_t active();

 private:
  void run_ticker();
  Context& context_;
  ChangeOps ops_;
  std::mutex mutex_;
  std::map<WatchReactor*, std::unique_ptr<WatchReactor>> reactors_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace tessera::store
