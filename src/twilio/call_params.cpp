#include "twiml_redirect/twilio/call_params.hpp"

#include <algorithm>
#include <charconv>

namespace twiml_redirect::twilio {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr std::size_t kMaxCallSidLength = 64;
constexpr std::size_t kMaxSipTargetLength = 150;  // keeps the whole URI under Twilio's 255

}  // namespace

std::optional<std::string> check_called(std::string_view called) {
  if (called.empty()) return "is empty";
  if (called.front() != '+') return "must start with '+' (E.164, e.g. +14155550100)";
  const std::string_view digits = called.substr(1);
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) return "must contain only digits after '+'";
  if (digits.size() < 2 || digits.size() > 15)
    return "must have 2 to 15 digits after '+', has " + std::to_string(digits.size());
  if (digits.front() == '0') return "must not start with 0 after '+' (no country code starts with 0)";
  return std::nullopt;
}

std::optional<std::string> check_call_sid(std::string_view call_sid) {
  if (call_sid.empty()) return "is empty";
  if (call_sid.size() > kMaxCallSidLength)
    return "is " + std::to_string(call_sid.size()) + " characters long, at most 64 are allowed";
  const bool allowed = std::all_of(call_sid.begin(), call_sid.end(),
                                   [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
  if (!allowed) return "may contain only letters, digits, '_' and '-'";
  return std::nullopt;
}

namespace {

// RFC 3261 hostname (RFC 1123 labels): labels of letters, digits and '-', 1 to 63 characters, not
// starting or ending with '-', separated by single dots; the last label (the top-level domain) not
// all digits unless the whole is an IPv4 address. The exact problem, or nullopt.
std::optional<std::string> check_host(std::string_view host) {
  const bool allowed = std::all_of(host.begin(), host.end(), [](char c) { return is_alnum(c) || c == '.' || c == '-'; });
  if (!allowed) return "host may contain only letters, digits, '.' and '-'";
  std::string_view rest = host.ends_with('.') ? host.substr(0, host.size() - 1) : host;  // a fully qualified name
  std::size_t index = 0;
  while (true) {
    ++index;
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    const std::string which = "label " + std::to_string(index);
    if (label.empty()) return "host has an empty label (two dots in a row, or a leading dot)";
    if (label.size() > 63) return "host " + which + " is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') return "host " + which + " \"" + std::string(label) + "\" starts or ends with '-'";
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_sip_target(std::string_view target) {
  if (target.empty()) return "is empty";
  if (target.size() > kMaxSipTargetLength) return "is longer than 150 characters";
  for (std::string_view scheme : {"sip:", "sips:", "http://", "https://", "tel:"}) {
    if (target.size() >= scheme.size() && std::equal(scheme.begin(), scheme.end(), target.begin(), [](char a, char b) {
          return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
        }))
      return "write the host without the scheme (\"" + std::string(scheme) + "\"): host or host:port, e.g. sip.us.synthflow.ai:32681";
  }
  const std::size_t colon = target.rfind(':');
  const std::string_view host = target.substr(0, colon);
  if (host.empty()) return "has no host";
  if (auto problem = check_host(host)) return problem;
  if (colon != std::string_view::npos) {
    const std::string_view port_text = target.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return "port must be a number from 1 to 65535";
  }
  return std::nullopt;
}

}  // namespace twiml_redirect::twilio
