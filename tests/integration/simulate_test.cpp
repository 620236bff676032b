// `twiml-redirect simulate` through the real binary: --all over the shipped example configs, one
// call with chosen outcomes and a transfer, and --url against a running instance that checks
// signatures (so a wrong token shows as an error answer).

#include <gtest/gtest.h>

#include "support/child_process.hpp"

namespace twiml_redirect::testing {
namespace {

const std::string kExamples = TWIML_SOURCE_DIR "/config/";

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(SimulateBinary, AllPlaysEveryExampleConfigWithoutAnErrorAnswer) {
  const auto env = clean_env({{"TWILIO_AUTH_TOKEN", "example-token"}, {"TRUNK_PWD_FRONT_DESK", "x"}});
  for (const char* name : {"example-with-number.json", "example-two-regions.json", "twiml-redirect.json"}) {
    const auto result = run_binary({"simulate", "--all", "--brief", "--config", kExamples + name}, env);
    EXPECT_EQ(result.exit_code, 0) << name << ": " << result.output;
    EXPECT_EQ(count(result.output, "  ERROR "), 0u) << name;
    EXPECT_NE(result.output.find("end: agent answered"), std::string::npos) << name;
    EXPECT_NE(result.output.find("end: transfer refused"), std::string::npos) << name;
  }
  // Two regions: 3 numbers, each a chain of agent, person, message (3 plays: the agent answers, the
  // person answers, both fail), one allowed transfer entry and one refused target: 15 scenarios.
  const auto regions = run_binary({"simulate", "--all", "--config", kExamples + "example-two-regions.json"}, env);
  EXPECT_EQ(count(regions.output, " [in-process]\n"), 15u) << regions.output;  // one heading per call
  EXPECT_EQ(count(regions.output, "end: person answered"), 6u) << regions.output;  // 3 failovers + 3 transfers
  EXPECT_EQ(count(regions.output, "end: message played, hung up"), 3u) << regions.output;
  EXPECT_EQ(count(regions.output, "end: transfer refused"), 3u) << regions.output;
  EXPECT_NE(regions.output.find("Twilio dials the person +442071838799: completed"), std::string::npos);
}

TEST(SimulateBinary, FailoverToAPersonShowsEachRequestAndAnswer) {
  const auto env = clean_env({{"TWILIO_AUTH_TOKEN", "example-token"}});
  const auto result = run_binary({"simulate", "--config", kExamples + "example-two-regions.json", "--number",
                                  "+14155550100", "--outcomes", "failed:503,completed"},
                                 env);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const std::vector<std::string_view> in_order = {
      "> POST /redirect_call  Called=+14155550100",
      "< 200 <?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial action=\"dial_action?step=0\"",
      "Twilio dials the agent sip:+14155550100@sip.us.synthflow.ai:32681",
      ": failed (SIP 503)",
      "> POST /dial_action?step=0  DialCallStatus=failed  DialSipResponseCode=503",
      "<Number>+14155550199</Number>",
      "Twilio dials the person +14155550199: completed",
      "> POST /dial_action?step=1  DialCallStatus=completed",
      "end: person answered"};
  std::size_t at = 0;
  for (std::string_view part : in_order) {
    const std::size_t found = result.output.find(part, at);
    ASSERT_NE(found, std::string::npos) << "missing after offset " << at << ": " << part << "\n" << result.output;
    at = found + part.size();
  }
}

TEST(SimulateBinary, RefusedTransferAndBadInputs) {
  const auto env = clean_env({{"TWILIO_AUTH_TOKEN", "example-token"}});
  const std::string regions = kExamples + "example-two-regions.json";
  const auto refused =
      run_binary({"simulate", "--config", regions, "--number", "+14155550100", "--refer", "tel:+19005550199"}, env);
  EXPECT_EQ(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("> POST /refer  ReferTransferTarget=<tel:+19005550199>"), std::string::npos);
  EXPECT_NE(refused.output.find("end: transfer refused"), std::string::npos) << refused.output;

  const auto allowed = run_binary(
      {"simulate", "--config", regions, "--number", "+14155550100", "--refer", "sip:desk@pbx.example.com"}, env);
  EXPECT_NE(allowed.output.find("<Sip>sip:desk@pbx.example.com</Sip>"), std::string::npos) << allowed.output;
  EXPECT_NE(allowed.output.find("end: person answered"), std::string::npos) << allowed.output;

  // The service answers 400 for a Called that is not E.164: an error answer, exit 1.
  const auto bad_number = run_binary({"simulate", "--config", regions, "--number", "4155550100"}, env);
  EXPECT_EQ(bad_number.exit_code, 1) << bad_number.output;
  EXPECT_NE(bad_number.output.find("end: error answer: HTTP 400"), std::string::npos) << bad_number.output;

  const auto usage = run_binary({"simulate", "--config", regions, "--number", "+14155550100", "--outcomes", "ringing"}, env);
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_NE(usage.output.find("unknown outcome 'ringing'"), std::string::npos) << usage.output;
  EXPECT_EQ(run_binary({"simulate", "--config", regions}, env).exit_code, 2);
  EXPECT_EQ(run_binary({"twiml", "--called", "+14155550100", "--all", "--config", regions}, env).exit_code, 2);
}

TEST(SimulateBinary, UrlPlaysARunningInstanceSigned) {
  const temp_file config("signed.json", R"({
    "server": {"host": "127.0.0.1", "port": 0, "threads": 1},
    "twilio": {"require_signature": true, "public_url": "https://voice.example.com/voice"},
    "failover": [{"dial_number": "+14155550199"}],
    "transfer": {"allow": ["+14155*"]},
    "numbers": [{"phone_number": "+14155550100"}]
  })");
  child_process server(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()},
                       clean_env({{"TWILIO_AUTH_TOKEN", "the-right-token"}}));
  const std::uint16_t port = server.wait_for_listening_port();
  ASSERT_NE(port, 0) << server.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/voice";

