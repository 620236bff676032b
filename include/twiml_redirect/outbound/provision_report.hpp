#pragma once
// What one reconcile of an API's objects against the config did, object by object, and the failures
// that ended some of them. Shared by every provisioned API (Synthflow, Twilio) so that `provision`
// prints one table and serve's runner judges every API's outcome the same way.

#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/outbound/call.hpp"

namespace twiml_redirect::outbound {

enum class step_result { unchanged, created, updated, would_create, would_update, failed };

// "created", "would update", ...: the words the table prints.
std::string_view to_string(step_result result);

struct report_row {
  std::string kind;          // "number", "agent", "twilio"
  std::string phone_number;  // E.164
  std::string name;          // friendly name or agent name from config
  step_result result = step_result::unchanged;
  std::string id;            // the API's id of the object; empty when unknown
  std::vector<std::string> changes;  // drifted fields for updates
};

struct provision_report {
  std::vector<report_row> rows;
  std::vector<call_failure> failures;
  // Calls that failed without making the reconcile fail (printed as warnings): Synthflow's
  // Initialize of an action whose URL does not answer yet.
  std::vector<call_failure> warnings;
  // Synthflow actions whose Initialize failed, for serve to retry once it is ready.
  std::vector<std::string> initialize_pending;

  // True when every object matches (or, in a dry run, could be read).
  bool ok() const { return failures.empty(); }
  // True when some failure will not go away by itself (4xx, untrusted certificate, bad config).
  bool has_permanent_failure() const;
  // The failures, "; "-joined, for logs and /readyz.
  std::string failure_summary() const;
  // Appends another report's rows, failures, warnings and pending initializes.
  void append(provision_report other);
};

// The report as an aligned text table with one row per object, failures listed after it.
std::string format_report(const provision_report& report);

}  // namespace twiml_redirect::outbound
