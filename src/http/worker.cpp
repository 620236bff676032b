#include "worker.hpp"

#include <malloc.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <algorithm>

#include <spdlog/spdlog.h>

#include "session.hpp"

namespace twiml_redirect::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// How long to wait before accepting again after running out of file descriptors: long enough for
// some connections to close, short enough that nobody notices.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

// The tick: often enough that a deadline is kept to within a quarter of the idle timeout and an
// access line waits at most a quarter second to be written; rare enough to cost nothing.
std::chrono::milliseconds tick_interval(std::chrono::milliseconds idle_timeout) {
  return std::clamp(idle_timeout / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
}

bool is_resource_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == error_code(ENFILE, boost::system::system_category());
}

}  // namespace

worker::worker(const server_settings& config, const request_handler& handler,
               std::atomic<std::size_t>& connections, util::metrics::recorder& recorder)
    : config_(config), handler_(handler), connections_(connections), recorder_(recorder) {}

worker::~worker() {
  // The timers die before the io_context does; sessions destroyed with it must not touch them.
  destroying_ = true;
  gate_->close();
  // Sessions waiting for a deferred answer hold themselves; nothing will answer them now.
  const std::vector<session*> sessions(sessions_.begin(), sessions_.end());
  for (session* s : sessions) s->abandon_deferred();
}

void worker::listen(const asio::ip::tcp::endpoint& endpoint) {
  acceptor_.open(endpoint.protocol());
  // SO_REUSEADDR only lets us rebind over connections in TIME_WAIT after a restart; a second
  // listener on the port still gets EADDRINUSE. Not SO_REUSEPORT: it would let any other process
  // of the same user bind the port too and silently take a share of Twilio's calls.
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  start_accepting();
}

void worker::share_listener(worker& first) {
  // A duplicate descriptor of the same listening socket: one bind for the whole process, while each
  // thread still accepts on its own io_context, so a connection never changes thread. An idle
  // thread is the one that wins the accept, which spreads the load.
  const int fd = ::dup(first.acceptor_.native_handle());
  if (fd < 0) throw boost::system::system_error(error_code(errno, boost::system::system_category()), "dup(listener)");
  error_code ec;
  acceptor_.assign(first.acceptor_.local_endpoint().protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    throw boost::system::system_error(ec, "assign(listener)");
  }
  start_accepting();
}

void worker::start_accepting() {
  accept();
  schedule_tick();
}

void worker::run() {
  io_context_.run();
  access_log_.flush();
}

void worker::begin_drain(std::chrono::milliseconds timeout) {
  asio::post(io_context_, [this, timeout] { drain_now(timeout); });
}

void worker::drain_now(std::chrono::milliseconds timeout) {
  if (draining_) return;
  draining_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  if (sessions_.empty()) {
    tick_timer_.cancel();  // nothing left to time out: let run() return
    return;
  }
  // Copy first: a session may end (and unregister) inside drain().
  const std::vector<session*> open(sessions_.begin(), sessions_.end());
  for (session* s : open) s->drain();
  drain_deadline_.expires_after(timeout);
  drain_deadline_.async_wait([this](error_code ec) {
    if (ec) return;  // cancelled: every session finished in time
    spdlog::warn("drain timeout: closing {} connection(s) still busy", sessions_.size());
    io_context_.stop();
  });
}

bool worker::make_room() {
  if (session* victim = longest_waiting_session()) {
    victim->evict();
    return true;
  }
  // Another thread's connections are its own to close: post the eviction there. The limit may be
  // exceeded by one connection until it runs, which is what keeps the new one from being refused.
  for (std::size_t tried = 0; tried < peers_.size(); ++tried) {
    worker* peer = peers_[next_peer_++ % peers_.size()];
    if (peer->waiting_sessions() <= 0) continue;
    asio::post(peer->io_context_, [peer] {
      if (session* victim = peer->longest_waiting_session()) victim->evict();
    });
    return true;
  }
  return false;
}