  const auto played = run_binary({"simulate", "--config", config.path().string(), "--url", url, "--number",
                                  "+14155550100", "--outcomes", "busy,completed", "--brief"},
                                 clean_env({{"TWILIO_AUTH_TOKEN", "the-right-token"}}));
  EXPECT_EQ(played.exit_code, 0) << played.output;
  EXPECT_NE(played.output.find("[" + url + "]"), std::string::npos) << played.output;
  EXPECT_NE(played.output.find("> POST /dial_action?step=0  DialCallStatus=busy"), std::string::npos);
  EXPECT_NE(played.output.find("end: person answered"), std::string::npos) << played.output;

  const auto all = run_binary({"simulate", "--config", config.path().string(), "--url", url, "--all", "--brief"},
                              clean_env({{"TWILIO_AUTH_TOKEN", "the-right-token"}}));
  EXPECT_EQ(all.exit_code, 0) << all.output;

  // Signed with another token: the instance refuses it, and simulate says so.
  const auto forged = run_binary({"simulate", "--config", config.path().string(), "--url", url, "--number",
                                  "+14155550100"},
                                 clean_env({{"TWILIO_AUTH_TOKEN", "a-wrong-token"}}));
  EXPECT_EQ(forged.exit_code, 1) << forged.output;
  EXPECT_NE(forged.output.find("end: error answer: HTTP 403"), std::string::npos) << forged.output;

  const auto unreachable = run_binary({"simulate", "--config", config.path().string(), "--url", "http://127.0.0.1:1",
                                       "--number", "+14155550100"},
                                      clean_env({{"TWILIO_AUTH_TOKEN", "the-right-token"}}));
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find("end: error: no answer"), std::string::npos) << unreachable.output;
}

}  // namespace
}  // namespace twiml_redirect::testing
