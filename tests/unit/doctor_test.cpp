// doctor's pure parts: the table and JSON, the exit code, the region judgement, the webhook
// judgement and the grouping of Twilio Monitor alerts.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "twiml_redirect/app/doctor.hpp"

namespace twiml_redirect::app {
namespace {

const std::vector<check_row> kRows = {
    {"config", "-", check_result::pass, "loads; 1 number(s) configured", ""},
    {"twilio.webhook", "+14155550100", check_result::fail, "VoiceUrl is \"\"", "run provision"},
    {"synthflow.auth", "-", check_result::skip, "SYNTHFLOW_API_KEY is not set", ""},
};

TEST(DoctorFormat, TableAlignsColumnsAndPutsTheFixUnderTheFail) {
  EXPECT_EQ(format_table(kRows),
            "CHECK           NUMBER        RESULT  DETAIL\n"
            "config          -             pass    loads; 1 number(s) configured\n"
            "twilio.webhook  +14155550100  fail    VoiceUrl is \"\"\n"
            "                                      fix: run provision\n"
            "synthflow.auth  -             skip    SYNTHFLOW_API_KEY is not set\n"
            "\n1 pass, 0 warn, 1 fail, 1 skip\n");
}

TEST(DoctorFormat, JsonHasEveryFieldAndAFixOnlyOnFails) {
  const auto doc = nlohmann::json::parse(format_json(kRows));
  ASSERT_EQ(doc["checks"].size(), 3u);
  EXPECT_EQ(doc["checks"][0], nlohmann::json::parse(
                                  R"({"id":"config","number":null,"result":"pass","detail":"loads; 1 number(s) configured","fix":null})"));
  EXPECT_EQ(doc["checks"][1]["number"], "+14155550100");
  EXPECT_EQ(doc["checks"][1]["fix"], "run provision");
  EXPECT_TRUE(doc["checks"][2]["fix"].is_null());
}

TEST(DoctorFormat, ExitCodeIsOneOnlyWhenSomethingFails) {
  EXPECT_EQ(doctor_exit_code(kRows), 1);
  EXPECT_EQ(doctor_exit_code({kRows[0], kRows[2]}), 0);
  EXPECT_EQ(doctor_exit_code({}), 0);
}

TEST(DoctorRegion, ApiHostsAndSipTargets) {
  const auto us = region_of_api_host("api.us.synthflow.ai");
  ASSERT_TRUE(us);
  EXPECT_EQ(us->sip_host, "sip.us.synthflow.ai");
  EXPECT_EQ(region_of_api_host("api.eu.synthflow.ai")->sip_host, "sip.eu.synthflow.ai");
  EXPECT_EQ(region_of_api_host("api.synthflow.ai")->name, "global");
  EXPECT_FALSE(region_of_api_host("127.0.0.1"));

  const auto judge = [&](std::string_view target, std::string_view api_host) {
    return judge_sip_target("+1", "sip.target", target, region_of_api_host(api_host), api_host);
  };
  EXPECT_EQ(judge("sip.us.synthflow.ai:32681", "api.us.synthflow.ai").result, check_result::pass);
  EXPECT_EQ(judge("auto", "api.us.synthflow.ai").result, check_result::pass);
  const check_row wrong = judge("sip.eu.synthflow.ai:32681", "api.us.synthflow.ai");
  EXPECT_EQ(wrong.result, check_result::fail);
  EXPECT_EQ(wrong.fix, "set sip.target to sip.us.synthflow.ai:32681 (or \"auto\")");
  EXPECT_EQ(judge("sip.synthflow.ai:32681", "api.synthflow.ai").result, check_result::warn);  // legacy Global
  EXPECT_EQ(judge("pbx.example.com:5060", "api.us.synthflow.ai").result, check_result::warn);  // private
  EXPECT_EQ(judge("sipin.synthflow.ai:32681", "api.us.synthflow.ai").result, check_result::warn);
}

TEST(DoctorWebhook, ComparesUrlMethodAndFallback) {
  const webhook_settings expected{"https://voice.example.com/redirect_call", "POST", "https://backup.example.com/twiml"};
  EXPECT_EQ(judge_webhook("+1", expected, expected).result, check_result::pass);
  webhook_settings actual = expected;
  actual.voice_url = "https://old.example.com/voice";
  const check_row wrong_url = judge_webhook("+1", expected, actual);
  EXPECT_EQ(wrong_url.result, check_result::fail);
  EXPECT_NE(wrong_url.detail.find("expected \"https://voice.example.com/redirect_call\""), std::string::npos);
  actual = expected;
  actual.voice_fallback_url = "";
  EXPECT_EQ(judge_webhook("+1", expected, actual).result, check_result::fail);
  // No fallback configured: whatever Twilio has is left alone.
  EXPECT_EQ(judge_webhook("+1", {expected.voice_url, "POST", ""}, actual).result, check_result::pass);
  actual.voice_method = "GET";
  EXPECT_EQ(judge_webhook("+1", {expected.voice_url, "POST", ""}, actual).result, check_result::pass);
}

TEST(DoctorAlerts, GroupedByCodeForOurNumbersAndUrls) {
  const auto alerts = nlohmann::json::parse(R"([
    {"error_code": "11200", "alert_text": "HTTP retrieval failure", "request_url": "https://voice.example.com/redirect_call"},
    {"error_code": "11200", "alert_text": "HTTP retrieval failure", "request_url": "https://voice.example.com/dial_action"},
    {"error_code": "13802", "alert_text": "REFER without referUrl for +14155550100", "request_url": ""},
    {"error_code": "32102", "alert_text": "someone else's", "request_url": "https://other.example.com/x"}
  ])");
  const auto rows = group_alerts(alerts, {"+14155550100"}, "https://voice.example.com");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].detail, "error 11200 x2: HTTP retrieval failure");
  EXPECT_EQ(rows[1].detail, "error 13802 x1: REFER without referUrl for +14155550100");
  EXPECT_TRUE(group_alerts(nlohmann::json::object(), {}, "").empty());
}

}  // namespace
}  // namespace twiml_redirect::app

namespace twiml_redirect::app {
namespace {

TEST(DoctorCalls, GroupedByStatusWithTheAverageDuration) {
  const auto calls = nlohmann::json::parse(R"([
    {"status": "completed", "duration": "60"}, {"status": "completed", "duration": "30"},
    {"status": "no-answer", "duration": "0"}
  ])");
  const check_row r = summarize_calls("+14155550100", calls);
  EXPECT_EQ(r.result, check_result::warn);
  EXPECT_EQ(r.detail, "last 3 call(s): 2 completed, 1 no-answer, 30 s on average");
  EXPECT_EQ(summarize_calls("+1", nlohmann::json::array()).detail, "no calls to it yet");
  EXPECT_EQ(summarize_calls("+1", nlohmann::json::parse(R"([{"status":"completed","duration":"5"}])")).result,
            check_result::pass);
}

}  // namespace
}  // namespace twiml_redirect::app
