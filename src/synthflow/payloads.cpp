#include "twiml_redirect/synthflow/payloads.hpp"
#include "twiml_redirect/util/utf8.hpp"

#include <algorithm>
#include <array>

namespace twiml_redirect::synthflow {

using nlohmann::json;

namespace {

// A string field: nullopt when the key is missing, "" when null, the text when a string, the dump
// otherwise (numbers, so that comparisons still work on odd answers).
std::optional<std::string> optional_string(const json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_null()) return std::string{};
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string string_or_empty(const json& object, std::string_view key) {
  return optional_string(object, key).value_or("");
}

// "sip:host" and "host" name the same SIP domain; Synthflow's answers show the prefix.
std::string_view without_sip_scheme(std::string_view uri) {
  if (uri.size() >= 4 && (uri.substr(0, 4) == "sip:" || uri.substr(0, 4) == "SIP:")) uri.remove_prefix(4);
  return uri;
}

std::optional<assistant_state> parse_assistant(const json& item) {
  if (!item.is_object()) return std::nullopt;
  assistant_state out;
  out.model_id = string_or_empty(item, "model_id");
  if (out.model_id.empty()) return std::nullopt;
  out.name = string_or_empty(item, "name");
  out.type = string_or_empty(item, "type");
  out.phone_number = optional_string(item, "phone_number");
  out.voice_engine_version = optional_string(item, "voice_engine_version");
  if (const auto it = item.find("agent"); it != item.end() && it->is_object()) out.agent = *it;
  return out;
}

}  // namespace

std::string phone_slug(std::string_view e164) {
  if (!e164.empty() && e164.front() == '+') e164.remove_prefix(1);
  return std::string(e164);
}

std::string error_message_from_body(std::string_view body) {
  const auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return {};
  if (const auto it = parsed.find("detail"); it != parsed.end()) {
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object()) {
      for (const char* key : {"description", "message", "status"}) {
        if (auto text = optional_string(*it, key); text && !text->empty()) return *text;
      }
    }
    // FastAPI validation errors: [{"loc": [...], "msg": "..."}].
    if (it->is_array() && !it->empty() && it->front().is_object()) {
      if (auto text = optional_string(it->front(), "msg")) return *text;
    }
    return it->dump();
  }
  const auto message = string_or_empty(parsed, "message");
  const auto error = string_or_empty(parsed, "error");
  if (!error.empty() && !message.empty()) return error + ": " + message;
  if (!message.empty()) return message;
  return error;
}

const json& unwrap(const json& body) {
  if (body.is_object()) {
    if (const auto it = body.find("response"); it != body.end() && it->is_object()) return *it;
  }
  return body;
}

std::optional<number_state> parse_number(const json& body) {
  const json& n = unwrap(body);
  number_state out;
  out.phone_number = string_or_empty(n, "phone_number");
  if (out.phone_number.empty()) out.phone_number = string_or_empty(n, "number");
  if (out.phone_number.empty()) return std::nullopt;
  out.friendly_name = optional_string(n, "friendly_name");
  out.sip_term_uri = optional_string(n, "sip_term_uri");
  if (!out.sip_term_uri) out.sip_term_uri = optional_string(n, "termination_uri");
  out.provider_name = optional_string(n, "provider_name");
  out.trunk_username = optional_string(n, "trunk_username");
  if (const auto it = n.find("assistants"); it != n.end()) {
    std::vector<std::string> ids;
    if (it->is_array()) {
      for (const auto& id : *it) {
        // Model ids as strings; tolerate objects carrying a model_id.
        if (id.is_string()) ids.push_back(id.get<std::string>());
        else if (auto text = optional_string(id, "model_id"); text && !text->empty()) ids.push_back(*text);
      }
    }
    out.assistants = std::move(ids);
  }
  return out;
}

std::vector<std::string> parse_number_list(const json& body) {
  std::vector<std::string> out;
  const json& page = unwrap(body);
  const auto it = page.is_object() ? page.find("phone_numbers") : page.end();
  if (!page.is_object() || it == page.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    auto number = string_or_empty(item, "number");
    if (number.empty()) number = string_or_empty(item, "phone_number");
    if (!number.empty()) out.push_back(std::move(number));
  }
  return out;
}

