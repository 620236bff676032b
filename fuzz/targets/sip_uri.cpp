// The SIP URI builder with arbitrary headers and webhook parameters. Whatever the input, the URI
// starts with the number, target and X-EI, stays under 255 characters when that part does, and its
// query is exactly the configured headers in order, each value escaped so that decoding gives the
// configured or sent value back, or the header is named as omitted; in TwiML it is the one <Sip>.
// Input: sip_target '\n' call_sid '\n' x_ei ("tokens" or anything) '\n' headers, one "Name=value"
// per line, up to an empty line, then a form-encoded body of webhook parameters (the rest).
#include <algorithm>
#include <map>
#include <set>

#include "fuzz_target.hpp"
#include "twiml_check.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/sip_uri.hpp"
#include "twiml_redirect/twilio/twiml.hpp"
#include "twiml_redirect/util/form_decoding.hpp"

namespace {

using namespace twiml_redirect;

constexpr std::string_view kCalled = "+14155550100";

bool is_escaped_value(std::string_view value) {
  constexpr std::string_view kUnreserved = "-_.!~*'()";
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        kUnreserved.find(c) != std::string_view::npos)
      continue;
    if (c != '%' || value.size() - i < 3) return false;
    for (const char hex : value.substr(i + 1, 2))
      if (!((hex >= '0' && hex <= '9') || (hex >= 'A' && hex <= 'F'))) return false;
    i += 2;
  }
  return true;
}

}  // namespace

TWIML_FUZZ_TARGET(sip_uri) {
  twiml_fuzz::field_reader fields(input);
  const std::string_view sip_target = fields.next();
  const std::string_view call_sid = fields.next();
  const bool tokens = fields.next() == "tokens";
  // Only what the configuration would accept.
  std::map<std::string, std::string> headers;
  for (std::string_view line = fields.next(); !line.empty(); line = fields.next()) {
    const std::size_t equals = line.find('=');
    const std::string name(line.substr(0, equals));
    const std::string value(equals == std::string_view::npos ? std::string_view{} : line.substr(equals + 1));
    if (!twilio::check_sip_header_name(name) && !twilio::check_sip_header_value(value)) headers[name] = value;
  }
  const util::decoded_form body = util::decode_form(fields.rest());
  const twilio::call_parameters params{body.ok() ? &body : nullptr, nullptr};

  const twilio::sip_uri_template uri_template(tokens ? twilio::x_ei_form::tokens : twilio::x_ei_form::call_sid, headers);
  const twilio::sip_uri_result result = uri_template.build(kCalled, sip_target, call_sid, params);
  const std::string& uri = result.uri;

  std::string base = "sip:" + std::string(kCalled) + "@" + std::string(sip_target) + "?X-EI=";
  base += tokens ? "E." + std::string(call_sid) + "%3B" : std::string(call_sid);
  TWIML_FUZZ_CHECK(uri.starts_with(base));
  if (base.size() <= twilio::kMaxSipUriLength) TWIML_FUZZ_CHECK(uri.size() <= twilio::kMaxSipUriLength);

  // In TwiML: the one <Sip>, holding the URI byte for byte.
  const std::string document = twilio::render_dial_sip_uri(twilio::dial_sip_prefix({}), uri);
  const twiml_fuzz::twiml_verdict loose = twiml_fuzz::check_twiml(document, false);
  TWIML_FUZZ_CHECK(loose.well_formed && loose.sip_count == 1 && loose.sip_text == uri);

  if (twilio::check_call_sid(call_sid) || twilio::check_sip_target(sip_target)) return;
  // Valid number, target and CallSid: the query after X-EI is exactly "&Name=escaped" per header.
  TWIML_FUZZ_CHECK(twiml_fuzz::check_twiml(document, true).well_formed);
  std::set<std::string_view> sent;
  std::string_view query = std::string_view(uri).substr(base.size());
  std::string previous;
  while (!query.empty()) {
    TWIML_FUZZ_CHECK(query.front() == '&');
    query.remove_prefix(1);
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(pair.size());
    const std::size_t equals = pair.find('=');
    TWIML_FUZZ_CHECK(equals != std::string_view::npos);
    const std::string name(pair.substr(0, equals));
    const std::string_view value = pair.substr(equals + 1);
    const auto configured = headers.find(name);
    TWIML_FUZZ_CHECK(configured != headers.end());
    TWIML_FUZZ_CHECK(name > previous);  // in name order, each once
    previous = name;
    TWIML_FUZZ_CHECK(is_escaped_value(value) && !value.empty());
    std::string decoded;
    TWIML_FUZZ_CHECK(util::percent_decode(value, false, decoded));
    const std::string& wanted = configured->second;
    if (wanted.size() > 2 && wanted.front() == '{') {
      const std::string* param = params.find(wanted.substr(1, wanted.size() - 2));
      TWIML_FUZZ_CHECK(param && decoded == *param);
    } else {
      TWIML_FUZZ_CHECK(decoded == wanted);
    }
    sent.insert(configured->first);
  }
  // Every header with something to send was sent or named as omitted, never both.
  for (const std::string_view name : result.omitted) TWIML_FUZZ_CHECK(headers.contains(std::string(name)) && !sent.contains(name));
  for (const auto& [name, value] : headers) {
    const bool is_param = value.size() > 2 && value.front() == '{';
    const std::string* param = is_param ? params.find(value.substr(1, value.size() - 2)) : nullptr;
    const bool has_value = is_param ? param && !param->empty() : !value.empty();
    const bool omitted = std::find(result.omitted.begin(), result.omitted.end(), name) != result.omitted.end();
    TWIML_FUZZ_CHECK(has_value == (sent.contains(name) || omitted));
  }
}
