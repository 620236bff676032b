// The metrics registry and its Prometheus text, without a server: recorders are driven directly.
#include "twiml_redirect/util/metrics.hpp"
#include "twiml_redirect/version.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace twiml_redirect::util {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l == line) return true;
  }
  return false;
}

class MetricsTest : public ::testing::Test {
 protected:
  metrics metrics_{{"/redirect_call", "/healthz"}, {"synthflow", "twilio"}};
};

TEST_F(MetricsTest, CountsRequestsByRouteMethodAndStatus) {
  metrics::recorder& r = metrics_.add_recorder();
  for (int i = 0; i < 3; ++i) r.request_finished("/redirect_call", "POST", 200, 1ms);
  r.request_finished("/redirect_call", "GET", 400, 1ms);
  r.request_finished("/healthz", "HEAD", 200, 1ms);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/redirect_call",method="POST",status="200"} 3)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/redirect_call",method="GET",status="400"} 1)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/healthz",method="HEAD",status="200"} 1)"));
  EXPECT_EQ(text.find(R"(method="GET",status="200")"), std::string::npos) << "series with no requests are left out";
}

TEST_F(MetricsTest, UnknownPathsAndMethodsShareOneLabel) {
  metrics::recorder& r = metrics_.add_recorder();
  r.request_finished("/wp-login.php", "GET", 404, 1ms);
  r.request_finished("/.env", "GET", 404, 1ms);
  r.request_finished("/redirect_call", "DELETE", 405, 1ms);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="other",method="GET",status="404"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/redirect_call",method="other",status="405"} 1)"));
  EXPECT_EQ(text.find("wp-login"), std::string::npos);
}

TEST(MetricsPrefixRoutes, ARouteEndingInASlashCountsEveryPathUnderIt) {
  metrics with_prefix({"/redirect_call", "/calls/"});
  metrics::recorder& r = with_prefix.add_recorder();
  r.request_finished("/calls/CA0123456789abcdef0123456789abcdef", "GET", 200, 1ms);
  r.request_finished("/calls/CAffffffffffffffffffffffffffffffff", "GET", 404, 1ms);
  r.request_finished("/calls", "GET", 404, 1ms);  // not under the prefix
  const std::string text = with_prefix.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/calls/",method="GET",status="200"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="/calls/",method="GET",status="404"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_requests_total{route="other",method="GET",status="404"} 1)")) << text;
  EXPECT_EQ(text.find("CA0123"), std::string::npos) << "a CallSid became a label value";
}

TEST_F(MetricsTest, SumsAllRecorders) {
  metrics::recorder& first = metrics_.add_recorder();
  metrics::recorder& second = metrics_.add_recorder();
  first.request_finished("/healthz", "GET", 200, 1ms);
  second.request_finished("/healthz", "GET", 200, 1ms);
  second.request_finished("/healthz", "GET", 200, 1ms);
  EXPECT_TRUE(has_line(metrics_.render(), R"(twiml_redirect_http_requests_total{route="/healthz",method="GET",status="200"} 3)"));
}

TEST_F(MetricsTest, LatencyHistogramIsCumulativeWithSumAndCount) {
  metrics::recorder& r = metrics_.add_recorder();
  r.request_finished("/redirect_call", "GET", 200, 50us);   // <= 0.0001
  r.request_finished("/redirect_call", "GET", 200, 100us);  // <= 0.0001: the bound is inclusive
  r.request_finished("/redirect_call", "GET", 200, 3ms);    // <= 0.005
  r.request_finished("/redirect_call", "GET", 200, 60s);    // only +Inf
  const std::string text = metrics_.render();
  const std::string bucket = R"(twiml_redirect_http_request_duration_seconds_bucket{route="/redirect_call",le=)";
  EXPECT_TRUE(has_line(text, bucket + R"("0.0001"} 2)")) << text;
  EXPECT_TRUE(has_line(text, bucket + R"("0.0025"} 2)"));
  EXPECT_TRUE(has_line(text, bucket + R"("0.005"} 3)"));
  EXPECT_TRUE(has_line(text, bucket + R"("2.5"} 3)"));
  EXPECT_TRUE(has_line(text, bucket + R"("+Inf"} 4)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_request_duration_seconds_count{route="/redirect_call"} 4)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_request_duration_seconds_sum{route="/redirect_call"} 60.00315)"));
  // Known routes show even without requests; "other" only once it has some.
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_http_request_duration_seconds_count{route="/healthz"} 0)"));
  EXPECT_EQ(text.find(R"(duration_seconds_count{route="other"})"), std::string::npos);
}

