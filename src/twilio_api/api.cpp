#include "twiml_redirect/twilio_api/api.hpp"

#include <set>

namespace twiml_redirect::twilio_api {

using nlohmann::json;
namespace http = boost::beast::http;

namespace {

// Far beyond any account's matches for one number (Twilio's filter also matches numbers that merely
// contain it, at most 1,000 pages of them); ends a server that pages forever. Pages are read one at
// a time and dropped, so memory stays one page whatever the count.
constexpr unsigned kMaxPages = 1000;

outbound::api_profile twilio_profile(const api_settings& settings) {
  auto profile = outbound::json_api_profile("twilio", settings.retry, settings.jitter);
  profile.secrets = settings.secrets;
  profile.error_message = [](const outbound::http_response& answer) { return error_message_from_body(answer.body); };
  return profile;
}

}  // namespace

twilio_api::twilio_api(outbound::http_client& client, api_settings settings, outbound::stop_signal& stop)
    : client_(client), settings_(std::move(settings)), profile_(twilio_profile(settings_)), stop_(stop) {
  if (settings_.page_size == 0) settings_.page_size = 50;
}

std::string twilio_api::numbers_path() const {
  return "/2010-04-01/Accounts/" + settings_.account_sid + "/IncomingPhoneNumbers";
}

api_result<json> twilio_api::call(http::verb method, const std::string& target, const std::string& operation,
                                  std::optional<outbound::form_fields> form) {
  outbound::http_request request;
  request.method = method;
  request.target = target;
  request.headers.push_back({"Accept", "application/json"});
  request.auth = settings_.credentials;
  if (form) request.body = outbound::form_body(*form);
  // An update sets fields to values: repeating it after an ambiguous failure is harmless.
  auto answer = outbound::call_with_retries(client_, request, operation, outbound::repeat::safe, profile_, stop_);
  if (!answer) return answer.error();
  // check_success accepted the body; Twilio answers every call with an object.
  auto body = json::parse(answer->body, nullptr, false);
  if (!body.is_object()) return failure{operation, answer->status, "answer is not a JSON object", false, false, false};
  return api_result<json>(boost::system::in_place_value, std::move(body));
}

api_result<std::optional<incoming_number>> twilio_api::find_number(const std::string& e164) {
  const std::string operation = "GET IncomingPhoneNumbers.json?PhoneNumber=" + e164;
  std::string target =
      settings_.base_path + numbers_path() + ".json?" + lookup_query(e164, settings_.page_size);
  std::set<std::string> seen{target};  // a next_page_uri pointing back would loop for ever
  for (unsigned pages = 1;; ++pages) {
    auto answer = call(http::verb::get, target, operation, std::nullopt);
    if (!answer) return answer.error();
    auto page = parse_number_page(*answer);
    if (!page) return failure{operation, 200, "answer has no incoming_phone_numbers list", false, false, false};
    for (auto& number : page->numbers) {
      if (number.phone_number == e164) return std::optional<incoming_number>{std::move(number)};
    }
    if (page->next_page_uri.empty()) return std::optional<incoming_number>{};
    if (!is_followable_page_uri(page->next_page_uri, settings_.account_sid)) {
      return failure{operation, 200, "answer's next_page_uri is not a page of this account's numbers", false, false,
                     false};
    }
    if (pages >= kMaxPages)
      return failure{operation, 200,
                     "stopped paging after " + std::to_string(kMaxPages) + " pages without finding the number", false,
                     false, false};
    target = settings_.base_path + page->next_page_uri;
    if (!seen.insert(target).second)
      return failure{operation, 200,
                     "page " + std::to_string(pages) + "'s next_page_uri points back to a page already read; stopped paging",
                     false, false, false};
  }
}

api_result<incoming_number> twilio_api::update_number(const std::string& sid, const outbound::form_fields& fields) {
  const std::string operation = "POST IncomingPhoneNumbers/" + sid + ".json";
  if (!is_number_sid(sid)) return failure{operation, 0, "not a phone number sid (PN...)", false, false, false};
  const std::string path = numbers_path() + "/" + sid + ".json";
  auto answer = call(http::verb::post, settings_.base_path + path, operation, fields);
  if (!answer) return answer.error();
  auto number = parse_number(*answer);
  if (!number) return failure{operation, 200, "answer has no sid", false, true, false};
  return std::move(*number);
}

}  // namespace twiml_redirect::twilio_api
