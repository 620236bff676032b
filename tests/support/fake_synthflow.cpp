#include "support/fake_synthflow.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace twiml_redirect::test {

using nlohmann::json;

namespace {

std::string slug_of(std::string_view e164) {
  if (!e164.empty() && e164.front() == '+') e164.remove_prefix(1);
  return std::string(e164);
}

std::size_t query_number(const std::map<std::string, std::string>& query, const std::string& key,
                         std::size_t fallback) {
  const auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return fallback;
  try {
    return static_cast<std::size_t>(std::stoul(it->second));
  } catch (const std::exception&) {
    return fallback;
  }
}

bool is_e164(const std::string& text) {
  return text.size() >= 3 && text.front() == '+' &&
         std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// POST /custom-numbers' provider_name enum.
bool known_provider(const std::string& name) {
  static const std::vector<std::string> known{"twilio", "telnyx", "vonage", "ring_central",
                                              "ringcx", "custom", "zoom", "five9"};
  return std::find(known.begin(), known.end(), name) != known.end();
}

// Synthflow fills the SIP domain in for five9, ringcx and zoom only.
bool needs_sip_domain(const std::string& provider) {
  return provider != "five9" && provider != "ringcx" && provider != "zoom";
}

}  // namespace

struct fake_synthflow::impl {
  using reply = fake_reply;

  explicit impl(fake_synthflow_options opts) : options(std::move(opts)) {
    fake_server_options server_options{options.host, options.port, options.tls, options.cert_dir, options.base_path,
                                       "fake-synthflow"};
    server = std::make_unique<fake_api_server>(
        server_options, [this](const fake_request& request) { return handle(request); },
        [this] {
          std::lock_guard lock(mutex);
          return state_locked();
        });
  }

  // ---- the API ----------------------------------------------------------------------------

  json error_body(unsigned status, const std::string& message, bool agent_endpoint) const {
    if (options.gateway_errors) {
      return {{"error", status == 401 ? "unauthorized" : status == 404 ? "not_found" : "bad_request"},
              {"message", message}};
    }
    if (agent_endpoint && status == 400) {
      return {{"detail",
               {{"status", "error"}, {"description", message}, {"request_id", "req_fake"},
                {"category", "validation_error"}}}};
    }
    return {{"detail", message}};
  }

  reply error(unsigned status, const std::string& message, bool agent_endpoint = false) const {
    return {status, error_body(status, message, agent_endpoint).dump()};
  }

  static reply ok(const json& body) { return {200, body.dump()}; }

  json public_number(const json& stored) const {
    json out = json::object();
    for (const auto& [key, value] : stored.items()) {
      if (key.empty() || key.front() != '_') out[key] = value;
    }
    return out;
  }

  std::string new_model_id() {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%013llux%018llu", 1726559381711ULL + next_id,
                  108708587477942990ULL + next_id * 7919ULL);
    ++next_id;
    return buffer;
  }

  // Links an agent to the number it names (the number's assistants[] and availability).
  void link(const json& assistant) {
    const auto phone = assistant.value("phone_number", "");
    const auto it = numbers.find(slug_of(phone));
    if (phone.empty() || it == numbers.end()) return;
    auto& ids = it->second["assistants"];
    const auto id = assistant.at("model_id").get<std::string>();
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    if (assistant.value("type", "") == "inbound") it->second["is_available"] = false;
  }

  void unlink(const json& assistant) {
    const auto it = numbers.find(slug_of(assistant.value("phone_number", "")));
    if (it == numbers.end()) return;
    auto& ids = it->second["assistants"];
    const auto id = assistant.at("model_id").get<std::string>();
    ids.erase(std::remove(ids.begin(), ids.end(), json(id)), ids.end());
    if (assistant.value("type", "") == "inbound") it->second["is_available"] = true;
  }

