// /metrics over real loopback sockets: what the server counts is what a scrape shows.
#include <gtest/gtest.h>

#include <sstream>

#include "support/http_test_client.hpp"
#include "support/test_server.hpp"
#include "support/wait.hpp"
#include "twiml_redirect/version.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;

const std::string kTwimlTarget = "/redirect_call?Called=%2B14155550100&CallSid=CA0123456789abcdef0123456789abcdef";

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(MetricsEndpoint, CountsWhatTheServerAnswered) {
  test_server server;
  // One keep-alive connection: one server thread, so each answer is counted before the next request is read.
  test_connection connection(server.port());
  EXPECT_EQ(connection.request("GET", kTwimlTarget).result_int(), 200u);
  EXPECT_EQ(connection.request("GET", kTwimlTarget).result_int(), 200u);
  EXPECT_EQ(connection.request("GET", "/redirect_call?Called=x").result_int(), 400u);
  EXPECT_EQ(connection.request("GET", "/nope").result_int(), 404u);
  EXPECT_EQ(connection.request("POST", "/healthz").result_int(), 405u);

  const auto res = connection.request("GET", "/metrics");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[beast_http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = res.body();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/redirect_call",method="GET",status="200"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/redirect_call",method="GET",status="400"} 1)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="other",method="GET",status="404"} 1)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/healthz",method="POST",status="405"} 1)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_request_duration_seconds_count{route="/redirect_call"} 3)"));
  // The scrape itself is the one request in flight while it renders.
  EXPECT_TRUE(has_line(text, "twiml_redirect_http_requests_in_flight 1"));
  EXPECT_TRUE(has_line(text, "twiml_redirect_http_connections_open 1"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="disabled"} 1)"));
  EXPECT_NE(text.find("twiml_redirect_build_info{version=\"" TWIML_REDIRECT_VERSION_TEXT "\""), std::string::npos);

  // The scrape counts too, once answered.
  EXPECT_TRUE(has_line(connection.request("GET", "/metrics").body(),
                       R"(twiml_redirect_http_requests_total{route="/metrics",method="GET",status="200"} 1)"));
}

TEST(MetricsEndpoint, HeadHasNoBodyAndOtherMethodsGet405) {
  test_server server;
  test_connection connection(server.port());
  connection.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = connection.read_response(/*head_request=*/true);
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_TRUE(head.body().empty());
  const auto post = connection.request("POST", "/metrics");
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(post[beast_http::field::allow], "GET, HEAD");
}

TEST(MetricsEndpoint, MalformedRequestsAndProvisioningShow) {
  test_server server;
  {
    test_connection bad(server.port());
    bad.send("NOT HTTP AT ALL\r\n\r\n");
    EXPECT_EQ(bad.read_response().result_int(), 400u);
  }
  server.metrics().set_provisioning_state("synthflow", util::provisioning_state::failed, "HTTP 401 from Synthflow");
  // The 400 was counted on whichever thread took that connection: wait for it, boundedly.
  std::string text;
  EXPECT_TRUE(wait_until(
      [&] {
        text = http_get(server.port(), "/metrics").body();
        return text.find(R"(route="other",method="other",status="400"} 1)") != std::string::npos;
      },
      5s, "the 400 to be counted"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="other",method="other",status="400"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="failed"} 1)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_last_error_info{api="synthflow",error="HTTP 401 from Synthflow"} 1)"));
  // No failure yet: every reason's series is there from the start, at 0.
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_signature_failures_total{reason="bad_signature"} 0)")) << text;
}

TEST(MetricsEndpoint, CountsSignatureFailures) {
  config::twilio_config signing;
  signing.auth_token = "metrics-test-token";
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing);
  test_connection connection(server.port());
  const auto refused = connection.request("GET", kTwimlTarget, {}, "application/x-www-form-urlencoded",
                                          "X-Twilio-Signature: bm90IGEgc2lnbmF0dXJl\r\n");
  EXPECT_EQ(refused.result_int(), 403u);
  EXPECT_EQ(connection.request("GET", kTwimlTarget).result_int(), 403u);  // no signature at all
  const std::string text = connection.request("GET", "/metrics").body();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_signature_failures_total{reason="bad_signature"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_signature_failures_total{reason="missing_signature"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/redirect_call",method="GET",status="403"} 2)"));
}

}  // namespace
}  // namespace twiml_redirect::testing
