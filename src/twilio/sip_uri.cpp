#include "twiml_redirect/twilio/sip_uri.hpp"

#include <algorithm>

namespace twiml_redirect::twilio {
namespace {

constexpr std::string_view kXEi = "?X-EI=";
constexpr std::string_view kTokenStart = "E.";
constexpr std::string_view kTokenEnd = "%3B";  // the token's ';', escaped as a header value needs

bool is_alphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// RFC 3261 "unreserved": alphanum / mark.
bool is_unreserved(char c) { return is_alphanumeric(c) || std::string_view("-_.!~*'()").find(c) != std::string_view::npos; }

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? a + ('a' - 'A') : a) == (b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
         });
}

// The parameter name of a "{Param}" value, or empty for a fixed value.
std::string_view param_name(std::string_view value) {
  if (value.size() < 3 || value.front() != '{' || value.back() != '}') return {};
  return value.substr(1, value.size() - 2);
}

}  // namespace

std::optional<std::string> check_sip_header_name(std::string_view name) {
  const bool shaped = name.size() > 2 && name.starts_with("X-") &&
                      std::all_of(name.begin() + 2, name.end(), [](char c) { return is_alphanumeric(c) || c == '_' || c == '-'; });
  if (!shaped) return "must be X- followed by letters, digits, '_' or '-' (^X-[A-Za-z0-9_-]+$)";
  if (starts_with_ignoring_case(name, "X-Twilio")) return "must not start with X-Twilio (Twilio omits such headers)";
  if (name.size() == 4 && starts_with_ignoring_case(name, "X-EI")) return "must not be X-EI, which sip.x_ei sets";
  if (name.size() > 64) return "must be at most 64 characters";
  return std::nullopt;
}

std::optional<std::string> check_sip_header_value(std::string_view value) {
  if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return "must not contain control characters (line breaks, tabs)";
  if (value.size() > kMaxSipUriLength) return "must be at most " + std::to_string(kMaxSipUriLength) + " bytes";
  const std::string_view param = param_name(value);
  if (!param.empty()) {
    const bool valid = std::all_of(param.begin(), param.end(), [](char c) { return is_alphanumeric(c) || c == '_'; });
    if (!valid) return "must be fixed text or one webhook parameter in braces, e.g. \"{FromCity}\"";
    return std::nullopt;
  }
  if (value.find_first_of("{}") != std::string_view::npos)
    return "must be fixed text without braces, or exactly one webhook parameter in braces, e.g. \"{FromCity}\"";
  return std::nullopt;
}

void append_sip_header_value(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    if (is_unreserved(c)) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
}

const std::string* call_parameters::find(std::string_view name) const {
  for (const util::decoded_form* form : {body, query}) {
    if (!form) continue;
    if (const util::form_param* param = util::find_param(form->params, name)) return &param->value;
  }
  return nullptr;
}

sip_uri_template::sip_uri_template(x_ei_form x_ei, const std::map<std::string, std::string>& headers) : x_ei_(x_ei) {
  for (const auto& [name, value] : headers) {
    if (value.empty()) continue;  // a number's "" takes back a top-level header: nothing to send
    header h{.name = name, .prefix = "&" + name + "=", .fixed = {}, .param = std::string(param_name(value))};
    if (h.param.empty()) {
      append_sip_header_value(h.fixed, value);
      fixed_query_.append(h.prefix).append(h.fixed);
    } else {
      all_fixed_ = false;
    }
    headers_.push_back(std::move(h));
  }
}

sip_uri_result sip_uri_template::build(std::string_view called, std::string_view sip_target, std::string_view call_sid,
                                       const call_parameters& params) const {
  sip_uri_result result;
  std::string& uri = result.uri;
  uri.reserve(kMaxSipUriLength + 1);
  uri.append("sip:").append(called).append("@").append(sip_target).append(kXEi);
  if (x_ei_ == x_ei_form::tokens) {
    uri.append(kTokenStart).append(call_sid).append(kTokenEnd);
  } else {
    uri.append(call_sid);
  }
  // The common case: fixed headers only, and all of them fit.
  if (all_fixed_ && uri.size() + fixed_query_.size() <= kMaxSipUriLength) {
    uri.append(fixed_query_);
    return result;
  }
  for (const header& h : headers_) {
    const std::size_t before = uri.size();
    if (h.param.empty()) {
      uri.append(h.prefix).append(h.fixed);
    } else {
      const std::string* sent = params.find(h.param);
      if (!sent || sent->empty()) continue;
      // Synthflow documents header values without CR, LF or NUL: such a value is left out whole
      // (reported as omitted), never escaped into the URI.
      if (sent->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        result.omitted.push_back(h.name);
        continue;
      }
      uri.append(h.prefix);
      append_sip_header_value(uri, *sent);  // escaped in place: taken back below if it does not fit
    }
    if (uri.size() > kMaxSipUriLength) {
      uri.resize(before);
      result.omitted.push_back(h.name);
    }
  }
  return result;
}

}  // namespace twiml_redirect::twilio
