#pragma once
// The subcommands of the twiml-redirect binary. Each returns the process exit code:
// 0 success, 1 a runtime failure, 2 bad usage or configuration.

#include <iosfwd>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Serves webhooks until SIGTERM or SIGINT, then drains and returns 0.
int run_serve(const config::service_config& config);

// Asks this host's /healthz (on the configured port) and returns 0 when it answers 200, else 1.
// For container HEALTHCHECKs, which have no curl.
int run_healthcheck(const config::service_config& config, std::ostream& err);

}  // namespace twiml_redirect::app
