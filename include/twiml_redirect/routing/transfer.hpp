#pragma once
// What the referUrl answers: the agent asked (SIP REFER) to transfer the caller to
// ReferTransferTarget; the target is dialled only when the called number's transfer allow-list lets
// it. Pure: no I/O.

#include <string>
#include <string_view>

#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::routing {

enum class transfer_result { dialled, refused, unparseable };
std::string_view to_string(transfer_result result);

struct transfer_answer {
  std::string twiml;
  transfer_result result = transfer_result::unparseable;
  // For the log: the target as parsed ("tel:+1…", "sip:user@host") when dialled (it is on the
  // allow-list), only its country code and length when refused (it may be anyone's number), or why
  // it could not be parsed. Never the raw parameter.
  std::string detail;
};

// The <Response/> a refused or unparseable transfer gets: nothing dialled, and no error for Twilio
// to play. With answerOnBridge="true" on the agent's <Dial>, Twilio then brings the caller back to
// the agent, as when a transfer target does not answer (README, "Failover and transfers").
std::string refused_transfer_twiml();

// The answer to a REFER for `refer_transfer_target` on a call routed by `route` (null when the called
// number is no longer routed: nothing is allowed):
//   an allowed phone number → <Dial answerOnBridge="true" …><Number>+E164</Number></Dial>
//   an allowed SIP address  → <Dial answerOnBridge="true" …><Sip>sip:user@host[:port]</Sip></Dial>
//   anything else           → refused_transfer_twiml()
// "…" are the route's timeLimit, record and ringTone. No action (the transfer is the call's last
// step) and no referUrl (the transfer target is not an agent that transfers on).
transfer_answer answer_refer(std::string_view refer_transfer_target, const call_route* route);

}  // namespace twiml_redirect::routing
