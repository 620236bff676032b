// The outbound client against a loopback server: credentials and bodies arrive as sent, the
// awaitable form shares the caller's io_context with other work, and abort() and the deadline end
// a request the server accepted but never answers, with the exchange's coroutine completed before
// anything it uses is destroyed. The old order (abort() stopped the private io_context, whose
// destruction then unwound the suspended frame after the objects it used were gone) fails
// AbortEndsAHungBlockingSend: the exchange never completes, so send() has no result of its own.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "twiml_redirect/outbound/http_client.hpp"

namespace twiml_redirect::outbound {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);

struct seen_request {
  std::string method;
  std::string target;
  std::string authorization;
  std::string content_type;
  std::string body;
};

// An HTTP server on 127.0.0.1 that runs on the io_context it is given: it records every request,
// then answers 200 or, when hanging, holds the connection open without answering until the client
// closes it. Thread-safe accessors; close() may be called from any thread.
class loopback_server {
 public:
  explicit loopback_server(net::io_context& ioc, bool hang = false)
      : ioc_(ioc), acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), hang_(hang) {
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, accept_loop(), net::detached);
  }

  std::uint16_t port() const { return port_; }

  // Runs on the server's context after each request is recorded (set before requests arrive).
  std::function<void()> on_request;

  // Stops accepting and closes every held connection, on the server's own context.
  void close() {
    net::post(ioc_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      for (auto& socket : open_) socket.close(ignored);
    });
  }

  std::vector<seen_request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Waits until `count` requests arrived (false after `limit`).
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return requests_.size() >= count; });
  }
  // Waits until `count` held connections were closed by the client (false after `limit`).
  bool wait_for_client_closes(std::size_t count, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return client_closes_ >= count; });
  }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) continue;
      open_.push_back(std::move(socket));
      net::co_spawn(ioc_, session(std::prev(open_.end())), net::detached);
    }
  }

  net::awaitable<void> session(std::list<tcp::socket>::iterator socket) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [read_ec, read] = co_await http::async_read(*socket, buffer, request, kUseTuple);
    if (!read_ec) {
      std::lock_guard lock(mutex_);
      requests_.push_back({std::string(request.method_string()), std::string(request.target()),
                           std::string(request[http::field::authorization]),
                           std::string(request[http::field::content_type]), request.body()});
      changed_.notify_all();
    }
    if (!read_ec && on_request) on_request();
    if (!read_ec && hang_) {
      // Never answer; a read that ends tells that the client let the connection go.
      char byte = 0;
      auto [ec, n] = co_await socket->async_read_some(net::buffer(&byte, 1), kUseTuple);
      if (ec != net::error::operation_aborted) {
        std::lock_guard lock(mutex_);
        ++client_closes_;
        changed_.notify_all();
      }
    } else if (!read_ec) {
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "text/plain");
      response.set("X-Test", "yes");
      response.body() = "hello " + std::string(request.target());
      response.keep_alive(false);
      response.prepare_payload();
      co_await http::async_write(*socket, response, kUseTuple);
    }
    beast::error_code ignored;
    socket->close(ignored);
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  bool hang_;
  std::uint16_t port_ = 0;
  std::list<tcp::socket> open_;  // used on ioc_ only
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<seen_request> requests_;
  std::size_t client_closes_ = 0;
};

// A loopback_server on its own io_context and thread.
class threaded_server {
 public:
  explicit threaded_server(bool hang = false) : server_(ioc_, hang), thread_([this] { ioc_.run(); }) {}
  ~threaded_server() {
    server_.close();
    thread_.join();  // run() returns once every session has ended
  }
  loopback_server& operator*() { return server_; }
  loopback_server* operator->() { return &server_; }

 private:
  net::io_context ioc_;
  loopback_server server_;
  std::thread thread_;
};

std::unique_ptr<http_client> client_for(std::uint16_t port, std::chrono::milliseconds timeout = 5s) {
  client_options options;
  options.target = {false, "127.0.0.1", port, ""};
  options.timeout = timeout;
  auto client = make_http_client(options);
  if (!client) throw std::runtime_error(client.error());
  return std::move(*client);
}

TEST(OutboundClient, BasicAuthHeaderArrivesAndTheAnswerComesBack) {
  threaded_server server;
  auto client = client_for(server->port());
  http_request request;
  request.target = "/2010-04-01/Accounts/AC123/IncomingPhoneNumbers.json?PhoneNumber=%2B15550001111";
  request.auth = basic_auth{"AC123", "auth-token"};
  const auto result = client->send(request);
  ASSERT_TRUE(result.ok()) << result.error_message;
  EXPECT_EQ(result.response.status, 200u);
  EXPECT_EQ(result.response.body, "hello " + request.target);
  EXPECT_EQ(result.response.header("x-test"), "yes");
  const auto seen = server->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, request.target);
  EXPECT_EQ(seen[0].authorization, "Basic QUMxMjM6YXV0aC10b2tlbg==");  // base64("AC123:auth-token")
}

TEST(OutboundClient, FormBodyArrivesWithItsContentType) {
  threaded_server server;
  auto client = client_for(server->port());
  http_request request;
  request.method = http::verb::post;
  request.target = "/form";
  request.auth = bearer_auth{"tok"};
  request.body = form_body({{"VoiceUrl", "https://example.test/redirect_call"}, {"FriendlyName", "Front desk"}});
  const auto result = client->send(request);
  ASSERT_TRUE(result.ok()) << result.error_message;
  const auto seen = server->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].body, "VoiceUrl=https%3A%2F%2Fexample.test%2Fredirect_call&FriendlyName=Front+desk");
  EXPECT_EQ(seen[0].authorization, "Bearer tok");
}

