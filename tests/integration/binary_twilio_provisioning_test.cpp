// `provision` and `serve` pointing the Twilio numbers at the service, through the real binary
// against a fake Twilio (and the fake Synthflow beside it), as an operator runs them.
#include <signal.h>

#include <gtest/gtest.h>

#include "support/contract.hpp"
#include "support/child_process.hpp"
#include "support/fake_synthflow.hpp"
#include "support/fake_twilio.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::string_view kSynthflowKey = "sk-test-DO-NOT-LOG-4711";
constexpr std::string_view kPublicUrl = "https://voice.example.com";
constexpr std::string_view kWebhook = "https://voice.example.com/redirect_call";
const std::string kFrontDesk = "+15550001111";
const std::string kSupport = "+15550002222";

json agent(const std::string& name) {
  return {{"name", name}, {"prompt", "Be helpful"}, {"greeting_message", "Hello"}, {"llm", "gpt-4.1"},
          {"language", "en-US"}, {"voice_id", "v1"}};
}

// Two numbers; Twilio managed through the fake's account, retries quick enough for a test.
json config_for(const test::fake_synthflow& synthflow, const test::fake_twilio& twilio) {
  return {{"server", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 1}}},
          {"twilio",
           {{"public_url", kPublicUrl},
            {"account_sid", twilio.options().account_sid},
            {"api_url", twilio.api_url()},
            {"voice_fallback_url", "https://fallback.example.com/twiml"},
            {"request_timeout_ms", 2000},
            {"max_attempts", 3},
            {"initial_backoff_ms", 100},
            {"max_backoff_ms", 300}}},
          {"synthflow",
           {{"api_url", synthflow.api_url()},
            {"workspace_id", synthflow.options().workspace_id},
            {"request_timeout_ms", 2000},
            {"max_attempts", 3},
            {"initial_backoff_ms", 100},
            {"max_backoff_ms", 300}}},
          {"numbers",
           {{{"phone_number", kFrontDesk},
             {"friendly_name", "Front desk"},
             {"synthflow", {{"termination_uri", "acme.pstn.twilio.com"}}},
             {"agent", agent("Front desk")}},
            {{"phone_number", kSupport},
             {"friendly_name", "Support"},
             {"voice_fallback_url", "https://fallback.example.com/support"},
             {"synthflow", {{"termination_uri", "acme.pstn.twilio.com"}}},
             {"agent", agent("Support")}}}}};
}

// The fakes, the account's numbers (and one whose number merely contains a configured one, which
// the PhoneNumber filter also returns), and the secrets in the environment.
class BinaryTwilioProvision : public ::testing::Test {
 protected:
  BinaryTwilioProvision() : synthflow_(synthflow_options()) {
    twilio_.seed_number("+15550001111999");  // a partial match of kFrontDesk, listed first
    twilio_.seed_number("+155500011110");
    front_desk_sid_ = twilio_.seed_number(kFrontDesk);
    support_sid_ = twilio_.seed_number(kSupport);
  }

  // Every request sent to the fake Twilio, and every answer it gave, against Twilio's published
  // OpenAPI (twilio-oai's IncomingPhoneNumbers), and the same for Synthflow's side.
  // Twilio's document lists only 200 for these operations, yet Twilio answers wrong credentials 401
  // (its authentication docs): those answers are left out, their requests are not.
  void TearDown() override {
    auto calls = twilio_.server().calls();
    for (auto& call : calls) call.injected = call.injected || call.status == 401;
    if (!calls.empty()) {
      EXPECT_TRUE(test::conforms_to_openapi(calls, "twilio"));
    }
    if (const auto synthflow_calls = synthflow_.calls(); !synthflow_calls.empty()) {
      EXPECT_TRUE(test::conforms_to_openapi(synthflow_calls, "synthflow"));
    }
  }

  static test::fake_synthflow_options synthflow_options() {
    test::fake_synthflow_options options;
    options.api_key = std::string(kSynthflowKey);
    return options;
  }