session* worker::longest_waiting_session() const {
  session* oldest = nullptr;
  for (session* s : sessions_)
    if (s->evictable() && (oldest == nullptr || s->waiting_since() < oldest->waiting_since())) oldest = s;
  return oldest;
}

std::list<session*>::iterator worker::add_session(session* s) { return sessions_.insert(sessions_.end(), s); }

void worker::remove_session(std::list<session*>::iterator registration) {
  sessions_.erase(registration);
  if (draining_ && !destroying_ && sessions_.empty()) {
    // The last session is gone: let run() return.
    drain_deadline_.cancel();
    tick_timer_.cancel();
  }
}

void worker::schedule_tick() {
  tick_timer_.expires_after(tick_interval(config_.idle_timeout));
  tick_timer_.async_wait([this](error_code ec) {
    if (!ec) on_tick();
  });
}

void worker::on_tick() {
  access_log_.flush();
  const auto now = std::chrono::steady_clock::now();
  // expire_if_late() only cancels: the completions run later, so no session ends inside the loop.
  for (session* s : sessions_) s->expire_if_late(now);
  return_memory_after_mass_close();
  if (!draining_ || !sessions_.empty()) schedule_tick();
}

void worker::return_memory_after_mass_close() {
  // glibc keeps the heap of thousands of closed connections for the next ones: after a flood of
  // partial requests the process would stay at its peak. Trimming is a few milliseconds at most and
  // runs only when many connections have gone since the last peak.
  constexpr std::size_t kTrimAfterClosing = 256;
  peak_sessions_ = std::max(peak_sessions_, sessions_.size());
  if (peak_sessions_ - sessions_.size() < kTrimAfterClosing) return;
  ::malloc_trim(0);
  peak_sessions_ = sessions_.size();
}

void worker::accept() {
  acceptor_.async_accept([this](error_code ec, tcp_socket socket) { on_accept(ec, std::move(socket)); });
}

void worker::on_accept(error_code ec, tcp_socket socket) {
  if (ec == asio::error::operation_aborted || draining_) return;
  if (ec) {
    recorder_.accept_failed();
    if (is_resource_exhaustion(ec)) {
      // Keep serving the connections we have and try again shortly; never stop accepting for good.
      if (const auto failures = accept_failure_log_.note(std::chrono::steady_clock::now()))
        spdlog::error("accept failed: {}; retrying every {} ms ({} failure(s) since the last line)", ec.message(),
                      kAcceptRetryDelay.count(), failures);
      accept_retry_timer_.expires_after(kAcceptRetryDelay);
      accept_retry_timer_.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !draining_) accept();
      });
      return;
    }
    spdlog::debug("accept failed: {}", ec.message());  // e.g. the client gave up while queued
    return accept();
  }
  if (connections_.fetch_add(1, std::memory_order_relaxed) >= config_.max_connections) {
    // At the limit, the connection that has waited longest for its client makes room: otherwise
    // idle or dripping connections would lock out everyone, health probes included, and Kubernetes
    // would restart a healthy pod. A connection whose request is being answered is never chosen.
    const auto now = std::chrono::steady_clock::now();
    if (!make_room()) {
      connections_.fetch_sub(1, std::memory_order_relaxed);
      recorder_.connection_refused();
      if (const auto refused = limit_log_.note(now))
        spdlog::warn("connection limit {} reached and every connection is busy: refused {} connection(s) since "
                     "the last line", config_.max_connections, refused);
      error_code ignored;
      socket.close(ignored);
      return accept();
    }
    recorder_.connection_evicted();
    if (const auto evicted = limit_log_.note(now))
      spdlog::warn("connection limit {} reached: closed {} connection(s) waiting longest for their client since "
                   "the last line", config_.max_connections, evicted);
  }
  std::make_shared<session>(std::move(socket), *this, connections_)->start();
  accept();
}

}  // namespace twiml_redirect::http