TEST(OutboundClient, AwaitableRunsOnTheCallersContextBesideOtherWork) {
  // One thread runs the server, a ticker and the request: a send that blocked the thread could
  // never be answered and would end in the deadline instead.
  net::io_context ioc(1);
  loopback_server server(ioc);
  auto client = client_for(server.port(), 3s);
  bool done = false;
  int ticks = 0;
  std::optional<http_result> outcome;
  net::co_spawn(ioc, [&]() -> net::awaitable<void> {
    net::steady_timer timer(ioc);
    while (!done) {
      timer.expires_after(1ms);
      co_await timer.async_wait(net::use_awaitable);
      ++ticks;
    }
  }, net::detached);
  http_request request;
  request.target = "/async";
  net::co_spawn(ioc, client->async_send(request), [&](std::exception_ptr error, http_result result) {
    EXPECT_FALSE(error);
    outcome = std::move(result);
    done = true;
    server.close();
  });
  ioc.run();
  ASSERT_TRUE(outcome);
  ASSERT_TRUE(outcome->ok()) << outcome->error_message;
  EXPECT_EQ(outcome->response.body, "hello /async");
  EXPECT_GT(ticks, 0);
}

TEST(OutboundClient, AbortEndsAHungBlockingSend) {
  threaded_server server(true);
  auto client = client_for(server->port(), 30s);
  std::promise<http_result> sent;
  auto result = sent.get_future();
  std::thread caller([&] {
    http_request request;
    request.target = "/hang";
    sent.set_value(client->send(request));
  });
  ASSERT_TRUE(server->wait_for_requests(1));
  const auto started = clock_type::now();
  client->abort();
  const bool returned = result.wait_for(5s) == std::future_status::ready;
  caller.join();
  ASSERT_TRUE(returned);
  EXPECT_LT(clock_type::now() - started, 2s);
  const auto outcome = result.get();
  EXPECT_EQ(outcome.error, transport_error::aborted);
  EXPECT_TRUE(outcome.request_sent);
  EXPECT_EQ(outcome.error_message, "request to 127.0.0.1:" + std::to_string(server->port()) + " cancelled");
  // The connection was closed by the client, not left behind.
  EXPECT_TRUE(server->wait_for_client_closes(1));
  // Every later request fails at once, without connecting.
  EXPECT_EQ(client->send(http_request{}).error, transport_error::aborted);
  EXPECT_EQ(server->requests().size(), 1u);
}

TEST(OutboundClient, AbortFinishesTheAwaitableBeforeItsContextRunsOut) {
  threaded_server server(true);
  auto client = client_for(server->port(), 30s);
  // The caller's own context, on its own thread, with nothing but the request to run: run()
  // returns by itself only once the coroutine has completed, i.e. its completion handler ran.
  net::io_context ioc(1);
  std::optional<http_result> outcome;
  http_request request;
  request.target = "/hang";
  net::co_spawn(ioc, client->async_send(request), [&](std::exception_ptr error, http_result result) {
    EXPECT_FALSE(error);
    outcome = std::move(result);
  });
  auto ran = std::async(std::launch::async, [&] { ioc.run(); });
  ASSERT_TRUE(server->wait_for_requests(1));
  client->abort();
  const bool finished = ran.wait_for(5s) == std::future_status::ready;
  if (!finished) ioc.stop();  // let the test end; the assertion below has failed it already
  ran.get();
  ASSERT_TRUE(finished);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->error, transport_error::aborted);
  EXPECT_TRUE(server->wait_for_client_closes(1));
}

TEST(OutboundClient, CancellingTheAwaitingCoroutineEndsTheExchange) {
  // The way an awaiting handler gives up on a request (e.g. its own client went away): a terminal
  // cancellation through the slot the coroutine was spawned with, while the answer is awaited.
  net::io_context ioc(1);
  loopback_server server(ioc, true);
  auto client = client_for(server.port(), 30s);
  net::cancellation_signal cancel;
  server.on_request = [&] { cancel.emit(net::cancellation_type::terminal); };
  std::optional<http_result> outcome;
  http_request request;
  request.target = "/hang";
  net::co_spawn(ioc, client->async_send(request),
                net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr error, http_result result) {
                  EXPECT_FALSE(error);
                  outcome = std::move(result);
                  server.close();
                }));
  ioc.run();  // returns by itself: nothing of the exchange is left pending
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->error, transport_error::aborted) << outcome->error_message;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(OutboundClient, DeadlineEndsAHungRequest) {
  threaded_server server(true);
  auto client = client_for(server->port(), 300ms);
  http_request request;
  request.target = "/hang";
  const auto started = clock_type::now();
  const auto outcome = client->send(request);
  EXPECT_GE(clock_type::now() - started, 300ms);
  EXPECT_LT(clock_type::now() - started, 3s);
  EXPECT_EQ(outcome.error, transport_error::timeout);
  EXPECT_EQ(outcome.error_message,
            "no answer from 127.0.0.1:" + std::to_string(server->port()) + " within 300 ms (during answer)");
  EXPECT_TRUE(outcome.request_sent);
  EXPECT_TRUE(server->wait_for_client_closes(1));
}

TEST(OutboundClient, RefusedConnectionIsAConnectError) {
  std::uint16_t port = 0;
  {
    threaded_server server;
    port = server->port();
  }  // closed: nothing listens there now
  auto client = client_for(port);
  const auto outcome = client->send(http_request{});
  EXPECT_EQ(outcome.error, transport_error::connect);
  EXPECT_FALSE(outcome.request_sent);
  EXPECT_NE(outcome.error_message.find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << outcome.error_message;
}

}  // namespace
}  // namespace twiml_redirect::outbound
