#include "twiml_redirect/app/redirect_call.hpp"

#include <spdlog/spdlog.h>

#include "twiml_redirect/app/call_events.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/routing/failover.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/twiml.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::status;

}  // namespace

std::string sip_uri_for_call(const twilio_request& req, const routing::call_route& route, std::string_view sip_target,
                             std::string_view called, std::string_view call_sid, util::metrics* metrics) {
  twilio::sip_uri_result sip = routing::build_sip_uri(route, sip_target, called, call_sid, req.call_params());
  if (!sip.omitted.empty()) {
    if (metrics) metrics->count_sip_headers_omitted(sip.omitted.size());
    for (const std::string_view name : sip.omitted)
      spdlog::debug("SIP header {} left out: the SIP URI would be longer than {} characters", name,
                    twilio::kMaxSipUriLength);
  }
  return std::move(sip.uri);
}

std::string reject_twiml() {
  return twilio::twiml_document().element("Reject", {{"reason", "rejected"}}).finish();
}

std::variant<call_identity, http::response> read_call_identity(const twilio_request& req, http::request_context& ctx) {
  std::string error;
  const std::string* called = req.param("Called", error);
  const std::string* call_sid = error.empty() ? req.param("CallSid", error) : nullptr;
  if (!error.empty()) return text_response(status::bad_request, error);
  const auto call_sid_problem = call_sid ? twilio::check_call_sid(*call_sid) : std::nullopt;
  if (call_sid && !call_sid_problem) ctx.call_sid = *call_sid;  // for the access log, whatever follows

  if (!called) return text_response(status::bad_request, "Missing \"Called\" parameter");
  if (auto problem = twilio::check_called(*called))
    return text_response(status::bad_request, "Invalid \"Called\" parameter: " + *problem);
  if (!call_sid) return text_response(status::bad_request, "Missing \"CallSid\" parameter");
  if (call_sid_problem) return text_response(status::bad_request, "Invalid \"CallSid\" parameter: " + *call_sid_problem);
  return call_identity{*called, *call_sid};
}

http::response handle_redirect_call(const twilio_request& req, http::request_context& ctx,
                                    const routing::route_table& routes, util::metrics* metrics,
                                    const health_metrics* health) {
  auto identity = read_call_identity(req, ctx);
  if (auto* refusal = std::get_if<http::response>(&identity)) return std::move(*refusal);
  const auto& [called, call_sid] = std::get<call_identity>(identity);

  const routing::call_route* route = routes.find(called);
  if (!route) {
    // Never the number: who was called (and by whom) is the caller's data; the CallSid finds the call.
    spdlog::info("call {} rejected: the called number is not configured and routing.unknown_numbers is reject",
                 call_sid);
    if (metrics) metrics->count_call_rejected();
    if (ctx.keeps_call_events)
      ctx.call_event = call_event("webhook").text("called", called).text("answer", "reject").finish();
    static const std::string rejected = reject_twiml();
    return xml_response(rejected);
  }
  if (const auto reason =
          divert_first_dial(*route, call_sid, routes.health(), health, std::chrono::steady_clock::now())) {
    // What a failed first dial would have led to, without the caller waiting out the dial.
    if (health) health->count_diverted(*reason);
    routing::dial_action_answer diverted =
        routing::answer_dial_action(routing::dial_status::failed, 0, route, called, call_sid, req.call_params());
    spdlog::info("call diverted call_sid={} reason={} target={} action={}", call_sid, to_string(*reason),
                 route->sip_target, diverted.action);
    if (ctx.keeps_call_events)
      ctx.call_event = call_event("webhook")
                         .text("called", called)
                         .text("answer", "diverted")
                         .text("reason", to_string(*reason))
                         .text("target", route->sip_target)
                         .text("step", diverted.action)
                         .finish();
    return xml_response(std::move(diverted.twiml));
  }
  // Built only when kept: this is the webhook's hot path.
  if (ctx.keeps_call_events)
    ctx.call_event =
        call_event("webhook").text("called", called).text("answer", "dial").text("target", route->sip_target).finish();
  // X-EI=CallSid alone: written straight into the document, as before headers existed.
  if (route->sip_headers.is_plain())
    return xml_response(twilio::render_dial_sip(route->first_dial_prefix, called, route->sip_target, call_sid));
  const std::string uri = sip_uri_for_call(req, *route, route->sip_target, called, call_sid, metrics);
  return xml_response(twilio::render_dial_sip_uri(route->first_dial_prefix, uri));
}

}  // namespace twiml_redirect::app
