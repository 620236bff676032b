#pragma once
// Parameter sets of the published Twilio signature vectors (reference notes on Twilio webhooks,
// sections 1.5 and 1.6), shared by the unit and integration suites.

#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::testing {

// The libraries' common test parameters (token "12345", URL https://mycompany.com/myapp.php?foo=1&bar=2).
inline twiml_redirect::twilio::form_params library_vector_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+14158675309"},
          {"Digits", "1234"},
          {"From", "+14158675309"},
          {"To", "+18005551212"}};
}

// Vector V1/V2: a voice webhook POST with an empty value, a UTF-8 value and a space.
inline twiml_redirect::twilio::form_params voice_vector_params() {
  return {{"AccountSid", "AC00000000000000000000000000000000"},
          {"ApiVersion", "2010-04-01"},
          {"CallSid", "CA0b33a4462bd42d3eeaa07f07653796e3"},
          {"CallStatus", "ringing"},
          {"Called", "+12031234567"},
          {"CalledCity", ""},
          {"Caller", "+447381234567"},
          {"Direction", "inbound"},
          {"From", "+447381234567"},
          {"FromCity", "S\xC3\x83O PAULO"},
          {"To", "+12031234567"}};
}

}  // namespace twiml_redirect::testing
