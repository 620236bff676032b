#pragma once
// The /redirect_call webhook: Twilio asks what to do with an incoming call; the answer is TwiML
// that dials Synthflow's SIP ingress for the called number, tagged with the CallSid.

#include <string>

#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/util/form_decoding.hpp"

namespace twiml_redirect::app {

// Reads Called and CallSid from the query and, for a form POST, the body (body values win),
// validates them and renders the TwiML. Bad input gets a 4xx naming the parameter and the problem.
// Sets ctx.call_sid when the CallSid is valid. `decoded_body`, when given, is the form body already
// decoded by the caller (who decoded it for the signature check); else the handler decodes it. No I/O.
http::response handle_redirect_call(const http::request& req, http::request_context& ctx, const std::string& sip_target,
                                    const util::decoded_form* decoded_body = nullptr);

}  // namespace twiml_redirect::app
