#pragma once
// Typed calls to Twilio's IncomingPhoneNumbers resource over an outbound::http_client, each through
// outbound::call_with_retries like the Synthflow client: transient failures (connection, timeout,
// 408/429/5xx, a 2xx whose JSON is unreadable) are retried with backoff and jitter, honouring
// Retry-After; other 4xx fail at once. Failures are values naming the operation, the HTTP status
// and Twilio's own message, code and more_info, with every secret scrubbed out.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "twiml_redirect/outbound/call.hpp"
#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/outbound/retry_policy.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"
#include "twiml_redirect/twilio_api/payloads.hpp"

namespace twiml_redirect::twilio_api {

using failure = outbound::call_failure;

template <class T>
using api_result = outbound::call_result<T>;

struct api_settings {
  std::string base_path;    // from api_url; empty for Twilio's own hosts
  std::string account_sid;  // the account whose numbers are looked up; also the Basic user with an auth token
  outbound::basic_auth credentials;  // API key SID + secret, or account SID + auth token; never logged
  std::vector<std::string> secrets;  // scrubbed from every message too (the webhook password in VoiceUrl)
  outbound::retry_policy retry;
  std::size_t page_size = 50;
  std::function<double()> jitter;  // uniform [0,1); default: a seeded PRNG
};

class twilio_api {
 public:
  // `client` and `stop` must outlive this object.
  twilio_api(outbound::http_client& client, api_settings settings, outbound::stop_signal& stop);

  // The account's number whose phone_number is exactly `e164`, following next_page_uri (the
  // PhoneNumber filter also matches partial numbers); std::nullopt when the account has none.
  api_result<std::optional<incoming_number>> find_number(const std::string& e164);
  // POST .../IncomingPhoneNumbers/{sid}.json with `fields` form-encoded; the updated number.
  api_result<incoming_number> update_number(const std::string& sid, const outbound::form_fields& fields);

  double jitter() { return profile_.jitter(); }

 private:
  // One call with retries; the parsed JSON body of the 2xx answer. `target` includes the base path.
  api_result<nlohmann::json> call(boost::beast::http::verb method, const std::string& target,
                                  const std::string& operation, std::optional<outbound::form_fields> form);
  std::string numbers_path() const;

  outbound::http_client& client_;
  api_settings settings_;
  outbound::api_profile profile_;
  outbound::stop_signal& stop_;
};

}  // namespace twiml_redirect::twilio_api
