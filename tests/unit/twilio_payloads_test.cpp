// Twilio's IncomingPhoneNumbers payloads: page parsing, the drift between what the config wants and
// what a number has, the form of only the differing fields, Twilio's error shape, the lookup query.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "twiml_redirect/twilio_api/payloads.hpp"
#include "twiml_redirect/twilio_api/provisioner.hpp"

namespace twiml_redirect::twilio_api {
namespace {

using nlohmann::json;

constexpr std::string_view kAccount = "AC0123456789abcdef0123456789abcdef";

json documented_number() {
  // The fields of an IncomingPhoneNumber resource as the 2010-04-01 API documents them.
  return json::parse(R"({
    "account_sid": "AC0123456789abcdef0123456789abcdef", "sid": "PN0123456789abcdef0123456789abcdef",
    "phone_number": "+14155550100", "friendly_name": "(415) 555-0100", "voice_url": "https://old.example.com/voice",
    "voice_method": "GET", "voice_fallback_url": null, "voice_fallback_method": "POST",
    "voice_application_sid": null, "trunk_sid": null, "voice_caller_id_lookup": false,
    "status_callback": "", "status_callback_method": "POST", "capabilities": {"voice": true, "sms": true},
    "status": "in-use", "origin": "twilio", "api_version": "2010-04-01",
    "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers/PN0123456789abcdef0123456789abcdef.json"
  })");
}

TEST(TwilioPayloads, PageReadsNumbersAndNextPage) {
  json body = {{"incoming_phone_numbers", json::array({documented_number(), json{{"phone_number", "+1"}}})},
               {"next_page_uri", "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json?Page=1"},
               {"page", 0}, {"page_size", 50}};
  const auto page = parse_number_page(body);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->numbers.size(), 1u);  // the entry without a sid is skipped
  const auto& number = page->numbers[0];
  EXPECT_EQ(number.sid, "PN0123456789abcdef0123456789abcdef");
  EXPECT_EQ(number.phone_number, "+14155550100");
  EXPECT_EQ(number.voice_url, "https://old.example.com/voice");
  EXPECT_EQ(number.voice_method, "GET");
  EXPECT_EQ(number.voice_fallback_url, "");  // null reads as empty
  EXPECT_EQ(number.trunk_sid, "");
  EXPECT_NE(page->next_page_uri, "");

  body["next_page_uri"] = nullptr;
  EXPECT_EQ(parse_number_page(body)->next_page_uri, "");
  EXPECT_FALSE(parse_number_page(json{{"numbers", json::array()}}));
  EXPECT_FALSE(parse_number_page(json::array()));
}

TEST(TwilioPayloads, ErrorBodyShowsMessageCodeAndMoreInfo) {
  EXPECT_EQ(error_message_from_body(
                R"({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})"),
            "Authenticate (code 20003, https://www.twilio.com/docs/errors/20003)");
  EXPECT_EQ(error_message_from_body(R"({"message": "Not found"})"), "Not found");
  EXPECT_EQ(error_message_from_body(R"({"code": 20404})"), "code 20404");
  EXPECT_EQ(error_message_from_body("<html>Bad Gateway</html>"), "");
  EXPECT_EQ(error_message_from_body(R"({"status": 500})"), "");
  // Whole: the caller masks secrets before it cuts (util::redact_and_cut).
  EXPECT_EQ(error_message_from_body(R"({"message": ")" + std::string(1000, 'x') + R"("})").size(), 1000u);
}

TEST(TwilioPayloads, WantedSettingsPointAtTheWebhookWithTheFallbackOfTheNumberOrTheDefault) {
  config::twilio_config twilio;
  twilio.public_url = "https://voice.example.com/prefix";
  twilio.voice_fallback_url = "https://fallback.example.com/all";
  config::number_config number;
  auto wanted = wanted_settings(twilio, number);
  EXPECT_EQ(wanted.voice_url, "https://voice.example.com/prefix/redirect_call");
  EXPECT_EQ(wanted.voice_method, "POST");
  EXPECT_EQ(wanted.voice_fallback_url, "https://fallback.example.com/all");
  number.voice_fallback_url = "https://fallback.example.com/this-one";
  EXPECT_EQ(wanted_settings(twilio, number).voice_fallback_url, "https://fallback.example.com/this-one");
}

