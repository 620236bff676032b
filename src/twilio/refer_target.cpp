#include "twiml_redirect/twilio/refer_target.hpp"

#include <algorithm>
#include <charconv>

#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/transfer.hpp"

namespace twiml_redirect::twilio {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

// RFC 3966 visual separators, and the space people write between digit groups.
bool is_visual_separator(char c) { return c == '-' || c == '.' || c == '(' || c == ')' || c == ' '; }

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// host[:port] split at the port's colon (check_sip_target has vouched for the text).
std::pair<std::string_view, std::string_view> split_host_port(std::string_view host_port) {
  const std::size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return {host_port, {}};
  return {host_port.substr(0, colon), host_port.substr(colon + 1)};
}

unsigned port_number(std::string_view port) {
  unsigned value = 0;
  std::from_chars(port.data(), port.data() + port.size(), value);
  return value;
}

// The value of tel: parameter `name` among ";name=value" parameters (case-insensitive name).
std::optional<std::string_view> tel_parameter(std::string_view parameters, std::string_view name) {
  while (!parameters.empty()) {
    parameters.remove_prefix(1);  // the ';'
    const std::size_t end = parameters.find(';');
    const std::string_view parameter = parameters.substr(0, end);
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && equal_ignoring_case(parameter.substr(0, equals), name))
      return parameter.substr(equals + 1);
    if (end == std::string_view::npos) break;
    parameters.remove_prefix(end);
  }
  return std::nullopt;
}

// Appends the digits of `text` to `number`, skipping visual separators; false at any other character.
bool append_digits(std::string_view text, std::string& number) {
  for (const char c : text) {
    if (is_digit(c)) {
      number.push_back(c);
    } else if (!is_visual_separator(c)) {
      return false;
    }
  }
  return true;
}

std::variant<refer_target, std::string> parse_tel(std::string_view body) {
  const std::size_t parameters_start = std::min(body.find(';'), body.size());
  const std::string_view parameters = body.substr(parameters_start);
  body = body.substr(0, parameters_start);
  std::string number = "+";
  if (!body.empty() && body.front() == '+') {
    // A global number: phone-context and other parameters do not change it.
    if (!append_digits(body.substr(1), number))
      return std::string("tel: number may contain only digits and the separators - . ( ) after '+'");
  } else {
    // A local number (RFC 3966) is a number only in its phone-context: global when that context is a
    // country code ("+1"), ambiguous when it is a domain name or absent.
    const std::optional<std::string_view> context = tel_parameter(parameters, "phone-context");
    if (!context || context->empty() || context->front() != '+')
      return std::string("tel: number must be global, starting with '+', or local with phone-context=+<country code>");
    if (!append_digits(context->substr(1), number) || number.size() == 1)
      return std::string("tel: phone-context must be '+' and the digits of a country code");
    if (body.empty() || !append_digits(body, number))
      return std::string("tel: local number may contain only digits and the separators - . ( )");
  }
  if (auto problem = check_called(number)) return "tel: number " + *problem;
  return refer_target{refer_phone{std::move(number)}};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3261 lets a user part escape any character as %XX ("%2B1415…" for "+1415…"); nullopt for a
// '%' not followed by two hex digits.
std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::variant<refer_target, std::string> parse_sip(std::string_view body) {
  // Headers (after '?') and URI parameters (after ';') are dropped: see parse_refer_target.
  body = body.substr(0, body.find_first_of(";?"));
  const std::size_t at = body.find('@');
  if (at == std::string_view::npos) return std::string("sip: address must be user@host");
  const std::optional<std::string> decoded = percent_decoded(body.substr(0, at));
  if (!decoded) return std::string("sip: user has a '%' that is not followed by two hex digits");
  const std::string& user = *decoded;
  const std::string_view host_port = body.substr(at + 1);
  if (user.empty()) return std::string("sip: address has an empty user");
  if (auto problem = check_sip_user(user)) return "sip: user " + *problem;
  if (user == "*") return std::string("sip: user must name someone, not *");
  if (auto problem = check_sip_target(host_port)) return "sip: host " + *problem;
  const auto [host, port] = split_host_port(host_port);
  return refer_target{refer_sip{user, std::string(host), std::string(port)}};
}

}  // namespace

bool refer_sip::user_is_phone_number() const { return !check_called(user).has_value(); }

std::string refer_sip::uri() const {
  std::string out = "sip:" + user + "@" + host;
  if (!port.empty()) out.append(":").append(port);
  return out;
}

