// What a command needs beyond a valid file, through the real binary: check-config agrees with
// serve, names every missing secret at once (a warning, or exit 2 with --strict), and provision
// (also --dry-run) names them all in one run before calling anyone.
#include <gtest/gtest.h>

#include <string>

#include "support/child_process.hpp"

namespace twiml_redirect::testing {
namespace {

// No secret from the machine running the tests leaks in.
std::map<std::string, std::string> no_secrets(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env{{"SYNTHFLOW_API_KEY", ""}, {"TRUNK_PWD_FRONT_DESK", ""},
                                         {"CALL_CONTEXT_TOKEN", ""}, {"TWILIO_API_KEY", ""},
                                         {"TWILIO_API_SECRET", ""},  {"TWILIO_ACCOUNT_SID", ""}};
  for (auto& [name, value] : extra) env[name] = value;
  return clean_env(std::move(env));
}

const std::string kExampleWithNumber = TWIML_SOURCE_DIR "/config/example-with-number.json";
const std::string kExampleTwoRegions = TWIML_SOURCE_DIR "/config/example-two-regions.json";

constexpr std::string_view kWithNumberMissing =
    "serve needs these environment variables, which are not set: TWILIO_AUTH_TOKEN (twilio.require_signature is "
    "true; TWILIO_SHARED_KEYS also satisfies it), SYNTHFLOW_API_KEY (a number has an agent and synthflow.provision_on_start is true), "
    "TRUNK_PWD_FRONT_DESK (numbers[0].trunk_pwd_env)";

TEST(Preconditions, ShippedExamplesPassCheckConfigWithoutSecretsWarningOfEachOne) {
  const auto with_number = run_binary({"check-config", "--config", kExampleWithNumber}, no_secrets());
  EXPECT_EQ(with_number.exit_code, 0) << with_number.output;
  EXPECT_NE(with_number.output.find("warning: " + std::string(kWithNumberMissing)), std::string::npos)
      << with_number.output;
  EXPECT_NE(with_number.output.find("\"routes\""), std::string::npos) << "the config is still shown";

  const auto regions = run_binary({"check-config", "--config", kExampleTwoRegions}, no_secrets());
  EXPECT_EQ(regions.exit_code, 0) << regions.output;
  EXPECT_NE(regions.output.find("warning: serve needs this environment variable, which is not set: TWILIO_AUTH_TOKEN "
                                "(twilio.require_signature is true; TWILIO_SHARED_KEYS also satisfies it)"),
            std::string::npos)
      << regions.output;
}

TEST(Preconditions, StrictCheckConfigFailsNamingAllMissingSecretsInOneMessage) {
  const auto with_number = run_binary({"check-config", "--strict", "--config", kExampleWithNumber}, no_secrets());
  EXPECT_EQ(with_number.exit_code, 2) << with_number.output;
  EXPECT_NE(with_number.output.find("config error: " + std::string(kWithNumberMissing) + "\n"), std::string::npos)
      << with_number.output;

  const auto regions = run_binary({"check-config", "--strict", "--config", kExampleTwoRegions}, no_secrets());
  EXPECT_EQ(regions.exit_code, 2) << regions.output;
  EXPECT_NE(regions.output.find("config error: serve needs this environment variable, which is not set: "
                                "TWILIO_AUTH_TOKEN"),
            std::string::npos)
      << regions.output;

  // With the secrets, --strict passes and warns of nothing.
  const auto set = run_binary({"check-config", "--strict", "--config", kExampleWithNumber},
                              no_secrets({{"TWILIO_AUTH_TOKEN", "t"},
                                          {"SYNTHFLOW_API_KEY", "k"},
                                          {"TRUNK_PWD_FRONT_DESK", "p"}}));
  EXPECT_EQ(set.exit_code, 0) << set.output;
  EXPECT_EQ(set.output.find("warning"), std::string::npos) << set.output;
}

// The config check-config used to call OK while serve refused it: a number with an agent and no key.
TEST(Preconditions, CheckConfigAndServeAgreeOnANumberWithAnAgentAndNoKey) {
  temp_file config("agent.json", R"({"server":{"host":"127.0.0.1","port":0},
    "synthflow":{"workspace_id":"W1"},"numbers":[{"phone_number":"+14155550100","synthflow":{"termination_uri":"acme.pstn.twilio.com"},"agent":{"name":"Desk"}}]})");
  const std::string missing =
      "needs this environment variable, which is not set: SYNTHFLOW_API_KEY (a number has an agent and "
      "synthflow.provision_on_start is true)";
  const auto strict = run_binary({"check-config", "--strict", "--config", config.path().string()}, no_secrets());
  EXPECT_EQ(strict.exit_code, 2) << strict.output;
  EXPECT_NE(strict.output.find(missing), std::string::npos) << strict.output;
  const auto serve = run_binary({"serve", "--config", config.path().string()}, no_secrets());
  EXPECT_EQ(serve.exit_code, 2) << serve.output;
  EXPECT_NE(serve.output.find(missing), std::string::npos) << serve.output;
}

// A setting (not a secret) that serve needs is the file's fault: exit 2 even without --strict.
TEST(Preconditions, MissingWorkspaceIsAConfigErrorForCheckConfig) {
  temp_file config("agent.json", R"({"numbers":[{"phone_number":"+14155550100","synthflow":{"termination_uri":"acme.pstn.twilio.com"},"agent":{"name":"Desk"}}]})");
  const auto result = run_binary({"check-config", "--config", config.path().string()}, no_secrets());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("config error: synthflow.workspace_id: is required when a number has an agent"),
            std::string::npos)
      << result.output;
}

TEST(Preconditions, ProvisionDryRunNamesEveryMissingSecretInOneRun) {
  const auto result = run_binary({"provision", "--dry-run", "--config", kExampleWithNumber}, no_secrets());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("config error: provision --dry-run needs these environment variables, which are not "
                               "set: SYNTHFLOW_API_KEY (a number has an agent), TRUNK_PWD_FRONT_DESK "
                               "(numbers[0].trunk_pwd_env)\n"),
            std::string::npos)
      << result.output;
}

TEST(Preconditions, ProvisionSaysNumbersHaveNoAgentsRatherThanNoNumbers) {
  const auto result = run_binary({"provision", "--dry-run", "--config", kExampleTwoRegions}, no_secrets());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("3 number(s) configured but no agents (numbers[].agent)"), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("no numbers configured"), std::string::npos) << result.output;
}

TEST(Preconditions, StrictGoesOnlyWithCheckConfig) {
  const auto result = run_binary({"serve", "--strict"}, no_secrets());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("--strict goes with the check-config command"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace twiml_redirect::testing
