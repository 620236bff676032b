// Health-aware routing through the real binary: the agent legs' outcomes, reported at the <Dial>
// action, open the SIP target's breaker; while open, new calls get their first failover step
// straight away; after the cooldown a probe call tries the agent again and its success closes the
// breaker. A number's ai_share sends a fixed share of calls elsewhere, the same way for the same
// CallSid. State, transitions and diversions show in /metrics and one log line each.
#include <signal.h>

#include <string>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kForm = "application/x-www-form-urlencoded";
constexpr std::string_view kDesk = "+14155550100";
constexpr std::string_view kSplit = "+14155550200";
constexpr std::string_view kNoAi = "+14155550300";
const std::string kHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

// Unsigned (no auth token): the breaker does not depend on how a request was authenticated.
const std::string kConfig = R"({
  "server": {"host": "127.0.0.1", "port": 0, "threads": 2, "drain_timeout_ms": 2000},
  "sip": {"target": "sip.us.synthflow.ai:32681"},
  "health": {"trip_after": 3, "window_s": 60, "cooldown_s": 1, "probe_every": 2, "recover_after": 1},
  "numbers": [
    {"phone_number": "+14155550100", "failover": [{"dial_number": "+14155550111"}]},
    {"phone_number": "+14155550200", "sip_target": "sip.eu.synthflow.ai:32681", "ai_share": 0.5,
     "failover": [{"say": "Please hold for a person."}, {"dial_number": "+14155550111"}]},
    {"phone_number": "+14155550300", "sip_target": "sip.eu.synthflow.ai:32681", "ai_share": 0.0,
     "failover": [{"dial_number": "+14155550111"}]}
  ]
})";

std::string call_sid(unsigned n) {
  std::string digits = std::to_string(n);
  return "CA" + std::string(32 - digits.size(), '0') + digits;
}

class HealthRouting : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = binary_.wait_for_listening_port();
    ASSERT_NE(port_, 0) << binary_.output();
  }
  void TearDown() override {
    binary_.send_signal(SIGTERM);
    EXPECT_EQ(binary_.wait_for_exit(10s), 0) << binary_.output();
  }

  test_response post(std::string_view path, const twilio::form_params& params) {
    test_connection connection(port_);
    return connection.request("POST", std::string(path), form_encode(params), kForm, "");
  }
  std::string webhook(std::string_view called, unsigned n) {
    return post("/redirect_call", {{"CallSid", call_sid(n)}, {"Called", std::string(called)}}).body();
  }
  std::string outcome(std::string_view called, unsigned n, std::string_view status, std::string_view code) {
    return post("/dial_action?step=0", {{"CallSid", call_sid(n)}, {"Called", std::string(called)},
                                        {"DialCallStatus", std::string(status)},
                                        {"DialSipResponseCode", std::string(code)}, {"DialCallDuration", "0"}})
        .body();
  }
  std::string metrics() { return http_get(port_, "/metrics").body(); }
  static bool dials_agent(const std::string& twiml) { return twiml.find("<Sip>") != std::string::npos; }

  temp_file config_{"health.json", kConfig};
  child_process binary_{TWIML_REDIRECT_BINARY, {"serve", "--config", config_.path().string()}, clean_env({})};
  std::uint16_t port_ = 0;
};

