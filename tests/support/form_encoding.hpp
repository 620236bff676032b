#pragma once
// Builds application/x-www-form-urlencoded bodies the way Twilio sends them, for tests that need
// signed requests.

#include <string>

#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::testing {

// Encodes name=value pairs joined by '&': unreserved bytes as is, space as '+', every other byte %XX
// (upper-case hex), so '+' in a phone number travels as %2B like Twilio's.
std::string form_encode(const twiml_redirect::twilio::form_params& params);

}  // namespace twiml_redirect::testing
