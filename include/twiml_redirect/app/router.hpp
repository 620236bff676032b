#pragma once
// Maps a request to its handler: 404 for an unknown path, 405 (with Allow) for a known path asked
// with the wrong method. The server calls it for every request; it does no I/O.

#include <string>
#include <vector>

#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/twilio/request_validator.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

class router {
 public:
  // `readiness` and `metrics` must outlive the router; /metrics shows `metrics`, and rejected
  // signatures are counted there. When `validator` has an auth token, every /redirect_call request
  // must carry a valid X-Twilio-Signature (else 403); without one, requests go unchecked.
  router(std::string sip_target, const readiness& readiness, util::metrics& metrics,
         twilio::request_validator validator = twilio::request_validator(config::twilio_config{}));

  // The paths this router serves: the route labels of util::metrics.
  static std::vector<std::string> paths();

  http::response operator()(const http::request& req, http::request_context& ctx) const;

 private:
  http::response redirect_call(const http::request& req, http::request_context& ctx) const;
  http::response healthz(const http::request& req, http::request_context& ctx) const;
  http::response readyz(const http::request& req, http::request_context& ctx) const;
  http::response metrics(const http::request& req, http::request_context& ctx) const;

  struct route;
  static const route kRoutes[];

  std::string sip_target_;
  const readiness& readiness_;
  util::metrics& metrics_;
  twilio::request_validator validator_;
};

}  // namespace twiml_redirect::app