  std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
    std::map<std::string, std::string> all{{"SYNTHFLOW_API_KEY", std::string(kSynthflowKey)},
                                           {"TWILIO_AUTH_TOKEN", twilio_.options().auth_token},
                                           {"TWILIO_API_KEY", ""},
                                           {"TWILIO_API_SECRET", ""},
                                           {"PUBLIC_URL", ""},
                                           {"TWILIO_ACCOUNT_SID", ""},
                                           {"PORT", ""},
                                           {"HOST", ""}};
    for (auto& [name, value] : extra) all[name] = value;
    return all;
  }

  run_result provision_config(const json& config, std::map<std::string, std::string> extra_env = {},
                       bool dry_run = false) {
    temp_file file("config.json", config.dump());
    std::vector<std::string> args{"provision", "--config", file.path().string()};
    if (dry_run) args.push_back("--dry-run");
    auto result = run_binary(args, env(std::move(extra_env)));
    for (const auto& secret : {std::string(kSynthflowKey), twilio_.options().auth_token, twilio_.options().api_secret}) {
      EXPECT_EQ(result.output.find(secret), std::string::npos) << result.output;
    }
    return result;
  }

  run_result provision(std::map<std::string, std::string> extra_env = {}, bool dry_run = false) {
    return provision_config(config_for(synthflow_, twilio_), std::move(extra_env), dry_run);
  }

  test::fake_synthflow synthflow_;
  test::fake_twilio twilio_;
  std::string front_desk_sid_;
  std::string support_sid_;
};

// The line of `table` about the twilio row of `e164`.
std::string twilio_row(const std::string& table, const std::string& e164) {
  for (std::size_t at = table.find("twilio "); at != std::string::npos; at = table.find("twilio ", at + 1)) {
    const auto end = table.find('\n', at);
    const auto line = table.substr(at, end - at);
    if (line.find(e164 + " ") != std::string::npos) return line;
  }
  return {};
}

TEST_F(BinaryTwilioProvision, FreshRunUpdatesRerunWritesNothingDriftIsPutBack) {
  const auto fresh = provision();
  EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_NE(twilio_row(fresh.output, kFrontDesk).find("updated"), std::string::npos) << fresh.output;
  EXPECT_NE(twilio_row(fresh.output, kFrontDesk).find(front_desk_sid_), std::string::npos) << fresh.output;
  EXPECT_NE(twilio_row(fresh.output, kSupport).find("VoiceUrl,VoiceFallbackUrl"), std::string::npos) << fresh.output;
  const auto front_desk = twilio_.number(kFrontDesk);
  EXPECT_EQ(front_desk["voice_url"], kWebhook);
  EXPECT_EQ(front_desk["voice_method"], "POST");
  EXPECT_EQ(front_desk["voice_fallback_url"], "https://fallback.example.com/twiml");
  EXPECT_EQ(twilio_.number(kSupport)["voice_fallback_url"], "https://fallback.example.com/support");
  EXPECT_EQ(twilio_.number("+15550001111999")["voice_url"], "");  // a partial match is left alone
  // The front desk is on the lookup's second page, after the two numbers that merely contain it.
  const auto lines = twilio_.server().call_lines();
  const std::string list = "GET /2010-04-01/Accounts/" + twilio_.options().account_sid + "/IncomingPhoneNumbers.json";
  EXPECT_EQ(std::count(lines.begin(), lines.end(), list), 3) << ::testing::PrintToString(lines);
  // One form POST per number, holding only what differed (the method already was POST).
  const auto writes = twilio_.server().writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].path, "/2010-04-01/Accounts/" + twilio_.options().account_sid + "/IncomingPhoneNumbers/" +
                                front_desk_sid_ + ".json");
  EXPECT_EQ(writes[0].body,
            "VoiceUrl=https%3A%2F%2Fvoice.example.com%2Fredirect_call&VoiceFallbackUrl=https%3A%2F%2Ffallback.example."
            "com%2Ftwiml");

  twilio_.server().clear_calls();
  const auto rerun = provision();
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(twilio_row(rerun.output, kFrontDesk).find("unchanged"), std::string::npos) << rerun.output;
  EXPECT_NE(twilio_row(rerun.output, kSupport).find("unchanged"), std::string::npos) << rerun.output;
  EXPECT_TRUE(twilio_.server().writes().empty());

  // Someone points the front desk elsewhere in the Console.
  twilio_.change_number(kFrontDesk, {{"voice_url", "https://demo.twil.io/hello"}});
  const auto dry = provision({}, true);
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(twilio_row(dry.output, kFrontDesk).find("would update"), std::string::npos) << dry.output;
  EXPECT_NE(twilio_row(dry.output, kFrontDesk).find("VoiceUrl"), std::string::npos) << dry.output;
  EXPECT_TRUE(twilio_.server().writes().empty());
  const auto drift = provision();
  EXPECT_EQ(drift.exit_code, 0) << drift.output;
  EXPECT_NE(twilio_row(drift.output, kFrontDesk).find("updated"), std::string::npos) << drift.output;
  EXPECT_NE(twilio_row(drift.output, kSupport).find("unchanged"), std::string::npos) << drift.output;
  ASSERT_EQ(twilio_.server().writes().size(), 1u);
  EXPECT_EQ(twilio_.server().writes()[0].body, "VoiceUrl=https%3A%2F%2Fvoice.example.com%2Fredirect_call");
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], kWebhook);
}

