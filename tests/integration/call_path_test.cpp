// GET /calls/{CallSid} through the real binary: a call that failed over twice and was transferred,
// with its pre-call lookup, shows every step in order, from the memory store and from a real
// redis-server; behind the Bearer token, without caller data.
#include <signal.h>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/fake_twilio.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"
#include "support/redis_server.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kToken = "calls-path-test-token-0123456789abcdef";
constexpr std::string_view kCallsToken = "calls-only-dashboard-token-0123456789ab";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";

std::string config_for(const std::string& context) {
  return R"({"server":{"host":"127.0.0.1","port":0,"threads":2,"drain_timeout_ms":2000},
    "sip":{"target":"sip.us.synthflow.ai:32681"},
    "dial":{"answer_on_bridge":true},
    "numbers":[{"phone_number":"+14155550100",
      "failover":[{"sip_target":"sip.eu.synthflow.ai:32681"},{"dial_number":"+14155550111"}],
      "transfer":{"allow":["+14155550199"]}}],
    "context":)" + context + "}";
}

class CallPath : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string context = R"({"store":"memory"})";
    if (GetParam() == "redis") {
      if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
      redis_ = std::make_unique<redis_server>();
      context = R"({"store":"redis","redis_url":")" + redis_->url() + R"("})";
    }
    config_ = std::make_unique<temp_file>("calls.json", config_for(context));
    binary_ = std::make_unique<child_process>(
        TWIML_REDIRECT_BINARY, std::vector<std::string>{"serve", "--config", config_->path().string()},
        clean_env({{"CALL_CONTEXT_TOKEN", std::string(kToken)}, {"CALLS_TOKEN", std::string(kCallsToken)}}));
    port_ = binary_->wait_for_listening_port();
    ASSERT_NE(port_, 0) << binary_->output();
  }
  void TearDown() override {
    if (!binary_) return;
    binary_->send_signal(SIGTERM);
    EXPECT_EQ(binary_->wait_for_exit(10s), 0) << binary_->output();
  }

  test_response post(const std::string& path, const twilio::form_params& params) {
    test_connection connection(port_);
    return connection.request("POST", path, form_encode(params), kForm, "");
  }
  twilio::form_params call(twilio::form_params more = {}) {
    twilio::form_params params{{"CallSid", std::string(kSid)}, {"Called", "+14155550100"},
                               {"From", "+15005550006"}, {"CallerName", "Ada Lovelace"}};
    for (auto& p : more) params.push_back(std::move(p));
    return params;
  }
  test_response calls(std::string_view sid, std::string_view auth) {
    test_connection connection(port_);
    return connection.request("GET", "/calls/" + std::string(sid), "", "", std::string(auth));
  }

  std::unique_ptr<redis_server> redis_;
  std::unique_ptr<temp_file> config_;
  std::unique_ptr<child_process> binary_;
  std::uint16_t port_ = 0;
};

TEST_P(CallPath, EveryStepOfACallInOrder) {
  const std::string auth = "Authorization: Bearer " + std::string(kToken) + "\r\n";
  ASSERT_EQ(post("/redirect_call", call()).result_int(), 200);
  // Wait until the record is readable (Redis writes are asynchronous), then play the call.
  ASSERT_TRUE(wait_until([&] { return calls(kSid, auth).result_int() == 200; }, 10s, "the call's record"));
  test_connection lookup(port_);
  ASSERT_EQ(lookup.request("POST", "/call_context",
                           R"({"external_id":"<external_id>","twilio_call_sid":")" + std::string(kSid) +
                               R"(","synthflow_call_id":"sf-call-42"})",
                           "application/json", auth)
                .result_int(),
            200);
  ASSERT_EQ(post("/dial_action?step=0", call({{"DialCallStatus", "failed"}, {"DialSipResponseCode", "503"}})).result_int(), 200);
  ASSERT_EQ(post("/dial_action?step=1", call({{"DialCallStatus", "no-answer"}, {"DialSipResponseCode", "408"}})).result_int(), 200);
  ASSERT_EQ(post("/refer", call({{"ReferTransferTarget", "<tel:+14155550199>"}})).result_int(), 200);
  ASSERT_EQ(post("/refer", call({{"ReferTransferTarget", "<tel:+19005550100>"}})).result_int(), 200);

  json path;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto res = calls(kSid, auth);
        if (res.result_int() != 200) return false;
        path = json::parse(res.body());
        return path["events"].size() == 6;
      },
      10s, "six events"))
      << path.dump();
  const json& events = path["events"];
  EXPECT_EQ(path["call_sid"], kSid);
  EXPECT_EQ(events[0]["event"], "webhook");
  EXPECT_EQ(events[0]["answer"], "dial");
  EXPECT_EQ(events[0]["target"], "sip.us.synthflow.ai:32681");
  EXPECT_EQ(events[1]["event"], "context_lookup");
  EXPECT_EQ(events[1]["found"], true);
  EXPECT_EQ(events[1]["synthflow_call_id"], "sf-call-42");
  EXPECT_EQ(events[2]["event"], "dial_outcome");
  EXPECT_EQ(events[2]["dial_call_status"], "failed");
  EXPECT_EQ(events[2]["sip_response_code"], "503");
  EXPECT_EQ(events[2]["action"], "sip_target");
  EXPECT_EQ(events[3]["step"], 1);
  EXPECT_EQ(events[3]["action"], "dial_number");
  EXPECT_EQ(events[4]["event"], "transfer");
  EXPECT_EQ(events[4]["result"], "dialled");
  EXPECT_EQ(events[5]["result"], "refused");
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_GE(events[i]["at_ms"], events[i - 1]["at_ms"]);
  // No caller data: not the caller's number, name, nor a refused target whole.
  EXPECT_EQ(path.dump().find("15005550006"), std::string::npos) << path.dump();
  EXPECT_EQ(path.dump().find("Ada"), std::string::npos);
  EXPECT_EQ(path.dump().find("9005550100"), std::string::npos);
  const auto refused = calls(kSid, "");
  EXPECT_EQ(refused.result_int(), 401);
  EXPECT_EQ(calls("CA" + std::string(32, '9'), auth).result_int(), 404);
  EXPECT_EQ(calls("CA.bad;sid", auth).result_int(), 400);
  EXPECT_EQ(calls(kSid, auth)[boost::beast::http::field::cache_control], "no-store");
  // CALLS_TOKEN reads the path, and only the path: callers' details stay behind CALL_CONTEXT_TOKEN.
  const std::string calls_only = "Authorization: Bearer " + std::string(kCallsToken) + "\r\n";
  EXPECT_EQ(calls(kSid, calls_only).body(), calls(kSid, auth).body());
  test_connection connection(port_);
  EXPECT_EQ(connection.request("POST", "/call_context", R"({"call_sid":")" + std::string(kSid) + R"("})",
                               "application/json", calls_only)
                .result_int(),
            401);
}

