#pragma once
// What the <Dial> action answers: Twilio reports how the dial ended (DialCallStatus) at
// "dial_action?step=N", and the answer either ends the call's TwiML (the call is over) or takes
// failover step N of the called number's route. The step travels in the action URL, which Twilio
// signs, so any replica can answer and no call state is kept. Pure: no I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::routing {

// Twilio's DialCallStatus values (twilio.com/docs/voice/twiml/dial).
enum class dial_status { completed, answered, canceled, busy, no_answer, failed };
inline constexpr std::size_t kDialStatuses = 6;

// The status named by `text` ("no-answer" …), or nullopt for anything else.
std::optional<dial_status> parse_dial_status(std::string_view text);
std::string_view to_string(dial_status status);

// Whether the dial ended without anyone taking the call, so the next step should: busy, no-answer,
// failed. A completed call was answered and ended by one side; answered (conference) and canceled
// (ended through the REST API) are decisions someone took; none of them is ever re-dialled.
bool needs_failover(dial_status status);

// The step index of an action URL's "step" query value: decimal digits, at most 6 of them (a plan has
// a handful of steps; a longer number is not ours). nullopt when malformed.
std::optional<std::size_t> parse_step(std::string_view text);

// The class of a DialSipResponseCode for the metric label: "2xx" … "6xx", or "none" when absent or not
// a SIP final response code.
std::string_view sip_response_class(std::string_view code);

// The kind of a failover step, for logs and metric labels: "sip_target", "dial_number", "say",
// "redirect".
std::string_view step_kind(const config::failover_step& step);

// The answer to one action request.
struct dial_action_answer {
  std::string twiml;
  // What was done, for the call-outcome log line and the failover metric: "ended" (the call's TwiML
  // ends, nothing more is dialled), a step kind (step_kind()), or "hangup" (no step left, or the
  // number is no longer routed).
  std::string_view action;
};

// The TwiML for a dial that ended with `status` before failover step `step` of `route` (null when the
// called number is no longer routed, e.g. after a reload): an empty <Response/> when the call needs
// no failover, else the step's TwiML, <Hangup/> past the last step. Each dialling step carries
// action="dial_action?step={step+1}", so its failure takes the next step. `called` and `call_sid`
// must be valid (twilio/call_params.hpp): a sip_target step dials the same number with the same X-EI
// and the route's SIP headers, filled from `params` (the action request's parameters).
dial_action_answer answer_dial_action(dial_status status, std::size_t step, const call_route* route,
                                      std::string_view called, std::string_view call_sid,
                                      const twilio::call_parameters& params = {});

}  // namespace twiml_redirect::routing
