// Faults between us and Synthflow: transient ones are retried (with Retry-After honoured and the
// deadline enforced), permanent ones fail fast with a message naming the call, the status and
// Synthflow's words, and never the API key.

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/contract.hpp"
#include "support/fake_synthflow.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "twiml_redirect/app/provisioning.hpp"

namespace twiml_redirect::test {
namespace {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;
using clock_type = std::chrono::steady_clock;

class ProvisioningFaults : public provisioning_fixture<> {
 protected:
  fake_fault fault(std::string method, std::string path, fake_fault::kind what, unsigned times = 1) {
    fake_fault f;
    f.method = std::move(method);
    f.path_prefix = std::move(path);
    f.what = what;
    f.times = times;
    return f;
  }

  std::size_t count(const std::string& line) const {
    const auto lines = fake_.call_lines();
    return static_cast<std::size_t>(std::count(lines.begin(), lines.end(), line));
  }

  // Every request, and every answer but the injected faults', against Synthflow's published OpenAPI.
  // A rejected key's 401 is skipped too: the document lists no 401 for any operation.
  void TearDown() override {
    provisioning_fixture::TearDown();
    auto calls = fake_.calls();
    if (calls.empty()) return;  // nothing listened
    for (auto& call : calls) call.injected = call.injected || call.status == 401;
    EXPECT_TRUE(conforms_to_openapi(calls, "synthflow"));
  }

};

TEST_F(ProvisioningFaults, ServiceUnavailableTwiceThenSuccess) {
  fake_.add_fault(fault("GET", "/numbers/", fake_fault::kind::status, 2));
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(count("GET /numbers/15550001111"), 3u);
  EXPECT_EQ(fake_.writes().size(), 2u);
  EXPECT_NE(capture_.text().find("HTTP 503"), std::string::npos) << capture_.text();
}

TEST_F(ProvisioningFaults, TooManyRequestsHonoursRetryAfter) {
  auto f = fault("POST", "/custom-numbers", fake_fault::kind::status);
  f.status = 429;
  f.body = R"({"detail":"Too Many Requests"})";
  f.retry_after = "1";
  fake_.add_fault(f);
  ASSERT_EQ(provision(), 0) << output_;
  const auto writes = fake_.writes();
  ASSERT_EQ(writes.size(), 3u);  // the refused POST, its repeat, the agent POST
  EXPECT_EQ(writes[0].path, writes[1].path);
  // Backoff alone would wait about 10 ms; only Retry-After explains a full second.
  EXPECT_GE(writes[1].at - writes[0].at, 1000ms);
}

TEST_F(ProvisioningFaults, HungServerHitsTheDeadline) {
  config_.synthflow.request_timeout = 300ms;
  config_.synthflow.max_attempts = 1;
  fake_.add_fault(fault("GET", "/numbers/", fake_fault::kind::hang));
  const auto started = clock_type::now();
  EXPECT_EQ(provision(), 1);
  const auto took = clock_type::now() - started;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  EXPECT_NE(output_.find("GET /numbers/15550001111"), std::string::npos) << output_;
  EXPECT_NE(output_.find("within 300 ms"), std::string::npos) << output_;
}

TEST_F(ProvisioningFaults, HungCallIsRetriedAfterItsDeadline) {
  config_.synthflow.request_timeout = 300ms;
  fake_.add_fault(fault("GET", "/numbers/", fake_fault::kind::hang));
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(count("GET /numbers/15550001111"), 2u);
}

TEST_F(ProvisioningFaults, UnauthorizedFailsFastNamingTheCallNotTheKey) {
  config_.synthflow.api_key = "sk-live-WRONG-KEY-ffff0000";
  const auto started = clock_type::now();
  EXPECT_EQ(provision(), 1);
  EXPECT_LT(clock_type::now() - started, 2s);
  EXPECT_EQ(fake_.calls().size(), 1u);  // a 401 is not retried
  EXPECT_NE(output_.find("GET /numbers/15550001111"), std::string::npos) << output_;
  EXPECT_NE(output_.find("HTTP 401"), std::string::npos) << output_;
  EXPECT_NE(output_.find("Invalid API key"), std::string::npos) << output_;
  const auto everything = output_ + capture_.text();
  EXPECT_EQ(everything.find("sk-live-WRONG-KEY-ffff0000"), std::string::npos) << everything;
}

TEST_F(ProvisioningFaults, TruncatedJsonOnReadIsRetried) {
  fake_.add_fault(fault("GET", "/numbers/", fake_fault::kind::truncated_json));
  fake_.seed_number("+15550001111", "Front desk line");
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(count("GET /numbers/15550001111"), 2u);
  EXPECT_NE(capture_.text().find("not readable JSON"), std::string::npos);
}

TEST_F(ProvisioningFaults, TruncatedAnswerToAgentPostDoesNotCreateASecondAgent) {
  // The agent is created but its answer is cut: a blind repeat would be refused as a second
  // inbound agent, so the provisioner must look before posting again.
  fake_.add_fault(fault("POST", "/assistants", fake_fault::kind::truncated_json));
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(count("POST /assistants"), 1u);
  EXPECT_EQ(fake_.state()["assistants"].size(), 1u);
  EXPECT_NE(output_.find("created"), std::string::npos);
}

TEST_F(ProvisioningFaults, ServerErrorOnNumberImportIsCheckedThenRepeated) {
  auto f = fault("POST", "/custom-numbers", fake_fault::kind::status);
  f.status = 502;
  f.body = "<html>Bad Gateway</html>";
  fake_.add_fault(f);
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(count("POST /custom-numbers"), 2u);
  // Between the two POSTs, a GET checked that the first one had not landed.
  EXPECT_EQ(count("GET /numbers/15550001111"), 2u);
}

TEST_F(ProvisioningFaults, DroppedConnectionIsRetried) {
  fake_.add_fault(fault("GET", "/numbers/", fake_fault::kind::close));
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(count("GET /numbers/15550001111"), 2u);
}

TEST_F(ProvisioningFaults, RefusedAgentFailsWithSynthflowsDescription) {
  auto f = fault("POST", "/assistants", fake_fault::kind::status);
  f.status = 400;
  f.body = R"({"detail":{"status":"error","description":"voice_id is unknown","request_id":"r1","category":"validation"}})";
  fake_.add_fault(f);
  EXPECT_EQ(provision(), 1);
  EXPECT_NE(output_.find("POST /assistants failed: HTTP 400: voice_id is unknown"), std::string::npos) << output_;
  EXPECT_EQ(fake_.state()["assistants"].size(), 0u);
}

TEST_F(ProvisioningFaults, PersistentOutageGivesUpAfterMaxAttempts) {
  config_.synthflow.max_attempts = 3;
  fake_.add_fault(fault("GET", "/numbers/", fake_fault::kind::status, 100));
  EXPECT_EQ(provision(), 1);
  EXPECT_EQ(count("GET /numbers/15550001111"), 3u);
  EXPECT_NE(output_.find("gave up after 3 attempts"), std::string::npos) << output_;
}

TEST_F(ProvisioningFaults, NothingListensMeansConnectionErrors) {
  fake_.stop();
  config_.synthflow.max_attempts = 2;
  EXPECT_EQ(provision(), 1);
  EXPECT_NE(output_.find("cannot connect"), std::string::npos) << output_;
}

}  // namespace
}  // namespace twiml_redirect::test
