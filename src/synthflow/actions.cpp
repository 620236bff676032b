#include "twiml_redirect/synthflow/actions.hpp"

#include <openssl/evp.h>

#include <algorithm>
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
                          {"twilio_call_sid", "<twilio_call_sid>"},
                          {"synthflow_call_id", "{call_id}"}};
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

std::vector<std::pair<std::string, std::string>> initialize_variables(const context_action_settings& settings) {
  // Every placeholder of the body, whichever syntax Synthflow substitutes.
  return {{"external_id", settings.probe_id}, {"twilio_call_sid", settings.probe_id}, {"call_id", settings.probe_id}};
}

namespace {

// Ours first by a current fingerprint, then by action_id: the order every replica agrees on.
bool keep_before(const attached_action& a, const attached_action& b, const std::string& fingerprint) {
  const bool a_current = a.description.find(fingerprint) != std::string::npos;
  const bool b_current = b.description.find(fingerprint) != std::string::npos;
  if (a_current != b_current) return a_current;
  return a.action_id < b.action_id;
}

}  // namespace

api_result<std::vector<attached_action>> context_actions_of(synthflow_api& api, const std::string& model_id,
                                                           const std::string& fingerprint) {
  auto attached = api.get_agent_actions(model_id);
  if (!attached) return attached.error();
  std::vector<attached_action> ours;
  for (attached_action& action : *attached) {
    if (action.name.empty()) {
      auto read = api.get_action(action.action_id);
      if (!read) return read.error();
      if (!*read) continue;  // deleted since the agent was read
      action = std::move(**read);
    }
    if (action.name == kContextActionName) ours.push_back(std::move(action));
  }
  std::sort(ours.begin(), ours.end(),
            [&](const attached_action& a, const attached_action& b) { return keep_before(a, b, fingerprint); });
  return ours;
}

namespace {

// context_actions_of, with a failure recorded in `report`: nullopt then, for no write is better than
// a duplicate.
std::optional<std::vector<attached_action>> our_actions(synthflow_api& api, const std::string& model_id,
                                                        const std::string& fingerprint, provision_report& report) {
  auto ours = context_actions_of(api, model_id, fingerprint);
  if (!ours) {
    report.failures.push_back(ours.error());
    return std::nullopt;
  }
  return std::move(*ours);
}

class action_reconcile {
 public:
  action_reconcile(synthflow_api& api, const context_action_settings& settings, provision_report& report)
      : api_(api), settings_(settings), fingerprint_(context_action_fingerprint(settings)), report_(report) {}

  // Initialize, as the dashboard asks before use. A failure is a warning: see the header.
  void initialize(const std::string& action_id, const std::string& phone_number) {
    if (auto done = api_.initialize_action(action_id, initialize_variables(settings_)); !done) {
      report_.rows.push_back({"initialize", phone_number, std::string(kContextActionName), step_result::failed,
                              action_id, {}});
      report_.warnings.push_back(done.error());
      report_.initialize_pending.push_back(action_id);
    }
  }

  // The one action every agent without ours gets: created on first need.
  std::optional<std::string> created_action(const std::string& phone_number) {
    if (created_) return created_;
    auto id = api_.create_action(make_context_action_body(settings_));
    if (!id) {
      report_.failures.push_back(id.error());
      return std::nullopt;
    }
    created_ = *id;
    initialize(*id, phone_number);
    return created_;
  }

  // Ours with an old URL or token, brought up to date once however many agents share it.
  bool update(const std::string& action_id, const std::string& phone_number) {
    if (!updated_.insert(action_id).second) return true;
    if (auto done = api_.update_action(action_id, make_context_action_body(settings_)); !done) {
      report_.failures.push_back(done.error());
      return false;
    }
    initialize(action_id, phone_number);
    return true;
  }

  // Detaches `action_id` from the agent and deletes it (once).
  void remove(const std::string& model_id, const std::string& action_id) {
    if (auto detached = api_.detach_action(model_id, action_id); !detached) {
      report_.failures.push_back(detached.error());
      return;
    }
    if (!deleted_.insert(action_id).second) return;
    if (created_ == action_id) created_.reset();  // lost a race: later agents get the kept one
    if (auto deleted = api_.delete_action(action_id); !deleted) report_.failures.push_back(deleted.error());
  }

  const std::string& fingerprint() const { return fingerprint_; }

 private:
  synthflow_api& api_;
  const context_action_settings& settings_;
  const std::string fingerprint_;
  provision_report& report_;
  std::optional<std::string> created_;
  std::set<std::string> updated_;
  std::set<std::string> deleted_;
};

}  // namespace

void provision_context_action(synthflow_api& api, const context_action_settings& settings, bool dry_run,
                              stop_signal& stop, provision_report& report) {
  action_reconcile reconcile(api, settings, report);
  const std::string& fingerprint = reconcile.fingerprint();
  std::set<std::string> done;
  const std::vector<report_row> agents = report.rows;
  for (const report_row& agent : agents) {
    if (stop.stop_requested()) return;
    if (agent.kind != "agent" || agent.id.empty() || !done.insert(agent.id).second) continue;
    report_row row{"action", agent.phone_number, std::string(kContextActionName), step_result::unchanged, {}, {}};
    auto ours = our_actions(api, agent.id, fingerprint, report);
    if (!ours) continue;
    const bool have = !ours->empty();
    const bool current = have && ours->front().description.find(fingerprint) != std::string::npos;
    if (have) row.id = ours->front().action_id;
    if (have && !current) row.changes.push_back("url_or_token");
    if (ours->size() > 1) row.changes.push_back("duplicate");
    if (!have) row.result = dry_run ? step_result::would_create : step_result::created;
    else if (!row.changes.empty()) row.result = dry_run ? step_result::would_update : step_result::updated;
    if (dry_run || row.result == step_result::unchanged) {
      report.rows.push_back(std::move(row));
      continue;
    }

    if (!have) {
      const auto created = reconcile.created_action(agent.phone_number);
      if (!created) return;
      if (auto attached = api.attach_action(agent.id, *created); !attached) {
        report.failures.push_back(attached.error());
        continue;
      }
      row.id = *created;
      // Another replica may have attached its own meanwhile: read again, and keep the agreed one.
      auto after = our_actions(api, agent.id, fingerprint, report);
      if (!after) continue;
      if (after->size() > 1) {
        row.id = after->front().action_id;
        row.changes.push_back("duplicate");
        for (std::size_t i = 1; i < after->size(); ++i) reconcile.remove(agent.id, (*after)[i].action_id);
      }
    } else {
      if (!current && !reconcile.update(row.id, agent.phone_number)) continue;
      for (std::size_t i = 1; i < ours->size(); ++i) reconcile.remove(agent.id, (*ours)[i].action_id);
    }
    report.rows.push_back(std::move(row));
  }
}

}  // namespace twiml_redirect::synthflow
