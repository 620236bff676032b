#pragma once
// `twiml-redirect simulate`: plays Twilio's side of a call against the service, in-process (the
// service's own router, with the configured signature check) or against a running instance over
// HTTP (--url, each request signed with the configured auth token): the webhook, the <Dial> action
// with a chosen outcome for each dial, and a SIP REFER, printing each request, the TwiML answered,
// what Twilio does next and how the call ends. `--all` plays every configured number's failover
// chain to its end, each transfer allow-list entry and one refused target.
// The TwiML reading, the outcome parsing and the scenario list are pure and unit-tested; only the
// transports do I/O.

#include <chrono>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/outbound/request.hpp"

namespace twiml_redirect::app {

// One element of a TwiML document: its name, attributes (entities decoded), text and children.
struct twiml_element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;
  std::vector<twiml_element> children;

  // The attribute's value, empty when absent.
  std::string attribute(std::string_view key) const;
};

// The verbs of a <Response> (its children), or why the text is not a TwiML document we can follow.
// Reads the XML the service writes: a declaration, elements, attributes in double quotes, character
// data, the five named entities and numeric character references.
std::variant<std::vector<twiml_element>, std::string> parse_twiml(std::string_view xml);

// How a dial ends, as Twilio reports it at the <Dial> action: DialCallStatus and, for a SIP leg,
// DialSipResponseCode (empty when none).
struct dial_outcome {
  std::string status;  // completed, busy, no-answer, failed, canceled, answered
  std::string sip_code;
};

// "failed:503,completed" → [{failed,503},{completed,""}]; or what is wrong (an unknown status, a
// code that is not 100-699).
std::variant<std::vector<dial_outcome>, std::string> parse_outcomes(std::string_view text);

// One call to play.
struct scenario {
  std::string title;                    // for --all's headings
  std::string called;                   // E.164
  std::vector<dial_outcome> outcomes;   // one per dial, in order; a dial past the end is "completed"
  std::optional<std::string> refer;     // the agent sends a REFER to this target once it answers
};

// Every scenario --all plays for `config`: for each configured number (sorted), its failover chain
// with the first k dials failing (busy, no-answer, failed:503 in turn) for every k up to the whole
// chain, then one transfer per allow-list entry and one to a target the list refuses.
std::vector<scenario> all_scenarios(const config::service_config& config);

// One line for an answered document: "dial agent sip:…; action dial_action?step=0; referUrl refer".
std::string summarize_twiml(const std::vector<twiml_element>& verbs);

// A URL the TwiML gives (relative, like "dial_action?step=1", or absolute) resolved against the path
// of the request that got it, as Twilio resolves it: the path and query to request next.
std::string resolve_callback(std::string_view request_path, std::string_view url);

// An answer of the service, whichever way it was asked.
struct webhook_answer {
  unsigned status = 0;  // 0: no answer (the message says why)
  std::string body;
  std::string error;
};

// Delivers Twilio's requests: a POST of a form to a path (with query) of the service.
class webhook_transport {
 public:
  virtual ~webhook_transport() = default;
  virtual webhook_answer post(const std::string& path_and_query, const outbound::form_fields& form) = 0;
  // What the printed requests are relative to: "in-process" or the URL.
  virtual std::string describe() const = 0;
};

// The service's router built from `config`, with its signature check; requests are signed with the
// configured auth token (over twilio.public_url when set) exactly as Twilio would sign them.
std::unique_ptr<webhook_transport> make_in_process_transport(const config::service_config& config);

// A running instance at `base_url` (http or https, an optional path prefix), each request signed with
// the configured auth token over twilio.public_url when set, else over `base_url`. Nullptr (and the
// reason in `error`) when the URL is not usable.
std::unique_ptr<webhook_transport> make_http_transport(const config::service_config& config, std::string_view base_url,
                                                       std::string& error);

struct simulate_options {
  bool brief = false;  // one-line summaries instead of the TwiML
};

// How a played call ended.
struct scenario_result {
  std::string end;     // "agent answered", "person answered", "message played, hung up", "transfer refused", …
  bool error = false;  // an answer that was not 200 TwiML we could follow
};

// Plays `call` through `transport`, printing it to `out`.
scenario_result play_scenario(webhook_transport& transport, const scenario& call, const simulate_options& options,
                              std::ostream& out);

// Plays each scenario and prints a summary line per scenario at the end; 0 when none ended in an
// error answer, else 1.
int run_simulate(webhook_transport& transport, const std::vector<scenario>& calls, const simulate_options& options,
                 std::ostream& out);

// The command line of `simulate`.
struct simulate_command {
  std::optional<std::string> number;    // --number E164 (unless --all)
  std::optional<std::string> outcomes;  // --outcomes failed:503,completed
  std::optional<std::string> refer;     // --refer tel:+1…|sip:user@host
  std::optional<std::string> url;       // --url: a running instance; unset: in-process
  bool brief = false;
  bool all = false;
};

// `twiml-redirect simulate`: 0 when every call ended without an error answer, 1 when one did (or the
// instance could not be reached), 2 for bad usage (the problem on `err`).
int run_simulate_command(const config::service_config& config, const simulate_command& command, std::ostream& out,
                         std::ostream& err);

}  // namespace twiml_redirect::app