  // The inbound agent already linked to `e164`, other than `except`.
  std::optional<std::string> inbound_agent_of(const std::string& e164, const std::string& except) const {
    for (const auto& [id, agent] : assistants) {
      if (id != except && agent.value("type", "") == "inbound" && agent.value("phone_number", "") == e164) {
        return id;
      }
    }
    return std::nullopt;
  }

  json make_number(const std::string& e164, const std::string& friendly_name) const {
    return {{"slug", slug_of(e164)}, {"address_requirement", "none"}, {"phone_number", e164},
            {"friendly_name", friendly_name}, {"is_sms_capable", false}, {"is_voice_capable", true},
            {"iso_country", "US"}, {"sip_auth_username", nullptr}, {"sip_outbound_proxy", nullptr},
            {"sip_term_uri", ""}, {"sid", ""}, {"provider_name", "custom"},
            {"is_available", true}, {"agency_workspace_id", nullptr},
            {"workspace_id", options.workspace_id}, {"created_at", "2026-01-22T10:00:00Z"},
            {"updated_at", nullptr}, {"uac_enabled", false}, {"uac_register_expires", nullptr},
            {"assistants", json::array()}};
  }

  reply handle_request(const std::string& method, const std::string& rel,
                       const std::map<std::string, std::string>& query, const std::string& raw_body) {
    const auto body = json::parse(raw_body, nullptr, false);
    const bool body_ok = body.is_object();

    if (rel == "/numbers") {
      if (method != "GET") return error(405, "Method Not Allowed");
      if (query.count("workspace") == 0) return error(400, "workspace is required");
      const auto limit = query_number(query, "limit", 20);
      const auto offset = query_number(query, "offset", 0);
      json page = json::array();
      std::size_t index = 0;
      for (const auto& [slug, number] : numbers) {
        if (query.at("workspace") != options.workspace_id) break;
        if (index >= offset && page.size() < limit) {
          page.push_back({{"number", number["phone_number"]}, {"sid", nullptr},
                          {"is_available", number["is_available"]}});
        }
        ++index;
      }
      return ok({{"status", "ok"},
                 {"response", {{"pagination", {{"total_records", index}, {"limit", limit}, {"offset", offset}}},
                               {"phone_numbers", page}}}});
    }

    if (rel.rfind("/numbers/", 0) == 0) {
      const auto slug = rel.substr(9);
      const auto it = numbers.find(slug);
      if (method == "GET") {
        if (query.count("workspace") == 0) return error(400, "workspace is required");
        if (it == numbers.end() || query.at("workspace") != options.workspace_id) {
          return options.unknown_number_status == 400 ? error(400, "Phone number not found")
                                                      : error(404, "Not Found");
        }
        const auto shown = public_number(it->second);
        return ok(options.wrap_number ? json{{"status", "ok"}, {"response", shown}} : shown);
      }
      if (method == "PATCH") {
        if (it == numbers.end()) return error(404, "Not Found");
        if (!body_ok) return error(400, "body must be a JSON object");
        auto& number = it->second;
        if (body.contains("provider_name")) {
          const auto provider = body.value("provider_name", "");
          if (!known_provider(provider)) return error(400, "provider_name is not a known provider");
          if (needs_sip_domain(provider) && body.value("termination_uri", body.value("sip_term_uri", "")).empty())
            return error(400, "a SIP domain is required for provider " + provider);
        }
        for (const char* key : {"friendly_name", "sip_auth_username", "sip_outbound_proxy", "provider_name",
                                "uac_enabled", "uac_register_expires"}) {
          if (body.contains(key)) number[key] = body[key];
        }
        if (body.contains("termination_uri")) number["sip_term_uri"] = body["termination_uri"];
        if (body.contains("sip_term_uri")) number["sip_term_uri"] = body["sip_term_uri"];
        if (body.contains("trunk_username")) number["_trunk_username"] = body["trunk_username"];
        if (body.contains("trunk_pwd")) number["_trunk_pwd"] = body["trunk_pwd"];
        number["updated_at"] = "2026-01-23T10:00:00Z";
        return ok({{"status", "ok"}});
      }
      if (method == "DELETE") {
        if (it == numbers.end()) return error(404, "Not Found");
        for (auto& [id, agent] : assistants) {
          if (agent.value("phone_number", "") == it->second["phone_number"]) agent["phone_number"] = nullptr;
        }
        numbers.erase(it);
        return ok({{"status", "ok"}});
      }
      return error(405, "Method Not Allowed");
    }

    if (rel == "/custom-numbers") {
      if (method != "POST") return error(405, "Method Not Allowed");
      if (!body_ok) return error(400, "body must be a JSON object");
      if (body.value("workspace_id", "") != options.workspace_id) {
        return error(403, "workspace is not accessible with this key");
      }
      const auto phone = body.value("phone_number", "");
      if (!is_e164(phone)) return error(400, "phone_number must be E.164");
      // As the reference says: an omitted provider is "custom", and every provider Synthflow does not
      // fill the SIP domain in for needs termination_uri or the import is a 400.
      const auto provider = body.value("provider_name", "custom");
      if (!known_provider(provider)) return error(400, "provider_name is not a known provider");
      if (needs_sip_domain(provider) && body.value("termination_uri", "").empty()) {
        return error(400, "termination_uri is required for provider " + provider);
      }
      if (numbers.count(slug_of(phone))) return error(400, "Phone number already exists in this workspace");
      auto number = make_number(phone, body.value("friendly_name", ""));
      if (!provider.empty()) number["provider_name"] = provider;
      if (body.contains("termination_uri")) number["sip_term_uri"] = "sip:" + body.value("termination_uri", "");
      number["_trunk_username"] = body.value("trunk_username", "");
      number["_trunk_pwd"] = body.value("trunk_pwd", "");
      numbers[slug_of(phone)] = number;
      return ok({{"status", "ok"},
                 {"response", {{"key", "787f0c0e-fc83-41b1-bfbe-" + slug_of(phone)}, {"phone_number", phone}}}});
    }

    if (rel == "/assistants" || rel == "/assistants/") {
      if (method == "GET") {
        const auto limit = query_number(query, "limit", 20);
        const auto offset = query_number(query, "offset", 0);
        json page = json::array();
        for (std::size_t i = offset; i < order.size() && page.size() < limit; ++i) {
          page.push_back(assistants.at(order[i]));
        }
        return ok({{"status", "ok"},
                   {"response", {{"pagination", {{"total_records", order.size()}, {"limit", limit}, {"offset", offset}}},
                                 {"assistants", page}}}});
      }
      if (method != "POST") return error(405, "Method Not Allowed");
      if (!body_ok) return error(400, "body must be a JSON object", true);
      const auto type = body.value("type", "");
      if (type != "inbound" && type != "outbound" && type != "widget") return error(400, "type is invalid", true);
      if (body.value("name", "").empty()) return error(400, "name is required", true);
      if (!body.contains("agent") || !body["agent"].is_object()) return error(400, "agent is required", true);
      const auto phone = body.value("phone_number", "");
      if (!phone.empty()) {
        if (!numbers.count(slug_of(phone))) return error(400, "phone number " + phone + " is not in the workspace", true);
        if (type == "inbound" && inbound_agent_of(phone, {})) {
          return error(400, "No two inbound agents can share the same number", true);
        }
      }
      json agent = body;
      agent["model_id"] = new_model_id();
      if (!agent.contains("phone_number")) agent["phone_number"] = nullptr;
      agent["attached_phone_numbers"] = json::array();
      const auto id = agent["model_id"].get<std::string>();
      assistants[id] = agent;
      order.push_back(id);
      link(agent);
      return ok({{"status", "ok"}, {"response", {{"model_id", id}}}, {"details", {{"phone", phone}, {"voice", ""}}}});
    }

    if (rel == "/actions") {
      if (method != "POST") return error(405, "Method Not Allowed");
      // The documented create body: {"CUSTOM_ACTION": {http_mode, url, run_action_before_call_start, name, ...}}.
      if (!body_ok || !body.contains("CUSTOM_ACTION") || !body["CUSTOM_ACTION"].is_object()) return ok(json::object());
      const json& custom = body["CUSTOM_ACTION"];
      for (const char* key : {"http_mode", "url", "run_action_before_call_start", "name"})
        if (!custom.contains(key)) return error(400, std::string(key) + " is required");
      json action = custom;
      action["action_id"] = "act_" + new_model_id();
      action["action_type"] = "CUSTOM_ACTION";
      action["_initialized"] = false;
      const auto action_id = action["action_id"].get<std::string>();
      actions[action_id] = action;
      return ok({{"status", "ok"},
                 {"response", {{"action_id", action_id}, {"action_type", "CUSTOM_ACTION"}, {"prompt_variables", json::array()}}}});
    }
    if (rel == "/actions/initialize") {
      if (method != "POST") return error(405, "Method Not Allowed");
      const auto found = body_ok ? actions.find(body.value("action_id", "")) : actions.end();
      if (found == actions.end()) return error(400, "Action not found");
      found->second["_initialized"] = true;
      found->second["_initialize_variables"] = body.value("variables", json::array());
      return ok({{"status", "ok"}, {"response", {{"answer", "{}"}}}});
    }
    if (rel == "/actions/attach" || rel == "/actions/detach") {
      if (method != "POST") return error(405, "Method Not Allowed");
      if (!body_ok || !assistants.count(body.value("model_id", ""))) return error(400, "model_id is not an agent");
      const auto model_id = body.value("model_id", "");
      std::vector<std::string> ids;
      // The reference documents `actions` and `items` as two forms of the body: one at a time.
      if (rel == "/actions/attach" && body.contains("actions") && body.contains("items"))
        return error(400, "send either actions or items, not both");
      if (body.contains("actions") && body["actions"].is_array())
        for (const auto& action_id : body["actions"]) ids.push_back(action_id.get<std::string>());
      if (body.contains("items") && body["items"].is_array())
        for (const auto& item : body["items"]) ids.push_back(item.value("action_id", ""));
      auto& list = attached[model_id];
      if (rival && rel == "/actions/attach") {  // another replica got there first
        actions[rival->first] = rival->second;
        list.push_back(rival->first);
        rival.reset();
      }
      for (const auto& action_id : ids) {
        if (!actions.count(action_id)) return error(400, "action " + action_id + " not found");
        const auto at = std::find(list.begin(), list.end(), action_id);
        if (rel == "/actions/attach" && at == list.end()) list.push_back(action_id);
        if (rel == "/actions/detach" && at != list.end()) list.erase(at);
      }
      return ok({{"status", "ok"}, {"response", json::object()}});
    }
    if (rel.rfind("/actions/", 0) == 0) {
      const auto found = actions.find(rel.substr(9));
      // 400, the reference's only error status for these operations.
      if (found == actions.end()) return error(400, "Action not found");
      const std::string action_id = found->first;
      if (method == "GET") {
        // As the reference answers: response.actions[] with the action's id, type, name, description.
        json shown{{"action_id", action_id},
                   {"action_type", "CUSTOM_ACTION"},
                   {"name", found->second.value("name", "")},
                   {"description", found->second.value("description", "")}};
        return ok({{"status", "ok"}, {"response", {{"actions", json::array({shown})}}}});
      }
      if (method == "PUT") {
        // The same body as the create, replacing the action's fields.
        if (!body_ok || !body.contains("CUSTOM_ACTION") || !body["CUSTOM_ACTION"].is_object())
          return error(400, "CUSTOM_ACTION is required");
        json action = body["CUSTOM_ACTION"];
        action["action_id"] = action_id;
        action["action_type"] = "CUSTOM_ACTION";
        action["_initialized"] = false;
        action["_updates"] = found->second.value("_updates", 0) + 1;
        found->second = action;
        return ok({{"status", "ok"}, {"response", {{"action_id", action_id}}}});
      }
      if (method == "DELETE") {
        actions.erase(found);
        for (auto& [model_id, ids] : attached) ids.erase(std::remove(ids.begin(), ids.end(), action_id), ids.end());
        return ok({{"status", "ok"}, {"response", {{"answer", "Action deleted"}}}});
      }
      return error(405, "Method Not Allowed");
    }

    if (rel.rfind("/assistants/", 0) == 0) {
      const auto id = rel.substr(12);
      const auto it = assistants.find(id);
      if (it == assistants.end()) return error(404, "Not Found");
      if (method == "GET") {
        const json pagination{{"total_records", 1}, {"limit", 20}, {"offset", 0}};
        // As documented: actions (and input_variables) are listed only with include_actions=true.
        json shown = it->second;
        shown["actions"] = json::array();
        shown["input_variables"] = json::array();
        const auto include = query.find("include_actions");
        // "Action IDs attached to this assistant": bare ids, as the reference has them.
        if (include != query.end() && include->second == "true")
          for (const auto& action_id : attached[id]) shown["actions"].push_back(action_id);
        if (options.assistant_as_object) {
          return ok({{"status", "success"}, {"response", {{"pagination", pagination}, {"assistants", shown}}}});
        }
        return ok({{"status", "ok"}, {"response", {{"pagination", pagination}, {"assistants", json::array({shown})}}}});
      }
      if (method == "PUT") {
        if (!body_ok) return error(400, "body must be a JSON object", true);
        auto& agent = it->second;
        if (body.contains("phone_number") && body["phone_number"] != agent["phone_number"]) {
          const auto phone = body.value("phone_number", "");
          if (!phone.empty() && !numbers.count(slug_of(phone))) {
            return error(400, "phone number " + phone + " is not in the workspace", true);
          }
          if (agent.value("type", "") == "inbound" && inbound_agent_of(phone, id)) {
            return error(400, "No two inbound agents can share the same number", true);
          }
          unlink(agent);
          agent["phone_number"] = body["phone_number"];
          link(agent);
        }
        for (const auto& [key, value] : body.items()) {
          if (key == "agent" && value.is_object()) {
            if (!agent["agent"].is_object()) agent["agent"] = json::object();
            for (const auto& [k, v] : value.items()) agent["agent"][k] = v;
          } else if (key != "type" && key != "model_id" && key != "phone_number") {
            agent[key] = value;
          }
        }
        return ok({{"status", "ok"}, {"response", {{"model_id", id}}},
                   {"details", {{"phone", agent.value("phone_number", "")}, {"voice", ""}}}});
      }
      if (method == "DELETE") {
        unlink(it->second);
        order.erase(std::remove(order.begin(), order.end(), id), order.end());
        assistants.erase(it);
        return ok({{"status", "ok"}, {"response", {{"answer", "deleted"}}}});
      }
      return error(405, "Method Not Allowed");
    }
    return error(404, "Not Found");
  }

