// /dial_action and /refer through the router, without sockets: parameters, refusals, metrics.
#include "twiml_redirect/app/call_callbacks.hpp"

#include <gtest/gtest.h>

#include "support/form_encoding.hpp"
#include "twiml_redirect/app/router.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;
using http::beast_http::verb;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

std::shared_ptr<const routing::route_table> routes() {
  const std::string json = R"({
    "sip": {"target": "sip.us.synthflow.ai:32681"},
    "numbers": [{"phone_number": "+14155550100",
                 "failover": [{"sip_target": "sip.eu.synthflow.ai:32681"}, {"say": "Goodbye"}],
                 "transfer": {"allow": ["+14155*", "sip:desk@pbx.example.com"]}}],
    "routing": {"unknown_numbers": "reject"}
  })";
  return std::make_shared<const routing::route_table>(
      config::parse_config(json, [](const std::string&) -> std::optional<std::string> { return std::nullopt; }));
}

class CallCallbacksTest : public ::testing::Test {
 protected:
  http::response post(std::string target, twilio::form_params params) {
    http::request req{verb::post, target, 11};
    req.set(field::content_type, "application/x-www-form-urlencoded");
    req.body() = testing::form_encode(params);
    req.prepare_payload();
    context_ = {};
    return router_(req, context_);
  }
  http::response action(std::string_view step, std::string_view status_word, std::string_view called = "+14155550100") {
    return post("/dial_action?step=" + std::string(step),
                {{"CallSid", std::string(kSid)}, {"Called", std::string(called)}, {"From", "+15557654321"},
                 {"DialCallStatus", std::string(status_word)}, {"DialSipResponseCode", "486"}});
  }
  http::response refer(std::string_view target) {
    return post("/refer", {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"},
                           {"ReferTransferTarget", std::string(target)}});
  }

  readiness readiness_{};
  util::metrics metrics_{router::paths()};
  router router_{std::make_shared<const routing::live_routes>(routes()), readiness_, metrics_};
  callback_metrics counters_{metrics_};  // the same counters the router registered
  http::request_context context_;
};

TEST_F(CallCallbacksTest, BusyTakesTheFirstStep) {
  const auto res = action("0", "busy");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res[field::content_type], "text/xml");
  EXPECT_EQ(res.body(), std::string(kHead) +
                            "<Response><Dial action=\"dial_action?step=1\" referUrl=\"refer\"><Sip>"
                            "sip:+14155550100@sip.eu.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef"
                            "</Sip></Dial></Response>");
  EXPECT_EQ(context_.call_sid, kSid);
  EXPECT_EQ(counters_.dial_outcomes.value({"busy", "4xx"}), 1u);
  EXPECT_EQ(counters_.failover_steps.value({"sip_target"}), 1u);
}

TEST_F(CallCallbacksTest, CompletedEndsAndUnknownWordHangsUp) {
  EXPECT_EQ(action("0", "completed").body(), std::string(kHead) + "<Response/>");
  EXPECT_EQ(action("1", "no-answer").body(), std::string(kHead) + "<Response><Say>Goodbye</Say><Hangup/></Response>");
  EXPECT_EQ(action("2", "failed").body(), std::string(kHead) + "<Response><Hangup/></Response>");
  EXPECT_EQ(action("0", "ringing-backwards").body(), std::string(kHead) + "<Response><Hangup/></Response>");
  EXPECT_EQ(counters_.dial_outcomes.value({"other", "4xx"}), 1u);
  EXPECT_EQ(counters_.failover_steps.value({"hangup"}), 2u);
  // A number that is no longer routed (e.g. after a reload) gets no failover.
  EXPECT_EQ(action("0", "busy", "+14155550999").body(), std::string(kHead) + "<Response><Hangup/></Response>");
}

