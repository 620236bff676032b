#include "twiml_redirect/app/call_callbacks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "twiml_redirect/app/call_events.hpp"
#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/routing/failover.hpp"
#include "twiml_redirect/routing/transfer.hpp"
#include "twiml_redirect/twilio/twiml.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::status;

constexpr std::size_t kMaxStatusWordLength = 32;
constexpr std::size_t kMaxLoggedNumberDigits = 9;

// A word Twilio could use as a new DialCallStatus one day ("no-answer" style): answered with
// <Hangup/>, since re-dialling on an outcome we do not know could ring a finished call again, and an
// error would make Twilio play its application-error message to the caller.
bool is_status_word(std::string_view text) {
  return !text.empty() && text.size() <= kMaxStatusWordLength &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

// A numeric parameter as the log shows it: the digits, "none" when absent, "invalid" otherwise, so a
// hostile value never reaches the log.
std::string_view loggable_number(const std::string* value) {
  if (!value) return "none";
  const bool digits = !value->empty() && value->size() <= kMaxLoggedNumberDigits &&
                      std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? std::string_view(*value) : std::string_view("invalid");
}

void append_field(std::string& line, std::string_view key, std::string_view value) {
  line.append(" ").append(key).append("=");
  util::append_logfmt_value(line, value);
}

http::response bad_request(std::string_view route, const http::request_context& ctx, std::string message) {
  spdlog::warn("{}: refused call_sid={}: {}", route, ctx.call_sid.empty() ? "none" : ctx.call_sid, message);
  return text_response(status::bad_request, std::move(message));
}

}  // namespace

callback_metrics::callback_metrics(util::metrics& metrics)
    : dial_outcomes(metrics.counter(
          "twiml_redirect_dial_outcomes_total",
          "Dials reported at the <Dial> action, by DialCallStatus (\"other\": a status this version does not know) "
          "and class of DialSipResponseCode (\"none\": absent).",
          {{"status", {"completed", "answered", "canceled", "busy", "no-answer", "failed", "other"}},
           {"sip_class", {"2xx", "3xx", "4xx", "5xx", "6xx", "none"}}})),
      failover_steps(metrics.counter("twiml_redirect_failover_steps_total",
                                     "Failover steps taken after a failed dial, by kind (\"hangup\": no step left).",
                                     {{"kind", {"sip_target", "dial_number", "say", "redirect", "hangup"}}})),
      transfers(metrics.counter("twiml_redirect_transfers_total",
                                "SIP REFER transfers asked for by the agent, by result.",
                                {{"result", {"dialled", "refused", "unparseable"}}})) {}

http::response handle_dial_action(const twilio_request& req, http::request_context& ctx,
                                  const routing::route_table& routes, const callback_metrics& metrics,
                                  const health_metrics* health) {
  constexpr std::string_view kRoute = "dial_action";
  auto identity = read_call_identity(req, ctx);
  if (auto* refusal = std::get_if<http::response>(&identity)) return std::move(*refusal);
  const auto& [called, call_sid] = std::get<call_identity>(identity);

  std::string error;
  const std::string* status_text = req.param("DialCallStatus", error);
  const std::string* step_text = error.empty() ? req.query_param("step", error) : nullptr;
  const std::string* sip_code = error.empty() ? req.param("DialSipResponseCode", error) : nullptr;
  const std::string* duration = error.empty() ? req.param("DialCallDuration", error) : nullptr;
  if (!error.empty()) return bad_request(kRoute, ctx, std::move(error));
  if (!status_text) return bad_request(kRoute, ctx, "Missing \"DialCallStatus\" parameter");
  const std::optional<routing::dial_status> dial_status = routing::parse_dial_status(*status_text);
  if (!dial_status && !is_status_word(*status_text))
    return bad_request(kRoute, ctx, "Invalid \"DialCallStatus\" parameter: expected completed, answered, canceled, "
                                    "busy, no-answer or failed");
  if (!step_text) return bad_request(kRoute, ctx, "Missing \"step\" query parameter");
  const std::optional<std::size_t> step = routing::parse_step(*step_text);
  if (!step) return bad_request(kRoute, ctx, "Invalid \"step\" query parameter: must be 0 to 999999");

  const std::string_view sip_class = routing::sip_response_class(sip_code ? std::string_view(*sip_code) : "");
  metrics.dial_outcomes.increment({dial_status ? routing::to_string(*dial_status) : "other", sip_class});

  routing::dial_action_answer answer;
  if (dial_status) {
    const routing::call_route* route = routes.find(called);
    if (route)
      hear_dial_outcome(*route, *step, *status_text, routes.health(), health, std::chrono::steady_clock::now());
    answer = routing::answer_dial_action(*dial_status, *step, route, called, call_sid, req.call_params());
  } else {
    static const std::string hangup = twilio::twiml_document().element("Hangup").finish();
    answer = {hangup, "hangup"};
  }
  if (answer.action != "ended") metrics.failover_steps.increment({answer.action});

  std::string line = "call outcome";
  append_field(line, "call_sid", call_sid);
  append_field(line, "called", called);
  append_field(line, "dial_call_status", dial_status ? routing::to_string(*dial_status) : "unknown");
  append_field(line, "sip_response_code", loggable_number(sip_code));
  append_field(line, "dial_call_duration", loggable_number(duration));
  append_field(line, "step", std::to_string(*step));
  append_field(line, "action", answer.action);
  if (ctx.keeps_call_events)
    ctx.call_event = call_event("dial_outcome")
                       .number("step", static_cast<std::int64_t>(*step))
                       .text("dial_call_status", dial_status ? routing::to_string(*dial_status) : "unknown")
                       .text("sip_response_code", loggable_number(sip_code))
                       .text("dial_call_duration", loggable_number(duration))
                       .text("action", answer.action)
                       .finish();
  if (dial_status) {
    spdlog::info("{}", line);
  } else {
    spdlog::warn("{} (DialCallStatus not known to this version)", line);
  }
  return xml_response(std::move(answer.twiml));
}

http::response handle_refer(const twilio_request& req, http::request_context& ctx, const routing::route_table& routes,
                            const callback_metrics& metrics) {
  constexpr std::string_view kRoute = "refer";
  auto identity = read_call_identity(req, ctx);
  if (auto* refusal = std::get_if<http::response>(&identity)) return std::move(*refusal);
  const auto& [called, call_sid] = std::get<call_identity>(identity);

  std::string error;
  const std::string* target = req.param("ReferTransferTarget", error);
  if (!error.empty()) return bad_request(kRoute, ctx, std::move(error));
  if (!target) return bad_request(kRoute, ctx, "Missing \"ReferTransferTarget\" parameter");

  routing::transfer_answer answer = routing::answer_refer(*target, routes.find(called));
  metrics.transfers.increment({routing::to_string(answer.result)});

  std::string line = "transfer";
  append_field(line, "call_sid", call_sid);
  append_field(line, "called", called);
  append_field(line, "result", routing::to_string(answer.result));
  append_field(line, answer.result == routing::transfer_result::unparseable ? "problem" : "target", answer.detail);
  if (ctx.keeps_call_events)
    ctx.call_event = call_event("transfer")
                       .text("result", routing::to_string(answer.result))
                       .text(answer.result == routing::transfer_result::unparseable ? "problem" : "target", answer.detail)
                       .finish();
  if (answer.result == routing::transfer_result::dialled) {
    spdlog::info("{}", line);
  } else {
    // Not dialled: the agent asked for a destination the allow-list does not have (or garbage).
    spdlog::warn("{}", line);
  }
  return xml_response(std::move(answer.twiml));
}

}  // namespace twiml_redirect::app
