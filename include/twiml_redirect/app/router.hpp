#pragma once
// Maps a request to its handler: 404 for an unknown path, 405 (with Allow) for a known path asked
// with the wrong method. The server calls it for every request; it does no I/O.

#include <string>

#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/http/types.hpp"
#include "twiml_redirect/twilio/request_validator.hpp"

namespace twiml_redirect::app {

class router {
 public:
  // `readiness` must outlive the router. When `validator` has an auth token, every /redirect_call
  // request must carry a valid X-Twilio-Signature (else 403); without one, requests go unchecked.
  router(std::string sip_target, const readiness& readiness,
         twilio::request_validator validator = twilio::request_validator(config::twilio_config{}));

  http::response operator()(const http::request& req, http::request_context& ctx) const;

 private:
  http::response redirect_call(const http::request& req, http::request_context& ctx) const;
  http::response healthz(const http::request& req, http::request_context& ctx) const;
  http::response readyz(const http::request& req, http::request_context& ctx) const;

  struct route;
  static const route kRoutes[];

  std::string sip_target_;
  const readiness& readiness_;
  twilio::request_validator validator_;
};

}  // namespace twiml_redirect::app
