#include "twiml_redirect/routing/failover.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "twiml_redirect/twilio/twiml.hpp"

namespace twiml_redirect::routing {
namespace {

constexpr std::array<std::string_view, kDialStatuses> kStatusNames = {"completed", "answered", "canceled",
                                                                      "busy",      "no-answer", "failed"};
constexpr std::size_t kMaxStepDigits = 6;

std::string hangup_twiml() { return twilio::twiml_document().element("Hangup").finish(); }

// The <Dial> attributes of a step that dials: the route's own, with the action moved on to the next
// step. `refer` keeps the referUrl (an agent reached through another SIP host can transfer too).
twilio::dial_attributes next_dial(const call_route& route, std::size_t next_step, bool refer) {
  twilio::dial_attributes dial = route.dial;
  dial.action = dial_action_url(next_step);
  if (!refer) dial.refer_url.clear();
  return dial;
}

std::string step_twiml(const config::failover_step& step, std::size_t index, const call_route& route,
                       std::string_view called, std::string_view call_sid, const twilio::call_parameters& params) {
  if (step.sip_target) {
    // The same call, into another Synthflow host: the agent sees the same number, X-EI and headers.
    const twilio::sip_uri_result sip = build_sip_uri(route, *step.sip_target, called, call_sid, params);
    return twilio::render_dial_sip_uri(twilio::dial_sip_prefix(next_dial(route, index + 1, true)), sip.uri);
  }
  if (step.dial_number) {
    return twilio::twiml_document()
        .open("Dial", twilio::to_attributes(next_dial(route, index + 1, false)))
        .element("Number", {}, *step.dial_number)
        .close("Dial")
        .finish();
  }
  if (step.say) {
    twilio::attributes attrs;
    if (step.voice) attrs.emplace_back("voice", *step.voice);
    if (step.language) attrs.emplace_back("language", *step.language);
    return twilio::twiml_document().element("Say", attrs, *step.say).element("Hangup").finish();
  }
  return twilio::twiml_document().element("Redirect", {}, step.redirect.value_or("")).finish();
}

}  // namespace

std::optional<dial_status> parse_dial_status(std::string_view text) {
  const auto found = std::find(kStatusNames.begin(), kStatusNames.end(), text);
  if (found == kStatusNames.end()) return std::nullopt;
  return static_cast<dial_status>(found - kStatusNames.begin());
}

std::string_view to_string(dial_status status) { return kStatusNames[static_cast<std::size_t>(status)]; }

bool needs_failover(dial_status status) {
  return status == dial_status::busy || status == dial_status::no_answer || status == dial_status::failed;
}

std::optional<std::size_t> parse_step(std::string_view text) {
  if (text.empty() || text.size() > kMaxStepDigits) return std::nullopt;
  std::size_t step = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return step;
}

std::string_view sip_response_class(std::string_view code) {
  static constexpr std::array<std::string_view, 5> kClasses = {"2xx", "3xx", "4xx", "5xx", "6xx"};
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "none";
  if (code[0] < '2' || code[0] > '6') return "none";
  return kClasses[static_cast<std::size_t>(code[0] - '2')];
}

std::string_view step_kind(const config::failover_step& step) {
  if (step.sip_target) return "sip_target";
  if (step.dial_number) return "dial_number";
  if (step.say) return "say";
  return "redirect";
}

dial_action_answer answer_dial_action(dial_status status, std::size_t step, const call_route* route,
                                      std::string_view called, std::string_view call_sid,
                                      const twilio::call_parameters& params) {
  if (!needs_failover(status)) {
    static const std::string empty = twilio::twiml_document().finish();
    return {empty, "ended"};
  }
  if (!route || step >= route->failover.size()) {
    static const std::string hangup = hangup_twiml();
    return {hangup, "hangup"};
  }
  const config::failover_step& next = route->failover[step];
  return {step_twiml(next, step, *route, called, call_sid, params), step_kind(next)};
}

}  // namespace twiml_redirect::routing