TEST(TwilioPayloads, DriftHasOnlyTheFieldsThatDiffer) {
  auto live = *parse_number(documented_number());
  voice_settings wanted{"https://voice.example.com/redirect_call", "POST", "", "POST"};
  EXPECT_EQ(voice_drift(wanted, live),
            (outbound::form_fields{{"VoiceUrl", "https://voice.example.com/redirect_call"}, {"VoiceMethod", "POST"}}));
  live.voice_url = wanted.voice_url;
  live.voice_method = "post";  // methods compare case-insensitively
  EXPECT_TRUE(voice_drift(wanted, live).empty());
  // The fallback is managed only when configured; then both its URL and its method.
  wanted.voice_fallback_url = "https://fallback.example.com/";
  live.voice_fallback_method = "GET";
  EXPECT_EQ(voice_drift(wanted, live), (outbound::form_fields{{"VoiceFallbackUrl", "https://fallback.example.com/"},
                                                              {"VoiceFallbackMethod", "POST"}}));
  // URLs compare exactly: a trailing slash is a different webhook.
  live.voice_fallback_url = "https://fallback.example.com";
  live.voice_fallback_method = "POST";
  EXPECT_EQ(voice_drift(wanted, live), (outbound::form_fields{{"VoiceFallbackUrl", "https://fallback.example.com/"}}));
}

TEST(TwilioPayloads, FormOfTheDriftIsUrlEncoded) {
  EXPECT_EQ(outbound::form_encode({{"VoiceUrl", "https://v.example.com/redirect_call"}, {"VoiceMethod", "POST"}}),
            "VoiceUrl=https%3A%2F%2Fv.example.com%2Fredirect_call&VoiceMethod=POST");
}

TEST(TwilioPayloads, TrunkOrApplicationIsAConflictNamingWhatToDo) {
  auto live = *parse_number(documented_number());
  EXPECT_EQ(routing_conflict(live), std::nullopt);
  live.trunk_sid = "TK0123456789abcdef0123456789abcdef";
  const auto trunk = routing_conflict(live);
  ASSERT_TRUE(trunk);
  EXPECT_NE(trunk->find("SIP trunk TK0123456789abcdef0123456789abcdef"), std::string::npos) << *trunk;
  EXPECT_NE(trunk->find("remove it from the trunk"), std::string::npos) << *trunk;
  live.trunk_sid.clear();
  live.voice_application_sid = "AP0123456789abcdef0123456789abcdef";
  const auto app = routing_conflict(live);
  ASSERT_TRUE(app);
  EXPECT_NE(app->find("TwiML App AP0123456789abcdef0123456789abcdef"), std::string::npos) << *app;
}

TEST(TwilioPayloads, LookupQueryEncodesThePlus) {
  EXPECT_EQ(lookup_query("+14155550100", 50), "PhoneNumber=%2B14155550100&PageSize=50");
}

TEST(TwilioPayloads, OnlyPagesOfTheSameAccountAreFollowed) {
  const std::string base = "/2010-04-01/Accounts/" + std::string(kAccount) + "/IncomingPhoneNumbers.json";
  EXPECT_TRUE(is_followable_page_uri(base + "?PhoneNumber=%2B1&PageSize=2&Page=1&PageToken=PA1", kAccount));
  EXPECT_TRUE(is_followable_page_uri(base, kAccount));
  EXPECT_FALSE(is_followable_page_uri("https://evil.example.com" + base, kAccount));
  EXPECT_FALSE(is_followable_page_uri("/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/IncomingPhoneNumbers.json",
                                      kAccount));
  EXPECT_FALSE(is_followable_page_uri(base + "/../../x", kAccount));
  EXPECT_FALSE(is_followable_page_uri(base + "x", kAccount));
  EXPECT_FALSE(is_followable_page_uri(base + "?a=b c", kAccount));
}

TEST(TwilioPayloads, OnlyNumberSidsGoIntoAPath) {
  EXPECT_TRUE(is_number_sid("PN0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_number_sid("PN0123456789abcdef0123456789abcde/"));
  EXPECT_FALSE(is_number_sid("AC0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_number_sid("PN"));
}

}  // namespace
}  // namespace twiml_redirect::twilio_api