  reply handle(const fake_request& request) {
    std::lock_guard lock(mutex);
    const bool authorized = options.api_key.empty()
                                ? request.authorization.rfind("Bearer ", 0) == 0 && request.authorization.size() > 7
                                : request.authorization == "Bearer " + options.api_key;
    if (!authorized) return error(401, "Invalid API key");
    if (!request.under_base) return error(404, "Not Found");
    return handle_request(request.method, request.path, request.query, request.body);
  }

  json state_locked() const {
    json out{{"numbers", json::array()}, {"assistants", json::array()}, {"actions", json::array()}};
    for (const auto& [action_id, action] : actions) {
      json shown = action;
      shown["_attached_to"] = json::array();
      for (const auto& [model_id, ids] : attached)
        if (std::find(ids.begin(), ids.end(), action_id) != ids.end()) shown["_attached_to"].push_back(model_id);
      out["actions"].push_back(shown);
    }
    for (const auto& [slug, number] : numbers) {
      auto shown = public_number(number);
      shown["trunk_username"] = number.value("_trunk_username", "");
      shown["trunk_pwd_set"] = !number.value("_trunk_pwd", "").empty();
      out["numbers"].push_back(shown);
    }
    for (const auto& id : order) out["assistants"].push_back(assistants.at(id));
    return out;
  }

