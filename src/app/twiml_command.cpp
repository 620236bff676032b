#include <ostream>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/outbound/request.hpp"

namespace twiml_redirect::app {

int run_twiml(const config::service_config& config, std::string_view called, std::string_view call_sid,
              std::ostream& out, std::ostream& err) {
  // Through the webhook's own handler, with the form POST Twilio would send, so the answer printed
  // is the answer a call gets, byte for byte, and bad input gets the handler's own message.
  http::request req{http::beast_http::verb::post, "/redirect_call", 11};
  req.set(http::beast_http::field::content_type, "application/x-www-form-urlencoded");
  req.body() = outbound::form_encode({{"Called", std::string(called)}, {"CallSid", std::string(call_sid)}});
  req.prepare_payload();
  const twilio_request decoded(req, req.target());
  http::request_context context;
  const routing::route_table routes(config);
  const http::response res = handle_redirect_call(decoded, context, routes);
  if (res.result() != http::beast_http::status::ok) {
    err << "twiml-redirect: " << res.body() << "\n";
    return kExitUsage;
  }
  out << res.body() << "\n";
  return kExitOk;
}

}  // namespace twiml_redirect::app