std::variant<refer_target, std::string> parse_refer_target(std::string_view text) {
  if (text.size() > kMaxReferTargetLength)
    return "is " + std::to_string(text.size()) + " characters long, at most " +
           std::to_string(kMaxReferTargetLength) + " are allowed";
  text = trim(text);
  // name-addr form (RFC 3261): [display name] <uri> [;header parameters]. Only the URI counts. A
  // quoted display name may hold '<' and '>' (and \-escaped quotes), so it is skipped first.
  std::string_view rest = text;
  const bool quoted_name = rest.starts_with('"');
  if (quoted_name) {
    std::size_t i = 1;
    while (i < rest.size() && rest[i] != '"') i += rest[i] == '\\' ? 2 : 1;
    if (i >= rest.size()) return std::string("has a quoted display name without its closing quote");
    rest = rest.substr(i + 1);
  }
  if (const std::size_t open = rest.find('<'); open != std::string_view::npos) {
    const std::size_t close = rest.find('>', open);
    if (close == std::string_view::npos) return std::string("has '<' without a closing '>'");
    const std::string_view after = trim(rest.substr(close + 1));
    if (!after.empty() && after.front() != ';') return std::string("has text after '>' that is not a ;parameter");
    text = trim(rest.substr(open + 1, close - open - 1));
  } else if (quoted_name) {
    return std::string("has a display name but no <uri>");
  }
  if (text.find_first_of("<>") != std::string_view::npos) return std::string("has unbalanced angle brackets");
  if (text.empty()) return std::string("is empty");
  const std::size_t colon = text.find(':');
  const std::string_view scheme = text.substr(0, colon);
  if (colon == std::string_view::npos) return std::string("has no scheme; expected tel: or sip:");
  if (equal_ignoring_case(scheme, "tel")) return parse_tel(text.substr(colon + 1));
  if (equal_ignoring_case(scheme, "sip")) return parse_sip(text.substr(colon + 1));
  return std::string("has an unsupported scheme; expected tel: or sip:");
}

namespace {

// The phone number a target stands for, if any: a tel: number, or a sip: user that is E.164.
std::optional<std::string_view> phone_number_of(const refer_target& target) {
  if (const auto* phone = std::get_if<refer_phone>(&target)) return phone->number;
  const auto& sip = std::get<refer_sip>(target);
  if (sip.user_is_phone_number()) return sip.user;
  return std::nullopt;
}

bool sip_pattern_allows(std::string_view pattern, const refer_sip& sip) {
  const std::string_view address = pattern.substr(4);  // after "sip:"; check_transfer_pattern vetted it
  const std::size_t at = address.find('@');
  const std::string_view user = address.substr(0, at);
  const auto [host, port] = split_host_port(address.substr(at + 1));
  if (user != "*" && user != sip.user) return false;
  if (!equal_ignoring_case(host, sip.host)) return false;
  return port.empty() || (!sip.port.empty() && port_number(port) == port_number(sip.port));
}

}  // namespace

transfer_dial match_transfer(const refer_target& target, const std::vector<std::string>& allow) {
  if (const auto* sip = std::get_if<refer_sip>(&target)) {
    for (const std::string& pattern : allow)
      if (pattern.starts_with("sip:") && sip_pattern_allows(pattern, *sip)) return transfer_dial::sip;
  }
  if (const auto number = phone_number_of(target)) {
    for (const std::string& pattern : allow)
      if (pattern.starts_with('+') && (pattern.ends_with('*') ? number->starts_with(pattern.substr(0, pattern.size() - 1))
                                                               : *number == pattern))
        return transfer_dial::number;
  }
  return transfer_dial::refused;
}

std::string describe(const refer_target& target) {
  if (const auto* phone = std::get_if<refer_phone>(&target)) return "tel:" + phone->number;
  return std::get<refer_sip>(target).uri();
}

std::string_view country_code_of(std::string_view e164) {
  if (e164.size() < 2 || e164.front() != '+' ||
      !std::all_of(e164.begin() + 1, e164.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {};
  const std::string_view digits = e164.substr(1);
  // Zones 1 (NANP) and 7 are one digit; these two-digit codes are assigned whole; every other
  // code is three digits.
  if (digits[0] == '1' || digits[0] == '7') return digits.substr(0, 1);
  static constexpr std::string_view kTwoDigit[] = {
      "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
      "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
      "86", "90", "91", "92", "93", "94", "95", "98"};
  if (digits.size() >= 2 && std::find(std::begin(kTwoDigit), std::end(kTwoDigit), digits.substr(0, 2)) != std::end(kTwoDigit))
    return digits.substr(0, 2);
  return digits.substr(0, std::min<std::size_t>(3, digits.size()));
}

std::string describe_refused(const refer_target& target) {
  if (const auto* phone = std::get_if<refer_phone>(&target)) {
    const std::string_view code = country_code_of(phone->number);
    return "tel:+" + std::string(code) + " (" + std::to_string(phone->number.size() - 1) + " digits)";
  }
  const auto& sip = std::get<refer_sip>(target);
  std::string out = "sip:(" + std::to_string(sip.user.size()) + " characters)@" + sip.host;
  if (!sip.port.empty()) out += ":" + sip.port;
  return out;
}

}  // namespace twiml_redirect::twilio
