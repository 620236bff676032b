// The binary's provision and serve commands against the fake Synthflow, as an operator runs them.
#include <signal.h>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/fake_synthflow.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kApiKey = "sk-test-DO-NOT-LOG-4711";

std::string config_for(const test::fake_synthflow& fake, bool provision_on_start = true) {
  nlohmann::json config = {
      {"server", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 1}}},
      {"synthflow",
       {{"api_url", fake.api_url()},
        {"workspace_id", fake.options().workspace_id},
        {"provision_on_start", provision_on_start},
        {"request_timeout_ms", 2000},
        {"max_attempts", 3},
        {"initial_backoff_ms", 200},
        {"max_backoff_ms", 400},
        {"numbers",
         {{{"phone_number", "+15550001111"},
           {"friendly_name", "Front desk line"},
           {"synthflow", {{"termination_uri", "acme.pstn.twilio.com"}}},
           {"agent",
            {{"name", "Front desk"},
             {"prompt", "Be helpful"},
             {"greeting_message", "Hello"},
             {"llm", "gpt-4.1"},
             {"language", "en-US"},
             {"voice_id", "v1"}}}}}}}}};
  return config.dump();
}

std::map<std::string, std::string> env_with_key(std::string_view key = kApiKey) {
  return {{"SYNTHFLOW_API_KEY", std::string(key)}, {"PORT", ""}, {"HOST", ""}, {"TWILIO_AUTH_TOKEN", ""}};
}

test::fake_synthflow make_fake() {
  test::fake_synthflow_options options;
  options.api_key = std::string(kApiKey);
  return test::fake_synthflow(options);
}

TEST(BinaryProvision, FreshRunCreatesThenRerunChangesNothing) {
  test::fake_synthflow fake = make_fake();
  temp_file config("config.json", config_for(fake));
  const auto fresh = run_binary({"provision", "--config", config.path().string()}, env_with_key());
  EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_NE(fresh.output.find("created"), std::string::npos) << fresh.output;
  EXPECT_EQ(fake.writes().size(), 2u);  // one number POST, one agent POST

  fake.clear_calls();
  const auto rerun = run_binary({"provision", "--config", config.path().string()}, env_with_key());
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_EQ(rerun.output.find("created"), std::string::npos) << rerun.output;
  EXPECT_NE(rerun.output.find("unchanged"), std::string::npos) << rerun.output;
  EXPECT_TRUE(fake.writes().empty());
  EXPECT_EQ(fresh.output.find(kApiKey), std::string::npos);
  EXPECT_EQ(rerun.output.find(kApiKey), std::string::npos);
}

TEST(BinaryProvision, DryRunWritesNothing) {
  test::fake_synthflow fake = make_fake();
  temp_file config("config.json", config_for(fake));
  const auto dry = run_binary({"provision", "--dry-run", "--config", config.path().string()}, env_with_key());
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_TRUE(fake.writes().empty());
  EXPECT_NE(dry.output.find("dry run"), std::string::npos) << dry.output;
}

TEST(BinaryProvision, MissingApiKeyExits2) {
  test::fake_synthflow fake = make_fake();
  temp_file config("config.json", config_for(fake));
  const auto result = run_binary({"provision", "--config", config.path().string()}, env_with_key(""));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("SYNTHFLOW_API_KEY"), std::string::npos) << result.output;
  EXPECT_TRUE(fake.calls().empty());
}

