#pragma once
// Where a Synthflow agent may transfer a caller (a SIP REFER that Twilio hands to our referUrl).
// The allow-list is what keeps a caller from talking the agent into a transfer to a premium-rate
// number. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace twiml_redirect::twilio {

// Why `pattern` is not an allow-list entry, or nullopt. Entries:
//   "+14155550199", "+1415"       an E.164 number, or the start of one ('+' and 1 to 15 digits)
//   "sip:desk@pbx.example.com"   one SIP address (host may carry a :port)
//   "sip:*@pbx.example.com"      any user at that host
std::optional<std::string> check_transfer_pattern(std::string_view pattern);

}  // namespace twiml_redirect::twilio
