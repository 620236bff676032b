#pragma once
// Validation of the two call parameters the webhook uses. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace twiml_redirect::twilio {

// Why `called` is not an E.164 number ('+', then 2 to 15 digits, the first not 0), or nullopt.
std::optional<std::string> check_called(std::string_view called);

// Why `call_sid` is not 1 to 64 characters of [A-Za-z0-9_-], or nullopt. The limit on characters is
// what keeps a caller from smuggling a second SIP header or URI parameter into the dialed URI.
std::optional<std::string> check_call_sid(std::string_view call_sid);

// Why `target` is not a usable SIP host[:port] for the dialed URI, or nullopt. Used by config.
std::optional<std::string> check_sip_target(std::string_view target);

}  // namespace twiml_redirect::twilio