std::optional<page_info> parse_pagination(const json& body) {
  const json& page = unwrap(body);
  if (!page.is_object()) return std::nullopt;
  const auto it = page.find("pagination");
  if (it == page.end() || !it->is_object()) return std::nullopt;
  page_info out;
  const auto count = [&](const char* key) -> std::optional<std::size_t> {
    const auto field = it->find(key);
    if (field == it->end() || !field->is_number_integer() || field->get<long long>() < 0) return std::nullopt;
    return field->get<std::size_t>();
  };
  const auto total = count("total_records");
  if (!total) return std::nullopt;
  out.total_records = *total;
  out.offset = count("offset").value_or(0);
  return out;
}

std::vector<assistant_state> parse_assistants(const json& body) {
  std::vector<assistant_state> out;
  const json& payload = unwrap(body);
  if (!payload.is_object()) return out;
  const auto it = payload.find("assistants");
  if (it == payload.end()) {
    // A bare assistant, as a future flat GET might answer.
    if (auto one = parse_assistant(payload)) out.push_back(std::move(*one));
    return out;
  }
  if (it->is_array()) {
    for (const auto& item : *it) {
      if (auto one = parse_assistant(item)) out.push_back(std::move(*one));
    }
  } else if (auto one = parse_assistant(*it)) {
    out.push_back(std::move(*one));
  }
  return out;
}

std::string parse_created_model_id(const json& body) {
  auto id = string_or_empty(unwrap(body), "model_id");
  if (id.empty()) id = string_or_empty(body, "model_id");
  return id;
}

json make_custom_number_body(const config::number_config& number, std::string_view workspace_id) {
  json body{{"workspace_id", workspace_id}, {"phone_number", number.phone_number}};
  if (!number.friendly_name.empty()) body["friendly_name"] = number.friendly_name;
  body["provider_name"] = number.synthflow.provider_or_default();
  if (!number.synthflow.termination_uri.empty()) body["termination_uri"] = number.synthflow.termination_uri;
  if (!number.trunk_username.empty()) body["trunk_username"] = number.trunk_username;
  if (!number.trunk_pwd.empty()) body["trunk_pwd"] = number.trunk_pwd;
  return body;
}

std::vector<std::string> number_drift(const config::number_config& number, const number_state& live) {
  std::vector<std::string> drift;
  // Configured-but-empty fields are not managed: an operator who leaves friendly_name out should
  // not have the dashboard's name wiped.
  if (!number.friendly_name.empty() && live.friendly_name && *live.friendly_name != number.friendly_name) {
    drift.emplace_back("friendly_name");
  }
  // An empty termination URI is Synthflow's to fill in (five9, ringcx, zoom): not managed.
  const std::string& termination_uri = number.synthflow.termination_uri;
  if (!termination_uri.empty() && live.sip_term_uri &&
      without_sip_scheme(*live.sip_term_uri) != without_sip_scheme(termination_uri)) {
    drift.emplace_back("termination_uri");
  }
  if (live.provider_name && *live.provider_name != number.synthflow.provider_or_default()) {
    drift.emplace_back("provider_name");
  }
  if (!number.trunk_username.empty() && live.trunk_username &&
      *live.trunk_username != number.trunk_username) {
    drift.emplace_back("trunk_username");
  }
  return drift;
}

json make_number_patch_body(const config::number_config& number, const std::vector<std::string>& drift) {
  json body = json::object();
  for (const auto& field : drift) {
    if (field == "friendly_name") body["friendly_name"] = number.friendly_name;
    // Synthflow refuses a provider change without the SIP domain, so the two travel together.
    if (field == "termination_uri" || field == "provider_name") {
      body["provider_name"] = number.synthflow.provider_or_default();
      if (!number.synthflow.termination_uri.empty()) body["termination_uri"] = number.synthflow.termination_uri;
    }
  }
  if (!number.trunk_username.empty()) body["trunk_username"] = number.trunk_username;
  if (!number.trunk_pwd.empty()) body["trunk_pwd"] = number.trunk_pwd;
  return body;
}

