#pragma once
// The pre-call custom action that asks /call_context for the caller's variables: its body, and the
// reconcile that creates it once and attaches it to each provisioned agent as a before-call action.
// Idempotent: an agent that already has the action for this URL and token gets no write. Synthflow
// documents no update of an action, so a changed URL or token means a new action, attached, and the
// old one detached. The token goes only into the action's body, sent to Synthflow; the description
// carries a fingerprint of URL and token (a truncated SHA-256) so a rerun can tell them apart.

#include <string>

#include <nlohmann/json.hpp>

#include "twiml_redirect/synthflow/api.hpp"
#include "twiml_redirect/synthflow/provisioner.hpp"

namespace twiml_redirect::synthflow {

inline constexpr std::string_view kContextActionName = "twiml-redirect caller context";

struct context_action_settings {
  std::string url;    // PUBLIC_URL + "/call_context"
  std::string token;  // CALL_CONTEXT_TOKEN; never logged or printed
};

// 16 hex digits of SHA-256(url, token): what the description records.
std::string context_action_fingerprint(const context_action_settings& settings);

// The POST /actions body: a POST to the URL with Bearer auth, run before the call starts, whose
// JSON body names the call in every form /call_context accepts (whichever placeholder syntax
// Synthflow fills, <x> or {x}, the others arrive unfilled and are skipped).
nlohmann::json make_context_action_body(const context_action_settings& settings);

// For each agent row of `report` with an id: makes the context action attached to it, adding an
// "action" row per agent (and failures) to `report`.
void provision_context_action(synthflow_api& api, const context_action_settings& settings, bool dry_run,
                              stop_signal& stop, provision_report& report);

}  // namespace twiml_redirect::synthflow
