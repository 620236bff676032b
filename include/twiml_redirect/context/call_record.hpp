#pragma once
// What the webhook learns about a call and Synthflow's pre-call action gets back: the call record
// (the caller variables of twilio/caller_variables.hpp), its JSON form, its packed in-memory form,
// and the call id a /call_context request names. Pure: no I/O.

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "twiml_redirect/twilio/caller_variables.hpp"

namespace twiml_redirect::context {

// The longest parameter value kept; Twilio's are far shorter. A longer one is kept as "" rather
// than cut, so the agent never reads half a name.
inline constexpr std::size_t kMaxValueBytes = 255;

struct call_record {
  // In the order of twilio::kCallerVariables; "" where Twilio did not send the parameter.
  std::array<std::string, twilio::kCallerVariables.size()> values;

  const std::string& call_sid() const { return values[0]; }
  const std::string& called_number() const { return values[1]; }

  // Reads each caller variable's webhook parameter through `parameter` (null when not sent).
  static call_record from_parameters(const std::function<const std::string*(std::string_view name)>& parameter);

  // The flat JSON object /call_context answers: every caller variable, then `extra` (a number's own
  // variables), all strings. Never throws; bytes that are not UTF-8 become U+FFFD.
  std::string to_json(const std::vector<std::pair<std::string, std::string>>& extra = {}) const;

  // Reads to_json()'s output back (unknown keys ignored, missing ones ""); nullopt when `json` is not
  // a JSON object of strings naming a call.
  static std::optional<call_record> from_json(std::string_view json);

  // A compact form for the memory store: each value after its length byte.
  std::string pack() const;
  static call_record unpack(std::string_view packed);
};

// The call id provisioning gives Synthflow's Initialize for every placeholder of the action's body:
// a request naming it is the Initialize, answered with every key and empty values.
inline constexpr std::string_view kInitializeProbe = "twiml-redirect-initialize-probe";

// The call a /call_context request names: the CallSids to look up in order, or the answer to give
// instead. Which field Synthflow fills on a call it did not place is undocumented, so every field
// that holds a CallSid is a candidate, and the first one the store knows answers.
struct named_call {
  std::vector<std::string> candidates;  // distinct CallSids in field order; not empty unless probe or error
  std::vector<std::string> fields;      // the names of the fields tried, for a 404's message
  bool probe = false;                   // Initialize's probe (kInitializeProbe)
  std::string synthflow_call_id;        // Synthflow's own id of the call ({call_id}), when well formed
  std::string error;                    // why the request names no call, naming the field; for a 400
};

// The CallSid in one field's value: "CA…", or an X-EI token list as Synthflow fills <external_id>
// ("E.CA…;", "S.abc;E.CA…;"). nullopt when it holds no valid CallSid.
std::optional<std::string> parse_call_id(std::string_view value);

// The call a /call_context request names: the JSON body's call_sid, twilio_call_sid and external_id,
// then the `call_sid` query parameter (`query_call_sid`, null when absent). Empty, null, "None",
// "null" and unfilled "<...>"/"{...}" values are absent, and so is a value that is not a CallSid
// when another field holds one; only when none does is a malformed field a 400 naming it.
named_call find_named_call(std::string_view json_body, const std::string* query_call_sid);

}  // namespace twiml_redirect::context
