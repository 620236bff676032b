#include "twiml_redirect/synthflow/api.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace twiml_redirect::synthflow {

using nlohmann::json;
namespace http = boost::beast::http;

namespace {

// Percent-encodes everything but RFC 3986 unreserved characters: ids are opaque strings.
std::string encode_component(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Synthflow's side of the retry loop: its error bodies, and JSON answers that must parse.
outbound::api_profile synthflow_profile(const api_settings& settings) {
  auto profile = outbound::json_api_profile("synthflow", settings.retry, settings.jitter);
  profile.secrets = settings.secrets;
  profile.secrets.push_back(settings.api_key);
  profile.error_message = [](const outbound::http_response& answer) { return error_message_from_body(answer.body); };
  return profile;
}

}  // namespace

synthflow_api::synthflow_api(http_client& client, api_settings settings, stop_signal& stop)
    : client_(client), settings_(std::move(settings)), profile_(synthflow_profile(settings_)), stop_(stop) {
  if (settings_.page_size == 0) settings_.page_size = 20;
}

api_result<json> synthflow_api::call(http::verb method, const std::string& path, const std::string& query,
                                     const std::optional<json>& body, repeat mode) {
  outbound::http_request request;
  request.method = method;
  request.target = settings_.base_path + path + (query.empty() ? "" : "?" + query);
  request.headers.push_back({"Accept", "application/json"});
  request.auth = outbound::bearer_auth{settings_.api_key};
  if (body) request.body = outbound::json_body(body->dump());

  const std::string operation = std::string(http::to_string(method)) + " " + path;
  auto answer = outbound::call_with_retries(client_, request, operation, mode, profile_, stop_);
  if (!answer) return answer.error();
  if (answer->status == 204) return api_result<json>(boost::system::in_place_value, json::object());
  // check_success has accepted the body already.
  return api_result<json>(boost::system::in_place_value, json::parse(answer->body));
}

api_result<std::optional<number_state>> synthflow_api::get_number(const std::string& e164) {
  const auto slug = phone_slug(e164);
  auto answer = call(http::verb::get, "/numbers/" + encode_component(slug),
                     "workspace=" + encode_component(settings_.workspace_id), std::nullopt, repeat::safe);
  if (!answer) {
    const auto& error = answer.error();
    if (error.http_status == 404) return std::optional<number_state>{};
    if (error.http_status == 400) {
      // Unknown slugs may answer 400; only the list can tell "absent" from "bad request".
      auto listed = number_listed(e164);
      if (!listed) return listed.error();
      if (!*listed) return std::optional<number_state>{};
    }
    return error;
  }
  auto number = parse_number(*answer);
  if (!number) {
    return failure{"GET /numbers/" + slug, 200, "answer has no phone_number", false, false, false};
  }
  if (number->phone_number != e164) {
    return failure{"GET /numbers/" + slug, 200,
                   "answer describes " + number->phone_number + ", not " + e164, false, false, false};
  }
  return std::optional<number_state>{std::move(*number)};
}

namespace {

// Paging ends: far beyond any workspace (Synthflow's pages hold at most 100 items), and short of what
// a server answering full pages forever could make this process hold.
constexpr std::size_t kMaxPages = 200;
constexpr std::size_t kMaxListedItems = 20'000;

failure endless_paging(std::string operation, std::string what) {
  return failure{std::move(operation), 200, std::move(what) + ": stopped paging (at most " + std::to_string(kMaxPages) +
                                                " pages, " + std::to_string(kMaxListedItems) + " items)",
                 false, false, false};
}

}  // namespace

api_result<bool> synthflow_api::number_listed(const std::string& e164) {
  std::string previous_first;
  for (std::size_t offset = 0, pages = 1;; ++pages) {
    auto answer = call(http::verb::get, "/numbers",
                       "workspace=" + encode_component(settings_.workspace_id) +
                           "&limit=" + std::to_string(settings_.page_size) + "&offset=" + std::to_string(offset),
                       std::nullopt, repeat::safe);
    if (!answer) return answer.error();
    const auto numbers = parse_number_list(*answer);
    if (std::find(numbers.begin(), numbers.end(), e164) != numbers.end()) return true;
    if (!numbers.empty() && numbers.front() == previous_first)
      return endless_paging("GET /numbers", "offset " + std::to_string(offset) + " answered the previous page again");
    if (pages >= kMaxPages || offset + numbers.size() > kMaxListedItems)
      return endless_paging("GET /numbers", "the listing does not end");
    if (!numbers.empty()) previous_first = numbers.front();
    const auto page = parse_pagination(*answer);
    offset += numbers.size();
    // Without pagination, a short page is the last one.
    if (numbers.empty() || (page ? offset >= page->total_records : numbers.size() < settings_.page_size)) {
      return false;
    }
  }
}

api_result<void> synthflow_api::create_number(const json& body) {
  auto answer = call(http::verb::post, "/custom-numbers", {}, body, repeat::once);
  if (!answer) return answer.error();
  return {};
}

api_result<void> synthflow_api::update_number(const std::string& e164, const json& body) {
  auto answer = call(http::verb::patch, "/numbers/" + encode_component(phone_slug(e164)), {}, body,
                     repeat::safe);
  if (!answer) return answer.error();
  return {};
}

api_result<std::optional<assistant_state>> synthflow_api::get_assistant(const std::string& model_id) {
  auto answer = call(http::verb::get, "/assistants/" + encode_component(model_id), {}, std::nullopt,
                     repeat::safe);
  if (!answer) {
    if (answer.error().http_status == 404 || answer.error().http_status == 400) {
      return std::optional<assistant_state>{};
    }
    return answer.error();
  }
  auto assistants = parse_assistants(*answer);
  for (auto& assistant : assistants) {
    if (assistant.model_id == model_id) return std::optional<assistant_state>{std::move(assistant)};
  }
  return std::optional<assistant_state>{};
}

api_result<std::vector<assistant_state>> synthflow_api::list_assistants() {
  std::vector<assistant_state> all;
  std::string previous_first;
  for (std::size_t offset = 0, pages = 1;; ++pages) {
    // The spec's path has the trailing slash.
    auto answer = call(http::verb::get, "/assistants/",
                       "limit=" + std::to_string(settings_.page_size) + "&offset=" + std::to_string(offset),
                       std::nullopt, repeat::safe);
    if (!answer) return answer.error();
    auto page_items = parse_assistants(*answer);
    const auto count = page_items.size();
    if (count > 0 && page_items.front().model_id == previous_first)
      return endless_paging("GET /assistants/", "offset " + std::to_string(offset) + " answered the previous page again");
    if (pages >= kMaxPages || all.size() + count > kMaxListedItems)
      return endless_paging("GET /assistants/", "the listing does not end");
    if (count > 0) previous_first = page_items.front().model_id;
    std::move(page_items.begin(), page_items.end(), std::back_inserter(all));
    const auto page = parse_pagination(*answer);
    offset += count;
    if (count == 0 || (page ? offset >= page->total_records : count < settings_.page_size)) return all;
  }
}

api_result<std::string> synthflow_api::create_assistant(const json& body) {
  auto answer = call(http::verb::post, "/assistants", {}, body, repeat::once);
  if (!answer) return answer.error();
  return api_result<std::string>(boost::system::in_place_value, parse_created_model_id(*answer));
}

api_result<void> synthflow_api::update_assistant(const std::string& model_id, const json& body) {
  auto answer = call(http::verb::put, "/assistants/" + encode_component(model_id), {}, body, repeat::safe);
  if (!answer) return answer.error();
  return {};
}

api_result<std::vector<attached_action>> synthflow_api::get_agent_actions(const std::string& model_id) {
  auto answer = call(http::verb::get, "/assistants/" + encode_component(model_id), "include_actions=true",
                     std::nullopt, repeat::safe);
  if (!answer) return answer.error();
  auto actions = parse_agent_actions(*answer, model_id);
  if (!actions)
    return failure{"GET /assistants/{model_id}?include_actions=true", 200,
                   "answer has no response.assistants[] item with this model_id and an actions array, so the "
                   "attached actions are unknown (nothing is created, to avoid a duplicate)",
                   false, false, false};
  return std::move(*actions);
}

api_result<std::string> synthflow_api::create_action(const json& body) {
  auto answer = call(http::verb::post, "/actions", {}, body, repeat::once);
  if (!answer) return answer.error();
  auto id = parse_created_action_id(*answer);
  if (id.empty()) return failure{"POST /actions", 200, "answer has no action_id", false, false, false};
  return api_result<std::string>(boost::system::in_place_value, std::move(id));
}

namespace {

// What an operation on an action id answers once the action is deleted: 404, or 400, the only error
// status the reference documents for the actions operations.
bool action_gone(const failure& error) { return error.http_status == 404 || error.http_status == 400; }

}  // namespace

api_result<std::optional<attached_action>> synthflow_api::get_action(const std::string& action_id) {
  auto answer = call(http::verb::get, "/actions/" + encode_component(action_id), {}, std::nullopt, repeat::safe);
  if (!answer) {
    // Gone (deleted by another replica meanwhile): 404, or the reference's one error status, 400.
    if (action_gone(answer.error())) return std::optional<attached_action>{};
    return answer.error();
  }
  auto action = parse_action(*answer, action_id);
  if (!action)
    return failure{"GET /actions/{action_id}", 200, "answer has no response.actions[] item with this action_id", false,
                   false, false};
  return std::optional<attached_action>(std::move(*action));
}

api_result<void> synthflow_api::update_action(const std::string& action_id, const json& body) {
  auto answer = call(http::verb::put, "/actions/" + encode_component(action_id), {}, body, repeat::safe);
  if (!answer) return answer.error();
  return {};
}

api_result<void> synthflow_api::delete_action(const std::string& action_id) {
  auto answer = call(http::verb::delete_, "/actions/" + encode_component(action_id), {}, std::nullopt, repeat::safe);
  if (!answer && !action_gone(answer.error())) return answer.error();
  return {};
}

api_result<void> synthflow_api::initialize_action(const std::string& action_id,
                                                  const std::vector<std::pair<std::string, std::string>>& variables) {
  json listed = json::array();
  for (const auto& [key, value] : variables) listed.push_back({{"key", key}, {"value", value}});
  auto answer = call(http::verb::post, "/actions/initialize", {},
                     json{{"action_id", action_id}, {"variables", std::move(listed)}}, repeat::safe);
  if (!answer) return answer.error();
  return {};
}

api_result<void> synthflow_api::attach_action(const std::string& model_id, const std::string& action_id) {
  // `items` rather than `actions`: only it can say "before" (attachment_type defaults to "during").
  const json body{{"model_id", model_id},
                  {"items", json::array({{{"action_id", action_id}, {"attachment_type", "before"}}})}};
  auto answer = call(http::verb::post, "/actions/attach", {}, body, repeat::safe);
  if (!answer) return answer.error();
  return {};
}

api_result<void> synthflow_api::detach_action(const std::string& model_id, const std::string& action_id) {
  auto answer = call(http::verb::post, "/actions/detach", {},
                     json{{"model_id", model_id}, {"actions", json::array({action_id})}}, repeat::safe);
  // Gone already (another replica deleted it) is what detaching wants.
  if (!answer && !action_gone(answer.error())) return answer.error();
  return {};
}

}  // namespace twiml_redirect::synthflow
