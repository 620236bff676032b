#include "twiml_redirect/http/server.hpp"

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include "worker.hpp"

namespace twiml_redirect::http {

server::server(config::server_config config, request_handler handler)
    : config_(std::move(config)), handler_(std::move(handler)) {}

server::~server() { shutdown(); }

void server::start() {
  const unsigned thread_count = config_.threads != 0 ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto address = boost::asio::ip::make_address(config_.host);
  for (unsigned i = 0; i < thread_count; ++i)
    workers_.push_back(std::make_unique<worker>(config_, handler_, connections_));
  // The first bind picks the port when the config says 0; the others join it.
  workers_.front()->listen({address, config_.port});
  port_ = workers_.front()->port();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->listen({address, port_});
  for (auto& w : workers_) threads_.emplace_back([&w] { w->run(); });
}

void server::shutdown() {
  if (stopped_ || workers_.empty()) return;
  stopped_ = true;
  for (auto& w : workers_) w->begin_drain(config_.drain_timeout);
  for (auto& thread : threads_) thread.join();
}

}  // namespace twiml_redirect::http
