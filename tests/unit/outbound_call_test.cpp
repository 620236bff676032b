// The generic retry loop against a scripted client (no sockets): what retries, what does not, the
// API's error extractor and success check, Retry-After, stop, and secrets kept out of failures.

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "twiml_redirect/outbound/call.hpp"

namespace twiml_redirect::outbound {
namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

// Answers from a script, one per send(), and remembers what was sent.
class scripted_client final : public http_client {
 public:
  void answer(unsigned status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    http_result result;
    result.request_sent = true;
    result.response = {status, std::move(body), std::move(headers)};
    script_.push_back(std::move(result));
  }
  void fail(transport_error error, std::string message, bool sent = false) {
    script_.push_back(http_result{error, std::move(message), sent, {}});
  }

  boost::asio::awaitable<http_result> async_send(http_request request) override { co_return send(request); }
  http_result send(const http_request& request) override {
    sent.push_back(request);
    if (script_.empty()) return http_result{transport_error::io, "script ran out", false, {}};
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }
  void abort() override {}

  std::vector<http_request> sent;

 private:
  std::deque<http_result> script_;
};

// Twilio-like: {"code","message","more_info"}; here simply the body after "msg:".
api_profile test_profile() {
  api_profile api;
  api.name = "test-api";
  api.retry = {3, 0ms, 0ms};  // no waiting between attempts
  api.jitter = [] { return 0.5; };
  api.secrets = {"config-SECRET"};
  api.error_message = [](const http_response& answer) {
    return answer.body.rfind("msg:", 0) == 0 ? answer.body.substr(4) : std::string();
  };
  return api;
}

http_request post_request() {
  http_request request;
  request.method = http::verb::post;
  request.target = "/things";
  request.auth = basic_auth{"user", "pass-WORD-1"};
  request.body = form_body({{"a", "1"}});
  return request;
}

TEST(OutboundCall, ReturnsTheFirst2xxAfterTransientFailures) {
  scripted_client client;
  stop_signal stop;
  client.fail(transport_error::connect, "cannot connect");
  client.answer(503, "msg:busy");
  client.answer(201, "created");
  const auto answer = call_with_retries(client, post_request(), "POST /things", repeat::safe, test_profile(), stop);
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status, 201u);
  EXPECT_EQ(answer->body, "created");
  ASSERT_EQ(client.sent.size(), 3u);
  EXPECT_EQ(client.sent[2].body->content, "a=1");
}

TEST(OutboundCall, ClientErrorsFailAtOnceWithTheApisMessage) {
  scripted_client client;
  stop_signal stop;
  client.answer(404, "msg:The requested resource was not found");
  const auto answer = call_with_retries(client, post_request(), "GET /x", repeat::safe, test_profile(), stop);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().describe(), "GET /x failed: HTTP 404: The requested resource was not found");
  EXPECT_FALSE(answer.error().transient);
  EXPECT_EQ(client.sent.size(), 1u);
}

TEST(OutboundCall, GivesUpAfterMaxAttempts) {
  scripted_client client;
  stop_signal stop;
  for (int i = 0; i < 5; ++i) client.answer(502, "msg:bad gateway");
  const auto answer = call_with_retries(client, post_request(), "POST /things", repeat::safe, test_profile(), stop);
  ASSERT_FALSE(answer);
  EXPECT_EQ(client.sent.size(), 3u);
  EXPECT_EQ(answer.error().message, "bad gateway (gave up after 3 attempts)");
  EXPECT_TRUE(answer.error().maybe_applied);  // a 502 to a POST may come after the backend acted
}

TEST(OutboundCall, CreationsAreNotRepeatedAfterAnAmbiguousFailure) {
  scripted_client client;
  stop_signal stop;
  client.fail(transport_error::timeout, "no answer", true);
  client.answer(201, "");
  const auto answer = call_with_retries(client, post_request(), "POST /things", repeat::once, test_profile(), stop);
  ASSERT_FALSE(answer);
  EXPECT_TRUE(answer.error().maybe_applied);
  EXPECT_EQ(client.sent.size(), 1u);
}

TEST(OutboundCall, UnusableSuccessIsRetriedWhenTheApiSaysSo) {
  scripted_client client;
  stop_signal stop;
  auto api = test_profile();
  api.check_success = [](const http_response& answer) -> std::optional<std::string> {
    if (answer.body == "ok") return std::nullopt;
    return "cut answer";
  };
  client.answer(200, "o");
  client.answer(200, "ok");
  const auto answer = call_with_retries(client, post_request(), "GET /x", repeat::safe, api, stop);
  ASSERT_TRUE(answer);
  EXPECT_EQ(client.sent.size(), 2u);
}

TEST(OutboundCall, UntrustedCertificateAndStopAreNotRetried) {
  scripted_client client;
  stop_signal stop;
  client.fail(transport_error::tls_verify, "TLS certificate of h:443 is not trusted");
  auto answer = call_with_retries(client, post_request(), "GET /x", repeat::safe, test_profile(), stop);
  ASSERT_FALSE(answer);
  EXPECT_FALSE(answer.error().transient);
  EXPECT_EQ(client.sent.size(), 1u);

  client.fail(transport_error::aborted, "request to h:443 cancelled");
  answer = call_with_retries(client, post_request(), "GET /x", repeat::safe, test_profile(), stop);
  ASSERT_FALSE(answer);
  EXPECT_TRUE(answer.error().stopped);
  EXPECT_EQ(client.sent.size(), 2u);

  stop.request_stop();
  answer = call_with_retries(client, post_request(), "GET /x", repeat::safe, test_profile(), stop);
  ASSERT_FALSE(answer);
  EXPECT_TRUE(answer.error().stopped);
  EXPECT_EQ(client.sent.size(), 2u);  // nothing sent once stopped
}

TEST(OutboundCall, RetryAfterBeyondTheCapStillRetries) {
  scripted_client client;
  stop_signal stop;
  client.answer(429, "msg:slow down", {{"retry-after", "3600"}});  // capped at max_backoff (0 here)
  client.answer(200, "fine");
  const auto answer = call_with_retries(client, post_request(), "GET /x", repeat::safe, test_profile(), stop);
  ASSERT_TRUE(answer);
  EXPECT_EQ(client.sent.size(), 2u);
}

TEST(OutboundCall, FailuresNeverCarryCredentialsOrConfiguredSecrets) {
  scripted_client client;
  stop_signal stop;
  client.answer(401, "msg:bad password pass-WORD-1 for user:pass-WORD-1 (config-SECRET)");
  const auto answer = call_with_retries(client, post_request(), "POST /things", repeat::safe, test_profile(), stop);
  ASSERT_FALSE(answer);
  const auto text = answer.error().describe();
  EXPECT_EQ(text.find("pass-WORD-1"), std::string::npos) << text;
  EXPECT_EQ(text.find("config-SECRET"), std::string::npos) << text;
  EXPECT_NE(text.find("<redacted>"), std::string::npos) << text;
}

// A vendor echoing a secret across the 300-byte cut: masked first, so no prefix of it survives.
TEST(OutboundCall, ASecretEchoedAcrossTheCutIsMaskedWhole) {
  for (std::size_t offset = 280; offset <= 302; ++offset) {
    scripted_client client;
    stop_signal stop;
    client.answer(401, "msg:" + std::string(offset, '.') + "config-SECRET" + std::string(100, '.'));
    const auto answer = call_with_retries(client, post_request(), "POST /things", repeat::safe, test_profile(), stop);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().describe().find("config-"), std::string::npos) << offset << answer.error().describe();
  }
}

}  // namespace
}  // namespace twiml_redirect::outbound
