#include "support/redis_server.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>

#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";

std::uint16_t free_loopback_port() {
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor acceptor(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace

bool redis_server_available() { return std::filesystem::exists(kRedisServer); }

redis_server::redis_server() : port_(free_loopback_port()) { start(); }

redis_server::~redis_server() {
  if (frozen_) thaw();
}

void redis_server::start() {
  // No RDB or AOF files, no background saves: a clean, memory-only server the test owns.
  process_ = std::make_unique<child_process>(
      kRedisServer, std::vector<std::string>{"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"});
  EXPECT_TRUE(wait_until([this] { return answers(); }, std::chrono::seconds(10), "redis-server to answer PING"))
      << process_->output();
}

void redis_server::kill() {
  if (frozen_) thaw();
  process_->send_signal(SIGKILL);
  process_->wait_for_exit(std::chrono::seconds(5));
}

void redis_server::restart() {
  process_.reset();  // SIGKILLs it if still running
  start();
}

void redis_server::freeze() {
  process_->send_signal(SIGSTOP);
  frozen_ = true;
}

void redis_server::thaw() {
  process_->send_signal(SIGCONT);
  frozen_ = false;
}

bool redis_server::answers() const {
  const timeval timeout{0, 200'000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (c == nullptr) return false;
  bool ok = false;
  if (!c->err) {
    redisSetTimeout(c, timeout);
    if (auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"))) {
      ok = reply->type == REDIS_REPLY_STATUS;
      freeReplyObject(reply);
    }
  }
  redisFree(c);
  return ok;
}

}  // namespace twiml_redirect::testing
