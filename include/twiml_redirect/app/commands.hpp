#pragma once
// The subcommands of the twiml-redirect binary. Each returns the process exit code:
// 0 success, 1 a runtime failure, 2 bad usage or configuration.

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Reads the configuration again (from the file it came from); throws config_error when it is invalid.
using config_loader = std::function<config::service_config()>;

// Serves webhooks until SIGTERM or SIGINT, then drains and returns 0. On SIGHUP, `reload` is called
// and the routing of what it returns replaces the running one (the keys `--schema` lists as "reload": "live").
int run_serve(const config::service_config& config, const config_loader& reload);

// Why `config`'s worst-case memory does not fit this process's cgroup memory limit, or nullopt
// when it fits or there is no limit: the warning check-config and serve print.
std::optional<std::string> memory_fit_warning(const config::service_config& config);

// The CallSid `twiml` tags its answer with when none is given: well-formed, and clearly not a real call.
inline constexpr std::string_view kExampleCallSid = "CA00000000000000000000000000000000";

// Prints the TwiML that /redirect_call answers for a call to `called` tagged with `call_sid`, with
// this configuration, so that a change can be checked before it is deployed. 0, or 2 (with the
// problem on `err`) when either value is not one Twilio would send.
int run_twiml(const config::service_config& config, std::string_view called, std::string_view call_sid,
              std::ostream& out, std::ostream& err);

// What `sign` signs with: the auth token (HMAC-SHA1), or, with a key SID, that shared key's secret
// from `shared_keys` (TWILIO_SHARED_KEYS) and HMAC-SHA256, as a Webhook Rule signs. Secrets are
// never printed.
struct sign_secrets {
  std::string_view auth_token;
  std::string_view shared_keys;
  std::string_view shared_key_sid;  // empty: sign with the auth token
};

// Prints the X-Twilio-Signature header Twilio would send with a POST of `fields` ("Name=value",
// decoded) to `url` (GET: the query in `url`, no fields), and for a shared key the
// X-Twilio-Webhooks-Signature-Settings header too: a signed request for curl, to try a deployment
// that checks signatures. 2 with the problem on `err` for bad input.
int run_sign(const sign_secrets& secrets, std::string_view url, const std::vector<std::string>& fields,
             std::ostream& out, std::ostream& err);

// Asks this host's /healthz (on the configured port) and returns 0 when it answers 200, else 1.
// For container HEALTHCHECKs, which have no curl.
int run_healthcheck(const config::service_config& config, std::ostream& err);

}  // namespace twiml_redirect::app
