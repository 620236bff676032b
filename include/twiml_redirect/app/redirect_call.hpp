#pragma once
// The /redirect_call webhook: Twilio asks what to do with an incoming call; the answer is TwiML
// that dials Synthflow's SIP ingress for the called number, tagged with the CallSid.

#include <string>

#include "twiml_redirect/http/types.hpp"

namespace twiml_redirect::app {

// Reads Called and CallSid from the query and, for a form POST, the body (body values win),
// validates them and renders the TwiML. Bad input gets a 4xx naming the parameter and the problem.
// Sets ctx.call_sid when the CallSid is valid. No I/O.
http::response handle_redirect_call(const http::request& req, http::request_context& ctx, const std::string& sip_target);

}  // namespace twiml_redirect::app
