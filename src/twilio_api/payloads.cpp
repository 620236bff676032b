#include "twiml_redirect/twilio_api/payloads.hpp"

#include <algorithm>
#include <cctype>

namespace twiml_redirect::twilio_api {

using nlohmann::json;

namespace {

// A string field; null, absent or another type reads as empty (Twilio sends null for unset fields).
std::string text_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool same_method(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
  });
}

}  // namespace

bool is_number_sid(std::string_view sid) {
  return sid.size() == 34 && sid.starts_with("PN") &&
         std::all_of(sid.begin() + 2, sid.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::optional<incoming_number> parse_number(const json& body) {
  if (!body.is_object()) return std::nullopt;
  incoming_number number{text_of(body, "sid"),
                         text_of(body, "phone_number"),
                         text_of(body, "friendly_name"),
                         text_of(body, "voice_url"),
                         text_of(body, "voice_method"),
                         text_of(body, "voice_fallback_url"),
                         text_of(body, "voice_fallback_method"),
                         text_of(body, "voice_application_sid"),
                         text_of(body, "trunk_sid")};
  if (number.sid.empty()) return std::nullopt;
  return number;
}

std::optional<number_page> parse_number_page(const json& body) {
  if (!body.is_object()) return std::nullopt;
  const auto list = body.find("incoming_phone_numbers");
  if (list == body.end() || !list->is_array()) return std::nullopt;
  number_page page;
  for (const auto& item : *list) {
    if (auto number = parse_number(item)) page.numbers.push_back(std::move(*number));
  }
  page.next_page_uri = text_of(body, "next_page_uri");
  return page;
}

std::string error_message_from_body(std::string_view body) {
  const auto parsed = json::parse(body, nullptr, false);
  if (!parsed.is_object()) return {};
  std::string message = text_of(parsed, "message");
  std::string details;
  if (const auto code = parsed.find("code"); code != parsed.end() && code->is_number_integer()) {
    details = "code " + std::to_string(code->get<long long>());
  }
  if (const auto more = text_of(parsed, "more_info"); !more.empty()) details += (details.empty() ? "" : ", ") + more;
  if (message.empty() && details.empty()) return {};
  if (details.empty()) return message;
  return message.empty() ? details : message + " (" + details + ")";
}

std::string webhook_url(std::string_view public_url, std::string_view user, std::string_view password) {
  std::string url(public_url);
  // Twilio authenticates with the credentials of the URL (https://user:password@host/...). Config
  // allows only unreserved characters in both, so nothing needs escaping.
  if (!user.empty()) {
    if (const std::size_t authority = url.find("://"); authority != std::string::npos)
      url.insert(authority + 3, std::string(user) + ":" + std::string(password) + "@");
  }
  return url + "/redirect_call";
}

outbound::form_fields voice_drift(const voice_settings& wanted, const incoming_number& live) {
  outbound::form_fields drift;
  if (live.voice_url != wanted.voice_url) drift.emplace_back("VoiceUrl", wanted.voice_url);
  if (!same_method(live.voice_method, wanted.voice_method)) drift.emplace_back("VoiceMethod", wanted.voice_method);
  if (!wanted.voice_fallback_url.empty()) {
    if (live.voice_fallback_url != wanted.voice_fallback_url)
      drift.emplace_back("VoiceFallbackUrl", wanted.voice_fallback_url);
    if (!same_method(live.voice_fallback_method, wanted.voice_fallback_method))
      drift.emplace_back("VoiceFallbackMethod", wanted.voice_fallback_method);
  }
  return drift;
}

std::optional<std::string> routing_conflict(const incoming_number& live) {
  if (!live.trunk_sid.empty()) {
    return "is on SIP trunk " + live.trunk_sid +
           ", so Twilio ignores its VoiceUrl: remove it from the trunk (Console: Elastic SIP Trunking > Numbers) "
           "or take it out of the configured numbers";
  }
  if (!live.voice_application_sid.empty()) {
    return "is configured with TwiML App " + live.voice_application_sid +
           ", so Twilio ignores its VoiceUrl: set its voice configuration to \"Webhook\" in the Console "
           "or take it out of the configured numbers";
  }
  return std::nullopt;
}

std::string lookup_query(std::string_view e164, std::size_t page_size) {
  return outbound::form_encode({{"PhoneNumber", std::string(e164)}, {"PageSize", std::to_string(page_size)}});
}

bool is_followable_page_uri(std::string_view uri, std::string_view account_sid) {
  const std::string prefix = "/2010-04-01/Accounts/" + std::string(account_sid) + "/IncomingPhoneNumbers.json";
  if (!uri.starts_with(prefix)) return false;
  const auto rest = uri.substr(prefix.size());
  if (!rest.empty() && rest.front() != '?') return false;
  return uri.find("..") == std::string_view::npos &&
         std::none_of(uri.begin(), uri.end(), [](char c) { return c <= ' ' || c == '#' || c == '\\' || c == 0x7f; });
}

}  // namespace twiml_redirect::twilio_api
