#pragma once
// Caller context for Synthflow's pre-call action: /redirect_call records each answered call's
// parameters in a store, keyed by CallSid, and POST /call_context gives them back as a flat JSON
// object of prompt variables (plus the called number's own `variables`). Caller data is personal:
// it goes to the store and to the authenticated caller of /call_context, never to a log or a label.

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "twiml_redirect/app/health.hpp"
#include "twiml_redirect/app/twilio_guard.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/context/call_record.hpp"
#include "twiml_redirect/context/store.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/routing/live_routes.hpp"
#include "twiml_redirect/util/log_throttle.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// GET /calls/{CallSid}: the route's path, which the router matches as a prefix.
inline constexpr std::string_view kCallsPath = "/calls/";

class call_context {
 public:
  // `token` is CALL_CONTEXT_TOKEN (empty: /call_context is not served); `calls_token` is CALLS_TOKEN,
  // which reads /calls/{CallSid} too, and nothing else (empty: only `token` does); the routes in force give
  // each called number's own variables (a reload changes them); `lookup_timeout` bounds a lookup
  // made without a deferrable context. The store's state and the refused requests are added to
  // `metrics`, which must outlive this.
  call_context(std::unique_ptr<context::call_store> store, std::string token, std::string calls_token,
               std::shared_ptr<const routing::live_routes> routes, std::chrono::milliseconds lookup_timeout,
               util::metrics& metrics);
  call_context(const call_context&) = delete;
  call_context& operator=(const call_context&) = delete;

  // After /redirect_call answered 200: hands the call's parameters and the webhook's `event` (the
  // first of the call's path) to the store, in one write. Never blocks, never throws, whatever the
  // store does.
  void record(const twilio_request& req, std::string event) const noexcept;

  bool serves_lookups() const { return !token_.empty(); }

  // The breakers' sharing through Redis (health_sharing), or null with the memory store.
  const health_sharing* sharing() const { return sharing_.get(); }

  // Adds `event` (one JSON object, no caller data) to the call's path. Never blocks or throws.
  void note(std::string_view call_sid, std::string event) const noexcept;

  // GET /calls/{CallSid}: the call's path, oldest event first, behind either Bearer token: 401
  // without it, 400 for a malformed CallSid, 404 for an unknown or expired call, 503 when the store
  // does not answer in time.
  http::response call_events(const http::request& req, http::request_context& ctx) const;

  // POST /call_context: 401 without the Bearer token, 400 naming the field when no call is named,
  // 404 for an unknown or expired call, 503 when the store does not answer in time, else 200 with
  // the variables. Answers through ctx.defer when the server provides it.
  http::response lookup(const http::request& req, http::request_context& ctx) const;

  const context::call_store& store() const { return *store_; }

 private:
  // Whether the request's Bearer token is `token_`, or `calls_token_` when `calls` (/calls/{CallSid}).
  bool authorized(const http::request& req, bool calls = false) const;
  // 401 for a request to `route` without the right token: counted, and logged at most once a
  // second with the count (one throttle for both routes).
  http::response refuse_unauthorized(std::string_view route, const http::request_context& ctx) const;
  // The answer to `result` for the call `named` names. `found_sid` is the candidate the store knew.
  http::response answer(const context::lookup_result& result, const context::named_call& named,
                        const std::string& found_sid) const;
  // Initialize's probe: every key the answer can have, with empty values.
  http::response probe_answer() const;
  // Looks named->candidates up in order from `next`, stopping at the first the store knows (or at a
  // store failure); `done` gets that result and the candidate it was for.
  void lookup_from(std::shared_ptr<const context::named_call> named, std::size_t next,
                   std::function<void(context::lookup_result, const std::string&)> done) const;

  // SHA-256 digests, what a presented token's digest is compared with (authorized()).
  using token_digest = std::array<unsigned char, 32>;
  std::string token_;
  std::string calls_token_;
  token_digest token_digest_{};
  token_digest calls_token_digest_{};
  std::chrono::milliseconds lookup_timeout_;
  std::shared_ptr<const routing::live_routes> routes_;  // each number's variables
  mutable std::atomic<std::uint64_t> unauthorized_{0};
  mutable std::atomic<std::uint64_t> bad_requests_{0};
  mutable std::mutex log_mutex_;
  mutable util::log_throttle unauthorized_log_;
  // Last, so it goes first: a store answers its pending lookups when destroyed, through answer().
  std::unique_ptr<context::call_store> store_;
  // After the store, so it goes before it: the store's callbacks hold only weak references to it.
  std::unique_ptr<health_sharing> sharing_;
};

}  // namespace twiml_redirect::app
