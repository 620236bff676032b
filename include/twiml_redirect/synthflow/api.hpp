#pragma once
// Typed Synthflow calls over an outbound::http_client, each through outbound::call_with_retries:
// transient failures (connection, timeout, 408/429/5xx, a 2xx whose JSON is unreadable) are retried
// with backoff and jitter, honouring Retry-After; other 4xx fail at once. Failures are values naming
// the operation, the HTTP status and Synthflow's own message, with every known secret scrubbed out.
// This file holds only what is Synthflow's: paths, query parameters and how its answers read.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "twiml_redirect/outbound/call.hpp"
#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/outbound/retry_policy.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"
#include "twiml_redirect/synthflow/payloads.hpp"

namespace twiml_redirect::synthflow {

using outbound::http_client;
using outbound::retry_policy;
using outbound::stop_signal;
using failure = outbound::call_failure;

template <class T>
using api_result = outbound::call_result<T>;

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

  using repeat = outbound::repeat;
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

  // The custom actions attached to an agent (GET /assistants/{id}?include_actions=true). The
  // reference lists them as bare ids: name and description stay empty unless the answer has them
  // (get_action reads them).
  api_result<std::vector<attached_action>> get_agent_actions(const std::string& model_id);
  // GET /actions/{id}: its name and description; std::nullopt on 404 (deleted meanwhile). A 200
  // without the action is an error naming the field.
  api_result<std::optional<attached_action>> get_action(const std::string& action_id);
  // POST /actions; the new action_id. Not repeated blindly.
  api_result<std::string> create_action(const nlohmann::json& body);
  // PUT /actions/{id} with the same body as the create: changes it in place.
  api_result<void> update_action(const std::string& action_id, const nlohmann::json& body);
  // DELETE /actions/{id}; a 404 (already gone) counts as done.
  api_result<void> delete_action(const std::string& action_id);
  // POST /actions/initialize with `variables` ({key, value} pairs substituted into the action's
  // body before Synthflow calls its URL once), as the dashboard's Initialize does.
  api_result<void> initialize_action(const std::string& action_id,
                                     const std::vector<std::pair<std::string, std::string>>& variables);
  // POST /actions/attach with `items` [{action_id, attachment_type: "before"}] (one documented form,
  // not both); POST /actions/detach.
  api_result<void> attach_action(const std::string& model_id, const std::string& action_id);
  api_result<void> detach_action(const std::string& model_id, const std::string& action_id);

  // The retry settings, for callers that retry at a higher level.
  const retry_policy& retry() const { return profile_.retry; }
  // Draws a jitter value from the configured source.
  double jitter() { return profile_.jitter(); }

 private:
  // One call with retries; the parsed JSON body of the 2xx answer.
  api_result<nlohmann::json> call(boost::beast::http::verb method, const std::string& path,
                                  const std::string& query, const std::optional<nlohmann::json>& body,
                                  repeat mode);

  http_client& client_;
  api_settings settings_;
  outbound::api_profile profile_;  // Synthflow's error format, retry settings and secrets
  stop_signal& stop_;
};

}  // namespace twiml_redirect::synthflow
