#pragma once
// One server thread: its io_context, its acceptor on the shared port, and the sessions it owns.
// Everything here runs on that one thread, so nothing in it needs a lock.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <list>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/http/types.hpp"

namespace twiml_redirect::http {

class session;

class worker {
 public:
  worker(const config::server_config& config, const request_handler& handler, std::atomic<std::size_t>& connections);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Opens the acceptor with SO_REUSEPORT and binds it. Throws on failure.
  void listen(const boost::asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // The thread body: runs until drained (or forced to stop at the drain deadline).
  void run();

  // Thread-safe: asks the worker to stop accepting and wind its sessions down within `timeout`.
  void begin_drain(std::chrono::milliseconds timeout);

  // For sessions, on this worker's thread only.
  const config::server_config& config() const { return config_; }
  const request_handler& handler() const { return handler_; }
  bool draining() const { return draining_; }
  std::list<session*>::iterator add_session(session* s);
  void remove_session(std::list<session*>::iterator registration);

 private:
  void accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void drain_now(std::chrono::milliseconds timeout);

  const config::server_config& config_;
  const request_handler& handler_;
  std::atomic<std::size_t>& connections_;
  // Declared before io_context_ so they outlive it: destroying the io_context destroys the
  // sessions its pending handlers own, and each session unregisters itself here.
  std::list<session*> sessions_;
  std::size_t rejected_connections_ = 0;
  bool draining_ = false;
  bool destroying_ = false;
  boost::asio::io_context io_context_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_context_};
  boost::asio::steady_timer accept_retry_timer_{io_context_};
  boost::asio::steady_timer drain_deadline_{io_context_};
};

}  // namespace twiml_redirect::http
