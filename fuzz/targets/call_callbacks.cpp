// The REFER target parser and allow-list matcher, and the two call callbacks (/dial_action, /refer)
// through the guard. Whatever the input:
// - a parsed target describes itself with safe characters only, and re-parses to itself;
// - a transfer is dialled only when the allow-list allows what is dialled, and the TwiML holds
//   exactly one validated <Number> or <Sip> with no URI parameters or headers;
// - a callback answers well-formed TwiML with 200, or a plain-text 400/415.
// Input: refer target '\n' allow patterns (space-separated) '\n' callback path '\n' query '\n'
// content-type '\n' body (the rest).
#include <algorithm>
#include <sstream>

#include "fuzz_target.hpp"
#include "twiml_check.hpp"
#include "twiml_redirect/app/call_callbacks.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/routing/transfer.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/refer_target.hpp"
#include "twiml_redirect/twilio/transfer.hpp"

namespace {

using namespace twiml_redirect;

bool is_safe_uri_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("+-_.!~*'():@").find(c) != std::string_view::npos;
}

void check_target(std::string_view text, const std::vector<std::string>& allow) {
  const auto parsed = twilio::parse_refer_target(text);
  if (const auto* problem = std::get_if<std::string>(&parsed)) {
    TWIML_FUZZ_CHECK(!problem->empty());
  } else {
    const twilio::refer_target& target = std::get<twilio::refer_target>(parsed);
    const std::string described = twilio::describe(target);
    TWIML_FUZZ_CHECK(std::all_of(described.begin(), described.end(), is_safe_uri_char));
    const auto again = twilio::parse_refer_target(described);
    TWIML_FUZZ_CHECK(std::holds_alternative<twilio::refer_target>(again));
    TWIML_FUZZ_CHECK(twilio::describe(std::get<twilio::refer_target>(again)) == described);
    TWIML_FUZZ_CHECK(twilio::match_transfer(std::get<twilio::refer_target>(again), allow) ==
                     twilio::match_transfer(target, allow));
  }

  routing::call_route route;
  route.transfer_allow = allow;
  const routing::transfer_answer answer = routing::answer_refer(text, &route);
  const twiml_fuzz::twiml_verdict verdict = twiml_fuzz::check_twiml(answer.twiml, true);
  TWIML_FUZZ_CHECK(verdict.well_formed);
  if (answer.result != routing::transfer_result::dialled) {
    TWIML_FUZZ_CHECK(answer.twiml == routing::refused_transfer_twiml());
    return;
  }
  TWIML_FUZZ_CHECK(verdict.sip_count + verdict.number_count == 1);
  // What is dialled is itself allowed, read back from the TwiML.
  const std::string dialled = verdict.sip_count == 1 ? verdict.sip_text : "tel:" + verdict.number_text;
  if (verdict.number_count == 1) TWIML_FUZZ_CHECK(!twilio::check_called(verdict.number_text));
  TWIML_FUZZ_CHECK(std::all_of(dialled.begin(), dialled.end(), is_safe_uri_char));
  const auto reparsed = twilio::parse_refer_target(dialled);
  TWIML_FUZZ_CHECK(std::holds_alternative<twilio::refer_target>(reparsed));
  TWIML_FUZZ_CHECK(twilio::match_transfer(std::get<twilio::refer_target>(reparsed), allow) !=
                   twilio::transfer_dial::refused);
}

void check_callback(std::string_view path, std::string_view query, std::string_view content_type,
                    std::string_view body) {
  static util::metrics metrics(std::vector<std::string>{});
  static const app::twilio_guard guard(twilio::request_validator({}), metrics);
  static const app::callback_metrics counters(metrics);
  static const routing::route_table routes(config::parse_config(
      R"({"sip": {"target": "sip.us.synthflow.ai:32681"},
          "dial": {"answer_on_bridge": true},
          "failover": [{"sip_target": "sip.eu.synthflow.ai:32681"}, {"dial_number": "+14155550111"},
                       {"say": "Sorry", "voice": "alice", "language": "en-US"}, {"redirect": "https://example.com/vm"}],
          "transfer": {"allow": ["+14155*", "sip:*@pbx.example.com", "sip:desk@desk.example.com:5080"]}})",
      [](const std::string&) -> std::optional<std::string> { return std::nullopt; }));
  const bool refer = path == "refer";
  http::request req{content_type.empty() ? http::beast_http::verb::get : http::beast_http::verb::post,
                    (refer ? "/refer?" : "/dial_action?") + std::string(query), 11};
  if (!content_type.empty()) req.set(http::beast_http::field::content_type, content_type);
  req.body() = body;
  http::request_context ctx;
  const http::response res = guard(req, req.target(), refer ? "/refer" : "/dial_action", ctx,
                                   [&](const app::twilio_request& decoded, http::request_context& c) {
                                     return refer ? app::handle_refer(decoded, c, routes, counters)
                                                  : app::handle_dial_action(decoded, c, routes, counters);
                                   });
  if (!twiml_fuzz::is_twiml_answer(res, http::beast_http::field::content_type)) return;
  const twiml_fuzz::twiml_verdict verdict = twiml_fuzz::check_twiml(res.body(), true);
  TWIML_FUZZ_CHECK(verdict.well_formed);
  TWIML_FUZZ_CHECK(verdict.sip_count <= 1 && verdict.number_count <= 1);
  TWIML_FUZZ_CHECK(!twilio::check_call_sid(ctx.call_sid));
  if (verdict.sip_count == 1 && !refer) {
    // A failover dial: the validated number, tagged with the validated CallSid.
    TWIML_FUZZ_CHECK(verdict.sip_text.starts_with("sip:+"));
    TWIML_FUZZ_CHECK(verdict.sip_text.find(ctx.call_sid) != std::string::npos);
  }
}

}  // namespace

TWIML_FUZZ_TARGET(call_callbacks) {
  twiml_fuzz::field_reader fields(input);
  const std::string_view target = fields.next();
  std::vector<std::string> allow;
  std::istringstream patterns{std::string(fields.next())};
  for (std::string pattern; patterns >> pattern;)
    if (!twilio::check_transfer_pattern(pattern)) allow.push_back(pattern);
  check_target(target, allow);

  const std::string_view path = fields.next();
  const std::string_view query = fields.next();
  const std::string_view content_type = fields.next();
  check_callback(path, query, content_type, fields.rest());
}
