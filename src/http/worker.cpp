#include "worker.hpp"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "session.hpp"

namespace twiml_redirect::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// How long to wait before accepting again after running out of file descriptors: long enough for
// some connections to close, short enough that nobody notices.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

bool is_resource_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == error_code(ENFILE, boost::system::system_category());
}

}  // namespace

worker::worker(const config::server_config& config, const request_handler& handler,
               std::atomic<std::size_t>& connections)
    : config_(config), handler_(handler), connections_(connections) {}

worker::~worker() {
  // The timers die before the io_context does; sessions destroyed with it must not touch them.
  destroying_ = true;
}

void worker::listen(const asio::ip::tcp::endpoint& endpoint) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  // Every worker binds the same port; the kernel balances new connections between them.
  // Asio has no option type for SO_REUSEPORT, so set it on the native handle.
  const int enable = 1;
  if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &enable, sizeof enable) != 0)
    throw boost::system::system_error(error_code(errno, boost::system::system_category()), "setsockopt(SO_REUSEPORT)");
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
}

void worker::run() { io_context_.run(); }

void worker::begin_drain(std::chrono::milliseconds timeout) {
  asio::post(io_context_, [this, timeout] { drain_now(timeout); });
}

void worker::drain_now(std::chrono::milliseconds timeout) {
  if (draining_) return;
  draining_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  if (sessions_.empty()) return;
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

std::list<session*>::iterator worker::add_session(session* s) { return sessions_.insert(sessions_.end(), s); }

void worker::remove_session(std::list<session*>::iterator registration) {
  sessions_.erase(registration);
  if (draining_ && !destroying_ && sessions_.empty()) drain_deadline_.cancel();
}

void worker::accept() {
  acceptor_.async_accept([this](error_code ec, asio::ip::tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void worker::on_accept(error_code ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || draining_) return;
  if (ec) {
    if (is_resource_exhaustion(ec)) {
      // Keep serving the connections we have and try again shortly; never stop accepting for good.
      spdlog::error("accept failed: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
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
    connections_.fetch_sub(1, std::memory_order_relaxed);
    if (rejected_connections_++ % 1000 == 0)
      spdlog::warn("connection limit {} reached: refused a connection ({} so far on this thread)",
                   config_.max_connections, rejected_connections_);
    error_code ignored;
    socket.close(ignored);
    return accept();
  }
  std::make_shared<session>(std::move(socket), *this, connections_)->start();
  accept();
}

}  // namespace twiml_redirect::http
