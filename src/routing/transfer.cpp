#include "twiml_redirect/routing/transfer.hpp"

#include "twiml_redirect/twilio/refer_target.hpp"
#include "twiml_redirect/twilio/twiml.hpp"

namespace twiml_redirect::routing {
namespace {

// answerOnBridge keeps the agent's leg until the target answers, so an unanswered transfer returns
// the caller to the agent (Twilio's REFER use-case table); the route's limits and recording still
// apply to the transferred call.
twilio::attributes transfer_dial_attributes(const call_route& route) {
  twilio::dial_attributes dial;
  dial.answer_on_bridge = true;
  dial.time_limit = route.dial.time_limit;
  dial.record = route.dial.record;
  dial.ring_tone = route.dial.ring_tone;
  return twilio::to_attributes(dial);
}

}  // namespace

std::string_view to_string(transfer_result result) {
  switch (result) {
    case transfer_result::dialled: return "dialled";
    case transfer_result::refused: return "refused";
    default: return "unparseable";
  }
}

std::string refused_transfer_twiml() { return twilio::twiml_document().finish(); }

transfer_answer answer_refer(std::string_view refer_transfer_target, const call_route* route) {
  auto parsed = twilio::parse_refer_target(refer_transfer_target);
  if (auto* problem = std::get_if<std::string>(&parsed))
    return {refused_transfer_twiml(), transfer_result::unparseable, "ReferTransferTarget " + *problem};
  const twilio::refer_target& target = std::get<twilio::refer_target>(parsed);
  const twilio::transfer_dial how =
      route ? twilio::match_transfer(target, route->transfer_allow) : twilio::transfer_dial::refused;
  if (how == twilio::transfer_dial::refused)
    return {refused_transfer_twiml(), transfer_result::refused, twilio::describe_refused(target)};

  twilio::twiml_document document;
  document.open("Dial", transfer_dial_attributes(*route));
  if (how == twilio::transfer_dial::sip) {
    document.element("Sip", {}, std::get<twilio::refer_sip>(target).uri());
  } else if (const auto* phone = std::get_if<twilio::refer_phone>(&target)) {
    document.element("Number", {}, phone->number);
  } else {
    document.element("Number", {}, std::get<twilio::refer_sip>(target).user);
  }
  return {document.close("Dial").finish(), transfer_result::dialled, twilio::describe(target)};
}

}  // namespace twiml_redirect::routing
