// /dial_action (failover) and /refer (transfers) through the real binary on loopback: every failover
// step kind and DialCallStatus, every transfer target kind allowed and refused, signed requests under
// a PUBLIC_URL with a path (at both mounts), unsigned and tampered ones, the logs and the metrics.
#include <signal.h>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kToken = "test-auth-token";
constexpr std::string_view kPublicUrl = "https://example.com/voice";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";
const std::string kHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
const std::string kHangup = kHead + "<Response><Hangup/></Response>";
const std::string kEmpty = kHead + "<Response/>";

const std::string kConfig = R"({
  "server": {"host": "127.0.0.1", "port": 0, "threads": 2, "drain_timeout_ms": 2000},
  "sip": {"target": "sip.us.synthflow.ai:32681"},
  "numbers": [{"phone_number": "+14155550100", "dial": {"timeout_s": 15}}],
  "dial": {"answer_on_bridge": true},
  "failover": [
    {"sip_target": "sip.eu.synthflow.ai:32681"},
    {"dial_number": "+14155550111"},
    {"say": "All agents are busy.", "voice": "alice", "language": "en-US"},
    {"redirect": "https://example.com/voicemail"}
  ],
  "transfer": {"allow": ["+14155*", "sip:desk@pbx.example.com", "sip:*@team.example.com:5080"]}
})";

class CallCallbacksBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = binary_.wait_for_listening_port();
    ASSERT_NE(port_, 0) << binary_.output();
  }
  void TearDown() override {
    binary_.send_signal(SIGTERM);
    EXPECT_EQ(binary_.wait_for_exit(10s), 0) << binary_.output();
  }

  // POSTs `params` to `path_and_query` at the root mount, signed as Twilio signs it: over the public
  // URL (with its path) plus the path and query, and the form parameters.
  test_response signed_post(std::string_view path_and_query, const twilio::form_params& params,
                            std::string_view mount = "/voice") {
    const std::string signature =
        twilio::compute_signature(kToken, std::string(kPublicUrl) + std::string(path_and_query), params);
    test_connection connection(port_);
    return connection.request("POST", std::string(mount) + std::string(path_and_query), form_encode(params), kForm,
                              "X-Twilio-Signature: " + signature + "\r\n");
  }
  static twilio::form_params action_params(std::string_view status, std::string_view sip_code = "486") {
    return {{"AccountSid", "AC00000000000000000000000000000000"}, {"CallSid", std::string(kSid)},
            {"Called", "+14155550100"}, {"From", "+15557654321"}, {"Caller", "+15557654321"},
            {"DialCallStatus", std::string(status)}, {"DialSipResponseCode", std::string(sip_code)},
            {"DialCallDuration", "0"}, {"DialCallSid", "CA99999999999999999999999999999999"}};
  }
  static twilio::form_params refer_params(std::string_view target) {
    return {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}, {"From", "+15557654321"},
            {"ReferTransferTarget", std::string(target)}};
  }
  test_response action(std::string_view step, std::string_view status) {
    return signed_post("/dial_action?step=" + std::string(step), action_params(status));
  }

  temp_file config_{"callbacks.json", kConfig};
  child_process binary_{TWIML_REDIRECT_BINARY,
                        {"serve", "--config", config_.path().string()},
                        clean_env({{"TWILIO_AUTH_TOKEN", std::string(kToken)}, {"PUBLIC_URL", std::string(kPublicUrl)}})};
  std::uint16_t port_ = 0;
};

TEST_F(CallCallbacksBinary, FirstDialCarriesTheActionAndReferUrl) {
  const twilio::form_params params = {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}};
  const auto res = signed_post("/redirect_call", params);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res.body(), kHead +
                            "<Response><Dial action=\"dial_action?step=0\" timeout=\"15\" answerOnBridge=\"true\" "
                            "referUrl=\"refer\"><Sip>sip:+14155550100@sip.us.synthflow.ai:32681?X-EI=" +
                            std::string(kSid) + "</Sip></Dial></Response>");
}