TEST_F(HealthRouting, AFailingTargetOpensThenAProbeClosesIt) {
  const std::string to_person = kHead +
                                "<Response><Dial action=\"dial_action?step=1\"><Number>+14155550111</Number></Dial>"
                                "</Response>";
  ASSERT_TRUE(dials_agent(webhook(kDesk, 1)));
  // A caller hanging up first says nothing about the platform: never counted.
  for (unsigned n = 0; n < 5; ++n) outcome(kDesk, 1, "canceled", "487");
  ASSERT_TRUE(dials_agent(webhook(kDesk, 2)));
  EXPECT_NE(metrics().find("twiml_redirect_target_state{target=\"sip.us.synthflow.ai:32681\"} 0\n"), std::string::npos);

  // Three failed agent legs: each still gets its own failover, and the third opens the breaker.
  for (unsigned n = 3; n <= 5; ++n) EXPECT_EQ(outcome(kDesk, n, n == 4 ? "no-answer" : "failed", "503"), to_person);
  ASSERT_TRUE(binary_.wait_for_output("health: SIP target sip.us.synthflow.ai:32681 closed -> open (failures in window: 3", 5s))
      << binary_.output();
  EXPECT_EQ(webhook(kDesk, 6), to_person) << "open: the caller goes to the person with no SIP attempt";
  const std::string open = metrics();
  EXPECT_NE(open.find("twiml_redirect_target_state{target=\"sip.us.synthflow.ai:32681\"} 2\n"), std::string::npos) << open;
  EXPECT_NE(open.find("twiml_redirect_calls_diverted_total{reason=\"breaker\"} 1\n"), std::string::npos) << open;
  EXPECT_NE(open.find("twiml_redirect_target_transitions_total{to=\"open\"} 1\n"), std::string::npos) << open;
  EXPECT_TRUE(binary_.wait_for_output("call diverted call_sid=" + call_sid(6) + " reason=breaker", 5s));

  // After the 1 s cooldown: half-open, and the first call is the probe. Waited for by asking, not by
  // a sleep that would have to guess the scheduler.
  unsigned n = 7;
  for (; n < 400 && !dials_agent(webhook(kDesk, n)); ++n) std::this_thread::sleep_for(20ms);
  ASSERT_LT(n, 400u) << "no probe within 8 s of a 1 s cooldown\n" << binary_.output();
  EXPECT_FALSE(dials_agent(webhook(kDesk, n + 1))) << "half-open: 1 call in probe_every=2 tries the agent";
  // The probe's agent answered: recover_after=1 closes the breaker.
  EXPECT_EQ(outcome(kDesk, n, "completed", "200"), kHead + "<Response/>");
  EXPECT_TRUE(dials_agent(webhook(kDesk, n + 2)));
  EXPECT_TRUE(dials_agent(webhook(kDesk, n + 3)));
  EXPECT_NE(metrics().find("twiml_redirect_target_state{target=\"sip.us.synthflow.ai:32681\"} 0\n"), std::string::npos);
  EXPECT_TRUE(binary_.wait_for_output("sip.us.synthflow.ai:32681 half_open -> closed", 5s)) << binary_.output();
  // Another target is untouched by this one's trouble.
  EXPECT_NE(metrics().find("twiml_redirect_target_state{target=\"sip.eu.synthflow.ai:32681\"}"), std::string::npos);
}

TEST_F(HealthRouting, AiShareIsAStableShareOfCallSids) {
  unsigned to_agent = 0;
  for (unsigned n = 0; n < 200; ++n) {
    const std::string first = webhook(kSplit, n);
    EXPECT_EQ(webhook(kSplit, n), first) << "Twilio retrying the same webhook gets the same answer";
    if (dials_agent(first)) {
      ++to_agent;
    } else {
      EXPECT_EQ(first, kHead + "<Response><Say>Please hold for a person.</Say><Hangup/></Response>");
    }
  }
  EXPECT_GT(to_agent, 70u);
  EXPECT_LT(to_agent, 130u);
  for (unsigned n = 0; n < 20; ++n) EXPECT_FALSE(dials_agent(webhook(kNoAi, n))) << "ai_share 0.0";
  const std::string text = metrics();
  EXPECT_NE(text.find("twiml_redirect_calls_diverted_total{reason=\"ai_share\"} " +
                      std::to_string(2 * (200 - to_agent) + 20) + "\n"),
            std::string::npos)
      << text;
}

TEST(HealthRoutingConfig, AShareBelowOneNeedsSomewhereElseToGo) {
  temp_file config("no-failover.json", R"({"numbers":[{"phone_number":"+14155550100","ai_share":0.5}]})");
  const auto result = run_binary({"check-config", "--config", config.path().string()}, clean_env({}));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("numbers[0].ai_share: is below 1.0 but the number has no failover step"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace twiml_redirect::testing
