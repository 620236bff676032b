#pragma once
// One API call with bounded retries, for any REST API: transient failures (no connection, timeout,
// 408/429/5xx, a 2xx the API's check finds unusable) are retried with backoff and jitter, honouring
// Retry-After; other 4xx fail at once. What differs between APIs (how an error body reads, what
// makes a 2xx unusable, the log prefix and the secrets) comes in an api_profile; the API's own code
// keeps only its paths, payloads and typed results.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/outbound/request.hpp"
#include "twiml_redirect/outbound/retry_policy.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"

namespace twiml_redirect::outbound {

struct call_failure {
  std::string operation;       // e.g. "GET /numbers/33782990580"
  unsigned http_status = 0;    // 0 when no HTTP answer arrived
  std::string message;         // the API's message or the transport's; secrets removed
  bool transient = false;      // trying again later may succeed
  bool maybe_applied = false;  // a write may have taken effect although it failed
  bool stopped = false;        // ended by a stop request, not by the API

  // "GET /numbers/1555 failed: HTTP 401: Invalid API key".
  std::string describe() const;
};

// Lets boost::system::result<T, call_failure>::value() throw (only bugs call value() on an error).
[[noreturn]] void throw_exception_from_error(const call_failure& error, const boost::source_location& where);

template <class T>
using call_result = boost::system::result<T, call_failure>;

// Whether a call may be repeated blindly after an ambiguous failure.
enum class repeat {
  safe,  // reads and idempotent writes
  once,  // creations: after a failure that may have applied, the caller re-reads instead
};

// What one API contributes to the retry loop.
struct api_profile {
  std::string name;  // log prefix, e.g. "synthflow"
  retry_policy retry;
  std::function<double()> jitter;    // uniform [0, 1); empty: a seeded PRNG
  std::vector<std::string> secrets;  // scrubbed from every message besides the request's credentials
  // The API's message for a non-2xx answer (e.g. Twilio's {"message"}); empty when it has none.
  std::function<std::string(const http_response&)> error_message;
  // Why a 2xx answer is unusable (a cut JSON body), std::nullopt when it is fine. Unusable answers
  // are transient failures. Empty: every 2xx is fine.
  std::function<std::optional<std::string>(const http_response&)> check_success;
};

// A uniform [0, 1) source seeded from std::random_device, safe to copy (copies share the engine).
std::function<double()> default_jitter();

// A profile named `name` with `retry` (at least one attempt) and `jitter` (empty: default_jitter()),
// whose 2xx answers must be JSON (`check_success`); error_message and secrets are the caller's.
api_profile json_api_profile(std::string name, retry_policy retry, std::function<double()> jitter);

// Sends `request` through `client` until it succeeds, fails for good, runs out of attempts or `stop`
// is requested (back-offs wait on `stop`, so stopping is prompt). `operation` names the call in
// failures and logs ("GET /numbers/{slug}"). Returns the 2xx answer.
call_result<http_response> call_with_retries(http_client& client, const http_request& request,
                                             std::string_view operation, repeat mode, const api_profile& api,
                                             stop_signal& stop);

}  // namespace twiml_redirect::outbound