TEST_F(CallCallbacksBinary, EachFailoverStepInTurn) {
  const auto first = action("0", "busy");
  ASSERT_EQ(first.result_int(), 200u) << first.body();
  EXPECT_EQ(first[boost::beast::http::field::content_type], "text/xml");
  EXPECT_EQ(first.body(), kHead +
                              "<Response><Dial action=\"dial_action?step=1\" timeout=\"15\" answerOnBridge=\"true\" "
                              "referUrl=\"refer\"><Sip>sip:+14155550100@sip.eu.synthflow.ai:32681?X-EI=" +
                              std::string(kSid) + "</Sip></Dial></Response>");
  EXPECT_EQ(action("1", "no-answer").body(),
            kHead + "<Response><Dial action=\"dial_action?step=2\" timeout=\"15\" answerOnBridge=\"true\">"
                    "<Number>+14155550111</Number></Dial></Response>");
  EXPECT_EQ(action("2", "failed").body(),
            kHead + "<Response><Say voice=\"alice\" language=\"en-US\">All agents are busy.</Say><Hangup/></Response>");
  EXPECT_EQ(action("3", "busy").body(), kHead + "<Response><Redirect>https://example.com/voicemail</Redirect></Response>");
  EXPECT_EQ(action("4", "failed").body(), kHangup);
}

TEST_F(CallCallbacksBinary, EndedCallsGetAnEmptyResponse) {
  for (const std::string_view status : {"completed", "answered", "canceled"}) {
    const auto res = action("0", status);
    EXPECT_EQ(res.result_int(), 200u) << status;
    EXPECT_EQ(res.body(), kEmpty) << status;
  }
  EXPECT_EQ(action("0", "some-new-status").body(), kHangup);
  const auto bad = action("0", "Busy!");
  EXPECT_EQ(bad.result_int(), 400u);
  EXPECT_NE(bad.body().find("\"DialCallStatus\""), std::string::npos) << bad.body();
  const auto bad_step = action("x", "busy");
  EXPECT_EQ(bad_step.result_int(), 400u);
  EXPECT_NE(bad_step.body().find("\"step\""), std::string::npos) << bad_step.body();
}

TEST_F(CallCallbacksBinary, UnsignedAndTamperedAreForbidden) {
  test_connection connection(port_);
  const auto unsigned_res =
      connection.request("POST", "/voice/dial_action?step=0", form_encode(action_params("busy")), kForm);
  EXPECT_EQ(unsigned_res.result_int(), 403u);
  // Twilio signed step=0; a replay that moves to step 1 does not verify.
  const std::string signature =
      twilio::compute_signature(kToken, std::string(kPublicUrl) + "/dial_action?step=0", action_params("busy"));
  const auto moved = connection.request("POST", "/voice/dial_action?step=1", form_encode(action_params("busy")), kForm,
                                        "X-Twilio-Signature: " + signature + "\r\n");
  EXPECT_EQ(moved.result_int(), 403u);
  const auto refer_unsigned =
      connection.request("POST", "/voice/refer", form_encode(refer_params("<tel:+14155550199>")), kForm);
  EXPECT_EQ(refer_unsigned.result_int(), 403u);
}

TEST_F(CallCallbacksBinary, RootMountBehindAPathStrippingProxy) {
  const auto res = signed_post("/dial_action?step=2", action_params("busy"), "");
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_NE(res.body().find("<Say"), std::string::npos) << res.body();
}

