#pragma once
// The HTTP/1.1 server: one io_context per worker thread, each accepting on its own descriptor of one
// listening socket, so a connection never changes thread (no strands, no locks on the request path)
// and the port is bound once (a second instance cannot share it).

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "twiml_redirect/http/settings.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::http {

class worker;

// The CPUs this process may run on: its affinity mask, capped by a cgroup v2 CPU quota (a container's
// --cpus, a Kubernetes limit). What server.threads = 0 means.
unsigned usable_cpu_count();

class server {
 public:
  // Every request is counted in `metrics`, which must outlive the server.
  server(server_settings config, request_handler handler, util::metrics& metrics);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds every worker's acceptor and starts the threads. Throws boost::system::system_error when
  // the address cannot be bound, so a misconfigured service fails at startup, not later.
  void start();

  // The port actually bound (useful with port 0).
  std::uint16_t port() const { return port_; }

  // Stops accepting, closes idle connections, lets in-flight requests finish and be answered
  // (with Connection: close) for up to drain_timeout, then stops the threads. Blocks; idempotent.
  void shutdown();

  // Connections open right now, across all workers.
  std::size_t connection_count() const { return connections_.load(std::memory_order_relaxed); }

 private:
  server_settings config_;
  request_handler handler_;
  util::metrics& metrics_;
  std::atomic<std::size_t> connections_{0};  // outlives the workers, whose sessions count down
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace twiml_redirect::http
