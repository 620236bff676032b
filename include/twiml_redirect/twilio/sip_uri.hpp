#pragma once
// The SIP URI Twilio dials, with the SIP headers it carries to Synthflow: X-EI (which ties
// Synthflow's call to Twilio's CallSid) and any configured X- headers, fixed or filled from the
// webhook's parameters. A route compiles its headers once (sip_uri_template); each call then only
// fills in the number, the CallSid and the parameters. Pure: no I/O.
//
// Twilio's rules [twilio-call-path.md §3]: header values escaped (non-alphanumeric characters as
// %XX), names X-… but not X-Twilio…, the whole URI under 255 characters.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/util/form_decoding.hpp"

namespace twiml_redirect::twilio {

// Longest SIP URI Twilio accepts: "must be under 255 characters".
inline constexpr std::size_t kMaxSipUriLength = 254;

// How X-EI carries the CallSid.
enum class x_ei_form {
  call_sid,  // X-EI=CA…: the service's bytes before the option existed
  tokens,    // X-EI=E.CA…%3B: Synthflow's documented `E.<id>;` token, ';' escaped inside the URI
};

// Why `name` cannot be a configured SIP header name (^X-[A-Za-z0-9_-]+$, not X-Twilio…, not X-EI),
// or nullopt.
std::optional<std::string> check_sip_header_name(std::string_view name);

// Why `value` cannot be a configured header value, or nullopt. A value is fixed text, or exactly
// "{Param}": one webhook parameter's name in braces. No control characters (Twilio drops a header
// whose value decodes to illegal SIP characters), no other braces (so a typo like "{FromCity"
// is an error, not a literal).
std::optional<std::string> check_sip_header_value(std::string_view value);

// Appends `value` percent-escaped for a SIP URI header value: every byte but the RFC 3261
// unreserved ones (letters, digits, - _ . ! ~ * ' ( )) as %XX, upper-case hex. Unreserved characters
// are legal as they are in a header value and mean the same escaped or not, so keeping them keeps
// X-EI's documented `E.<id>` readable and the URI short.
void append_sip_header_value(std::string& out, std::string_view value);

// The parameters of a webhook request, where Twilio sent them: the form body is read first, then
// the query (either may be null).
struct call_parameters {
  const util::decoded_form* body = nullptr;
  const util::decoded_form* query = nullptr;

  // The first value of `name` (body first), or nullptr when Twilio did not send it.
  const std::string* find(std::string_view name) const;
};

// The URI of one call, and the configured headers left out of it.
struct sip_uri_result {
  std::string uri;
  // Names of the headers that did not fit under kMaxSipUriLength; point into the template.
  std::vector<std::string_view> omitted;
};

// A route's X-EI form and X- headers, escaped and joined ahead of time.
class sip_uri_template {
 public:
  // X-EI=<CallSid> and no other header: the service's URI before headers existed.
  sip_uri_template() = default;
  // `headers` maps each name to fixed text or "{Param}" (both checked by the functions above); they
  // follow X-EI in the map's order (by name).
  sip_uri_template(x_ei_form x_ei, const std::map<std::string, std::string>& headers);

  // X-EI=<CallSid> and no other header: render_dial_sip() writes this URI without building it.
  bool is_plain() const { return x_ei_ == x_ei_form::call_sid && headers_.empty(); }

  // sip:{called}@{sip_target}?X-EI=…&X-A=…&X-B=…, with each header that fits under
  // kMaxSipUriLength, in order; one that does not fit is left out whole and named in `omitted`, and
  // later, shorter ones may still fit. A "{Param}" header whose parameter Twilio did not send, or
  // sent empty, is left out (not counted as omitted: nothing was lost). X-EI is always written.
  // `called` and `call_sid` are written as given (validated by the caller: E.164 and [A-Za-z0-9_-]).
  sip_uri_result build(std::string_view called, std::string_view sip_target, std::string_view call_sid,
                       const call_parameters& params) const;

 private:
  struct header {
    std::string name;
    std::string prefix;  // "&Name="
    std::string fixed;   // escaped fixed value; empty when `param` is used
    std::string param;   // the webhook parameter whose value is sent, without braces
  };

  x_ei_form x_ei_ = x_ei_form::call_sid;
  std::vector<header> headers_;
  std::string fixed_query_;  // every header, when all are fixed: "&X-A=1&X-B=2"
  bool all_fixed_ = true;
};

}  // namespace twiml_redirect::twilio
