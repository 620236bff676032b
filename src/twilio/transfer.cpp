#include "twiml_redirect/twilio/transfer.hpp"

#include <algorithm>

#include "twiml_redirect/twilio/call_params.hpp"

namespace twiml_redirect::twilio {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The user part of a SIP URI we would put into <Sip>: RFC 3261 unreserved characters, which need no
// escaping in TwiML or in the URI.
bool is_sip_user_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.' ||
         c == '!' || c == '~' || c == '*' || c == '\'' || c == '(' || c == ')' || c == '+';
}

}  // namespace

std::optional<std::string> check_sip_user(std::string_view user) {
  if (user.empty()) return std::string("is empty");
  if (!std::all_of(user.begin(), user.end(), is_sip_user_char))
    return std::string("may contain only letters, digits and - _ . ! ~ * ' ( ) +");
  return std::nullopt;
}

std::optional<std::string> check_transfer_pattern(std::string_view pattern) {
  if (pattern.empty()) return "is empty";
  if (pattern.front() == '+') {
    const bool prefix = pattern.ends_with('*');
    const std::string_view digits = pattern.substr(1, pattern.size() - (prefix ? 2 : 1));
    if (digits.empty() || digits.size() > 15 || !std::all_of(digits.begin(), digits.end(), is_digit))
      return "must be '+' and up to 15 digits (an E.164 number), '*' after them for a prefix (\"+1415555*\"), or a "
             "sip: address (got \"" + std::string(pattern) + "\")";
    if (digits.front() == '0') return "must not start with 0 after '+' (no country code starts with 0)";
    if (!prefix && digits.size() < kMinNumberDigits)
      return "\"" + std::string(pattern) + "\" is too short to be a whole number: write \"" + std::string(pattern) +
             "*\" to allow the numbers that start with it";
    return std::nullopt;
  }
  if (!pattern.starts_with("sip:"))
    return "must be an E.164 number or prefix (\"+1415555*\") or a SIP address (\"sip:desk@pbx.example.com\", "
           "\"sip:*@pbx.example.com\") (got \"" + std::string(pattern) + "\")";
  const std::string_view address = pattern.substr(4);
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos) return "must name a user and a host: sip:user@host or sip:*@host";
  const std::string_view user = address.substr(0, at);
  if (user.empty()) return "has an empty user; use sip:*@host for any user";
  if (user != "*")
    if (auto problem = check_sip_user(user)) return "user " + *problem + ", or be *";
  if (auto problem = check_sip_target(address.substr(at + 1))) return "the host after '@' " + *problem;
  return std::nullopt;
}

bool is_short_prefix(std::string_view pattern) {
  return pattern.starts_with('+') && pattern.ends_with('*') && pattern.size() - 2 < kMinPrefixDigits;
}

}  // namespace twiml_redirect::twilio
