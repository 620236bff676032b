#pragma once
// `twiml-redirect doctor`: checks, with the live credentials of the configuration, every hop a call
// takes (Twilio's number and webhook, this service's public URL, Synthflow's number, agent, pre-call
// action and region, the SIP host) and says which one is broken and what to change. The checks are
// a table of {id, deadline, function}; each runs on its own thread with its own deadline, and a
// network error is that check's fail, never a crash. Formatting the results (table, JSON, exit code)
// and the pure judgements (regions, webhook settings, alert grouping) have no I/O and are unit-tested.

#include <chrono>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::app {

enum class check_result { pass, warn, fail, skip };
std::string_view to_string(check_result result);

// One line of the report: a check about one number (or "-" for the whole set-up).
struct check_row {
  std::string id;      // "synthflow.number"
  std::string number;  // E.164, or "-"
  check_result result = check_result::pass;
  std::string detail;  // what was found; never a secret
  std::string fix;     // with fail: what to change, where
};

// What the checks read: the configuration, and where Twilio's Monitor API lives (its own host).
struct doctor_inputs {
  const config::service_config& config;
  std::string monitor_url = "https://monitor.twilio.com";  // twilio.monitor_url
  std::chrono::milliseconds sip_deadline{2'000};            // sip.options, per transport
};

// Lets the runner end a check at its deadline: the check registers how to abort what it waits on
// (a client's abort(), a stop signal), and those run once when the deadline passes. Thread-safe.
class check_control {
 public:
  void on_cancel(std::function<void()> hook);
  void cancel();
  bool cancelled() const;

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::vector<std::function<void()>> hooks_;
};

struct doctor_check {
  std::string id;
  std::chrono::milliseconds deadline;
  std::function<std::vector<check_row>(const doctor_inputs&, check_control&)> run;
};

// Every check, in the order the report lists them.
std::vector<doctor_check> doctor_checks();

// Runs `checks` at once, each on its own thread; a check that has not finished by its deadline gets
// one fail row saying so. Rows come back in the order of `checks`.
std::vector<check_row> run_checks(const std::vector<doctor_check>& checks, const doctor_inputs& inputs);

// CHECK  NUMBER  RESULT  DETAIL, columns aligned, and under each fail a "  fix: …" line.
std::string format_table(const std::vector<check_row>& rows);
// {"checks":[{"id","number","result","detail","fix"}]} (fix null unless the row failed).
std::string format_json(const std::vector<check_row>& rows);
// 0 when no row failed, else 1.
int doctor_exit_code(const std::vector<check_row>& rows);

// ---- pure judgements ----

// Synthflow's region of an API host ("api.us.synthflow.ai" → us): its name and its SIP host, or
// nullopt for a host that is not Synthflow's.
struct synthflow_region {
  std::string name;      // "us", "eu", "global"
  std::string sip_host;  // "sip.us.synthflow.ai"
};
std::optional<synthflow_region> region_of_api_host(std::string_view host);

// How a SIP target (host[:port], or "auto") fits the API's region: pass, warn (not Synthflow's host,
// the legacy Global cluster, the old guide's sipin host) or fail (another region's host).
check_row judge_sip_target(std::string_view number, std::string_view setting, std::string_view sip_target,
                           const std::optional<synthflow_region>& region, std::string_view api_host);

// The expected Twilio voice settings of a number against what Twilio has.
struct webhook_settings {
  std::string voice_url;
  std::string voice_method;
  std::string voice_fallback_url;
};
check_row judge_webhook(std::string_view number, const webhook_settings& expected, const webhook_settings& actual);

// Twilio Monitor alerts (the "alerts" array of GET /v1/Alerts) grouped by error code for the rows of
// twilio.alerts: each code with its count and Twilio's text, keeping those that name one of `numbers`
// or a URL under `public_url` (or every alert when neither is known).
std::vector<check_row> group_alerts(const nlohmann::json& alerts, const std::vector<std::string>& numbers,
                                    std::string_view public_url);

// The row of twilio.calls for a number: its last calls (the "calls" array of GET .../Calls.json)
// grouped by status, with the average duration; warn when any failed, was busy or unanswered.
check_row summarize_calls(std::string_view number, const nlohmann::json& calls);

// ---- doctor --call: one live test call ----

// What to call: `to` one of the account's numbers routed here (its webhook runs, the agent answers)
// or any number; `from` a number of the account (default: the first configured number).
struct test_call_options {
  std::string to;
  std::string from;
  std::chrono::milliseconds follow_for{150'000};  // the call is followed this long at most
  std::chrono::milliseconds poll_every{2'000};
};

// What one test call showed: the placed call as Twilio's Calls list shows it at its end, the leg
// that reached `to` (null when `to` is not one of the account's numbers or none was seen), and this
// deployment's record of that leg, GET PUBLIC_URL/calls/{sid} (null when there is none; `record_note`
// says why, e.g. "answered HTTP 404", "no CALL_CONTEXT_TOKEN").
struct test_call_evidence {
  nlohmann::json placed;
  nlohmann::json inbound;
  nlohmann::json record;
  std::string record_note;
  bool context_action = false;  // context.synthflow_action: Synthflow should have asked /call_context
};

// The rows of a test call (pure): call.placed, call.webhook, call.sip, call.duration, call.context,
// and one `unconfirmed.*` row per statement of the docs the call settles (pass) or cannot (skip).
std::vector<check_row> summarize_test_call(const test_call_evidence& evidence);

// `twiml-redirect doctor --call TO`: places the call through Twilio's Calls API (it costs a call),
// follows it and prints what it showed; 0 when nothing failed, 1 when something did, 2 when the
// call cannot be placed with this configuration (credentials, numbers).
int run_doctor_call(const config::service_config& config, const test_call_options& options, bool json, std::ostream& out);

// `twiml-redirect doctor`: prints the table (or JSON) of every check; 0 when nothing failed, else 1.
int run_doctor(const config::service_config& config, bool json, std::ostream& out);

}  // namespace twiml_redirect::app
