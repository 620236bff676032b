#pragma once
// Contract checks: the requests our clients send and the answers the test fakes give, validated
// against the vendors' own published OpenAPI documents (tests/contract/openapi/, sources named in
// tests/contract/README.md) by tests/contract/openapi_check.py. A fake that shares our guess
// proves nothing; this is what keeps both honest.

#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_api_server.hpp"

namespace twiml_redirect::test {

// "synthflow" (Synthflow Platform API, base path /v2, Bearer auth) or "twilio" (Twilio API v2010
// IncomingPhoneNumbers, Basic auth), "twilio-calls" (v2010's Calls list) or "twilio-monitor"
// (Monitor v1's Alerts list). Success when every call conforms, and at least one was made;
// the message carries the checker's verdict (its problems, or "validated N exchanges over M
// operations: ...").
::testing::AssertionResult conforms_to_openapi(const std::vector<recorded_call>& calls, std::string_view api);

}  // namespace twiml_redirect::test