// With Basic credentials, the VoiceUrl carries them (Twilio authenticates with those of the URL),
// and neither the table nor the log shows the password.
TEST_F(BinaryTwilioProvision, BasicCredentialsGoIntoTheVoiceUrl) {
  json config = config_for(synthflow_, twilio_);
  config["twilio"]["webhook_user"] = "twilio-hook";
  const auto result = provision_config(config, {{"TWILIO_WEBHOOK_PASSWORD", "hook-pass-77aa"}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], "https://twilio-hook:hook-pass-77aa@voice.example.com/redirect_call");
  EXPECT_EQ(result.output.find("hook-pass-77aa"), std::string::npos) << result.output;
  // A rerun compares with the same URL: nothing to write.
  twilio_.server().clear_calls();
  const auto rerun = provision_config(config, {{"TWILIO_WEBHOOK_PASSWORD", "hook-pass-77aa"}});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_TRUE(twilio_.server().writes().empty()) << rerun.output;
}

TEST_F(BinaryTwilioProvision, MissingNumberIsAnErrorAndTheOtherIsStillDone) {
  auto config = config_for(synthflow_, twilio_);
  config["numbers"][0]["phone_number"] = "+15550003333";
  const auto result = provision_config(config);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(twilio_row(result.output, "+15550003333").find("failed"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("twilio number +15550003333 failed: is not in account " + twilio_.options().account_sid),
            std::string::npos)
      << result.output;
  EXPECT_NE(twilio_row(result.output, kSupport).find("updated"), std::string::npos) << result.output;
  EXPECT_EQ(twilio_.number(kSupport)["voice_url"], kWebhook);
}

TEST_F(BinaryTwilioProvision, NumberOnATrunkIsAnErrorSayingWhatToDo) {
  twilio_.change_number(kFrontDesk, {{"trunk_sid", "TK0123456789abcdef0123456789abcdef"}});
  const auto result = provision();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("twilio number " + kFrontDesk +
                               " failed: is on SIP trunk TK0123456789abcdef0123456789abcdef, so Twilio ignores its "
                               "VoiceUrl: remove it from the trunk"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], "");
  EXPECT_EQ(twilio_.number(kSupport)["voice_url"], kWebhook);
  // Synthflow's side does not depend on Twilio's.
  EXPECT_NE(result.output.find("agent   " + kFrontDesk), std::string::npos) << result.output;
}

TEST_F(BinaryTwilioProvision, RejectedCredentialsShowTwiliosErrorNotTheSecret) {
  const auto start = std::chrono::steady_clock::now();
  const auto result = provision({{"TWILIO_AUTH_TOKEN", "wrong-token-DO-NOT-LOG"}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // a 401 is not retried
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("GET IncomingPhoneNumbers.json?PhoneNumber=" + kFrontDesk +
                               " failed: HTTP 401: Authenticate (code 20003, https://www.twilio.com/docs/errors/20003)"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("wrong-token-DO-NOT-LOG"), std::string::npos) << result.output;
  EXPECT_TRUE(twilio_.server().writes().empty());
}

TEST_F(BinaryTwilioProvision, ApiKeyIsUsedWhenSet) {
  const auto result = provision({{"TWILIO_AUTH_TOKEN", ""},
                                 {"TWILIO_API_KEY", twilio_.options().api_key},
                                 {"TWILIO_API_SECRET", twilio_.options().api_secret}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], kWebhook);
}

TEST_F(BinaryTwilioProvision, TooManyRequestsWaitsForRetryAfter) {
  test::fake_fault busy;
  busy.method = "GET";
  busy.status = 429;
  busy.retry_after = "1";
  busy.body = R"({"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429})";
  twilio_.server().add_fault(busy);
  auto config = config_for(synthflow_, twilio_);
  config["twilio"]["max_backoff_ms"] = 2000;  // Retry-After is honoured up to the cap
  const auto start = std::chrono::steady_clock::now();
  const auto result = provision_config(config);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);  // backoff alone is 100-200 ms
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("HTTP 429: Too Many Requests (code 20429"), std::string::npos) << result.output;
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], kWebhook);
}

