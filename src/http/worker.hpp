#pragma once
// One server thread: its io_context, its acceptor on the shared port, and the sessions it owns.
// Everything here runs on that one thread, so nothing in it needs a lock.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "twiml_redirect/http/settings.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/util/log_throttle.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::http {

class session;

// Lets another thread hand work to a worker's thread for as long as the worker exists: a session's
// deferred answer comes from a store's thread, which may outlive the server.
class post_gate {
 public:
  explicit post_gate(boost::asio::io_context& io_context) : io_context_(&io_context) {}

  // Runs `work` on the worker's thread; drops it when the worker is gone.
  template <typename Work>
  void post(Work&& work) {
    std::lock_guard lock(mutex_);
    if (io_context_) boost::asio::post(*io_context_, std::forward<Work>(work));
  }

  void close() {
    std::lock_guard lock(mutex_);
    io_context_ = nullptr;
  }

 private:
  std::mutex mutex_;
  boost::asio::io_context* io_context_;
};

// Sockets bound to the worker's own io_context executor rather than the type-erased
// any_io_executor: every asynchronous operation copies its executor, and the erased one costs a
// virtual dispatch and more to copy on each of them.
using executor_type = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;

class worker {
 public:
  // `recorder` is this worker's own, for its thread alone.
  worker(const server_settings& config, const request_handler& handler, std::atomic<std::size_t>& connections,
         util::metrics::recorder& recorder);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Opens the acceptor and binds it: EADDRINUSE when anything else listens there. Throws on failure.
  void listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Accepts on the listening socket of `first` (which has listened) through a descriptor of its own.
  void share_listener(worker& first);
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // The thread body: runs until drained (or forced to stop at the drain deadline).
  void run();

  // Thread-safe: asks the worker to stop accepting and wind its sessions down within `timeout`.
  void begin_drain(std::chrono::milliseconds timeout);

  // The server's other workers: at the connection limit, one of them may have the connection to close.
  void set_peers(std::vector<worker*> peers) { peers_ = std::move(peers); }
  // Sessions of this worker waiting for their client (evictable); written by its thread, read by any.
  void count_waiting_session(int delta) { waiting_sessions_.fetch_add(delta, std::memory_order_relaxed); }
  std::ptrdiff_t waiting_sessions() const { return waiting_sessions_.load(std::memory_order_relaxed); }

  // For sessions, on this worker's thread only.
  const server_settings& config() const { return config_; }
  const request_handler& handler() const { return handler_; }
  bool draining() const { return draining_; }
  std::list<session*>::iterator add_session(session* s);
  void remove_session(std::list<session*>::iterator registration);
  util::access_log_buffer& access_log() { return access_log_; }
  util::metrics::recorder& metrics() { return recorder_; }
  const std::shared_ptr<post_gate>& gate() const { return gate_; }

 private:
  void start_accepting();
  // Makes room at the connection limit: closes the longest-waiting connection of this worker or asks a
  // peer that has one to close its own. False when every connection is busy with a request.
  bool make_room();
  // The session that has waited longest for bytes from its client, or null when none is waiting.
  session* longest_waiting_session() const;
  void accept();
  void on_accept(boost::system::error_code ec, tcp_socket socket);
  void drain_now(std::chrono::milliseconds timeout);
  void schedule_tick();
  void on_tick();
  void return_memory_after_mass_close();

  const server_settings& config_;
  const request_handler& handler_;
  std::atomic<std::size_t>& connections_;
  util::metrics::recorder& recorder_;
  // Declared before io_context_ so they outlive it: destroying the io_context destroys the
  // sessions its pending handlers own, and each session unregisters itself here.
  std::list<session*> sessions_;
  util::access_log_buffer access_log_;
  std::vector<worker*> peers_;
  std::atomic<std::ptrdiff_t> waiting_sessions_{0};
  std::size_t next_peer_ = 0;
  util::log_throttle accept_failure_log_;
  util::log_throttle limit_log_;  // refusals and evictions at the connection limit
  std::size_t peak_sessions_ = 0;  // most sessions at once since memory was last trimmed
  bool draining_ = false;
  bool destroying_ = false;
  // Only this worker's thread touches its sockets and timers (other threads only post() to it), so
  // the reactor's per-socket locks can go; the scheduler keeps its lock for those posts.
  boost::asio::io_context io_context_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, executor_type> acceptor_{io_context_};
  boost::asio::steady_timer accept_retry_timer_{io_context_};
  boost::asio::steady_timer drain_deadline_{io_context_};
  // A few times a second: close connections past their deadline, write out the access log. One
  // timer per thread instead of one per socket operation, which is what Beast's tcp_stream arms.
  boost::asio::steady_timer tick_timer_{io_context_};
  std::shared_ptr<post_gate> gate_ = std::make_shared<post_gate>(io_context_);
};

}  // namespace twiml_redirect::http
