#pragma once
// Typed Synthflow calls over an http_client, each with bounded retries: transient failures
// (connection, timeout, 408/429/5xx, a 2xx whose JSON is unreadable) are retried with backoff and
// jitter, honouring Retry-After; other 4xx fail at once. Failures are values naming the operation,
// the HTTP status and Synthflow's own message, with every known secret scrubbed out.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include "twiml_redirect/synthflow/http_client.hpp"
#include "twiml_redirect/synthflow/payloads.hpp"
#include "twiml_redirect/synthflow/retry_policy.hpp"
#include "twiml_redirect/synthflow/stop_signal.hpp"

namespace twiml_redirect::synthflow {

struct failure {
  std::string operation;     // e.g. "GET /numbers/33782990580"
  unsigned http_status = 0;  // 0 when no HTTP answer arrived
  std::string message;       // Synthflow's message or the transport's; secrets removed
  bool transient = false;    // trying again later may succeed
  bool maybe_applied = false;  // a write may have taken effect although it failed
  bool stopped = false;      // ended by a stop request, not by Synthflow

  // "GET /numbers/1555 failed: HTTP 401: Invalid API key".
  std::string describe() const;
};

// Lets boost::system::result<T, failure>::value() throw (only bugs call value() on an error).
[[noreturn]] void throw_exception_from_error(const failure& error, const boost::source_location& where);

template <class T>
using api_result = boost::system::result<T, failure>;

// Replaces every occurrence of each non-empty secret in `text` with "<redacted>".
std::string redact(std::string text, const std::vector<std::string>& secrets);

struct api_settings {
  std::string base_path;     // from api_url, e.g. "/v2"
  std::string workspace_id;
  std::string api_key;       // Bearer token; never logged
  std::vector<std::string> secrets;  // scrubbed from every message (API key, trunk passwords)
  retry_policy retry;
  std::size_t page_size = 100;
  std::function<double()> jitter;  // uniform [0,1); default: a seeded PRNG
};

class synthflow_api {
 public:
  // `client` and `stop` must outlive this object.
  synthflow_api(http_client& client, api_settings settings, stop_signal& stop);

  // Whether a call may be repeated blindly after an ambiguous failure.
  enum class repeat { safe, once };

  // GET /numbers/{slug}?workspace=. std::nullopt when Synthflow says it does not exist: a 404, or a
  // 400 that a paged GET /numbers confirms (what an unknown slug answers is undocumented).
  api_result<std::optional<number_state>> get_number(const std::string& e164);
  // Pages GET /numbers?workspace= and reports whether `e164` is listed.
  api_result<bool> number_listed(const std::string& e164);
  // POST /custom-numbers. Not repeated after an ambiguous failure (maybe_applied set instead).
  api_result<void> create_number(const nlohmann::json& body);
  // PATCH /numbers/{slug}.
  api_result<void> update_number(const std::string& e164, const nlohmann::json& body);

  // GET /assistants/{id}; std::nullopt on 404/400 (an id that no longer resolves).
  api_result<std::optional<assistant_state>> get_assistant(const std::string& model_id);
  // Every agent of the account, paging GET /assistants/.
  api_result<std::vector<assistant_state>> list_assistants();
  // POST /assistants; the new model_id (empty when the answer lacks one). Not repeated blindly.
  api_result<std::string> create_assistant(const nlohmann::json& body);
  // PUT /assistants/{id}.
  api_result<void> update_assistant(const std::string& model_id, const nlohmann::json& body);

  // The retry settings, for callers that retry at a higher level.
  const retry_policy& retry() const { return settings_.retry; }
  // Draws a jitter value from the configured source.
  double jitter() { return settings_.jitter(); }

 private:
  // One call with retries; the parsed JSON body of the 2xx answer.
  api_result<nlohmann::json> call(boost::beast::http::verb method, const std::string& path,
                                  const std::string& query, const std::optional<nlohmann::json>& body,
                                  repeat mode);

  http_client& client_;
  api_settings settings_;
  stop_signal& stop_;
};

}  // namespace twiml_redirect::synthflow