// A server whose pages point back at themselves would be read for ever: the repeat is noticed on
// the next page and the number's row fails naming it.
TEST_F(BinaryTwilioProvision, APageThatPointsBackStopsThePaging) {
  const std::string loop = "/2010-04-01/Accounts/" + twilio_.options().account_sid +
                           "/IncomingPhoneNumbers.json?PhoneNumber=%2B1&PageSize=2&Page=1&PageToken=PAloop";
  test::fake_fault endless;
  endless.method = "GET";
  endless.times = 1000;
  endless.status = 200;
  endless.body = nlohmann::json{{"incoming_phone_numbers", nlohmann::json::array()}, {"page", 1}, {"page_size", 2},
                                {"uri", loop}, {"first_page_uri", loop}, {"previous_page_uri", nullptr},
                                {"next_page_uri", loop}, {"start", 0}, {"end", 0}}
                     .dump();
  twilio_.server().add_fault(endless);
  const auto result = provision();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("points back to a page already read; stopped paging"), std::string::npos)
      << result.output;
  EXPECT_LE(twilio_.server().calls().size(), 6u) << "two pages per number, no more";
}

TEST_F(BinaryTwilioProvision, ServiceUnavailableTwiceIsRetried) {
  test::fake_fault outage;
  outage.method = "POST";
  outage.times = 2;
  outage.body = R"({"code": 20500, "message": "Internal Server Error", "status": 503})";
  twilio_.server().add_fault(outage);
  const auto result = provision();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(twilio_.server().writes().size(), 4u);  // two refused, then one per number
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], kWebhook);
  EXPECT_NE(twilio_row(result.output, kFrontDesk).find("updated"), std::string::npos) << result.output;
}

TEST_F(BinaryTwilioProvision, DroppedConnectionIsRetried) {
  test::fake_fault drop;
  drop.what = test::fake_fault::kind::close;
  twilio_.server().add_fault(drop);
  const auto result = provision();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], kWebhook);
}

TEST_F(BinaryTwilioProvision, TwilioOutageDoesNotStopSynthflow) {
  test::fake_fault outage;
  outage.times = 1000;
  twilio_.server().add_fault(outage);
  const auto result = provision();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("(gave up after 3 attempts)"), std::string::npos) << result.output;
  EXPECT_EQ(synthflow_.writes().size(), 4u);  // both numbers and both agents created
}

