#pragma once
// Synthflow's JSON shapes, both ways, as pure functions: reading answers whatever envelope variant
// the docs show (flat or {"status","response"}; "assistants" as array or object), building request
// bodies from config, and deciding which managed fields drifted. No I/O; unit-tested.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::synthflow {

// A custom number as GET /numbers/{slug} describes it. Optional fields are std::nullopt when the
// answer lacks the key (unknown: never counted as drift), and "" when the key is null.
struct number_state {
  std::string phone_number;
  std::optional<std::string> friendly_name;
  std::optional<std::string> sip_term_uri;
  std::optional<std::string> provider_name;
  std::optional<std::string> trunk_username;
  std::optional<std::vector<std::string>> assistants;  // model_ids attached to the number
};

// An agent as GET /assistants/{id} or the list describes it.
struct assistant_state {
  std::string model_id;
  std::string name;
  std::string type;
  std::optional<std::string> phone_number;
  std::optional<std::string> voice_engine_version;
  std::optional<nlohmann::json> agent;  // the nested agent settings, when the answer has them
};

struct page_info {
  std::size_t total_records = 0;
  std::size_t offset = 0;
};

// The path segment Synthflow uses for a number: E.164 without the leading '+'.
std::string phone_slug(std::string_view e164);

// Synthflow's own error text from an error body: "detail" as a string or as an object
// ({description, status, ...}), or the gateway's {"error", "message"}. Empty when none is found;
// the caller masks secrets in it, then cuts it (util::redact_and_cut).
std::string error_message_from_body(std::string_view body);

// The payload of an answer: body["response"] when the body is a {"status","response"} envelope,
// else the body itself.
const nlohmann::json& unwrap(const nlohmann::json& body);

// A number from GET /numbers/{slug}, flat or wrapped; std::nullopt when it has no phone_number.
std::optional<number_state> parse_number(const nlohmann::json& body);

// The numbers on one page of GET /numbers, and its pagination when present.
std::vector<std::string> parse_number_list(const nlohmann::json& body);
std::optional<page_info> parse_pagination(const nlohmann::json& body);

// Agents from GET /assistants/ or GET /assistants/{id}: "assistants" as an array or a single object,
// wrapped or not. Entries without a model_id are skipped.
std::vector<assistant_state> parse_assistants(const nlohmann::json& body);

// The model_id of a created agent: response.model_id, or a top-level model_id. Empty when absent.
std::string parse_created_model_id(const nlohmann::json& body);

// Body of POST /custom-numbers: provider_name always (omitted means "custom" to Synthflow) and the
// termination URI, which Synthflow requires for every provider but five9, ringcx and zoom
// (config refuses a provisioned number without it).
nlohmann::json make_custom_number_body(const config::number_config& number,
                                       std::string_view workspace_id);

// Managed number fields whose live value differs from config ("friendly_name", "termination_uri",
// "provider_name", "trunk_username"). Why only these: a field the answer does not carry is unknown,
// and treating unknown as drift would make every run write. trunk_pwd can never be read back, so
// it is sent on create and with every drift PATCH, and a password change alone is not detected.
std::vector<std::string> number_drift(const config::number_config& number, const number_state& live);

// Body of PATCH /numbers/{slug} fixing `drift`, plus trunk credentials (see number_drift).
nlohmann::json make_number_patch_body(const config::number_config& number,
                                      const std::vector<std::string>& drift);

// The agent settings object we manage: non-empty configured fields, then `extra` keys that do not
// collide with them.
nlohmann::json desired_agent_settings(const config::agent_config& agent);

// Body of POST /assistants: an inbound agent linked to the number.
nlohmann::json make_assistant_create_body(const config::number_config& number);

// Body of PUT /assistants/{id}: the full managed set, because whether Synthflow merges or replaces
// the nested agent object is unconfirmed.
nlohmann::json make_assistant_update_body(const config::number_config& number);

// Managed agent fields that differ ("name", "phone_number", "voice_engine_version",
// "agent.<key>"). As for numbers, a field the answer lacks is unknown and is not drift.
std::vector<std::string> assistant_drift(const config::number_config& number,
                                         const assistant_state& live);

// A custom action as an agent lists it.
struct attached_action {
  std::string action_id;
  std::string name;
  std::string description;
};

// The actions of agent `model_id` in a GET /assistants/{id}?include_actions=true answer; each item
// may be an action object (action_id or id) or a bare id. Empty optional: no such agent in the
// answer, or no `actions` array: the caller must not take that for "none attached" (it would create
// a duplicate).
std::optional<std::vector<attached_action>> parse_agent_actions(const nlohmann::json& body, const std::string& model_id);

// The action `action_id` in a GET /actions/{id} answer (response.actions[], as the reference has it,
// or the action object itself); nullopt when the answer does not hold it.
std::optional<attached_action> parse_action(const nlohmann::json& body, const std::string& action_id);

// The action_id in a POST /actions answer; empty when it has none.
std::string parse_created_action_id(const nlohmann::json& body);

}  // namespace twiml_redirect::synthflow
