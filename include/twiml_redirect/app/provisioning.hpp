#pragma once
// The two ways the service provisions Synthflow: the blocking `provision` command, and serve's
// background runner that keeps /readyz honest until provisioning has succeeded. They live in app/
// because they tie config, readiness and the Synthflow calls together; synthflow/ knows no app/.

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"

namespace twiml_redirect::outbound {
class http_client;
}  // namespace twiml_redirect::outbound

namespace twiml_redirect::app {

// Blocking: provisions every configured number, prints the table to `out`; returns 0 when everything matches, 1 on failure.
int run_provision_command(const config::service_config& config, bool dry_run, std::ostream& out);

// serve mode: provisions on its own thread; retries transient failures with capped backoff forever;
// keeps `readiness` updated with the reason; calls on_permanent_failure(message) once on a permanent failure.
class background_provisioning {
 public:
  // Keeps a reference to `readiness`, which must outlive this object. on_permanent_failure runs on
  // the provisioning thread. With provision_on_start false or no numbers, start() marks ready at once.
  // on_succeeded (optional) runs on the provisioning thread once everything matches;
  // on_round_failed(message) (optional) after each round that failed for a transient reason.
  background_provisioning(const config::service_config& config, readiness& readiness,
                          std::function<void(const std::string&)> on_permanent_failure,
                          std::function<void()> on_succeeded = {},
                          std::function<void(const std::string&)> on_round_failed = {});
  // Stops and joins.
  ~background_provisioning();
  // Starts the provisioning thread; call once.
  void start();
  // Cancels the request in flight and any back-off, then joins; idempotent.
  void stop();

 private:
  void run();

  config::synthflow_config config_;
  std::vector<config::number_config> numbers_;  // those with an agent
  // The pre-call action calling /call_context: its URL (empty: not managed) and Bearer token.
  std::string context_action_url_;
  std::string context_action_token_;
  readiness& readiness_;
  std::function<void(const std::string&)> on_permanent_failure_;
  std::function<void()> on_succeeded_;
  std::function<void(const std::string&)> on_round_failed_;
  outbound::stop_signal stop_;
  std::mutex mutex_;                      // guards client_ between run() and stop()
  std::shared_ptr<outbound::http_client> client_;
  std::thread thread_;
};

}  // namespace twiml_redirect::app
