#pragma once
// The two ways the service provisions the APIs behind a call (Synthflow's numbers and agents,
// Twilio's numbers): the blocking `provision` command, and serve's background runner that keeps
// /readyz honest until provisioning has succeeded. Both work on a list of targets, one per API, each
// independent of the others. They live in app/ because they tie config, readiness and the API
// clients together; synthflow/ and twilio_api/ know no app/.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/outbound/provision_report.hpp"
#include "twiml_redirect/outbound/retry_policy.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"
#include "twiml_redirect/synthflow/actions.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// One API that provisioning brings in line with the config.
struct provisioning_target {
  std::string name;  // "synthflow", "twilio": log prefix, table title and the metrics' `api` label
  // What the client needs.
  std::string api_url;
  std::string api_url_setting;  // "synthflow.api_url", for messages
  std::string ca_file;
  std::string ca_file_setting;  // "synthflow.ca_file"
  std::chrono::milliseconds request_timeout{10'000};
  // Back-off between serve's rounds (max_attempts unused).
  outbound::retry_policy rounds;
  // A config problem found before any call (these entry points are also called from tests).
  std::optional<std::string> problem;
  // One reconcile of every configured object through `client`.
  std::function<outbound::provision_report(outbound::http_client& client, const outbound::endpoint& target,
                                           bool dry_run, outbound::stop_signal& stop)>
      reconcile;
  // What serve retries once it is ready, for the reconcile's report.initialize_pending: Synthflow's
  // Initialize calls PUBLIC_URL, which may reach no ready instance before. Answers the ids still
  // pending (with warnings). Unset for APIs with nothing to retry.
  std::function<outbound::provision_report(outbound::http_client& client, const outbound::endpoint& target,
                                           const std::vector<std::string>& pending, outbound::stop_signal& stop)>
      after_ready;
};

// Synthflow's numbers and agents: those of `numbers` with an agent; with `context_action`, also the
// pre-call action that calls /call_context, attached to each agent.
provisioning_target synthflow_target(const config::synthflow_config& config,
                                     const std::vector<config::number_config>& numbers,
                                     std::optional<synthflow::context_action_settings> context_action = std::nullopt);
// Twilio's numbers: each number's voice settings (config.twilio.manages_numbers()), agent or not.
provisioning_target twilio_target(const config::twilio_config& twilio,
                                  const std::vector<config::number_config>& numbers);
// The names of every target provisioning knows, whether `config` asks for it or not: the `api` label
// values the provisioning metrics show from the start.
std::vector<std::string> provisioned_api_names();
// The targets `config` asks for: Synthflow when a number has an agent, Twilio when its numbers are
// managed and there are any.
std::vector<provisioning_target> provisioning_targets(const config::service_config& config);

// Blocking: runs every target (one failing does not stop the others), prints one table to `out`;
// returns 0 when everything matches, 1 when any target failed.
int run_provision_command(const std::vector<provisioning_target>& targets, bool dry_run, std::ostream& out);
int run_provision_command(const config::service_config& config, bool dry_run, std::ostream& out);

// serve mode: provisions each target on its own thread; retries transient failures with capped
// backoff forever; keeps `readiness` not ready, with every target's reason, until all succeeded;
// calls on_permanent_failure(target, message) once per target that fails for good.
class background_provisioning {
 public:
  struct callbacks {
    // Run on the target's provisioning thread.
    std::function<void(const provisioning_target&, const std::string& message)> on_permanent_failure;
    std::function<void(const provisioning_target&)> on_succeeded;
    // After each round that failed for a transient reason.
    std::function<void(const provisioning_target&, const std::string& message)> on_round_failed;
  };

  // Keeps a reference to `readiness`, which must outlive this object. With no targets, start()
  // marks ready at once.
  background_provisioning(std::vector<provisioning_target> targets, readiness& readiness, callbacks events);
  // Stops and joins.
  ~background_provisioning();
  // Starts the provisioning threads; call once.
  void start();
  // Cancels the requests in flight and any back-off, then joins; idempotent.
  void stop();

 private:
  struct runner;
  void run(runner& job);
  // After a successful reconcile: the after_ready retries of what it left pending.
  void retry_after_ready(runner& job, outbound::http_client& client, const outbound::endpoint& where,
                         std::vector<std::string> pending);
  // Sets readiness from every runner's state; caller holds mutex_.
  void update_readiness();

  readiness& readiness_;
  callbacks events_;
  outbound::stop_signal stop_;
  std::mutex mutex_;  // guards each runner's client and reason between threads
  std::vector<std::unique_ptr<runner>> runners_;
};

}  // namespace twiml_redirect::app
