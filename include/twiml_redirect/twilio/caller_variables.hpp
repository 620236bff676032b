#pragma once
// The prompt variables a call's webhook parameters become: the keys of /call_context's answer, and
// the names a number's own `variables` may not reuse. One table, so config validation and the call
// record cannot disagree about them.

#include <array>
#include <string_view>

namespace twiml_redirect::twilio {

struct caller_variable {
  std::string_view name;       // the prompt variable, e.g. caller_name for {caller_name}
  std::string_view parameter;  // the webhook parameter it is copied from, e.g. CallerName
};

// In the order the answer lists them. CallerName is sent only when caller-name lookup is on for the
// number; the From* parameters only when Twilio knows them. Absent ones are answered as "".
inline constexpr std::array<caller_variable, 10> kCallerVariables = {{
    {"call_sid", "CallSid"},
    {"called_number", "Called"},
    {"caller_number", "From"},
    {"caller_name", "CallerName"},
    {"caller_city", "FromCity"},
    {"caller_state", "FromState"},
    {"caller_zip", "FromZip"},
    {"caller_country", "FromCountry"},
    {"forwarded_from", "ForwardedFrom"},
    {"stir_verstat", "StirVerstat"},
}};

constexpr bool is_caller_variable(std::string_view name) {
  for (const caller_variable& variable : kCallerVariables)
    if (variable.name == name) return true;
  return false;
}

}  // namespace twiml_redirect::twilio
