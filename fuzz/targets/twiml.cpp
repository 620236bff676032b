// Parameter validation and TwiML rendering, directly and through the /redirect_call handler.
// Whatever the input, a rendered document is well-formed XML with exactly one <Sip>, and when the
// handler answers 200 that <Sip> holds a validated number and CallSid and nothing else.
// Input: called '\n' call_sid '\n' sip_target '\n' query '\n' content-type '\n' body (the rest).
#include <algorithm>

#include "fuzz_target.hpp"
#include "twiml_check.hpp"
#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/twiml.hpp"

namespace {

using namespace twiml_redirect;

constexpr std::string_view kSipTarget = "sipin.synthflow.ai:32681";

// Rendering alone: escaping keeps any text inside the one <Sip>, byte for byte.
void check_rendering(std::string_view called, std::string_view call_sid, std::string_view sip_target) {
  const std::string document = twilio::render_dial_sip(called, sip_target, call_sid);
  const twiml_fuzz::twiml_verdict loose = twiml_fuzz::check_twiml(document, false);
  TWIML_FUZZ_CHECK(loose.well_formed && loose.sip_count == 1);
  TWIML_FUZZ_CHECK(loose.sip_text == twilio::sip_uri(called, sip_target, call_sid));

  if (twilio::check_called(called) || twilio::check_call_sid(call_sid) || twilio::check_sip_target(sip_target)) return;
  // Validated input: strictly well-formed, and the URI has exactly one user part and one header.
  const twiml_fuzz::twiml_verdict strict = twiml_fuzz::check_twiml(document, true);
  TWIML_FUZZ_CHECK(strict.well_formed);
  TWIML_FUZZ_CHECK(std::count(strict.sip_text.begin(), strict.sip_text.end(), '@') == 1);
  TWIML_FUZZ_CHECK(std::count(strict.sip_text.begin(), strict.sip_text.end(), '?') == 1);
  TWIML_FUZZ_CHECK(std::count(strict.sip_text.begin(), strict.sip_text.end(), '&') == 0);
  TWIML_FUZZ_CHECK(document.find("&amp;") == std::string::npos);
}

// The handler: a 200 is valid TwiML naming a valid number and CallSid; anything else is a plain-text 4xx.
void check_handler(std::string_view query, std::string_view content_type, std::string_view body) {
  http::request req{content_type.empty() ? http::beast_http::verb::get : http::beast_http::verb::post,
                    "/redirect_call?" + std::string(query), 11};
  if (!content_type.empty()) req.set(http::beast_http::field::content_type, content_type);
  req.body() = body;
  http::request_context ctx;
  // Through the guard (no token), which decodes the parameters and answers malformed ones.
  static util::metrics metrics(std::vector<std::string>{});
  static const app::twilio_guard guard(twilio::request_validator({}), metrics);
  const http::response res =
      guard(req, req.target(), "/redirect_call", ctx, [](const app::twilio_request& decoded, http::request_context& c) {
        static const auto routes = routing::route_table::dialing(kSipTarget);
        return app::handle_redirect_call(decoded, c, routes);
      });

  if (res.result_int() != 200) {
    TWIML_FUZZ_CHECK(res.result_int() == 400 || res.result_int() == 415);
    TWIML_FUZZ_CHECK(res[http::beast_http::field::content_type].starts_with("text/plain"));
    return;
  }
  TWIML_FUZZ_CHECK(res[http::beast_http::field::content_type] == "text/xml");
  const twiml_fuzz::twiml_verdict verdict = twiml_fuzz::check_twiml(res.body(), true);
  TWIML_FUZZ_CHECK(verdict.well_formed && verdict.sip_count == 1);
  const std::string_view uri = verdict.sip_text;
  TWIML_FUZZ_CHECK(uri.starts_with("sip:"));
  const std::size_t at = uri.find('@');
  const std::size_t header = uri.find("?X-EI=");
  TWIML_FUZZ_CHECK(at != std::string_view::npos && header != std::string_view::npos && at < header);
  TWIML_FUZZ_CHECK(!twilio::check_called(uri.substr(4, at - 4)));
  TWIML_FUZZ_CHECK(uri.substr(at + 1, header - at - 1) == kSipTarget);
  const std::string_view call_sid = uri.substr(header + 6);
  TWIML_FUZZ_CHECK(!twilio::check_call_sid(call_sid));
  TWIML_FUZZ_CHECK(ctx.call_sid == call_sid);
}

}  // namespace

TWIML_FUZZ_TARGET(twiml) {
  twiml_fuzz::field_reader fields(input);
  const std::string_view called = fields.next();
  const std::string_view call_sid = fields.next();
  const std::string_view sip_target = fields.next();
  check_rendering(called, call_sid, sip_target);
  check_rendering(called, call_sid, kSipTarget);

  const std::string_view query = fields.next();
  const std::string_view content_type = fields.next();
  check_handler(query, content_type, fields.rest());
}
