#include "dns/channel.hpp"

#include <algorithm>
#include <utility>

#include <ares.h>
#include <arpa/nameser.h>
#include <sys/time.h>

namespace tessera::dns::detail {

struct Channel::Pending {
  Pending(asio::any_io_executor strand, asio::any_io_executor caller,
          asio::any_completion_handler<void(Answer)> h)
      : handler(std::move(h)), work(std::move(caller)), deadline(std::move(strand)) {}

  std::optional<asio::any_completion_handler<void(Answer)>> handler;  // empty once completed
  // The caller's executor with outstanding work: its io_context must not run out of work while
  // the answer is on its way from the strand (which may belong to another io_context).
  asio::any_io_executor work;
  asio::steady_timer deadline;  // the budget
};

struct Channel::Socket {
  Socket(const asio::any_io_executor& strand, int descriptor_fd)
      : descriptor(strand), fd(descriptor_fd) {}
  ~Socket() { forget(); }

  // c-ares closes the fd; Asio must only stop watching it (release() also ends pending waits).
  void forget() {
    closed = true;
    if (descriptor.is_open()) descriptor.release();
  }

  asio::posix::stream_descriptor descriptor;
  int fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // an async_wait(wait_read) is pending
  bool writing = false;
  bool closed = false;  // c-ares closed it: the waits that end now have nothing to report
};

namespace {

// What c-ares carries as a query's `arg` until its callback, which comes exactly once (with
// ARES_EDESTRUCTION at the latest).
struct Request {
  std::shared_ptr<Channel::Pending> pending;
  const bool* abandoned;
};

// Posts the answer to the caller's executor, once: the budget or the answer, whichever is first.
void complete(Channel::Pending& pending, Answer answer) {
  if (!pending.handler) return;
  pending.deadline.cancel();
  auto handler = std::move(*pending.handler);
  pending.handler.reset();
  const auto executor = std::exchange(pending.work, {});
  asio::post(executor, [handler = std::move(handler), answer = std::move(answer)]() mutable {
    std::move(handler)(std::move(answer));
  });
}

}  // namespace

Channel::Channel(asio::any_io_executor executor)
    : strand_(asio::make_strand(std::move(executor))), timer_(strand_) {}

Result<std::shared_ptr<Channel>> Channel::open(asio::any_io_executor executor,
                                               const ResolverSettings& settings,
                                               const std::string& servers) {
  // ares_library_init is not thread-safe and must come first, once per process.
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    return make_error(std::string(errc::init), std::string("c-ares: ") + ares_strerror(library));
  }
  std::shared_ptr<Channel> channel(new Channel(std::move(executor)));
  ares_options options{};
  // EDNS0 (RFC 6891) with 1232 octets, the DNS flag day 2020 size: a domain's MX set rarely needs
  // TCP then. c-ares retries without EDNS when a server answers FORMERR.
  options.flags = ARES_FLAG_EDNS;
  options.ednspsz = 1232;
  options.timeout = static_cast<int>(settings.timeout.count());
  options.tries = settings.tries;
  options.sock_state_cb = &Channel::on_socket_state;
  options.sock_state_cb_data = channel.get();
  const int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                   ARES_OPT_SOCK_STATE_CB;
  ares_channel handle = nullptr;
  if (const int rc = ares_init_options(&handle, &options, mask); rc != ARES_SUCCESS) {
    return make_error(std::string(errc::init), std::string("c-ares: ") + ares_strerror(rc));
  }
  channel->channel_ = handle;
  if (!servers.empty()) {
    if (const int rc = ares_set_servers_ports_csv(handle, servers.c_str()); rc != ARES_SUCCESS) {
      return make_error(std::string(errc::bad_settings),
                        "DNS servers \"" + servers + "\": " + ares_strerror(rc));
    }
  }
  int count = 0;
  ares_addr_port_node* list = nullptr;
  if (ares_get_servers_ports(handle, &list) == ARES_SUCCESS) {
    for (auto* node = list; node != nullptr; node = node->next)
      ++count;
    ares_free_data(list);
  }
  channel->budget_ = settings.timeout * settings.tries * std::max(count, 1);
  return channel;
}

Channel::~Channel() {
  // Only when shutdown() never ran (its io_context was destroyed first): the callers' handlers
  // are being discarded with everything else pending there.
  if (channel_ != nullptr) {
    abandoned_ = true;
    close_now();
  }
}

