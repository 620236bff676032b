#pragma once
// Twilio's IncomingPhoneNumbers REST resource as this service uses it, pure (no I/O): what a page of
// the list reads like, which of the voice settings differ from what the config wants, the form that
// changes only those, and how Twilio's JSON errors ({code, message, more_info}) read. The client in
// api.hpp sends what this builds.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "twiml_redirect/outbound/request.hpp"

namespace twiml_redirect::twilio_api {

// The fields of an IncomingPhoneNumber that decide where its calls go (JSON names, snake_case).
struct incoming_number {
  std::string sid;  // PN + 32 hex
  std::string phone_number;
  std::string friendly_name;
  std::string voice_url;
  std::string voice_method;
  std::string voice_fallback_url;
  std::string voice_fallback_method;
  std::string voice_application_sid;  // when set, Twilio ignores voice_url
  std::string trunk_sid;              // when set, Twilio ignores voice_url
};

struct number_page {
  std::vector<incoming_number> numbers;
  std::string next_page_uri;  // empty on the last page
};

// "PN" and 32 hex digits: the only sid put into a request path.
bool is_number_sid(std::string_view sid);

// A page of GET .../IncomingPhoneNumbers.json; std::nullopt when the answer has no
// incoming_phone_numbers array. Entries without a sid are skipped; null fields read as empty.
std::optional<number_page> parse_number_page(const nlohmann::json& body);

// An IncomingPhoneNumber (the answer of a POST to one); std::nullopt when it has no sid.
std::optional<incoming_number> parse_number(const nlohmann::json& body);

// Twilio's error body as one line: "Authenticate (code 20003, https://www.twilio.com/docs/errors/20003)";
// empty when the body is not such an error.
std::string error_message_from_body(std::string_view body);

// What the config wants Twilio to do with calls to one number. An empty fallback URL is not managed.
struct voice_settings {
  std::string voice_url;
  std::string voice_method = "POST";
  std::string voice_fallback_url;
  std::string voice_fallback_method = "POST";
};

// The webhook for `public_url` (no trailing '/'): public_url + "/redirect_call", with "user:password@"
// after the scheme when Basic credentials are set (Twilio authenticates with those of the URL).
std::string webhook_url(std::string_view public_url, std::string_view user = {}, std::string_view password = {});

// The fields (Twilio's PascalCase form names and wanted values) in which `live` differs from
// `wanted`, in a stable order: VoiceUrl, VoiceMethod, VoiceFallbackUrl, VoiceFallbackMethod. URLs
// compare exactly, methods case-insensitively.
outbound::form_fields voice_drift(const voice_settings& wanted, const incoming_number& live);

// Why Twilio would not call `live`'s VoiceUrl (an application or a SIP trunk takes its calls) and
// what to do about it; std::nullopt when VoiceUrl is what Twilio calls.
std::optional<std::string> routing_conflict(const incoming_number& live);

// The query of the lookup: PhoneNumber (percent-encoded: '+' would read as a space) and PageSize.
std::string lookup_query(std::string_view e164, std::size_t page_size);

// Whether a next_page_uri may be followed: a path (no scheme, host or "..") under
// /2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json. Guards against a page that sends
// the credentials elsewhere.
bool is_followable_page_uri(std::string_view uri, std::string_view account_sid);

}  // namespace twiml_redirect::twilio_api
