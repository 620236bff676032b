#include "support/test_server.hpp"

namespace twiml_redirect::testing {

config::server_config test_server_config() {
  config::server_config config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.threads = 2;
  config.idle_timeout = std::chrono::milliseconds(500);
  config.drain_timeout = std::chrono::milliseconds(2000);
  return config;
}

test_server::test_server(config::server_config config, std::string sip_target, config::twilio_config signing)
    : readiness_("test"),
      server_(std::move(config),
              app::router(std::move(sip_target), readiness_, metrics_,
                          twilio::request_validator({.auth_token = signing.auth_token,
                                                     .shared_keys = twilio::parse_shared_keys(signing.shared_keys).keys,
                                                     .basic_user = signing.webhook_user,
                                                     .basic_password = signing.webhook_password,
                                                     .public_url = signing.public_url,
                                                     .trusted_proxies = signing.trusted_proxies})),
              metrics_) {
  server_.start();
}

}  // namespace twiml_redirect::testing
