// Health-aware routing through the real binary: the agent legs' outcomes, reported at the <Dial>
// action, open the SIP target's breaker; while open, new calls get their first failover step
// straight away; after the cooldown a probe call tries the agent again and its success closes the
// breaker. A number's ai_share sends a fixed share of calls elsewhere, the same way for the same
// CallSid. State, transitions and diversions show in /metrics and one log line each.
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"
#include "support/redis_server.hpp"
#include "support/wait.hpp"

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

// The issue's figures through the binary, on one keep-alive connection each: after the breaker of a
// black-holed target opens (three no-answer outcomes; a 60 s cooldown keeps it open throughout),
// the next 1,000 webhooks all get the fallback, at the latency of a webhook on a healthy number
// (printed, not asserted: timing belongs to bench/, and this machine may be busy); ai_share 0.1
// sends 10% +- 1% of 10,000 distinct CallSids to the agent, each CallSid the same way when asked again.
TEST(HealthRoutingFigures, ThousandWebhooksAfterATripAndAiShareOverTenThousandCalls) {
  temp_file config("figures.json", R"({
    "server": {"host": "127.0.0.1", "port": 0, "threads": 2},
    "log": {"access_log": false},
    "health": {"trip_after": 3, "window_s": 60, "cooldown_s": 60},
    "numbers": [
      {"phone_number": "+14155550100", "sip_target": "sip.us.synthflow.ai:32681", "failover": [{"dial_number": "+14155550111"}]},
      {"phone_number": "+14155550200", "sip_target": "sip.eu.synthflow.ai:32681", "failover": [{"dial_number": "+14155550111"}]},
      {"phone_number": "+14155550400", "sip_target": "sip.eu.synthflow.ai:32681", "ai_share": 0.1,
       "failover": [{"dial_number": "+14155550111"}]}
    ]})");
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, clean_env({}));
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  test_connection connection(port);
  const auto webhook = [&](std::string_view called, unsigned n) {
    return connection.request("POST", "/redirect_call", form_encode({{"CallSid", call_sid(n)}, {"Called", std::string(called)}}),
                              kForm, "");
  };
  const auto dials_agent = [](const test_response& res) { return res.body().find("<Sip>") != std::string::npos; };
  // Latencies of `count` webhooks to `called` (p50, p99 in microseconds), and how many dialled the agent.
  const auto run = [&](std::string_view called, unsigned first, unsigned count, unsigned& to_agent) {
    std::vector<double> micros;
    to_agent = 0;
    for (unsigned n = first; n < first + count; ++n) {
      const auto started = std::chrono::steady_clock::now();
      const auto res = webhook(called, n);
      micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count());
      EXPECT_EQ(res.result_int(), 200u);
      if (dials_agent(res)) ++to_agent;
    }
    std::sort(micros.begin(), micros.end());
    return std::pair{micros[micros.size() / 2], micros[micros.size() * 99 / 100]};
  };

  unsigned to_agent = 0;
  const auto healthy = run("+14155550200", 100'000, 1'000, to_agent);
  EXPECT_EQ(to_agent, 1'000u) << "a closed breaker sends every call to the agent";
  for (unsigned n = 1; n <= 3; ++n)
    connection.request("POST", "/dial_action?step=0",
                       form_encode({{"CallSid", call_sid(n)}, {"Called", "+14155550100"}, {"DialCallStatus", "no-answer"},
                                    {"DialSipResponseCode", "408"}, {"DialCallDuration", "0"}}),
                       kForm, "");
  ASSERT_TRUE(binary.wait_for_output("sip.us.synthflow.ai:32681 closed -> open", 5s)) << binary.output();
  const auto tripped = run("+14155550100", 200'000, 1'000, to_agent);
  EXPECT_EQ(to_agent, 0u) << "after the trip, every one of the 1,000 gets the fallback";
  std::cout << "[ figures  ] 1,000 webhooks: healthy target p50 " << healthy.first << " us, p99 " << healthy.second
            << " us; open breaker (fallback) p50 " << tripped.first << " us, p99 " << tripped.second << " us\n";

  const auto shared = run("+14155550400", 300'000, 10'000, to_agent);
  EXPECT_GE(to_agent, 900u);
  EXPECT_LE(to_agent, 1'100u);
  unsigned changed = 0;
  for (unsigned n = 300'000; n < 301'000; ++n) {
    unsigned first = 0, second = 0;  // Twilio retrying the same webhook
    run("+14155550400", n, 1, first);
    run("+14155550400", n, 1, second);
    if (first != second) ++changed;
  }
  EXPECT_EQ(changed, 0u) << "the same CallSid must always go the same way";
  std::cout << "[ figures  ] ai_share 0.1 over 10,000 CallSids: " << to_agent << " to the agent ("
            << to_agent / 100.0 << "%), p50 " << shared.first << " us, p99 " << shared.second << " us\n";
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0) << binary.output();
}

