#include "twiml_redirect/http/server.hpp"

#include <malloc.h>

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include "worker.hpp"

namespace twiml_redirect::http {
namespace {

constexpr int kOwnMappingBytes = 16 * 1024;

}  // namespace

server::server(config::server_config config, request_handler handler, util::metrics& metrics)
    : config_(std::move(config)), handler_(std::move(handler)), metrics_(metrics) {}

server::~server() { shutdown(); }

void server::start() {
  // A request body is reserved whole when its header announces its length. Bodies this large are
  // never Twilio's (1-3 KB), so they get their own mappings, returned to the system when the
  // connection ends instead of fragmenting the heap that webhooks use.
  ::mallopt(M_MMAP_THRESHOLD, kOwnMappingBytes);
  const unsigned thread_count = config_.threads != 0 ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto address = boost::asio::ip::make_address(config_.host);
  for (unsigned i = 0; i < thread_count; ++i)
    workers_.push_back(std::make_unique<worker>(config_, handler_, connections_, metrics_.add_recorder()));
  // One bind, so a second instance on the port fails at startup; the other workers share the socket.
  workers_.front()->listen({address, config_.port});
  port_ = workers_.front()->port();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->share_listener(*workers_.front());
  for (auto& w : workers_) threads_.emplace_back([&w] { w->run(); });
}

void server::shutdown() {
  if (stopped_ || workers_.empty()) return;
  stopped_ = true;
  for (auto& w : workers_) w->begin_drain(config_.drain_timeout);
  for (auto& thread : threads_) thread.join();
}

}  // namespace twiml_redirect::http
