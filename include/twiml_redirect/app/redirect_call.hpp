#pragma once
// The /redirect_call webhook: Twilio asks what to do with an incoming call; the answer is TwiML
// that dials Synthflow's SIP ingress for the called number, tagged with the CallSid, with the
// number's route (dial options, failover action, transfer referUrl), or <Reject> for a number that
// is not configured when the configuration says so.

#include <string>

#include "twiml_redirect/app/twilio_guard.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::app {

// Reads Called and CallSid from the decoded form body of a POST, then the query (body values win),
// validates them, looks Called up in `routes` and renders the TwiML. Bad input gets a 400 naming the
// parameter and the problem.
// Sets ctx.call_sid when the CallSid is valid. Runs behind twilio_guard, which has decoded the
// parameters, checked the signature and refused malformed encodings. No I/O.
http::response handle_redirect_call(const twilio_request& req, http::request_context& ctx,
                                    const routing::route_table& routes);

// <Response><Reject reason="rejected"/></Response>: the call is not answered and not billed.
std::string reject_twiml();

}  // namespace twiml_redirect::app