  fake_synthflow_options options;
  mutable std::mutex mutex;  // everything below
  std::map<std::string, json> numbers;     // by slug
  std::map<std::string, json> assistants;  // by model_id
  std::vector<std::string> order;          // model_ids in creation order
  unsigned long long next_id = 0;
  std::map<std::string, json> actions;                   // custom actions by action_id
  std::map<std::string, std::vector<std::string>> attached;  // model_id -> attached action_ids
  std::optional<std::pair<std::string, json>> rival;  // attached just before the next attach
  std::unique_ptr<fake_api_server> server;  // last: it calls into the state above until stopped
};

fake_synthflow::fake_synthflow(fake_synthflow_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

fake_synthflow::~fake_synthflow() { stop(); }

void fake_synthflow::stop() { impl_->server->stop(); }

std::uint16_t fake_synthflow::port() const { return impl_->server->port(); }

std::string fake_synthflow::api_url() const { return impl_->server->url(); }

std::filesystem::path fake_synthflow::ca_file() const { return impl_->server->ca_file(); }

const fake_synthflow_options& fake_synthflow::options() const { return impl_->options; }

void fake_synthflow::add_fault(fake_fault fault) { impl_->server->add_fault(std::move(fault)); }

std::vector<recorded_call> fake_synthflow::calls() const { return impl_->server->calls(); }

std::vector<recorded_call> fake_synthflow::writes() const { return impl_->server->writes(); }

std::vector<std::string> fake_synthflow::call_lines() const { return impl_->server->call_lines(); }

void fake_synthflow::clear_calls() { impl_->server->clear_calls(); }

void fake_synthflow::seed_number(const std::string& e164, const std::string& friendly_name,
                                 const std::string& provider_name, const std::string& sip_term_uri) {
  std::lock_guard lock(impl_->mutex);
  json number = impl_->make_number(e164, friendly_name);
  number["provider_name"] = provider_name;
  number["sip_term_uri"] = sip_term_uri;
  impl_->numbers[slug_of(e164)] = std::move(number);
}

std::string fake_synthflow::seed_assistant(json assistant) {
  std::lock_guard lock(impl_->mutex);
  const auto id = impl_->new_model_id();
  assistant["model_id"] = id;
  if (!assistant.contains("phone_number")) assistant["phone_number"] = nullptr;
  impl_->assistants[id] = assistant;
  impl_->order.push_back(id);
  impl_->link(assistant);
  return id;
}

std::string fake_synthflow::seed_action(json custom_action, const std::string& model_id) {
  std::lock_guard lock(impl_->mutex);
  const auto id = "act_" + impl_->new_model_id();
  custom_action["action_id"] = id;
  custom_action["action_type"] = "CUSTOM_ACTION";
  custom_action["_initialized"] = true;
  impl_->actions[id] = custom_action;
  impl_->attached[model_id].push_back(id);
  return id;
}

void fake_synthflow::rival_on_next_attach(json custom_action, const std::string& action_id) {
  std::lock_guard lock(impl_->mutex);
  custom_action["action_id"] = action_id;
  custom_action["action_type"] = "CUSTOM_ACTION";
  custom_action["_initialized"] = true;
  impl_->rival = std::make_pair(action_id, std::move(custom_action));
}

json fake_synthflow::number(const std::string& e164) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->numbers.find(slug_of(e164));
  return it == impl_->numbers.end() ? json() : it->second;
}

json fake_synthflow::assistant(const std::string& model_id) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->assistants.find(model_id);
  return it == impl_->assistants.end() ? json() : it->second;
}

json fake_synthflow::state() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state_locked();
}

}  // namespace twiml_redirect::test
