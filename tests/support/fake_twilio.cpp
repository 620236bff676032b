#include "support/fake_twilio.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <mutex>

#include "twiml_redirect/outbound/request.hpp"
#include "twiml_redirect/util/form_decoding.hpp"

namespace twiml_redirect::test {

using nlohmann::json;

namespace {

// What a client with these credentials sends in Authorization.
std::string basic(const std::string& user, const std::string& password) {
  return *outbound::authorization_value(outbound::basic_auth{user, password});
}

// Percent-decoding of one query value ('+' is a space, as Twilio reads it).
std::string query_value(const std::map<std::string, std::string>& query, const std::string& key) {
  const auto it = query.find(key);
  if (it == query.end()) return {};
  const auto fields = util::decode_form(key + "=" + it->second);
  return fields.params.empty() ? std::string() : fields.params.front().value;
}

}  // namespace

struct fake_twilio::impl {
  explicit impl(fake_twilio_options opts) : options(std::move(opts)) {
    server = std::make_unique<fake_api_server>(
        fake_server_options{options.host, options.port, options.tls, options.cert_dir, "", "fake-twilio"},
        [this](const fake_request& request) { return handle(request); },
        [this] {
          std::lock_guard lock(mutex);
          json list = json::array();
          for (const auto& number : numbers) list.push_back(number);
          return json{{"incoming_phone_numbers", list}};
        });
  }