// `doctor --call`: one test call placed through Twilio's Calls API (the fake), followed to its end,
// and this deployment's record of the leg that reached the number read back from /calls/{sid}.
TEST_P(CallPath, DoctorCallReportsWhatTheLiveCallShowed) {
  if (GetParam() != "memory") GTEST_SKIP() << "one store is enough: the record is read over HTTP";
  const std::string auth = "Authorization: Bearer " + std::string(kToken) + "\r\n";
  const std::string leg = "CA" + std::string(32, '7');
  // What Twilio and Synthflow would do with the call doctor places: the webhook for the leg that
  // reaches the number, the pre-call lookup, and the agent's leg ending completed.
  twilio::form_params inbound{{"CallSid", leg}, {"Called", "+14155550100"}, {"From", "+14155550100"}};
  ASSERT_EQ(post("/redirect_call", inbound).result_int(), 200);
  test_connection lookup(port_);
  ASSERT_EQ(lookup.request("POST", "/call_context", R"({"twilio_call_sid":")" + leg + R"("})", "application/json", auth)
                .result_int(),
            200);
  inbound.push_back({"DialCallStatus", "completed"});
  inbound.push_back({"DialSipResponseCode", "200"});
  inbound.push_back({"DialCallDuration", "41"});
  ASSERT_EQ(post("/dial_action?step=0", inbound).result_int(), 200);

  test::fake_twilio twilio;
  twilio.add_call({{"sid", leg}, {"to", "+14155550100"}, {"from", "+14155550100"}, {"direction", "inbound"},
                   {"duration", "44"}});
  const auto result = run_binary(
      {"doctor", "--call", "+14155550100", "--config", config_->path().string()},
      clean_env({{"CALL_CONTEXT_TOKEN", std::string(kToken)},
                 {"TWILIO_ACCOUNT_SID", twilio.options().account_sid},
                 {"TWILIO_AUTH_TOKEN", twilio.options().auth_token},
                 {"TWILIO_API_URL", twilio.api_url()},
                 {"PUBLIC_URL", "http://127.0.0.1:" + std::to_string(port_)}}));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const char* expected : {"call.placed", "ended completed after 45 s", "call.webhook",
                               "Twilio requested /redirect_call for " , "call.sip", "ended completed, SIP 200",
                               "call.context", "fields filled: twilio_call_sid; answered from the record",
                               "unconfirmed.sip_status_mapping", "SIP 200 became DialCallStatus completed"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  const auto placed = twilio.placed_calls();
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].at("To"), "+14155550100");
  EXPECT_EQ(placed[0].at("From"), "+14155550100") << "the first configured number";
  EXPECT_EQ(placed[0].at("TimeLimit"), "90") << "the test call ends by itself";
  EXPECT_EQ(result.output.find(twilio.options().auth_token), std::string::npos);
  EXPECT_EQ(result.output.find(kToken), std::string::npos);

  const auto refused = run_binary({"doctor", "--call", "0800-CALL-ME", "--config", config_->path().string()},
                                  clean_env({{"TWILIO_ACCOUNT_SID", twilio.options().account_sid},
                                             {"TWILIO_AUTH_TOKEN", twilio.options().auth_token},
                                             {"TWILIO_API_URL", twilio.api_url()},
                                             {"PUBLIC_URL", "http://127.0.0.1:1"}}));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("must be E.164"), std::string::npos) << refused.output;
}

INSTANTIATE_TEST_SUITE_P(Stores, CallPath, ::testing::Values("memory", "redis"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace twiml_redirect::testing
