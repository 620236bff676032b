#include <chrono>
#include <ostream>
#include <string>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/outbound/http_client.hpp"

namespace twiml_redirect::app {
namespace {

// A wildcard listen address is reached through loopback; a specific one only through itself.
std::string probe_host(const std::string& listen_host) {
  if (listen_host == "0.0.0.0") return "127.0.0.1";
  if (listen_host == "::") return "::1";
  return listen_host;
}

}  // namespace

int run_healthcheck(const config::service_config& config, std::ostream& err) {
  outbound::client_options options;
  options.target.tls = false;
  options.target.host = probe_host(config.server.host);
  options.target.port = config.server.port;
  // A hung server must fail the probe, not hang it.
  options.timeout = std::chrono::seconds(3);
  options.body_limit = 64 * 1024;
  auto client = outbound::make_http_client(options);
  if (!client) {
    err << "healthcheck: " << client.error() << "\n";
    return kExitFailure;
  }
  outbound::http_request request;
  request.target = "/healthz";
  const auto result = (*client)->send(request);
  if (!result.ok()) {
    err << "healthcheck: GET /healthz: " << result.error_message << "\n";
    return kExitFailure;
  }
  if (result.response.status != 200) {
    err << "healthcheck: /healthz answered " << result.response.status << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace twiml_redirect::app