// Two replicas behind one load balancer, sharing a real redis-server: failures heard by either count
// together, so two on one replica and one on the other open the target on both (trip_after 3);
// Redis killed mid-run then fails no webhook, on either, and each goes on with its own breakers.
TEST(HealthRoutingShared, TwoReplicasTripTogetherAndRedisGoingAwayFailsNoWebhook) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  temp_file config("shared.json", R"({
    "server": {"host": "127.0.0.1", "port": 0, "threads": 2},
    "log": {"access_log": false},
    "health": {"trip_after": 3, "window_s": 60, "cooldown_s": 60},
    "context": {"store": "redis", "redis_url": ")" + redis.url() + R"("},
    "numbers": [{"phone_number": "+14155550100", "sip_target": "sip.us.synthflow.ai:32681",
                 "failover": [{"dial_number": "+14155550111"}]}]})");
  child_process a(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, clean_env({}));
  child_process b(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, clean_env({}));
  const std::uint16_t port_a = a.wait_for_listening_port(), port_b = b.wait_for_listening_port();
  ASSERT_NE(port_a, 0) << a.output();
  ASSERT_NE(port_b, 0) << b.output();
  ASSERT_TRUE(a.wait_for_output("connected to Redis", 10s)) << a.output();
  ASSERT_TRUE(b.wait_for_output("connected to Redis", 10s)) << b.output();
  const auto post = [](std::uint16_t port, std::string_view path, const twilio::form_params& params) {
    test_connection connection(port);
    return connection.request("POST", std::string(path), form_encode(params), kForm, "");
  };
  const auto webhook = [&](std::uint16_t port, unsigned n) {
    return post(port, "/redirect_call", {{"CallSid", call_sid(n)}, {"Called", "+14155550100"}});
  };
  const auto failed_leg = [&](std::uint16_t port, unsigned n) {
    post(port, "/dial_action?step=0", {{"CallSid", call_sid(n)}, {"Called", "+14155550100"}, {"DialCallStatus", "failed"},
                                       {"DialSipResponseCode", "503"}, {"DialCallDuration", "0"}});
  };
  const auto dials_agent = [](const test_response& res) { return res.body().find("<Sip>") != std::string::npos; };

  failed_leg(port_a, 1);
  failed_leg(port_a, 2);
  ASSERT_TRUE(dials_agent(webhook(port_a, 10))) << "two failures of its own: still closed";
  failed_leg(port_b, 3);  // the third, heard by the other replica: the shared count reaches 3
  ASSERT_TRUE(wait_until([&] { return !dials_agent(webhook(port_a, 11)) && !dials_agent(webhook(port_b, 12)); }, 5s,
                         "both replicas to divert"))
      << a.output() << b.output();
  EXPECT_TRUE(a.wait_for_output("marked open by a replica", 5s) || b.wait_for_output("marked open by a replica", 5s));

  // Redis goes away: no webhook fails, on either replica.
  redis.kill();
  unsigned failed = 0;
  for (unsigned n = 100; n < 300; ++n) {
    try {
      if (webhook(n % 2 ? port_a : port_b, n).result_int() != 200) ++failed;
    } catch (const std::exception&) {
      ++failed;
    }
  }
  EXPECT_EQ(failed, 0u) << "webhooks failed with Redis gone";
  for (child_process* replica : {&a, &b}) {
    replica->send_signal(SIGTERM);
    EXPECT_EQ(replica->wait_for_exit(10s), 0) << replica->output();
  }
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
