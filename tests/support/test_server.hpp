#pragma once
// The real HTTP server and router, in process, on an ephemeral loopback port.

#include <memory>

#include "twiml_redirect/app/provisioning.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/http/server.hpp"

namespace twiml_redirect::testing {

// Loopback, port 0, two threads, short timeouts: what most server tests want.
config::server_config test_server_config();

class test_server {
 public:
  // `signing` configures signature checking; the default (no auth token) accepts unsigned requests.
  explicit test_server(config::server_config config = test_server_config(),
                       std::string sip_target = "sipin.synthflow.ai:32681", config::twilio_config signing = {});
  ~test_server() { server_.shutdown(); }

  std::uint16_t port() const { return server_.port(); }
  http::server& server() { return server_; }
  app::readiness& readiness() { return readiness_; }
  util::metrics& metrics() { return metrics_; }

 private:
  app::readiness readiness_;
  util::metrics metrics_{app::router::paths(), app::provisioned_api_names()};
  http::server server_;
};

}  // namespace twiml_redirect::testing
