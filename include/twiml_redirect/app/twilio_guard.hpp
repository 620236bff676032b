#pragma once
// What every route Twilio calls gets before its handler runs: the request's query and form body
// decoded once, X-Twilio-Signature checked over exactly those decodings (when an auth token is set),
// a rejection answered, counted and logged in one place, and the generic 400/415 answers. A handler
// then reads the decoded parameters and never decodes or authenticates anything itself. No I/O
// besides the warn log of a rejection.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/twilio/request_validator.hpp"
#include "twiml_redirect/twilio/sip_uri.hpp"
#include "twiml_redirect/util/form_decoding.hpp"
#include "twiml_redirect/util/log_throttle.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// A request Twilio sent, with its parameters decoded once. Lives for one call of a handler.
struct twilio_request {
  // Decodes the query of `target` and, when the Content-Type is a form, the body: once each.
  // `target` is req.target() without a mount prefix (see twilio_guard::mount_prefix()).
  twilio_request(const http::request& req, std::string_view target);

  const http::request& http;              // as received
  std::string_view target;                // the request-target after the mount prefix
  util::decoded_form query;               // the target's query (may hold a decoding error)
  std::optional<util::decoded_form> form;  // the body's fields when the Content-Type is a form

  // The body's fields when they are call parameters (a form POST), else null: a handler reads these
  // first and the query second.
  const util::decoded_form* body_params() const;

  // The value of call parameter `name`: the form body's first (a POST), else the query's; null when
  // absent. Sets `error` (and returns null) when the name repeats with different values within one
  // source, since the signature covers every value while a handler would read only one.
  const std::string* param(std::string_view name, std::string& error) const;

  // The same, from the query alone: for values our own TwiML put into a callback URL ("step").
  const std::string* query_param(std::string_view name, std::string& error) const;
  // The call's parameters, body first then query, for "{Param}" SIP headers.
  twilio::call_parameters call_params() const { return {body_params(), &query}; }
};

// A handler of a route Twilio calls. Runs only after the guard let the request through.
using twilio_handler = std::function<http::response(const twilio_request& req, http::request_context& ctx)>;

class twilio_guard {
 public:
  // `metrics` must outlive the guard: rejections are counted there. Without an auth token or a
  // shared key in `validator`, requests go unchecked (serve warns about that at startup).
  twilio_guard(twilio::request_validator validator, util::metrics& metrics);

  // The path of the public URL ("/voice"), empty when it has none: routes Twilio calls answer both
  // under it (a proxy that forwards the path as is) and at the root (one that strips it).
  const std::string& mount_prefix() const { return validator_.public_path(); }

  // Decodes `req` once, checks it, and calls `handle` with the decoded parameters, or answers:
  // 401 with a Basic challenge without the configured credentials, 403 when the signature is wrong, 400 for a malformed query or form body, 415 for a body that is
  // neither a form nor JSON. `target` is req.target() without the mount prefix; `route` names the
  // route in the log (the raw path may carry anything).
  http::response operator()(const http::request& req, std::string_view target, std::string_view route,
                            http::request_context& ctx, const twilio_handler& handle) const;

  // The checks alone, on a request decoded by the caller: the answer to give instead of calling the
  // handler, or nullopt to call it. Removes from `req` the form fields the signature turned out not
  // to cover (twilio::kFieldsAddedAfterSigning).
  std::optional<http::response> check(twilio_request& req, std::string_view route,
                                      const http::request_context& ctx) const;

 private:
  // The log throttle for rejections, shared by the copies of the guard and the server's threads.
  class shared_log_throttle {
   public:
    std::uint64_t note() {
      std::lock_guard lock(mutex_);
      return throttle_.note(util::log_throttle::clock::now());
    }

   private:
    std::mutex mutex_;
    util::log_throttle throttle_;
  };

  twilio::request_validator validator_;
  util::labelled_counter& signature_failures_;
  util::labelled_counter& unsigned_fields_dropped_;
  util::labelled_counter& basic_failures_;
  std::shared_ptr<shared_log_throttle> rejection_log_ = std::make_shared<shared_log_throttle>();
};

}  // namespace twiml_redirect::app
