#pragma once
// The reconcile algorithm: for each configured number, make Synthflow match the config with as few
// calls as possible, number first, then its one inbound agent. Reads decide; writes happen only for
// what is missing or drifted, so a rerun with unchanged config sends no write at all.

#include <string>
#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/synthflow/api.hpp"

namespace twiml_redirect::synthflow {

enum class step_result { unchanged, created, updated, would_create, would_update, failed };

// "created", "would update", ...: the words the table prints.
std::string_view to_string(step_result result);

struct report_row {
  std::string kind;          // "number" or "agent"
  std::string phone_number;  // E.164
  std::string name;          // friendly name or agent name from config
  step_result result = step_result::unchanged;
  std::string id;            // number slug or agent model_id; empty when unknown
  std::vector<std::string> changes;  // drifted fields for updates
};

struct provision_report {
  std::vector<report_row> rows;
  std::vector<failure> failures;

  // True when every number and agent matches (or, in a dry run, could be read).
  bool ok() const { return failures.empty(); }
  // True when some failure will not go away by itself (4xx, untrusted certificate, bad config).
  bool has_permanent_failure() const;
  // The failures, "; "-joined, for logs and /readyz.
  std::string failure_summary() const;
};

// Reconciles every number of `numbers` that has an agent through `api` (a number without one is
// routed but not provisioned). dry_run reads only and reports what it would change. Stops early when
// `stop` is requested.
provision_report provision(synthflow_api& api, const config::synthflow_config& config,
                           const std::vector<config::number_config>& numbers, bool dry_run, stop_signal& stop);

// The report as an aligned text table with one row per number and agent, failures listed after it.
std::string format_report(const provision_report& report);

}  // namespace twiml_redirect::synthflow
