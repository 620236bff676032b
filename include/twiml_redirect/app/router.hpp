#pragma once
// Maps a request to its handler through a table of routes: 404 for an unknown path, 405 (with an
// Allow header derived from the route's methods) for a known path asked with the wrong method.
// Routes Twilio calls are declared as such and get twilio_guard in front of their handler. The
// server calls the router for every request; it does no I/O.

#include <cstdint>
#include <memory>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/twilio_guard.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/twilio/request_validator.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// The HTTP methods a route answers: a set, from which a 405's Allow header is written.
class method_set {
 public:
  constexpr method_set(std::initializer_list<http::beast_http::verb> verbs) {
    for (http::beast_http::verb verb : verbs) bits_ |= bit(verb);
  }

  constexpr bool contains(http::beast_http::verb verb) const { return (bits_ & bit(verb)) != 0; }

  // The methods in Beast's verb order, comma-separated: "GET, POST", "GET, HEAD".
  std::string allow() const;

 private:
  // Beast numbers its verbs from 0 (unknown) to well under 64.
  static constexpr std::uint64_t bit(http::beast_http::verb verb) {
    return std::uint64_t{1} << static_cast<unsigned>(verb);
  }

  std::uint64_t bits_ = 0;
};

// One row of the table. A Twilio-called route (a twilio_handler) is also mounted under the public
// URL's path, and its handler runs only once twilio_guard has let the request through.
struct route {
  std::string path;
  method_set methods;
  std::variant<http::request_handler, twilio_handler> handle;
};

class router {
 public:
  // The service's routes: /redirect_call (Twilio-called), /healthz, /readyz, /metrics. `readiness`
  // and `metrics` must outlive the router; /metrics shows `metrics`, and rejected signatures are
  // counted there. When `validator` has an auth token, every Twilio-called request must carry a
  // valid X-Twilio-Signature (else 403); without one, requests go unchecked.
  router(std::shared_ptr<const routing::route_table> routes, const readiness& readiness, util::metrics& metrics,
         twilio::request_validator validator = twilio::request_validator({}));

  // The service's routes with a configuration that dials `sip_target` for every number.
  router(std::string_view sip_target, const readiness& readiness, util::metrics& metrics,
         twilio::request_validator validator = twilio::request_validator({}));

  // Any table of routes, e.g. one a test builds. `metrics` must outlive the router.
  router(std::vector<route> routes, util::metrics& metrics, twilio::request_validator validator);

  // The paths the service's router serves, the route labels of util::metrics: each route's path, and
  // for Twilio-called routes also `twilio_prefix` + path when a prefix is given (validator.public_path()).
  static std::vector<std::string> paths(std::string_view twilio_prefix = {});

  http::response operator()(const http::request& req, http::request_context& ctx) const;

 private:
  std::vector<route> routes_;
  twilio_guard guard_;
};

}  // namespace twiml_redirect::app