TEST_F(MetricsTest, InFlightAndConnections) {
  metrics::recorder& r = metrics_.add_recorder();
  r.connection_opened();
  r.connection_opened();
  r.connection_closed();
  r.request_started();
  r.request_started();
  r.request_started();
  r.request_finished("/healthz", "GET", 200, 1ms);
  r.request_abandoned();
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, "twiml_redirect_http_requests_in_flight 1")) << text;
  EXPECT_TRUE(has_line(text, "twiml_redirect_http_connections_open 1"));
  EXPECT_TRUE(has_line(text, "twiml_redirect_http_connections_total 2"));
}

TEST_F(MetricsTest, ProvisioningStateAndLastError) {
  std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="disabled"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="failed"} 0)"));
  EXPECT_EQ(text.find("twiml_redirect_provisioning_last_error_info{"), std::string::npos);

  metrics_.set_provisioning_state("synthflow", provisioning_state::failed, "HTTP 401 from \"POST /numbers\"\\n\nretrying");
  text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="failed"} 1)"));
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="disabled"} 0)"));
  // Quotes, backslashes and newlines escaped as the text format requires.
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_last_error_info{api="synthflow",error="HTTP 401 from \"POST /numbers\"\\n\nretrying"} 1)"))
      << text;

  // Each API has its own state and error.
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="twilio",state="disabled"} 1)")) << text;
  EXPECT_EQ(text.find("twiml_redirect_provisioning_last_error_info{api=\"twilio\""), std::string::npos);
  metrics_.set_provisioning_state("synthflow", provisioning_state::succeeded);
  text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="synthflow",state="succeeded"} 1)"));
  EXPECT_NE(text.find("twiml_redirect_provisioning_last_error_info{api=\"synthflow\",error=\"HTTP 401"), std::string::npos)
      << "the last error stays after a recovery";
}

// An API is a name: one the metrics were not told of at construction is shown from its first state.
TEST_F(MetricsTest, ProvisioningOfAnApiNamedLater) {
  EXPECT_EQ(metrics_.render().find(R"(api="hubspot")"), std::string::npos);
  metrics_.set_provisioning_state("hubspot", provisioning_state::running);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="hubspot",state="running"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(twiml_redirect_provisioning_state{api="twilio",state="disabled"} 1)")) << text;
}

TEST_F(MetricsTest, BuildInfoAndFormat) {
  const std::string text = metrics_.render();
  EXPECT_NE(text.find("twiml_redirect_build_info{version=\"" TWIML_REDIRECT_VERSION_TEXT "\",boost=\"1."), std::string::npos)
      << text;
  // Every metric announces its type once, and every line is a comment or "name{labels} value".
  EXPECT_TRUE(has_line(text, "# TYPE twiml_redirect_http_requests_total counter"));
  EXPECT_TRUE(has_line(text, "# TYPE twiml_redirect_http_request_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, "# TYPE twiml_redirect_http_requests_in_flight gauge"));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(line.starts_with("twiml_redirect_")) << line;
    EXPECT_NE(line.rfind(' '), std::string::npos) << line;
  }
  EXPECT_TRUE(text.ends_with("\n"));
}

TEST_F(MetricsTest, LabelledCountersHaveEverySeriesFromTheStart) {
  labelled_counter& outcomes = metrics_.counter("test_outcomes_total", "Outcomes.",
                                                {{"status", {"busy", "failed", "other"}}, {"class", {"4xx", "none"}}});
  outcomes.increment({"failed", "4xx"});
  outcomes.increment({"failed", "4xx"});
  outcomes.increment({"surprise\n\"", "none"});  // not in the list: counted as the last value
  // The same name returns the same counter, whatever else is passed.
  EXPECT_EQ(&metrics_.counter("test_outcomes_total", "ignored", {}), &outcomes);
  EXPECT_EQ(outcomes.value({"failed", "4xx"}), 2u);
  EXPECT_EQ(outcomes.value({"other", "none"}), 1u);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, "# TYPE test_outcomes_total counter")) << text;
  EXPECT_TRUE(has_line(text, R"(test_outcomes_total{status="busy",class="4xx"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(test_outcomes_total{status="failed",class="4xx"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(test_outcomes_total{status="other",class="none"} 1)")) << text;
  EXPECT_EQ(text.find("surprise"), std::string::npos);
  std::size_t series = 0;
  for (std::size_t at = text.find("\ntest_outcomes_total{"); at != std::string::npos;
       at = text.find("\ntest_outcomes_total{", at + 1))
    ++series;
  EXPECT_EQ(series, 6u);
}

}  // namespace
}  // namespace twiml_redirect::util
