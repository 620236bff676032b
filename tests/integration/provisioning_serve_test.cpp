// serve's background provisioning, observed through app::readiness: not ready (with the reason)
// until Synthflow (and Twilio, when managed) match, ready after; a permanent failure is reported
// once; stop() is prompt.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_synthflow.hpp"
#include "support/fake_twilio.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/provisioning.hpp"

namespace twiml_redirect::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

class ProvisioningServe : public ::testing::Test {
 protected:
  ProvisioningServe() : fake_(fake_options()), config_(test_config(fake_)) {}

  void TearDown() override { expect_no_secrets(capture_.text()); }

  // Polls readiness until `done` holds or `limit` passes, remembering every distinct reason seen.
  bool wait_for(const std::function<bool(const app::readiness::state&)>& done,
                std::chrono::milliseconds limit = 10s) {
    const auto end = clock_type::now() + limit;
    while (clock_type::now() < end) {
      const auto state = readiness_.get();
      if (reasons_.empty() || reasons_.back() != state.reason) reasons_.push_back(state.reason);
      if (done(state)) return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }

  // serve's runner for the fixture's Synthflow config alone; `on_permanent_failure` gets the message.
  app::background_provisioning runner_for(std::function<void(const std::string&)> on_permanent_failure) {
    app::background_provisioning::callbacks events;
    events.on_permanent_failure = [on_permanent_failure](const app::provisioning_target&, const std::string& message) {
      on_permanent_failure(message);
    };
    std::vector<app::provisioning_target> targets;
    if (config_.synthflow.provision_on_start) targets = app::provisioning_targets(config_);
    return app::background_provisioning(std::move(targets), readiness_, std::move(events));
  }

  std::string reasons() const {
    std::string all;
    for (const auto& r : reasons_) all += "[" + r + "] ";
    return all;
  }

  log_capture capture_;
  fake_synthflow fake_;
  config::service_config config_;
  app::readiness readiness_;
  std::vector<std::string> reasons_;
};

TEST_F(ProvisioningServe, ReadinessIsNotReadyWithTheReasonThenReady) {
  config_.synthflow.max_attempts = 2;
  config_.synthflow.initial_backoff = 200ms;  // long enough between rounds to observe the reason
  fake_fault outage;
  outage.method = "GET";
  outage.path_prefix = "/numbers/";
  outage.times = 2;  // one whole round of two attempts fails
  fake_.add_fault(outage);

  std::atomic<int> permanent{0};
  auto runner = runner_for([&](const std::string&) { ++permanent; });
  runner.start();
  EXPECT_FALSE(readiness_.get().ready);
  ASSERT_TRUE(wait_for([](const auto& s) { return s.reason.find("HTTP 503") != std::string::npos; }))
      << reasons();
  EXPECT_FALSE(readiness_.get().ready);
  ASSERT_TRUE(wait_for([](const auto& s) { return s.ready; })) << reasons();
  EXPECT_EQ(readiness_.get().reason, "");
  EXPECT_EQ(permanent.load(), 0);
  EXPECT_EQ(fake_.writes().size(), 2u);
  EXPECT_NE(reasons_.front().find("synthflow provisioning"), std::string::npos) << reasons();
}

TEST_F(ProvisioningServe, ReadinessWaitsForTwilioTooAndNamesIt) {
  fake_twilio twilio;
  twilio.seed_number("+15550001111");
  fake_fault outage;
  outage.times = 2;  // Twilio's first round (two attempts) fails; Synthflow's goes through
  twilio.server().add_fault(outage);
  config_.twilio.account_sid = twilio.options().account_sid;
  config_.twilio.api_url = twilio.api_url();
  config_.twilio.public_url = "https://voice.example.com";
  config_.twilio.auth_token = twilio.options().auth_token;
  config_.twilio.max_attempts = 2;
  config_.twilio.initial_backoff = 200ms;  // long enough between rounds to observe the reason
  std::atomic<int> permanent{0};
  auto runner = runner_for([&](const std::string&) { ++permanent; });
  runner.start();
  ASSERT_TRUE(wait_for([](const auto& s) {
    return s.reason.starts_with("twilio provisioning retrying after: ") && s.reason.find("HTTP 503") != std::string::npos;
  })) << reasons();
  EXPECT_FALSE(readiness_.get().ready);
  ASSERT_TRUE(wait_for([](const auto& s) { return s.ready; })) << reasons();
  EXPECT_EQ(permanent.load(), 0);
  EXPECT_EQ(twilio.number("+15550001111")["voice_url"], "https://voice.example.com/redirect_call");
  EXPECT_EQ(fake_.writes().size(), 2u);
  runner.stop();
  EXPECT_EQ(capture_.text().find(twilio.options().auth_token), std::string::npos);
}

TEST_F(ProvisioningServe, PermanentFailureIsReportedOnce) {
  config_.synthflow.api_key = "sk-live-WRONG-KEY-ffff0000";
  std::mutex mutex;
  std::vector<std::string> messages;
  auto runner = runner_for([&](const std::string& message) {
    std::lock_guard lock(mutex);
    messages.push_back(message);
  });
  runner.start();
  ASSERT_TRUE(wait_for([](const auto& s) { return s.reason.find("failed") != std::string::npos; })) << reasons();
  runner.stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("GET /numbers/15550001111 failed: HTTP 401"), std::string::npos) << messages[0];
  EXPECT_EQ(messages[0].find("WRONG-KEY"), std::string::npos);
  EXPECT_FALSE(readiness_.get().ready);
  EXPECT_EQ(readiness_.get().reason.find("WRONG-KEY"), std::string::npos);
}

TEST_F(ProvisioningServe, StopCancelsAHungRequestPromptly) {
  config_.synthflow.request_timeout = 30s;
  fake_fault hang;
  hang.what = fake_fault::kind::hang;
  fake_.add_fault(hang);
  auto runner = runner_for([](const std::string&) {});
  runner.start();
  const auto end = clock_type::now() + 5s;
  while (fake_.calls().empty() && clock_type::now() < end) std::this_thread::sleep_for(2ms);
  ASSERT_FALSE(fake_.calls().empty());
  const auto started = clock_type::now();
  runner.stop();
  // Without the cancel, stop would wait out the 30 s request timeout: 10 s is far from both.
  EXPECT_LT(clock_type::now() - started, 10s);
  EXPECT_FALSE(readiness_.get().ready);
}

TEST_F(ProvisioningServe, TransientFailuresKeepRetryingUntilTheyEnd) {
  config_.synthflow.max_attempts = 1;
  config_.synthflow.max_backoff = 50ms;
  fake_fault outage;
  outage.method = "GET";
  outage.path_prefix = "/numbers/";
  outage.times = 6;
  fake_.add_fault(outage);
  auto runner = runner_for([](const std::string&) { FAIL(); });
  runner.start();
  ASSERT_TRUE(wait_for([](const auto& s) { return s.ready; })) << reasons();
  const auto lines = fake_.call_lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "GET /numbers/15550001111"), 7);
}

TEST_F(ProvisioningServe, ProvisionOnStartFalseIsReadyAtOnceWithoutCalls) {
  config_.synthflow.provision_on_start = false;
  auto runner = runner_for([](const std::string&) {});
  runner.start();
  EXPECT_TRUE(readiness_.get().ready);
  runner.stop();
  EXPECT_TRUE(fake_.calls().empty());
}

}  // namespace
}  // namespace twiml_redirect::test
