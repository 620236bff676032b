// simulate's pure parts: reading TwiML, parsing --outcomes, resolving callback URLs, and the
// scenarios --all plays for a configuration.

#include <gtest/gtest.h>

#include "twiml_redirect/app/simulate.hpp"

namespace twiml_redirect::app {
namespace {

TEST(SimulateTwimlTest, ReadsTheServicesDialWithEscapedSipUri) {
  const auto parsed = parse_twiml(
      R"(<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="dial_action?step=0" referUrl="refer">)"
      R"(<Sip>sip:+14155550100@sip.us.synthflow.ai:32681?X-EI=CA1&amp;X-Business=A%20B</Sip></Dial></Response>)");
  ASSERT_TRUE(std::holds_alternative<std::vector<twiml_element>>(parsed)) << std::get<std::string>(parsed);
  const auto& verbs = std::get<std::vector<twiml_element>>(parsed);
  ASSERT_EQ(verbs.size(), 1u);
  EXPECT_EQ(verbs[0].name, "Dial");
  EXPECT_EQ(verbs[0].attribute("action"), "dial_action?step=0");
  EXPECT_EQ(verbs[0].attribute("referUrl"), "refer");
  ASSERT_EQ(verbs[0].children.size(), 1u);
  EXPECT_EQ(verbs[0].children[0].text, "sip:+14155550100@sip.us.synthflow.ai:32681?X-EI=CA1&X-Business=A%20B");
  EXPECT_EQ(summarize_twiml(verbs),
            "dial SIP sip:+14155550100@sip.us.synthflow.ai:32681?X-EI=CA1&X-Business=A%20B, action dial_action?step=0, "
            "referUrl refer");
}

TEST(SimulateTwimlTest, ReadsSayHangupAndTheEmptyResponse) {
  const auto parsed = parse_twiml(R"(<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-GB">)"
                                  R"(Sorry &amp; goodbye&#xD;</Say><Hangup/></Response>)");
  const auto& verbs = std::get<std::vector<twiml_element>>(parsed);
  ASSERT_EQ(verbs.size(), 2u);
  EXPECT_EQ(verbs[0].text, "Sorry & goodbye\r");
  EXPECT_EQ(verbs[0].attribute("language"), "en-GB");
  EXPECT_EQ(verbs[1].name, "Hangup");
  const auto empty = parse_twiml(R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
  EXPECT_TRUE(std::get<std::vector<twiml_element>>(empty).empty());
}

TEST(SimulateTwimlTest, RefusesWhatIsNotTwiml) {
  for (std::string_view bad : {"Not found: /x", "<Response><Dial></Response>", "<Other/>", "<Response>&bogus;</Response>",
                               "<Response><Say>x</Say></Response>trailing", "<Response a=b/>"}) {
    const auto parsed = parse_twiml(bad);
    EXPECT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
  }
}

TEST(SimulateOutcomesTest, ParsesStatusesAndSipCodes) {
  const auto parsed = parse_outcomes("failed:503,busy,completed");
  const auto& outcomes = std::get<std::vector<dial_outcome>>(parsed);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].status, "failed");
  EXPECT_EQ(outcomes[0].sip_code, "503");
  EXPECT_EQ(outcomes[1].status, "busy");
  EXPECT_EQ(outcomes[1].sip_code, "");
  EXPECT_EQ(outcomes[2].status, "completed");
}

TEST(SimulateOutcomesTest, NamesWhatIsWrong) {
  EXPECT_NE(std::get<std::string>(parse_outcomes("ringing")).find("unknown outcome 'ringing'"), std::string::npos);
  EXPECT_NE(std::get<std::string>(parse_outcomes("failed:99")).find("100 to 699"), std::string::npos);
  EXPECT_NE(std::get<std::string>(parse_outcomes("failed:5031")).find("100 to 699"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_outcomes("")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_outcomes("completed,,busy")));
}

TEST(SimulateCallbackTest, ResolvesRelativeToTheRequestPath) {
  EXPECT_EQ(resolve_callback("/redirect_call", "dial_action?step=1"), "/dial_action?step=1");
  EXPECT_EQ(resolve_callback("/voice/redirect_call", "refer"), "/voice/refer");
  EXPECT_EQ(resolve_callback("/voice/redirect_call", "/other"), "/other");
  EXPECT_EQ(resolve_callback("/redirect_call", "https://example.com/x/y?z=1"), "/x/y?z=1");
}

config::service_config two_numbers() {
  config::service_config config;
  config::number_config person_then_message;
  person_then_message.phone_number = "+14155550101";
  config::failover_step person, message;
  person.dial_number = "+14155550199";
  message.say = "Sorry";
  person_then_message.failover = std::vector<config::failover_step>{person, message};
  person_then_message.transfer.allow = std::vector<std::string>{"+14155*", "sip:*@pbx.example.com"};
  config::number_config plain;
  plain.phone_number = "+14155550100";
  config.numbers = {person_then_message, plain};
  return config;
}

TEST(SimulateScenariosTest, EveryChainToItsEndEveryAllowEntryAndOneRefusal) {
  const std::vector<scenario> calls = all_scenarios(two_numbers());
  std::vector<std::string> seen;
  for (const scenario& call : calls) {
    std::string line = call.called + " ";
    for (const dial_outcome& o : call.outcomes) line += o.status + (o.sip_code.empty() ? "" : ":" + o.sip_code) + " ";
    line += call.refer.value_or("-");
    seen.push_back(line);
  }
  // Sorted by number; +14155550100 has one dial (the agent) and no allow-list.
  const std::vector<std::string> expected = {
      "+14155550100 completed -",
      "+14155550100 busy:486 -",
      "+14155550100 completed tel:+19005550199",
      "+14155550101 completed -",
      "+14155550101 busy:486 completed -",
      "+14155550101 busy:486 no-answer -",
      "+14155550101 completed tel:+14155555012",
      "+14155550101 completed sip:desk@pbx.example.com",
      "+14155550101 completed tel:+19005550199",
  };
  EXPECT_EQ(seen, expected);
}

TEST(SimulateScenariosTest, TheRefusedTargetIsOneTheListRefuses) {
  config::service_config config = two_numbers();
  config.numbers[1].transfer.allow = std::vector<std::string>{"+1*"};
  const std::vector<scenario> calls = all_scenarios(config);
  ASSERT_EQ(calls.size(), 10u);
  EXPECT_EQ(calls[2].refer.value_or(""), "tel:+15550123456");  // allowed by "+1*"
  EXPECT_EQ(calls[3].refer.value_or(""), "sip:someone@refused.invalid");
}

}  // namespace
}  // namespace twiml_redirect::app
