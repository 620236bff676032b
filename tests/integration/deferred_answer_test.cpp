// Answers a handler gives later (request_context::defer) over real loopback sockets: each answer
// reaches only the request that deferred it, and a request whose answer never comes gets 503; an
// answer larger than the socket takes at once still arrives whole and before the next one.
#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/http_test_client.hpp"
#include "support/test_server.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;

// A server whose handler defers every request and keeps the responders for the test to call;
// "/throw" defers and then throws, as a handler failing half-way would.
class DeferredAnswerTest : public ::testing::Test {
 protected:
  static constexpr auto kAnswerTimeout = 300ms;

  DeferredAnswerTest() : server_(settings(), [this](const http::request& req, http::request_context& ctx) {
    {
      const std::lock_guard lock(mutex_);
      responders_.push_back(ctx.defer());
    }
    if (req.target() == "/throw") throw std::runtime_error("handler failed after deferring");
    return http::response{};
  }, metrics_) {
    server_.start();
  }
  ~DeferredAnswerTest() override { server_.shutdown(); }

  static http::server_settings settings() {
    auto config = test_server_config();
    config.answer_timeout = kAnswerTimeout;
    return config;
  }

  std::size_t deferred_count() {
    const std::lock_guard lock(mutex_);
    return responders_.size();
  }

  void answer(std::size_t which, std::string body) {
    http::response res{beast_http::status::ok, 11};
    res.body() = std::move(body);
    http::responder respond;
    {
      const std::lock_guard lock(mutex_);
      respond = responders_.at(which);
    }
    respond(std::move(res));
  }

  util::metrics metrics_{{"/defer", "/throw"}};
  std::mutex mutex_;
  std::vector<http::responder> responders_;
  http::server server_;
};

TEST_F(DeferredAnswerTest, AnswerReachesItsRequest) {
  test_connection connection(server_.port());
  connection.send("GET /defer HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(wait_until([&] { return deferred_count() == 1; }, 5s, "the request to be deferred"));
  answer(0, "later");
  const auto res = connection.read_response();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "later");
  EXPECT_TRUE(res.keep_alive());
}

TEST_F(DeferredAnswerTest, StaleAnswerOfAFailedHandlerNeverReachesTheNextRequest) {
  test_connection connection(server_.port());
  EXPECT_EQ(connection.request("GET", "/throw").result_int(), 500u);
  connection.send("GET /defer HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(wait_until([&] { return deferred_count() == 2; }, 5s, "the second request to be deferred"));
  // The failed request's responder fires first, while the second request waits: it must be ignored.
  answer(0, "stale answer of the request that failed");
  answer(1, "fresh");
  const auto res = connection.read_response();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "fresh");
}

TEST_F(DeferredAnswerTest, AnswerThatNeverComesIs503AtTheDeadlineAndTheConnectionGoesOn) {
  test_connection connection(server_.port());
  const auto sent = std::chrono::steady_clock::now();
  const auto late = connection.request("GET", "/defer");
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  EXPECT_EQ(late.result_int(), 503u);
  EXPECT_EQ(late.body(), "The answer was not ready in time; try again");
  EXPECT_GE(waited.count(), kAnswerTimeout.count()) << "answered before the deadline";
  EXPECT_LT(waited.count(), 3'000) << "the deadline was not kept";
  ASSERT_TRUE(late.keep_alive());
  // The timed-out request's responder, fired now, must not answer the connection's next request.
  connection.send("GET /defer HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(wait_until([&] { return deferred_count() == 2; }, 5s, "the second request to be deferred"));
  answer(0, "too late");
  answer(1, "on time");
  EXPECT_EQ(connection.read_response().body(), "on time");
  EXPECT_EQ(metric_value(metrics_.render(), "twiml_redirect_http_requests_total{route=\"/defer\",method=\"GET\",status=\"503\"}"),
            1.0);
}

TEST_F(DeferredAnswerTest, AnswerAfterTheClientLeftIsDropped) {
  {
    test_connection connection(server_.port());
    connection.send("GET /defer HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(wait_until([&] { return deferred_count() == 1; }, 5s, "the request to be deferred"));
  }
  answer(0, "nobody reads this");
  // The server is still whole: a new connection is answered.
  test_connection next(server_.port());
  next.send("GET /defer HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(wait_until([&] { return deferred_count() == 2; }, 5s, "the next request to be deferred"));
  answer(1, "served");
  EXPECT_EQ(next.read_response().body(), "served");
}

// An answer larger than the socket can hold while the client is not reading goes out in parts,
// and the pipelined request after it is answered only after its last byte, in order.
TEST(LargeAnswer, APartlySentAnswerIsFinishedBeforeThePipelinedNextOne) {
  util::metrics metrics{{"/big", "/small"}};
  std::string big(6 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  http::server server(test_server_config(), [&big](const http::request& req, http::request_context&) {
    http::response res{beast_http::status::ok, 11};
    res.body() = req.target() == "/big" ? big : "small";
    return res;
  }, metrics);
  server.start();
  {
    test_connection connection(server.port());
    connection.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(200ms);  // the server fills the socket and waits for room
    const auto first = connection.read_response();
    EXPECT_EQ(first.result_int(), 200u);
    EXPECT_TRUE(first.body() == big) << "the large answer arrived altered (" << first.body().size() << " bytes)";
    const auto second = connection.read_response();
    EXPECT_EQ(second.body(), "small");
  }
  server.shutdown();
}

}  // namespace
}  // namespace twiml_redirect::testing