awaitable<Answer> Channel::query(std::weak_ptr<Channel> channel, std::string name, int type) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Answer)>(
      [channel = std::move(channel)](auto handler, std::string query_name, int query_type) {
        auto caller = asio::prefer(asio::get_associated_executor(handler),
                                   asio::execution::outstanding_work.tracked);
        auto self = channel.lock();
        if (!self) {
          asio::post(caller, [handler = std::move(handler)]() mutable {
            std::move(handler)(Answer{ARES_EDESTRUCTION, {}});
          });
          return;
        }
        auto pending =
            std::make_shared<Pending>(self->strand_, std::move(caller), std::move(handler));
        asio::dispatch(self->strand_,
                       [self, pending, query_name = std::move(query_name), query_type]() mutable {
                         self->start(std::move(pending), query_name, query_type);
                       });
      },
      asio::use_awaitable, std::move(name), type);
}

void Channel::shutdown() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->close_now(); });
}

void Channel::start(std::shared_ptr<Pending> pending, const std::string& name, int type) {
  if (channel_ == nullptr) return complete(*pending, Answer{ARES_EDESTRUCTION, {}});
  pending->deadline.expires_after(budget_);
  pending->deadline.async_wait([pending](error_code ec) {
    if (!ec) complete(*pending, Answer{ARES_ETIMEOUT, {}});
  });
  auto* request = new Request{std::move(pending), &abandoned_};
  ares_query(channel_, name.c_str(), ns_c_in, type, &Channel::on_answer, request);
  update_timer();
}

void Channel::close_now() {
  if (channel_ == nullptr) return;
  // Calls on_answer with ARES_EDESTRUCTION for every query, then on_socket_state(fd, 0, 0) for
  // every socket before closing it.
  ares_destroy(std::exchange(channel_, nullptr));
  timer_.cancel();
  for (auto& entry : sockets_)
    entry.second->forget();  // none: every close was announced
  sockets_.clear();
}

void Channel::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* message,
                        int length) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  if (*request->abandoned) {
    request->pending->handler.reset();
    request->pending->work = {};
    return;
  }
  Answer answer{status, {}};
  if (status == ARES_SUCCESS && message != nullptr && length > 0) {
    answer.message.assign(message, message + length);
  }
  complete(*request->pending, std::move(answer));
}

void Channel::on_socket_state(void* data, int fd, int readable, int writable) {
  static_cast<Channel*>(data)->watch(fd, readable != 0, writable != 0);
}

void Channel::watch(int fd, bool readable, bool writable) {
  auto it = sockets_.find(fd);
  if (!readable && !writable) {  // c-ares closes fd when this returns
    if (it == sockets_.end()) return;
    it->second->forget();
    sockets_.erase(it);
    return;
  }
  if (it == sockets_.end()) {
    auto socket = std::make_shared<Socket>(strand_, fd);
    error_code ec;
    socket->descriptor.assign(fd, ec);
    // Not watchable (cannot happen for a socket): its queries end at their budget.
    if (ec) return;
    it = sockets_.emplace(fd, std::move(socket)).first;
  }
  it->second->want_read = readable;
  it->second->want_write = writable;
  arm(it->second);
}

void Channel::arm(const std::shared_ptr<Socket>& socket) {
  if (socket->want_read && !socket->reading) wait(socket, true);
  if (socket->want_write && !socket->writing) wait(socket, false);
}

void Channel::wait(const std::shared_ptr<Socket>& socket, bool read) {
  using asio::posix::descriptor_base;
  (read ? socket->reading : socket->writing) = true;
  socket->descriptor.async_wait(
      read ? descriptor_base::wait_read : descriptor_base::wait_write,
      [weak = weak_from_this(), socket, read](error_code ec) {
        (read ? socket->reading : socket->writing) = false;
        auto self = weak.lock();
        if (!self || socket->closed || ec == asio::error::operation_aborted) return;
        // An error (EPOLLERR) is for c-ares to read from the socket; it closes it then.
        self->process(read || ec ? socket->fd : ARES_SOCKET_BAD,
                      !read || ec ? socket->fd : ARES_SOCKET_BAD);
        if (!ec && !socket->closed) self->arm(socket);
      });
}

void Channel::process(int read_fd, int write_fd) {
  if (channel_ == nullptr) return;
  ares_process_fd(channel_, read_fd, write_fd);
  update_timer();
}

void Channel::update_timer() {
  timeval next{};
  if (channel_ == nullptr || ares_timeout(channel_, nullptr, &next) == nullptr) {
    timer_.cancel();  // no query pending
    return;
  }
  timer_.expires_after(std::chrono::seconds(next.tv_sec) + std::chrono::microseconds(next.tv_usec));
  timer_.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    // ARES_SOCKET_BAD for both: only the timeouts are due (a try is resent or the query ends).
    if (auto self = weak.lock()) self->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

}  // namespace tessera::dns::detail