json desired_agent_settings(const config::agent_config& agent) {
  json settings = json::object();
  const std::array<std::pair<const char*, const std::string*>, 5> fields{{
      {"prompt", &agent.prompt},
      {"greeting_message", &agent.greeting_message},
      {"llm", &agent.llm},
      {"language", &agent.language},
      {"voice_id", &agent.voice_id},
  }};
  for (const auto& [key, value] : fields) {
    if (!value->empty()) settings[key] = *value;
  }
  // Config checked that extra is a JSON object; anything else (a hand-built config) adds nothing.
  const json extra = json::parse(agent.extra, nullptr, /*allow_exceptions=*/false);
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) {
      if (!settings.contains(key)) settings[key] = value;
    }
  }
  return settings;
}

namespace {

json assistant_body_common(const config::number_config& number) {
  json body{{"name", number.agent->name},
            {"phone_number", number.phone_number},
            {"agent", desired_agent_settings(*number.agent)}};
  if (!number.agent->voice_engine_version.empty()) {
    body["voice_engine_version"] = number.agent->voice_engine_version;
  }
  return body;
}

}  // namespace

json make_assistant_create_body(const config::number_config& number) {
  json body = assistant_body_common(number);
  body["type"] = "inbound";
  return body;
}

json make_assistant_update_body(const config::number_config& number) {
  return assistant_body_common(number);
}

std::vector<std::string> assistant_drift(const config::number_config& number,
                                         const assistant_state& live) {
  std::vector<std::string> drift;
  if (live.name != number.agent->name) drift.emplace_back("name");
  if (live.phone_number && *live.phone_number != number.phone_number) drift.emplace_back("phone_number");
  if (!number.agent->voice_engine_version.empty() && live.voice_engine_version &&
      *live.voice_engine_version != number.agent->voice_engine_version) {
    drift.emplace_back("voice_engine_version");
  }
  if (live.agent) {
    const json desired = desired_agent_settings(*number.agent);
    for (const auto& [key, value] : desired.items()) {
      const auto it = live.agent->find(key);
      if (it != live.agent->end() && *it != value) drift.push_back("agent." + key);
    }
  }
  return drift;
}

namespace {

attached_action action_of(const json& item) {
  attached_action action;
  action.action_id = string_or_empty(item, "action_id");
  if (action.action_id.empty()) action.action_id = string_or_empty(item, "id");
  action.name = string_or_empty(item, "name");
  action.description = string_or_empty(item, "description");
  // The custom action's fields may sit under its type's key, as the create body has them.
  if (const auto custom = item.find("CUSTOM_ACTION"); custom != item.end() && custom->is_object()) {
    if (action.name.empty()) action.name = string_or_empty(*custom, "name");
    if (action.description.empty()) action.description = string_or_empty(*custom, "description");
  }
  return action;
}

}  // namespace

std::optional<std::vector<attached_action>> parse_agent_actions(const json& body, const std::string& model_id) {
  std::vector<attached_action> out;
  const json& payload = unwrap(body);
  if (!payload.is_object()) return std::nullopt;
  const json* agent = &payload;
  if (const auto it = payload.find("assistants"); it != payload.end()) {
    agent = nullptr;
    if (it->is_object()) agent = &*it;
    if (it->is_array())
      for (const json& item : *it)
        if (string_or_empty(item, "model_id") == model_id) agent = &item;
  }
  if (agent == nullptr || !agent->is_object()) return std::nullopt;
  const auto actions = agent->find("actions");
  if (actions == agent->end() || !actions->is_array()) return std::nullopt;
  for (const json& item : *actions) {
    attached_action action;
    if (item.is_string()) {
      action.action_id = item.get<std::string>();
    } else if (item.is_object()) {
      action = action_of(item);
    }
    if (!action.action_id.empty()) out.push_back(std::move(action));
  }
  return out;
}


std::optional<attached_action> parse_action(const json& body, const std::string& action_id) {
  const json& payload = unwrap(body);
  if (!payload.is_object()) return std::nullopt;
  if (const auto list = payload.find("actions"); list != payload.end() && list->is_array()) {
    for (const json& item : *list) {
      if (!item.is_object()) continue;
      attached_action action = action_of(item);
      if (action.action_id == action_id) return action;
    }
    return std::nullopt;
  }
  attached_action action = action_of(payload);
  if (action.action_id != action_id) return std::nullopt;
  return action;
}

std::string parse_created_action_id(const json& body) { return string_or_empty(unwrap(body), "action_id"); }

}  // namespace twiml_redirect::synthflow
