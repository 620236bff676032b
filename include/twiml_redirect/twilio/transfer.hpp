#pragma once
// Where a Synthflow agent may transfer a caller (a SIP REFER that Twilio hands to our referUrl).
// The allow-list is what keeps a caller from talking the agent into a transfer to a premium-rate
// number. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace twiml_redirect::twilio {

// Numbers shorter than this (digits after '+') are no whole number anywhere (Saint Helena's, the
// shortest, have 7): such an entry without '*' is a prefix someone forgot to mark.
inline constexpr std::size_t kMinNumberDigits = 7;
// Prefixes shorter than this ("+1*", "+44*") cover premium-rate and far-away numbers: refused at
// config time unless transfer.allow_short_prefixes says otherwise.
inline constexpr std::size_t kMinPrefixDigits = 5;

// Why `pattern` is not an allow-list entry, or nullopt. Entries:
//   "+14155550199"               that number exactly ('+' and 7 to 15 digits)
//   "+1415555*"                  any number starting with it
//   "sip:desk@pbx.example.com"   one SIP address (host may carry a :port)
//   "sip:*@pbx.example.com"      any user at that host
std::optional<std::string> check_transfer_pattern(std::string_view pattern);

// True for a prefix entry with fewer than kMinPrefixDigits digits ("+1*").
bool is_short_prefix(std::string_view pattern);

// Why `user` cannot be the user part of a SIP URI we dial, or nullopt: RFC 3261 unreserved
// characters and '+', which need no escaping in the URI or in TwiML.
std::optional<std::string> check_sip_user(std::string_view user);

}  // namespace twiml_redirect::twilio