  static fake_reply error(unsigned status, int code, const std::string& message) {
    return {status, json{{"code", code},
                         {"message", message},
                         {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
                         {"status", status}}
                        .dump()};
  }

  std::string numbers_path() const { return "/2010-04-01/Accounts/" + options.account_sid + "/IncomingPhoneNumbers"; }

  json make_number(const std::string& e164) {
    char sid[40];
    std::snprintf(sid, sizeof sid, "PN%032llx", 0xabc000ULL + ++next_id);
    return {{"sid", sid}, {"account_sid", options.account_sid}, {"phone_number", e164},
            {"friendly_name", e164}, {"voice_url", ""}, {"voice_method", "POST"},
            {"voice_fallback_url", nullptr}, {"voice_fallback_method", "POST"}, {"status_callback", ""},
            {"status_callback_method", "POST"}, {"voice_application_sid", nullptr}, {"trunk_sid", nullptr},
            {"voice_caller_id_lookup", false}, {"capabilities", {{"voice", true}, {"sms", true}}},
            {"status", "in-use"}, {"origin", "twilio"}, {"api_version", "2010-04-01"},
            {"uri", numbers_path() + "/" + sid + ".json"}};
  }

  fake_reply handle(const fake_request& request) {
    std::lock_guard lock(mutex);
    const bool authorized =
        request.authorization == basic(options.account_sid, options.auth_token) ||
        request.authorization == basic(options.api_key, options.api_secret);
    if (!authorized) return error(401, 20003, "Authenticate");
    if (request.path == "/v1/Alerts") {
      if (request.method != "GET") return error(405, 20004, "Method not allowed");
      return {200, json{{"alerts", alerts},
                        {"meta", {{"page", 0}, {"page_size", alerts.size()}, {"first_page_url", "https://monitor.twilio.com/v1/Alerts?PageSize=50&Page=0"},
                                  {"url", "https://monitor.twilio.com/v1/Alerts?PageSize=50&Page=0"},
                                  {"previous_page_url", nullptr}, {"next_page_url", nullptr}, {"key", "alerts"}}}}
                       .dump()};
    }
    if (request.path == "/2010-04-01/Accounts/" + options.account_sid + "/Calls.json") {
      if (request.method == "POST") return place_call(request);
      if (request.method != "GET") return error(405, 20004, "Method not allowed");
      const std::string to = query_value(request.query, "To");
      std::size_t page_size = 50;
      if (const auto asked = query_value(request.query, "PageSize"); !asked.empty()) page_size = std::stoul(asked);
      json items = json::array();
      for (auto it = calls.rbegin(); it != calls.rend() && items.size() < page_size; ++it)  // newest first
        if (to.empty() || (*it)["to"] == to) items.push_back(*it);
      const std::string uri = request.path + "?" + outbound::form_encode({{"To", to}, {"PageSize", std::to_string(page_size)}});
      return {200, json{{"calls", items}, {"page", 0}, {"page_size", page_size}, {"start", 0}, {"end", items.size()},
                        {"uri", uri}, {"first_page_uri", uri}, {"previous_page_uri", nullptr}, {"next_page_uri", nullptr}}
                       .dump()};
    }
    if (request.path == numbers_path() + ".json") {
      if (request.method != "GET") return error(405, 20004, "Method not allowed");
      return list(request);
    }
    const auto prefix = numbers_path() + "/";
    if (request.path.rfind(prefix, 0) == 0 && request.path.ends_with(".json")) {
      const auto sid = request.path.substr(prefix.size(), request.path.size() - prefix.size() - 5);
      const auto it = std::find_if(numbers.begin(), numbers.end(), [&](const json& n) { return n["sid"] == sid; });
      if (it == numbers.end()) return error(404, 20404, "The requested resource " + request.path + " was not found");
      if (request.method == "GET") return {200, it->dump()};
      if (request.method != "POST") return error(405, 20004, "Method not allowed");
      if (request.content_type.rfind("application/x-www-form-urlencoded", 0) != 0) {
        return error(415, 31400, "Unsupported content type, instead of application/x-www-form-urlencoded or "
                                 "multipart/form-data");
      }
      static const std::map<std::string, std::string> kFields{
          {"VoiceUrl", "voice_url"}, {"VoiceMethod", "voice_method"}, {"VoiceFallbackUrl", "voice_fallback_url"},
          {"VoiceFallbackMethod", "voice_fallback_method"}, {"TrunkSid", "trunk_sid"},
          {"VoiceApplicationSid", "voice_application_sid"}, {"FriendlyName", "friendly_name"}};
      const auto form = util::decode_form(request.body);
      if (!form.ok()) return error(400, 21200, form.error);
      for (const auto& [name, value] : form.params) {
        const auto field = kFields.find(name);
        if (field == kFields.end()) return error(400, 21200, "Unknown parameter " + name);
        if ((name == "VoiceMethod" || name == "VoiceFallbackMethod") && value != "GET" && value != "POST") {
          return error(400, 21200, name + " must be GET or POST");
        }
        (*it)[field->second] = value;
      }
      (*it)["date_updated"] = "Wed, 02 Dec 2026 08:00:00 +0000";
      return {200, it->dump()};
    }
    return error(404, 20404, "The requested resource " + request.path + " was not found");
  }

  // POST Calls.json (Twilio's "create a call"): To and From required, and Twiml or Url. The call is
  // answered and ends at once: it shows in the list as completed, and the answer is the queued call.
  fake_reply place_call(const fake_request& request) {
    const auto form = util::decode_form(request.body);
    if (!form.ok()) return error(400, 21200, form.error);
    std::map<std::string, std::string> fields;
    for (const auto& [name, value] : form.params) fields[name] = value;
    if (fields["To"].empty()) return error(400, 21201, "No 'To' number is specified");
    if (fields["From"].empty()) return error(400, 21603, "A 'From' phone number is required.");
    if (fields["Twiml"].empty() && fields["Url"].empty()) return error(400, 21205, "Url or Twiml is required");
    char sid[40];
    std::snprintf(sid, sizeof sid, "CA%032llx", 0x91ace000ULL + ++next_id);
    json call = {{"sid", sid}, {"account_sid", options.account_sid}, {"to", fields["To"]}, {"from", fields["From"]},
                 {"direction", "outbound-api"}, {"status", "queued"}, {"duration", nullptr}, {"parent_call_sid", nullptr}};
    json ended = call;
    ended["status"] = "completed";
    ended["duration"] = "45";
    calls.push_back(ended);
    placed.push_back(fields);
    return {201, call.dump()};
  }

  // The list: the PhoneNumber filter matches any number containing it (as Twilio's partial match
  // does), pages of at most max_page_size, next_page_uri until the last page.
  fake_reply list(const fake_request& request) {
    const auto filter = query_value(request.query, "PhoneNumber");
    std::size_t page_size = 50;
    if (const auto asked = query_value(request.query, "PageSize"); !asked.empty()) page_size = std::stoul(asked);
    page_size = std::clamp<std::size_t>(page_size, 1, options.max_page_size);
    const auto page_text = query_value(request.query, "Page");
    const std::size_t page = page_text.empty() ? 0 : std::stoul(page_text);
    std::vector<json> matching;
    for (const auto& number : numbers)
      if (number["phone_number"].get<std::string>().find(filter) != std::string::npos) matching.push_back(number);
    json items = json::array();
    for (std::size_t i = page * page_size; i < matching.size() && items.size() < page_size; ++i) {
      items.push_back(matching[i]);
    }
    const auto page_uri = [&](std::size_t n) {
      return numbers_path() + ".json?" + outbound::form_encode({{"PhoneNumber", filter}, {"PageSize", std::to_string(page_size)},
                                                           {"Page", std::to_string(n)},
                                                           {"PageToken", "PA" + std::to_string(n)}});
    };
    const bool more = (page + 1) * page_size < matching.size();
    return {200, json{{"incoming_phone_numbers", items},
                      {"page", page},
                      {"page_size", page_size},
                      {"start", page * page_size},
                      {"uri", page_uri(page)},
                      {"first_page_uri", page_uri(0)},
                      {"previous_page_uri", page == 0 ? json(nullptr) : json(page_uri(page - 1))},
                      {"next_page_uri", more ? json(page_uri(page + 1)) : json(nullptr)}}
                     .dump()};
  }

  fake_twilio_options options;
  mutable std::mutex mutex;  // everything below
  std::vector<json> numbers;  // in the order they were added, as the list shows them
  json alerts = json::array();
  std::vector<json> calls;  // oldest first
  std::vector<std::map<std::string, std::string>> placed;  // the form of each POST Calls.json

  json* find(const std::string& e164) {
    const auto it = std::find_if(numbers.begin(), numbers.end(), [&](const json& n) { return n["phone_number"] == e164; });
    return it == numbers.end() ? nullptr : &*it;
  }
  unsigned long long next_id = 0;
  std::unique_ptr<fake_api_server> server;  // last: it calls into the state above until stopped
};

fake_twilio::fake_twilio(fake_twilio_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

fake_twilio::~fake_twilio() { impl_->server->stop(); }

std::string fake_twilio::api_url() const { return impl_->server->url(); }

std::filesystem::path fake_twilio::ca_file() const { return impl_->server->ca_file(); }

const fake_twilio_options& fake_twilio::options() const { return impl_->options; }

fake_api_server& fake_twilio::server() { return *impl_->server; }

std::string fake_twilio::seed_number(const std::string& e164) {
  std::lock_guard lock(impl_->mutex);
  auto number = impl_->make_number(e164);
  impl_->numbers.push_back(number);
  return number["sid"];
}

void fake_twilio::change_number(const std::string& e164, const json& fields) {
  std::lock_guard lock(impl_->mutex);
  json* number = impl_->find(e164);
  if (number == nullptr) throw std::invalid_argument("fake_twilio: no number " + e164);
  for (const auto& [key, value] : fields.items()) (*number)[key] = value;
}

void fake_twilio::add_alert(json alert) {
  std::lock_guard lock(impl_->mutex);
  char sid[40];
  std::snprintf(sid, sizeof sid, "NO%032llx", 0xa1e000ULL + ++impl_->next_id);
  json full = {{"sid", sid}, {"account_sid", impl_->options.account_sid}, {"log_level", "error"},
               {"date_created", "2026-12-03T08:00:00Z"}, {"date_generated", "2026-12-03T08:00:00Z"},
               {"request_method", "POST"}, {"request_url", nullptr}, {"resource_sid", nullptr}};
  for (const auto& [key, value] : alert.items()) full[key] = value;
  impl_->alerts.push_back(std::move(full));
}

void fake_twilio::add_call(json call) {
  std::lock_guard lock(impl_->mutex);
  char sid[40];
  std::snprintf(sid, sizeof sid, "CA%032llx", 0xca1000ULL + ++impl_->next_id);
  json full = {{"sid", sid}, {"account_sid", impl_->options.account_sid}, {"direction", "inbound"},
               {"from", "+15005550006"}, {"status", "completed"}, {"duration", "0"}, {"parent_call_sid", nullptr},
               {"start_time", "Thu, 03 Dec 2026 08:00:00 +0000"}};
  for (const auto& [key, value] : call.items()) full[key] = value;
  impl_->calls.push_back(std::move(full));
}

std::vector<std::map<std::string, std::string>> fake_twilio::placed_calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->placed;
}

json fake_twilio::number(const std::string& e164) const {
  std::lock_guard lock(impl_->mutex);
  const json* number = impl_->find(e164);
  return number == nullptr ? json() : *number;
}

}  // namespace twiml_redirect::test