TEST_F(CallCallbacksTest, MalformedActionRequestsAre400NamingTheParameter) {
  const auto expect_400 = [](const http::response& res, std::string_view message) {
    EXPECT_EQ(res.result(), status::bad_request) << res.body();
    EXPECT_EQ(res.body(), message);
  };
  expect_400(post("/dial_action?step=0", {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}}),
             "Missing \"DialCallStatus\" parameter");
  expect_400(action("0", "BUSY"), "Invalid \"DialCallStatus\" parameter: expected completed, answered, canceled, "
                                  "busy, no-answer or failed");
  expect_400(action("0", "busy<x>"), "Invalid \"DialCallStatus\" parameter: expected completed, answered, canceled, "
                                     "busy, no-answer or failed");
  expect_400(post("/dial_action", {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"},
                                   {"DialCallStatus", "busy"}}),
             "Missing \"step\" query parameter");
  expect_400(action("-1", "busy"), "Invalid \"step\" query parameter: must be 0 to 999999");
  expect_400(action("1e3", "busy"), "Invalid \"step\" query parameter: must be 0 to 999999");
  expect_400(action("0&step=1", "busy"),
             "Parameter \"step\" is given more than once with different values");
  expect_400(action("0", "busy", "+1415x"), "Invalid \"Called\" parameter: must contain only digits after '+'");
  // A step in the body is not ours: only the signed action URL's query counts.
  expect_400(post("/dial_action", {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"},
                                   {"DialCallStatus", "busy"}, {"step", "0"}}),
             "Missing \"step\" query parameter");
}

TEST_F(CallCallbacksTest, ReferAllowedAndRefused) {
  const auto number = refer("<tel:+14155550199>");
  ASSERT_EQ(number.result(), status::ok);
  EXPECT_EQ(number.body(), std::string(kHead) +
                               "<Response><Dial answerOnBridge=\"true\"><Number>+14155550199</Number></Dial></Response>");
  EXPECT_EQ(refer("<sip:desk@PBX.example.com?X-Evil=1>").body(),
            std::string(kHead) +
                "<Response><Dial answerOnBridge=\"true\"><Sip>sip:desk@PBX.example.com</Sip></Dial></Response>");
  EXPECT_EQ(refer("<tel:+19005550199>").body(), std::string(kHead) + "<Response/>");
  EXPECT_EQ(refer("<sip:boss@pbx.example.com>").body(), std::string(kHead) + "<Response/>");
  EXPECT_EQ(refer("javascript:alert(1)").body(), std::string(kHead) + "<Response/>");
  EXPECT_EQ(counters_.transfers.value({"dialled"}), 2u);
  EXPECT_EQ(counters_.transfers.value({"refused"}), 2u);
  EXPECT_EQ(counters_.transfers.value({"unparseable"}), 1u);
}

TEST_F(CallCallbacksTest, ReferWithoutTargetIs400) {
  const auto res = post("/refer", {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}});
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Missing \"ReferTransferTarget\" parameter");
  const auto no_sid = post("/refer", {{"Called", "+14155550100"}, {"ReferTransferTarget", "<tel:+14155550199>"}});
  EXPECT_EQ(no_sid.body(), "Missing \"CallSid\" parameter");
}

TEST_F(CallCallbacksTest, GetWorksLikePostAndMetricsRender) {
  http::request req{verb::get,
                    "/refer?CallSid=" + std::string(kSid) + "&Called=%2B14155550100&ReferTransferTarget=%3Ctel%3A%2B14155550123%3E",
                    11};
  const auto res = router_(req, context_);
  EXPECT_NE(res.body().find("<Number>+14155550123</Number>"), std::string::npos) << res.body();
  const std::string rendered = metrics_.render();
  EXPECT_NE(rendered.find("twiml_redirect_transfers_total{result=\"dialled\"} 1\n"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("twiml_redirect_dial_outcomes_total{status=\"busy\",sip_class=\"4xx\"} 0\n"),
            std::string::npos);
  EXPECT_NE(rendered.find("twiml_redirect_failover_steps_total{kind=\"say\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace twiml_redirect::app
