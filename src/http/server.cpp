#include "twiml_redirect/http/server.hpp"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include "worker.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::http {
namespace {

// The CPU quota of the cgroup v2 this process runs in ("cpu.max": "<quota> <period>" or "max ..."),
// rounded up to whole CPUs; 0 when there is none. A container run with --cpus 1 or a Kubernetes CPU
// limit sees every host CPU in the affinity mask, but more threads than its quota only queue.
unsigned cgroup_cpu_quota() {
  std::ifstream file("/sys/fs/cgroup/cpu.max");
  std::string quota;
  unsigned long long period = 0;
  if (!(file >> quota >> period) || quota == "max" || period == 0) return 0;
  try {
    const unsigned long long microseconds = std::stoull(quota);
    return static_cast<unsigned>(std::max(1ULL, (microseconds + period - 1) / period));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

unsigned usable_cpu_count() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  unsigned count = ::sched_getaffinity(0, sizeof allowed, &allowed) == 0
                       ? static_cast<unsigned>(CPU_COUNT(&allowed))
                       : std::thread::hardware_concurrency();
  if (const unsigned quota = cgroup_cpu_quota(); quota != 0) count = std::min(count, quota);
  return std::max(1u, count);
}

server::server(server_settings config, request_handler handler, util::metrics& metrics)
    : config_(std::move(config)), handler_(std::move(handler)), metrics_(metrics) {}

server::~server() { shutdown(); }

void server::start() {
  const unsigned thread_count = config_.threads != 0 ? config_.threads : usable_cpu_count();
  const auto address = boost::asio::ip::make_address(config_.host);
  for (unsigned i = 0; i < thread_count; ++i)
    workers_.push_back(std::make_unique<worker>(config_, handler_, connections_, metrics_.add_recorder()));
  // One bind, so a second instance on the port fails at startup; the other workers share the socket.
  workers_.front()->listen({address, config_.port});
  port_ = workers_.front()->port();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->share_listener(*workers_.front());
  for (auto& w : workers_) {
    std::vector<worker*> peers;
    for (auto& other : workers_)
      if (other != w) peers.push_back(other.get());
    w->set_peers(std::move(peers));
  }
  for (auto& w : workers_) threads_.emplace_back([&w] { util::run_thread_body("server", [&w] { w->run(); }); });
  spdlog::info("serving with {} worker thread(s)", workers_.size());
}

void server::shutdown() {
  if (stopped_ || workers_.empty()) return;
  stopped_ = true;
  for (auto& w : workers_) w->begin_drain(config_.drain_timeout);
  for (auto& thread : threads_) thread.join();
}

}  // namespace twiml_redirect::http
