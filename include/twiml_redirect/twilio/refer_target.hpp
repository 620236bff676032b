#pragma once
// The destination of a SIP REFER as Twilio hands it to the referUrl (ReferTransferTarget, the
// Refer-To header's contents), parsed into parts we check and rebuild ourselves, and matched against
// a route's transfer allow-list (patterns as twilio/transfer.hpp describes). The text comes from the
// far end of the call, and an AI agent there can be talked into anything by the caller: nothing of it
// reaches the TwiML except the validated parts. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace twiml_redirect::twilio {

// Refer-To values longer than this are not sent by Twilio (its documented limit).
inline constexpr std::size_t kMaxReferTargetLength = 256;

// A phone number: '+' and 2 to 15 digits, the first not 0 (visual separators removed).
struct refer_phone {
  std::string number;
};

// A SIP address. URI parameters (";transport=…") and headers ("?X-…") of the Refer-To are dropped.
struct refer_sip {
  std::string user;  // RFC 3261 unreserved characters and '+'; may be an E.164 number
  std::string host;  // letters, digits, '.', '-'; as given (compared case-insensitively)
  std::string port;  // digits 1-65535, or empty when the URI names none
  // The user when it is an E.164 number ("sip:+14155550199@…"), a reading of a phone transfer.
  bool user_is_phone_number() const;
  // sip:user@host[:port]
  std::string uri() const;
};

using refer_target = std::variant<refer_phone, refer_sip>;

// Parses a ReferTransferTarget: "<tel:+1…>" or "<sip:user@host[:port][;params][?headers]>", angle
// brackets optional (a display name before '<' is ignored), scheme in any case, a tel: number with
// '-', '.', '(', ')' or spaces between digits, tel: parameters ignored. Returns the target, or why it
// is not one (std::string) naming the part that is wrong; the message never repeats the input.
std::variant<refer_target, std::string> parse_refer_target(std::string_view text);

// How an allowed target is dialled.
enum class transfer_dial { refused, number, sip };

// Whether the allow-list lets `target` be dialled, and how:
//   "+14155550199" and "+1415555*" patterns: a phone number (a tel: target, or a sip: target whose
//     user is E.164) equal to the number, or starting with the prefix before '*' → dialled as that
//     number (<Number>);
//   "sip:user@host[:port]": the same user (case-sensitive), host (case-insensitive) and, when the
//     pattern names a port, that port → dialled as the SIP address (<Sip>); "sip:*@host": any user.
// A sip: target allowed by a SIP pattern is dialled as SIP even when a number pattern matches too:
// the pattern that names the host is the more specific permission.
transfer_dial match_transfer(const refer_target& target, const std::vector<std::string>& allow);

// A short description for the log: "tel:+1415…" or "sip:user@host[:port]", built from the parts.
std::string describe(const refer_target& target);

// The same without personal data, for a target that was refused (which may be a caller's own
// number, talked into the agent): "tel:+44 (12 digits)", "sip:(7 characters)@host[:port]".
std::string describe_refused(const refer_target& target);

// The country calling code an E.164 number starts with ("+14155550100" → "1", "+442071838750" →
// "44", "+353…" → "353"), by the ITU-T E.164 assignments; empty when `e164` is not "+digits".
std::string_view country_code_of(std::string_view e164);

}  // namespace twiml_redirect::twilio