TEST(BinaryProvision, RejectedKeyExits1NamingCallAndStatusNotKey) {
  test::fake_synthflow fake = make_fake();
  temp_file config("config.json", config_for(fake));
  const auto start = std::chrono::steady_clock::now();
  const auto result = run_binary({"provision", "--config", config.path().string()}, env_with_key("sk-wrong-key-0815"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("401"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("/numbers/15550001111"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("sk-wrong-key-0815"), std::string::npos) << result.output;
}

TEST(BinaryServe, LastErrorShowsWhileTransientFailuresLast) {
  test::fake_synthflow fake = make_fake();
  test::fake_fault outage;  // every call fails with 503 for longer than the test runs
  outage.times = 1000;
  fake.add_fault(outage);
  temp_file config("config.json", config_for(fake));
  child_process child(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env_with_key());
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  // A round is max_attempts (3) calls; after the first failed round the metric must carry its error.
  std::string metrics;
  EXPECT_TRUE(wait_until(
      [&] {
        metrics = http_get(port, "/metrics").body();
        return metrics.find("twiml_redirect_provisioning_last_error_info{api=\"synthflow\",error=") != std::string::npos;
      },
      10s, "the last error in /metrics during the outage"))
      << metrics;
  EXPECT_NE(metrics.find("twiml_redirect_provisioning_state{api=\"synthflow\",state=\"running\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("503"), std::string::npos) << metrics;
  EXPECT_EQ(http_get(port, "/readyz").result_int(), 503u);
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(10s), 0) << child.output();
}

TEST(BinaryServe, ReadyzTurnsReadyOnceProvisioned) {
  test::fake_synthflow fake = make_fake();
  // Synthflow first swallows a request (no answer until the 2 s request timeout), then answers one
  // 503, then recovers. While that first request hangs, provisioning cannot have finished, so the
  // service cannot be ready: the not-ready window is held open by the fake, not by timing.
  test::fake_fault hang;
  hang.what = test::fake_fault::kind::hang;
  fake.add_fault(hang);
  test::fake_fault outage;
  outage.times = 1;
  fake.add_fault(outage);
  temp_file config("config.json", config_for(fake));
  child_process child(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env_with_key());
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  // Webhooks work at once, whatever provisioning is doing.
  EXPECT_EQ(http_get(port, "/redirect_call?Called=%2B15550001111&CallSid=CA1").result_int(), 200u);
  ASSERT_TRUE(wait_until([&] { return !fake.calls().empty(); }, 10s, "provisioning's first call to reach the fake"))
      << child.output();
  const auto not_ready = http_get(port, "/readyz");
  EXPECT_EQ(not_ready.result_int(), 503u) << not_ready.body();
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/readyz").result_int() == 200; }, 20s, "/readyz to answer 200"))
      << child.output();
  EXPECT_EQ(fake.writes().size(), 2u);
  const std::string metrics = http_get(port, "/metrics").body();
  EXPECT_NE(metrics.find("twiml_redirect_provisioning_state{api=\"synthflow\",state=\"succeeded\"} 1"), std::string::npos) << metrics;
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
  EXPECT_EQ(child.output().find(kApiKey), std::string::npos);
}

TEST(BinaryServe, PermanentProvisioningFailureExits1) {
  test::fake_synthflow fake = make_fake();
  temp_file config("config.json", config_for(fake));
  child_process child(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env_with_key("sk-revoked-1234"));
  EXPECT_EQ(child.wait_for_exit(5s), 1) << child.output();
  EXPECT_NE(child.output().find("401"), std::string::npos) << child.output();
  EXPECT_EQ(child.output().find("sk-revoked-1234"), std::string::npos);
}

TEST(BinaryServe, NumbersWithoutKeyExit2UnlessProvisioningIsOff) {
  test::fake_synthflow fake = make_fake();
  temp_file provisioning("on.json", config_for(fake, true));
  EXPECT_EQ(run_binary({"serve", "--config", provisioning.path().string()}, env_with_key("")).exit_code, 2);

  temp_file serve_only("off.json", config_for(fake, false));
  child_process child(TWIML_REDIRECT_BINARY, {"serve", "--config", serve_only.path().string()}, env_with_key(""));
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  EXPECT_EQ(http_get(port, "/readyz").result_int(), 200u);
  EXPECT_TRUE(fake.calls().empty());
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
}

}  // namespace
}  // namespace twiml_redirect::testing
