#include "twiml_redirect/synthflow/actions.hpp"

#include <openssl/evp.h>

#include <array>
#include <optional>
#include <set>

namespace twiml_redirect::synthflow {

using json = nlohmann::json;

std::string context_action_fingerprint(const context_action_settings& settings) {
  const std::string input = settings.url + '\n' + settings.token;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 8 && i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

json make_context_action_body(const context_action_settings& settings) {
  const json request_body{{"external_id", "<external_id>"},
                          {"call_sid", "{external_id}"},
                          {"twilio_call_sid", "<twilio_call_sid>"}};
  return {{"CUSTOM_ACTION",
           {{"http_mode", "POST"},
            {"url", settings.url},
            {"run_action_before_call_start", true},
            {"name", std::string(kContextActionName)},
            {"description", "Caller context for the prompt (caller_name, caller_city, ...), from twiml-redirect; "
                            "managed by `twiml-redirect provision` (config " +
                                context_action_fingerprint(settings) + ")"},
            {"headers", json::array({{{"key", "Content-Type"}, {"value", "application/json"}}})},
            {"json_body_stringified", request_body.dump()},
            {"custom_auth", {{"is_needed", true}, {"location", "header"}, {"key", "Bearer"}, {"value", settings.token}}}}}};
}

void provision_context_action(synthflow_api& api, const context_action_settings& settings, bool dry_run,
                              stop_signal& stop, provision_report& report) {
  const std::string fingerprint = context_action_fingerprint(settings);
  std::optional<std::string> created;  // one action for every agent, made on first need
  std::set<std::string> done;
  const std::vector<report_row> agents = report.rows;
  for (const report_row& agent : agents) {
    if (stop.stop_requested()) return;
    if (agent.kind != "agent" || agent.id.empty() || !done.insert(agent.id).second) continue;
    report_row row{"action", agent.phone_number, std::string(kContextActionName), step_result::unchanged, {}, {}};
    auto actions = api.get_agent_actions(agent.id);
    if (!actions) {
      report.failures.push_back(actions.error());
      continue;
    }
    std::vector<std::string> stale;
    for (const attached_action& action : *actions) {
      if (action.name != kContextActionName) continue;
      if (action.description.find(fingerprint) != std::string::npos && row.id.empty()) {
        row.id = action.action_id;
      } else {
        stale.push_back(action.action_id);
      }
    }
    if (row.id.empty()) {
      row.result = dry_run ? (stale.empty() ? step_result::would_create : step_result::would_update)
                           : (stale.empty() ? step_result::created : step_result::updated);
      if (!stale.empty()) row.changes = {"url_or_token"};
    } else if (!stale.empty()) {
      row.result = dry_run ? step_result::would_update : step_result::updated;
      row.changes = {"duplicate"};
    }
    if (dry_run || row.result == step_result::unchanged) {
      report.rows.push_back(std::move(row));
      continue;
    }
    if (row.id.empty()) {
      if (!created) {
        auto id = api.create_action(make_context_action_body(settings));
        if (!id) {
          report.failures.push_back(id.error());
          return;
        }
        // The dashboard asks for Initialize before use; an API failure there is not fatal.
        if (auto initialized = api.initialize_action(*id); !initialized) report.failures.push_back(initialized.error());
        created = *id;
      }
      if (auto attached = api.attach_action(agent.id, *created); !attached) {
        report.failures.push_back(attached.error());
        continue;
      }
      row.id = *created;
    }
    for (const std::string& old : stale) {
      if (auto detached = api.detach_action(agent.id, old); !detached) report.failures.push_back(detached.error());
    }
    report.rows.push_back(std::move(row));
  }
}

}  // namespace twiml_redirect::synthflow