TEST_F(BinaryTwilioProvision, ManagedNumbersNeedPublicUrlAndCredentials) {
  auto config = config_for(synthflow_, twilio_);
  config["twilio"].erase("public_url");
  auto result = provision_config(config);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("twilio.public_url: is required when Twilio numbers are managed"), std::string::npos)
      << result.output;
  result = provision({{"TWILIO_AUTH_TOKEN", ""}});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("TWILIO_API_KEY and TWILIO_API_SECRET, or TWILIO_AUTH_TOKEN"),
            std::string::npos)
      << result.output;
  EXPECT_TRUE(twilio_.server().calls().empty());
  // Turned off, Twilio is not asked at all.
  config = config_for(synthflow_, twilio_);
  config["twilio"]["manage_numbers"] = "false";
  config["twilio"].erase("public_url");
  result = provision_config(config, {{"TWILIO_AUTH_TOKEN", ""}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(twilio_row(result.output, kFrontDesk), "");
  EXPECT_TRUE(twilio_.server().calls().empty());
}

TEST_F(BinaryTwilioProvision, NumbersWithoutAgentsNeedOnlyTwilio) {
  auto config = config_for(synthflow_, twilio_);
  for (auto& number : config["numbers"]) number.erase("agent");
  const auto result = provision_config(config, {{"SYNTHFLOW_API_KEY", ""}});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(twilio_row(result.output, kFrontDesk).find("updated"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("agent "), std::string::npos) << result.output;
  EXPECT_TRUE(synthflow_.calls().empty());
  EXPECT_EQ(twilio_.number(kSupport)["voice_url"], kWebhook);
}

TEST_F(BinaryTwilioProvision, ServeStopsWhenTwilioRefusesTheCredentials) {
  temp_file config("config.json", config_for(synthflow_, twilio_).dump());
  child_process child(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()},
                      env({{"TWILIO_AUTH_TOKEN", "revoked-token-DO-NOT-LOG"}}));
  EXPECT_EQ(child.wait_for_exit(10s), 1) << child.output();
  EXPECT_NE(child.output().find("twilio provisioning failed"), std::string::npos) << child.output();
  EXPECT_NE(child.output().find("HTTP 401: Authenticate (code 20003"), std::string::npos) << child.output();
  EXPECT_EQ(child.output().find("revoked-token-DO-NOT-LOG"), std::string::npos);
}

TEST(BinaryTwilioProvisionTls, VerifiedHttpsWithThePrivateCa) {
  test::fake_synthflow_options synthflow_options;
  synthflow_options.api_key = std::string(kSynthflowKey);
  test::fake_synthflow synthflow(synthflow_options);
  test::fake_twilio_options options;
  options.tls = true;
  test::fake_twilio twilio(options);
  twilio.seed_number(kFrontDesk);
  twilio.seed_number(kSupport);
  auto config = config_for(synthflow, twilio);
  const std::map<std::string, std::string> env{{"SYNTHFLOW_API_KEY", std::string(kSynthflowKey)},
                                               {"TWILIO_AUTH_TOKEN", options.auth_token},
                                               {"PORT", ""}, {"HOST", ""}, {"PUBLIC_URL", ""}};
  // Without the CA the certificate is refused, and not retried.
  temp_file untrusted("untrusted.json", config.dump());
  auto result = run_binary({"provision", "--config", untrusted.path().string()}, env);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("not trusted"), std::string::npos) << result.output;
  EXPECT_TRUE(twilio.server().calls().empty());

  config["twilio"]["ca_file"] = twilio.ca_file().string();
  temp_file trusted("trusted.json", config.dump());
  result = run_binary({"provision", "--config", trusted.path().string()}, env);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(twilio.number(kFrontDesk)["voice_url"], kWebhook);
}

TEST_F(BinaryTwilioProvision, ServeWaitsForBothAndShowsEachInMetrics) {
  // Twilio answers 503 for a while: Synthflow is done, the service is not ready until Twilio is.
  test::fake_fault outage;
  outage.times = 6;  // two rounds of three attempts
  twilio_.server().add_fault(outage);
  temp_file config("config.json", config_for(synthflow_, twilio_).dump());
  child_process child(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env());
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  std::string metrics;
  ASSERT_TRUE(wait_until(
      [&] {
        metrics = http_get(port, "/metrics").body();
        return metrics.find(R"(twiml_redirect_provisioning_state{api="synthflow",state="succeeded"} 1)") !=
               std::string::npos;
      },
      10s, "Synthflow provisioned"))
      << metrics << child.output();
  const auto readyz = http_get(port, "/readyz");
  if (twilio_.number(kFrontDesk)["voice_url"] != kWebhook) {
    EXPECT_EQ(readyz.result_int(), 503u) << readyz.body();
    EXPECT_NE(readyz.body().find("twilio provisioning"), std::string::npos) << readyz.body();
  }
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/readyz").result_int() == 200; }, 20s, "/readyz to answer 200"))
      << child.output();
  metrics = http_get(port, "/metrics").body();
  EXPECT_NE(metrics.find(R"(twiml_redirect_provisioning_state{api="twilio",state="succeeded"} 1)"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(twiml_redirect_provisioning_last_error_info{api="twilio",error=)"), std::string::npos)
      << metrics;
  EXPECT_EQ(twilio_.number(kFrontDesk)["voice_url"], kWebhook);
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
  EXPECT_EQ(child.output().find(twilio_.options().auth_token), std::string::npos);
}

}  // namespace
}  // namespace twiml_redirect::testing
