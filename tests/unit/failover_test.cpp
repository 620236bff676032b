// The pure decisions of the two call callbacks: what the <Dial> action and the referUrl answer.
#include <gtest/gtest.h>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/routing/failover.hpp"
#include "twiml_redirect/routing/transfer.hpp"

namespace twiml_redirect::routing {
namespace {

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kCalled = "+14155550100";
constexpr std::string_view kHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

config::service_config plan_config() {
  const std::string json = R"({
    "sip": {"target": "sip.us.synthflow.ai:32681"},
    "dial": {"timeout_s": 20, "answer_on_bridge": true, "time_limit_s": 3600, "record": "record-from-answer"},
    "failover": [
      {"sip_target": "sip.eu.synthflow.ai:32681"},
      {"dial_number": "+14155550111"},
      {"say": "Sorry & goodbye <now>", "voice": "Polly.Joanna", "language": "en-US"},
      {"redirect": "https://example.com/voicemail?x=1&y=2"}
    ],
    "transfer": {"allow": ["+14155*", "sip:*@pbx.example.com"]}
  })";
  return config::parse_config(json, [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

class FailoverTest : public ::testing::Test {
 protected:
  std::string answer(dial_status status, std::size_t step) {
    return answer_dial_action(status, step, table_.find(kCalled), kCalled, kSid).twiml;
  }
  route_table table_{plan_config()};
};

TEST(DialStatus, ParsesTwiliosWordsOnly) {
  for (const std::string_view word : {"completed", "answered", "canceled", "busy", "no-answer", "failed"}) {
    const auto status = parse_dial_status(word);
    ASSERT_TRUE(status) << word;
    EXPECT_EQ(to_string(*status), word);
  }
  EXPECT_FALSE(parse_dial_status("no_answer"));
  EXPECT_FALSE(parse_dial_status("Busy"));
  EXPECT_FALSE(parse_dial_status(""));
  EXPECT_TRUE(needs_failover(dial_status::busy));
  EXPECT_TRUE(needs_failover(dial_status::no_answer));
  EXPECT_TRUE(needs_failover(dial_status::failed));
  EXPECT_FALSE(needs_failover(dial_status::completed));
  EXPECT_FALSE(needs_failover(dial_status::answered));
  EXPECT_FALSE(needs_failover(dial_status::canceled));
}

TEST(DialStatus, StepAndSipClass) {
  EXPECT_EQ(parse_step("0"), 0u);
  EXPECT_EQ(parse_step("999999"), 999999u);
  EXPECT_FALSE(parse_step("1000000"));
  EXPECT_FALSE(parse_step(""));
  EXPECT_FALSE(parse_step("-1"));
  EXPECT_FALSE(parse_step("+1"));
  EXPECT_FALSE(parse_step("1 "));
  EXPECT_FALSE(parse_step("0x1"));
  EXPECT_EQ(sip_response_class("200"), "2xx");
  EXPECT_EQ(sip_response_class("486"), "4xx");
  EXPECT_EQ(sip_response_class("503"), "5xx");
  EXPECT_EQ(sip_response_class("603"), "6xx");
  EXPECT_EQ(sip_response_class(""), "none");
  EXPECT_EQ(sip_response_class("180"), "none");
  EXPECT_EQ(sip_response_class("4860"), "none");
  EXPECT_EQ(sip_response_class("4a6"), "none");
}

TEST_F(FailoverTest, EndedCallsAreNeverRedialled) {
  for (const dial_status status : {dial_status::completed, dial_status::answered, dial_status::canceled}) {
    const auto result = answer_dial_action(status, 0, table_.find(kCalled), kCalled, kSid);
    EXPECT_EQ(result.twiml, std::string(kHead) + "<Response/>");
    EXPECT_EQ(result.action, "ended");
  }
}

TEST_F(FailoverTest, SipTargetStepDialsTheSameCallElsewhereWithTheNextAction) {
  for (const dial_status status : {dial_status::busy, dial_status::no_answer, dial_status::failed}) {
    EXPECT_EQ(answer(status, 0),
              std::string(kHead) +
                  "<Response><Dial action=\"dial_action?step=1\" timeout=\"20\" answerOnBridge=\"true\" "
                  "timeLimit=\"3600\" record=\"record-from-answer\" referUrl=\"refer\"><Sip>"
                  "sip:+14155550100@sip.eu.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef"
                  "</Sip></Dial></Response>");
  }
  EXPECT_EQ(answer_dial_action(dial_status::busy, 0, table_.find(kCalled), kCalled, kSid).action, "sip_target");
}

TEST_F(FailoverTest, DialNumberStep) {
  EXPECT_EQ(answer(dial_status::no_answer, 1),
            std::string(kHead) +
                "<Response><Dial action=\"dial_action?step=2\" timeout=\"20\" answerOnBridge=\"true\" "
                "timeLimit=\"3600\" record=\"record-from-answer\"><Number>+14155550111</Number></Dial></Response>");
}

TEST_F(FailoverTest, SayStepEscapesAndHangsUp) {
  EXPECT_EQ(answer(dial_status::failed, 2),
            std::string(kHead) +
                "<Response><Say voice=\"Polly.Joanna\" language=\"en-US\">Sorry &amp; goodbye &lt;now&gt;</Say>"
                "<Hangup/></Response>");
}

TEST_F(FailoverTest, RedirectStep) {
  EXPECT_EQ(answer(dial_status::busy, 3),
            std::string(kHead) + "<Response><Redirect>https://example.com/voicemail?x=1&amp;y=2</Redirect></Response>");
}

TEST_F(FailoverTest, PastTheLastStepOrUnroutedHangsUp) {
  const std::string hangup = std::string(kHead) + "<Response><Hangup/></Response>";
  EXPECT_EQ(answer(dial_status::busy, 4), hangup);
  EXPECT_EQ(answer(dial_status::busy, 999999), hangup);
  const auto unrouted = answer_dial_action(dial_status::failed, 0, nullptr, kCalled, kSid);
  EXPECT_EQ(unrouted.twiml, hangup);
  EXPECT_EQ(unrouted.action, "hangup");
}

TEST_F(FailoverTest, NoPlanHangsUpAtOnce) {
  const route_table plain = route_table::dialing("sip.us.synthflow.ai:32681");
  EXPECT_EQ(answer_dial_action(dial_status::busy, 0, plain.find(kCalled), kCalled, kSid).twiml,
            std::string(kHead) + "<Response><Hangup/></Response>");
}

TEST_F(FailoverTest, StepKinds) {
  const call_route& route = *table_.find(kCalled);
  EXPECT_EQ(step_kind(route.failover[0]), "sip_target");
  EXPECT_EQ(step_kind(route.failover[1]), "dial_number");
  EXPECT_EQ(step_kind(route.failover[2]), "say");
  EXPECT_EQ(step_kind(route.failover[3]), "redirect");
}

TEST_F(FailoverTest, TransferToAllowedNumber) {
  const transfer_answer answer = answer_refer("<tel:+1-415-555-0199>", table_.find(kCalled));
  EXPECT_EQ(answer.result, transfer_result::dialled);
  EXPECT_EQ(answer.detail, "tel:+14155550199");
  EXPECT_EQ(answer.twiml, std::string(kHead) +
                              "<Response><Dial answerOnBridge=\"true\" timeLimit=\"3600\" record=\"record-from-answer\">"
                              "<Number>+14155550199</Number></Dial></Response>");
  // The sip: reading of a phone transfer dials the number too.
  EXPECT_EQ(answer_refer("<sip:+14155550199@sip.synthflow.ai>", table_.find(kCalled)).twiml, answer.twiml);
}

TEST_F(FailoverTest, TransferToAllowedSipAddressDropsItsHeaders) {
  const transfer_answer answer = answer_refer("<sip:desk@pbx.example.com:5060?X-Smuggled=1>", table_.find(kCalled));
  EXPECT_EQ(answer.result, transfer_result::dialled);
  EXPECT_EQ(answer.twiml, std::string(kHead) +
                              "<Response><Dial answerOnBridge=\"true\" timeLimit=\"3600\" record=\"record-from-answer\">"
                              "<Sip>sip:desk@pbx.example.com:5060</Sip></Dial></Response>");
}

TEST_F(FailoverTest, RefusedAndUnparseableTransfersDialNothing) {
  const std::string empty = std::string(kHead) + "<Response/>";
  const transfer_answer refused = answer_refer("<tel:+19005550199>", table_.find(kCalled));
  EXPECT_EQ(refused.result, transfer_result::refused);
  EXPECT_EQ(refused.twiml, empty);
  EXPECT_EQ(refused.detail, "tel:+1 (11 digits)") << "a refused number may be anyone's: not logged whole";
  EXPECT_EQ(answer_refer("sip:+447700900123@gw.example.com:5080", table_.find(kCalled)).detail,
            "sip:(13 characters)@gw.example.com:5080");
  const transfer_answer garbage = answer_refer("<sip:\"><Dial>+1900</Dial>@x>", table_.find(kCalled));
  EXPECT_EQ(garbage.result, transfer_result::unparseable);
  EXPECT_EQ(garbage.twiml, empty);
  EXPECT_EQ(garbage.detail.find("<Dial>"), std::string::npos) << garbage.detail;
  EXPECT_EQ(answer_refer("<tel:+14155550199>", nullptr).result, transfer_result::refused);
  const route_table plain = route_table::dialing("sip.us.synthflow.ai:32681");
  EXPECT_EQ(answer_refer("<tel:+14155550199>", plain.find(kCalled)).result, transfer_result::refused);
}

}  // namespace
}  // namespace twiml_redirect::routing
