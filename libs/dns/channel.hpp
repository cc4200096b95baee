// detail::Channel: one c-ares channel driven by Asio. c-ares tells which sockets it wants watched
// (ARES_OPT_SOCK_STATE_CB) and when its next timeout is due (ares_timeout); the channel waits on
// those sockets with posix::stream_descriptor::async_wait and on a steady_timer, and hands what
// became ready to ares_process_fd. All of it, and every ares_* call, runs on one strand.
//
// Sockets are c-ares's: it opens and closes them. A descriptor is release()d (never closed) in
// the state callback that announces the close, so each fd is closed exactly once, by c-ares.
// Internal to libs/dns; Resolver is the interface.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "dns/resolver.hpp"

struct ares_channeldata;  // <ares.h>'s ares_channel points to one

namespace tessera::dns::detail {

// The raw outcome of one query: the c-ares status (ARES_SUCCESS, ARES_ENODATA, ARES_ENOTFOUND,
// ...) and, on success, the answer message for ares_parse_*_reply.
struct Answer {
  int status = 0;
  std::vector<unsigned char> message;
};

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  struct Pending;  // one query awaiting its answer
  struct Socket;   // one c-ares socket being watched

  // The settings are checked by the caller (Resolver::create); `servers` is c-ares's CSV form,
  // empty for resolv.conf.
  static Result<std::shared_ptr<Channel>> open(asio::any_io_executor executor,
                                               const ResolverSettings& settings,
                                               const std::string& servers);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // One query for `name` of `type` (ns_t_mx, ns_t_a, ns_t_aaaa), class IN, without the search
  // list (mail domains are fully qualified). Ends within the budget with ARES_ETIMEOUT at worst,
  // with ARES_EDESTRUCTION after shutdown() or when the channel is gone. Completes on the
  // awaiting coroutine's executor. The operation holds the channel weakly: a pending query must
  // not keep alive the channel that holds it.
  static awaitable<Answer> query(std::weak_ptr<Channel> channel, std::string name, int type);

  // Ends every pending query (ARES_EDESTRUCTION) and lets c-ares close its sockets; later queries
  // end at once the same way. Posted to the strand; the Channel lives until it ran.
  void shutdown();

 private:
  explicit Channel(asio::any_io_executor executor);

  void start(std::shared_ptr<Pending> pending, const std::string& name, int type);
  void close_now();
  void watch(int fd, bool readable, bool writable);
  void arm(const std::shared_ptr<Socket>& socket);  // waits for what c-ares wants of it
  void wait(const std::shared_ptr<Socket>& socket, bool read);
  void process(int read_fd, int write_fd);
  void update_timer();

  static void on_socket_state(void* data, int fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* message, int length);

  asio::strand<asio::any_io_executor> strand_;
  std::chrono::milliseconds budget_{0};  // timeout × tries × servers
  ares_channeldata* channel_ = nullptr;
  asio::steady_timer timer_;  // c-ares's next timeout
  std::map<int, std::shared_ptr<Socket>> sockets_;
  bool abandoned_ = false;  // destroyed without shutdown(): answers have nobody to go to
};

}  // namespace tessera::dns::detail