TEST_F(CallCallbacksBinary, TransfersAllowedAndRefused) {
  const auto number = signed_post("/refer", refer_params("<tel:+1-415-555-0199>"));
  ASSERT_EQ(number.result_int(), 200u) << number.body();
  EXPECT_EQ(number.body(),
            kHead + "<Response><Dial answerOnBridge=\"true\"><Number>+14155550199</Number></Dial></Response>");
  EXPECT_EQ(signed_post("/refer", refer_params("<sip:+14155550199@sip.synthflow.ai>")).body(), number.body());
  EXPECT_EQ(signed_post("/refer", refer_params("<sip:desk@pbx.example.com;transport=udp?X-Evil=1>")).body(),
            kHead + "<Response><Dial answerOnBridge=\"true\"><Sip>sip:desk@pbx.example.com</Sip></Dial></Response>");
  EXPECT_EQ(signed_post("/refer", refer_params("sip:anyone@TEAM.example.com:5080")).body(),
            kHead + "<Response><Dial answerOnBridge=\"true\"><Sip>sip:anyone@TEAM.example.com:5080</Sip></Dial></Response>");
  for (const std::string_view refused :
       {"<tel:+19005550199>", "<sip:boss@pbx.example.com>", "<sip:anyone@team.example.com>", "<sip:x@evil.example>"}) {
    const auto res = signed_post("/refer", refer_params(refused));
    EXPECT_EQ(res.result_int(), 200u) << refused;
    EXPECT_EQ(res.body(), kEmpty) << refused;
    EXPECT_EQ(binary_.output().find("9005550199"), std::string::npos) << "a refused number is not logged whole";
  }
  EXPECT_EQ(signed_post("/refer", refer_params("<http://evil.example/>")).body(), kEmpty);
  const auto missing = signed_post("/refer", {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}});
  EXPECT_EQ(missing.result_int(), 400u);
  EXPECT_EQ(missing.body(), "Missing \"ReferTransferTarget\" parameter");

  ASSERT_TRUE(binary_.wait_for_output("result=refused target=\"tel:+1 (11 digits)\"", 5s)) << binary_.output();
  const std::string metrics = http_get(port_, "/metrics").body();
  EXPECT_NE(metrics.find("twiml_redirect_transfers_total{result=\"dialled\"} 4\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("twiml_redirect_transfers_total{result=\"refused\"} 4\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("twiml_redirect_transfers_total{result=\"unparseable\"} 1\n"), std::string::npos) << metrics;
}

TEST_F(CallCallbacksBinary, OneOutcomeLinePerActionWithoutTheCallersNumber) {
  ASSERT_EQ(action("0", "busy").result_int(), 200u);
  ASSERT_EQ(action("0", "completed").result_int(), 200u);
  ASSERT_TRUE(binary_.wait_for_output("dial_call_status=completed", 5s)) << binary_.output();
  const std::string log = binary_.output();
  EXPECT_NE(log.find("call outcome call_sid=" + std::string(kSid) +
                     " called=+14155550100 dial_call_status=busy sip_response_code=486 dial_call_duration=0 step=0 "
                     "action=sip_target"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("dial_call_status=completed sip_response_code=486 dial_call_duration=0 step=0 action=ended"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("15557654321"), std::string::npos) << "the caller's number was logged";
  const std::string metrics = http_get(port_, "/metrics").body();
  EXPECT_NE(metrics.find("twiml_redirect_dial_outcomes_total{status=\"busy\",sip_class=\"4xx\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("twiml_redirect_failover_steps_total{kind=\"sip_target\"} 1\n"), std::string::npos);
}

TEST(CallCallbacksUnsigned, WithoutAnAuthTokenRequestsGoUnchecked) {
  temp_file config("callbacks.json", kConfig);
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()},
                       clean_env({{"PUBLIC_URL", ""}}));
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  const auto res = http_get(port, "/dial_action?step=4&CallSid=" + std::string(kSid) +
                                      "&Called=%2B14155550100&DialCallStatus=no-answer");
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res.body(), kHangup);
  const auto refer = http_get(port, "/refer?CallSid=" + std::string(kSid) +
                                        "&Called=%2B14155550100&ReferTransferTarget=%3Ctel%3A%2B14155550123%3E");
  EXPECT_NE(refer.body().find("<Number>+14155550123</Number>"), std::string::npos) << refer.body();
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0) << binary.output();
}

}  // namespace
}  // namespace twiml_redirect::testing
