#pragma once
// The pre-call custom action that asks /call_context for the caller's variables: its body, and the
// reconcile that creates it once and attaches it to each provisioned agent as a before-call action.
// Idempotent: an agent that already has the action for this URL and token gets no write. An agent
// lists its actions as bare ids, so each is read (GET /actions/{id}) to find ours by name; a changed
// URL or token updates ours in place (PUT /actions/{id}); more than one of ours (left by an older
// version, or by two replicas creating at the same moment) are detached and deleted but one. The
// token goes only into the action's body, sent to Synthflow; the description carries a fingerprint
// of URL and token (a truncated SHA-256) so a rerun can tell whether it changed.
//
// Two replicas starting at once: each re-reads the agent after attaching what it created, and every
// reader keeps the same one of ours (a current fingerprint first, then the smallest action_id) and
// deletes the rest, so whichever finishes last leaves exactly one.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "twiml_redirect/synthflow/api.hpp"
#include "twiml_redirect/synthflow/provisioner.hpp"

namespace twiml_redirect::synthflow {

inline constexpr std::string_view kContextActionName = "twiml-redirect caller context";

struct context_action_settings {
  std::string url;    // PUBLIC_URL + "/call_context"
  std::string token;  // CALL_CONTEXT_TOKEN; never logged or printed
  // The call id Initialize substitutes into the body; /call_context answers it with every key and
  // empty values, so Initialize succeeds and Synthflow learns the answer's keys.
  std::string probe_id;
};

// The variables Initialize is given: each call id placeholder of the body, set to the probe.
std::vector<std::pair<std::string, std::string>> initialize_variables(const context_action_settings& settings);

// 16 hex digits of SHA-256(url, token): what the description records.
std::string context_action_fingerprint(const context_action_settings& settings);

// The POST /actions body: a POST to the URL with Bearer auth, run before the call starts, whose
// JSON body names the call in every form /call_context accepts (whichever placeholder syntax
// Synthflow fills, <x> or {x}, the others arrive unfilled and are skipped).
nlohmann::json make_context_action_body(const context_action_settings& settings);

// Our actions attached to agent `model_id` (by name; each read with GET /actions/{id} where the agent
// lists bare ids), the one to keep first: a current fingerprint, then the smallest action_id.
api_result<std::vector<attached_action>> context_actions_of(synthflow_api& api, const std::string& model_id,
                                                           const std::string& fingerprint);

// For each agent row of `report` with an id: makes the context action attached to it, adding an
// "action" row per agent (and failures) to `report`. A failed Initialize is an "initialize" row
// marked failed, with the reason in report.warnings: not a failure, since Synthflow calls PUBLIC_URL,
// which on a first deployment may not reach any instance yet (retry_initialize, once serving).
void provision_context_action(synthflow_api& api, const context_action_settings& settings, bool dry_run,
                              stop_signal& stop, provision_report& report);

}  // namespace twiml_redirect::synthflow
