#pragma once
// The /redirect_call webhook: Twilio asks what to do with an incoming call; the answer is TwiML
// that dials Synthflow's SIP ingress for the called number, tagged with the CallSid, with the
// number's route (dial options, failover action, transfer referUrl), or <Reject> for a number that
// is not configured when the configuration says so.

#include <string>
#include <string_view>
#include <variant>

#include "twiml_redirect/app/health.hpp"
#include "twiml_redirect/app/twilio_guard.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// Reads Called and CallSid from the decoded form body of a POST, then the query (body values win),
// validates them, looks Called up in `routes` and renders the TwiML. Bad input gets a 400 naming the
// parameter and the problem. A rejected call (an unknown number with routing.unknown_numbers
// "reject") is logged without the number and counted in `metrics` when one is given.
// Sets ctx.call_sid when the CallSid is valid. Runs behind twilio_guard, which has decoded the
// parameters, checked the signature and refused malformed encodings. No I/O.
// Configured SIP headers left out for length are counted in `metrics` (when given) and logged.
// A call that divert_first_dial() keeps from its agent (ai_share, an open breaker of routes.health())
// gets its first failover step's TwiML instead, logged and counted in `health` (when given).
http::response handle_redirect_call(const twilio_request& req, http::request_context& ctx,
                                    const routing::route_table& routes, util::metrics* metrics = nullptr,
                                    const health_metrics* health = nullptr);

// The call a Twilio request is about. Views into the request's decoded parameters.
struct call_identity {
  std::string_view called;    // E.164 (twilio::check_called)
  std::string_view call_sid;  // the parent call's SID (twilio::check_call_sid)
};

// Reads and validates Called and CallSid (body first, then query), or the 400 answer naming the
// parameter and its problem. Sets ctx.call_sid when the CallSid is valid, even when Called is not.
std::variant<call_identity, http::response> read_call_identity(const twilio_request& req, http::request_context& ctx);

// The SIP URI of a dial of `route`'s call to `sip_target`, through routing::build_sip_uri with the
// request's parameters; headers left out for length are counted in `metrics` (when given) and their
// names logged at debug (never their values: caller data). For every <Sip> the service writes.
std::string sip_uri_for_call(const twilio_request& req, const routing::call_route& route, std::string_view sip_target,
                             std::string_view called, std::string_view call_sid, util::metrics* metrics);

// <Response><Reject reason="rejected"/></Response>: the call is not answered and not billed.
std::string reject_twiml();

}  // namespace twiml_redirect::app
