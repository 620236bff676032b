#include "twiml_redirect/app/redirect_call.hpp"

#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/twiml.hpp"
#include "twiml_redirect/util/form_decoding.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::status;

// The single value of `name`: body first, then query. Sets `error` when the name repeats with
// different values within one source, since a signature check would see every value while the
// dial would use only one of them.
const std::string* single_value(const util::decoded_form& form, std::string_view name, std::string& error) {
  const std::string* found = nullptr;
  for (const util::form_param& param : form.params) {
    if (param.name != name) continue;
    if (found && *found != param.value) {
      error = "Parameter \"" + std::string(name) + "\" is given more than once with different values";
      return nullptr;
    }
    found = &param.value;
  }
  return found;
}

const std::string* lookup(const twilio_request& req, std::string_view name, std::string& error) {
  if (const util::decoded_form* body = req.body_params()) {
    if (const std::string* value = single_value(*body, name, error)) return value;
    if (!error.empty()) return nullptr;
  }
  return single_value(req.query, name, error);
}

}  // namespace

std::string reject_twiml() {
  return twilio::twiml_document().element("Reject", {{"reason", "rejected"}}).finish();
}

http::response handle_redirect_call(const twilio_request& req, http::request_context& ctx,
                                    const routing::route_table& routes) {
  std::string error;
  const std::string* called = lookup(req, "Called", error);
  const std::string* call_sid = error.empty() ? lookup(req, "CallSid", error) : nullptr;
  if (!error.empty()) return text_response(status::bad_request, error);
  const auto call_sid_problem = call_sid ? twilio::check_call_sid(*call_sid) : std::nullopt;
  if (call_sid && !call_sid_problem) ctx.call_sid = *call_sid;  // for the access log, whatever follows

  if (!called) return text_response(status::bad_request, "Missing \"Called\" parameter");
  if (auto problem = twilio::check_called(*called))
    return text_response(status::bad_request, "Invalid \"Called\" parameter: " + *problem);
  if (!call_sid) return text_response(status::bad_request, "Missing \"CallSid\" parameter");
  if (call_sid_problem) return text_response(status::bad_request, "Invalid \"CallSid\" parameter: " + *call_sid_problem);

  const routing::call_route* route = routes.find(*called);
  if (!route) {
    static const std::string rejected = reject_twiml();
    return xml_response(rejected);
  }
  return xml_response(twilio::render_dial_sip(route->first_dial_prefix, *called, route->sip_target, *call_sid));
}

}  // namespace twiml_redirect::app
