#pragma once
// The two callbacks Twilio makes during a call that the webhook's <Dial> set up:
//   /dial_action?step=N  the dial ended (DialCallStatus): end the call or take failover step N
//   /refer               the agent sent a SIP REFER (ReferTransferTarget): dial it if allowed
// Both run behind twilio_guard (signature checked, parameters decoded), decide through the pure
// functions of routing/failover.hpp and routing/transfer.hpp, log one line per request and count
// the outcome. The caller's own number (From, Caller) is never read.

#include "twiml_redirect/app/health.hpp"
#include "twiml_redirect/app/twilio_guard.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// The callbacks' counters, registered on (and living in) the service's metrics.
struct callback_metrics {
  explicit callback_metrics(util::metrics& metrics);

  util::labelled_counter& dial_outcomes;   // {status, sip_class}
  util::labelled_counter& failover_steps;  // {kind}
  util::labelled_counter& transfers;       // {result}
};

// Answers an action request: 200 with TwiML (routing::answer_dial_action; <Hangup/> for a status
// Twilio may add later), or 400 naming the parameter when DialCallStatus is missing or not a status
// word, the "step" query is missing or malformed, or Called/CallSid are missing or invalid.
// The outcome is also heard by the breaker of the SIP target that dial went to (hear_dial_outcome).
http::response handle_dial_action(const twilio_request& req, http::request_context& ctx,
                                  const routing::route_table& routes, const callback_metrics& metrics,
                                  const health_metrics* health = nullptr);

// Answers a referUrl request: 200 with TwiML (routing::answer_refer: the allowed target dialled, or
// an empty <Response/> for a target that is refused or cannot be parsed), or 400 naming the parameter
// when ReferTransferTarget is missing or Called/CallSid are missing or invalid.
http::response handle_refer(const twilio_request& req, http::request_context& ctx, const routing::route_table& routes,
                            const callback_metrics& metrics);

}  // namespace twiml_redirect::app
