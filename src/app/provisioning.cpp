#include "twiml_redirect/app/provisioning.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

#include "twiml_redirect/config/preconditions.hpp"
#include "twiml_redirect/context/call_record.hpp"
#include "twiml_redirect/synthflow/actions.hpp"
#include "twiml_redirect/synthflow/api.hpp"
#include "twiml_redirect/synthflow/provisioner.hpp"
#include "twiml_redirect/twilio_api/api.hpp"
#include "twiml_redirect/twilio_api/provisioner.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::app {

using outbound::call_failure;
using outbound::http_client;
using outbound::provision_report;
using outbound::stop_signal;

namespace {

// A config problem found before any call: permanent by nature.
call_failure setup_failure(const provisioning_target& target, std::string message) {
  return call_failure{target.name + " setup", 0, std::move(message), false, false, false};
}

std::vector<std::string> secrets_of(const config::synthflow_config& config,
                                    const std::vector<config::number_config>& numbers) {
  std::vector<std::string> secrets{config.api_key};
  for (const auto& number : numbers) secrets.push_back(number.trunk_pwd);
  return secrets;
}

// The pre-call action's settings when the config asks provisioning to manage it (config.cpp has
// checked that PUBLIC_URL and CALL_CONTEXT_TOKEN are set then).
std::optional<synthflow::context_action_settings> context_action_of(const config::service_config& service) {
  if (!service.context.synthflow_action) return std::nullopt;
  return synthflow::context_action_settings{service.twilio.public_url + "/call_context", service.context.token,
                                            std::string(context::kInitializeProbe)};
}

// Checks what the config loader may not have (these entry points are also called from tests).
std::optional<std::string> check_config(const config::synthflow_config& config,
                                        const std::vector<config::number_config>& numbers) {
  if (auto problem = config::check_provisioning_inputs(config, numbers)) return problem;
  for (const auto& number : numbers) {
    if (number.phone_number.size() < 3 || number.phone_number.front() != '+') {
      return "phone number \"" + number.phone_number + "\" is not E.164 (+<digits>)";
    }
    if (!number.agent || number.agent->name.empty()) return "the agent of " + number.phone_number + " has no name";
  }
  return std::nullopt;
}

std::optional<std::string> check_config(const config::twilio_config& twilio, const std::vector<config::number_config>&) {
  if (twilio.account_sid.empty()) return "twilio.account_sid is empty";
  if (twilio.public_url.empty()) return "twilio.public_url (PUBLIC_URL) is empty: VoiceUrl would point nowhere";
  return config::check_twilio_provisioning_inputs(twilio);
}

// The client for the target's api_url, after the checks; warns about plain HTTP off the machine.
boost::system::result<std::shared_ptr<http_client>, call_failure> make_client(const provisioning_target& target,
                                                                               outbound::endpoint& where) {
  if (target.problem) return setup_failure(target, *target.problem);
  auto parsed = util::parse_http_url(target.api_url);
  if (!parsed) return setup_failure(target, target.api_url_setting + ": " + parsed.error());
  where = *parsed;
  if (!where.tls) {
    if (util::is_loopback_host(where.host)) {
      spdlog::info("{}: using plain HTTP to {} (loopback)", target.name, where.host);
    } else {
      spdlog::warn("{}: {} uses plain HTTP to {}: the credentials travel unencrypted", target.name,
                   target.api_url_setting, where.host);
    }
  }
  outbound::client_options options;
  options.target = where;
  options.ca_file_setting = target.ca_file_setting;
  options.timeout = target.request_timeout;
  options.ca_file = target.ca_file;
  auto client = outbound::make_http_client(options);
  if (!client) return setup_failure(target, client.error());
  return std::shared_ptr<http_client>(std::move(*client));
}

// Each target's name; a new REST API adds its own (and its target function).
constexpr const char* kSynthflowTarget = "synthflow";
constexpr const char* kTwilioTarget = "twilio";

// What every API's section holds alike: URL, CA file, deadline and back-off.
template <class Section>
provisioning_target target_for(const Section& config, const std::vector<config::number_config>& numbers,
                               std::string name) {
  provisioning_target target;
  target.api_url = config.api_url;
  target.api_url_setting = name + ".api_url";
  target.ca_file = config.ca_file;
  target.ca_file_setting = name + ".ca_file";
  target.request_timeout = config.request_timeout;
  target.rounds = {0, config.initial_backoff, config.max_backoff};
  target.name = std::move(name);
  target.problem = check_config(config, numbers);
  return target;
}

}  // namespace

provisioning_target synthflow_target(const config::synthflow_config& config,
                                     const std::vector<config::number_config>& all_numbers,
                                     std::optional<synthflow::context_action_settings> context_action) {
  auto numbers = config::provisioned_numbers(all_numbers);
  auto target = target_for(config, numbers, kSynthflowTarget);
  const auto api_settings = [config, numbers, context_action](const outbound::endpoint& where) {
    synthflow::api_settings settings;
    settings.base_path = where.base_path;
    settings.workspace_id = config.workspace_id;
    settings.api_key = config.api_key;
    settings.secrets = secrets_of(config, numbers);
    if (context_action) settings.secrets.push_back(context_action->token);
    settings.retry = {config.max_attempts, config.initial_backoff, config.max_backoff};
    return settings;
  };
  target.reconcile = [config, numbers, context_action, api_settings](http_client& client, const outbound::endpoint& where,
                                                                     bool dry_run, stop_signal& stop) {
    synthflow::synthflow_api api(client, api_settings(where), stop);
    auto report = synthflow::provision(api, config, numbers, dry_run, stop);
    // The pre-call action goes on the agents, so only once they match.
    if (context_action && report.ok()) synthflow::provision_context_action(api, *context_action, dry_run, stop, report);
    return report;
  };
  if (context_action) {
    target.after_ready = [context_action, api_settings](http_client& client, const outbound::endpoint& where,
                                                        const std::vector<std::string>& pending, stop_signal& stop) {
      synthflow::synthflow_api api(client, api_settings(where), stop);
      provision_report report;
      for (const std::string& action_id : pending) {
        if (auto done = api.initialize_action(action_id, synthflow::initialize_variables(*context_action)); !done) {
          report.warnings.push_back(done.error());
          report.initialize_pending.push_back(action_id);
        }
      }
      return report;
    };
  }
  return target;
}

provisioning_target twilio_target(const config::twilio_config& twilio,
                                  const std::vector<config::number_config>& numbers) {
  auto target = target_for(twilio, numbers, kTwilioTarget);
  target.reconcile = [twilio, numbers](http_client& client, const outbound::endpoint& where, bool dry_run,
                                       stop_signal& stop) {
    twilio_api::api_settings settings;
    settings.base_path = where.base_path;
    settings.account_sid = twilio.account_sid;
    // Twilio recommends API keys; the account's auth token is the fallback.
    settings.credentials = twilio.api_key.empty() ? outbound::basic_auth{twilio.account_sid, twilio.auth_token}
                                                  : outbound::basic_auth{twilio.api_key, twilio.api_secret};
    settings.retry = {twilio.max_attempts, twilio.initial_backoff, twilio.max_backoff};
    if (!twilio.webhook_password.empty()) settings.secrets.push_back(twilio.webhook_password);
    twilio_api::twilio_api api(client, std::move(settings), stop);
    return twilio_api::provision(api, twilio, numbers, dry_run, stop);
  };
  return target;
}

std::vector<std::string> provisioned_api_names() { return {kSynthflowTarget, kTwilioTarget}; }

std::vector<provisioning_target> provisioning_targets(const config::service_config& config) {
  std::vector<provisioning_target> targets;
  if (config::provisions_synthflow(config))
    targets.push_back(synthflow_target(config.synthflow, config.numbers, context_action_of(config)));
  if (config::provisions_twilio(config))
    targets.push_back(twilio_target(config.twilio, config.numbers));
  return targets;
}

int run_provision_command(const std::vector<provisioning_target>& targets, bool dry_run, std::ostream& out) {
  if (targets.empty()) {
    out << "no numbers configured, nothing to provision\n";
    return 0;
  }
  provision_report all;
  for (const auto& target : targets) {
    outbound::endpoint where;
    auto client = make_client(target, where);
    if (!client) {
      all.failures.push_back(client.error());
      spdlog::error("{}: provisioning failed: {}", target.name, client.error().describe());
      continue;
    }
    stop_signal stop;
    auto report = target.reconcile(**client, where, dry_run, stop);
    if (!report.ok()) spdlog::error("{}: provisioning failed: {}", target.name, report.failure_summary());
    all.append(std::move(report));
  }
  if (dry_run) out << "dry run, nothing was written\n";
  out << outbound::format_report(all);
  return all.ok() ? 0 : 1;
}

int run_provision_command(const config::service_config& config, bool dry_run, std::ostream& out) {
  if (!config.numbers.empty() && !config::provisions_synthflow(config) && !config::provisions_twilio(config)) {
    out << config.numbers.size() << " number(s) configured but no agents (numbers[].agent) and Twilio's numbers "
        << "not managed (twilio.account_sid unset, or twilio.manage_numbers false): nothing to provision\n";
    return 0;
  }
  return run_provision_command(provisioning_targets(config), dry_run, out);
}

// One target's thread and where it stands.
struct background_provisioning::runner {
  provisioning_target target;
  std::string reason;  // why it is not done; empty once it succeeded
  std::shared_ptr<http_client> client;
  std::thread thread;
};

background_provisioning::background_provisioning(std::vector<provisioning_target> targets, readiness& readiness,
                                                 callbacks events)
    : readiness_(readiness), events_(std::move(events)) {
  for (auto& target : targets) {
    runners_.push_back(std::make_unique<runner>());
    runners_.back()->target = std::move(target);
    runners_.back()->reason = runners_.back()->target.name + " provisioning in progress";
  }
}

background_provisioning::~background_provisioning() { stop(); }

void background_provisioning::start() {
  std::lock_guard lock(mutex_);
  if (runners_.empty()) {
    spdlog::info("provisioning skipped (nothing to provision, or synthflow.provision_on_start is false)");
    readiness_.set_ready();
    return;
  }
  update_readiness();
  for (auto& job : runners_) {
    if (!job->thread.joinable()) job->thread = std::thread([this, &job = *job] { util::run_thread_body("provisioning", [&] { run(job); }); });
  }
}

void background_provisioning::stop() {
  stop_.request_stop();
  {
    std::lock_guard lock(mutex_);
    for (auto& job : runners_)
      if (job->client) job->client->abort();
  }
  for (auto& job : runners_) {
    if (job->thread.joinable() && job->thread.get_id() != std::this_thread::get_id()) job->thread.join();
  }
}

void background_provisioning::update_readiness() {
  std::string reasons;
  for (const auto& job : runners_) {
    if (!job->reason.empty()) reasons += (reasons.empty() ? "" : "; ") + job->reason;
  }
  if (reasons.empty()) {
    readiness_.set_ready();
  } else {
    readiness_.set_not_ready(std::move(reasons));
  }
}

void background_provisioning::run(runner& job) {
  const auto& target = job.target;
  const auto set_reason = [&](std::string reason) {
    std::lock_guard lock(mutex_);
    job.reason = std::move(reason);
    update_readiness();
  };
  const auto give_up = [&](const std::string& message) {
    spdlog::error("{}: provisioning failed permanently: {}", target.name, message);
    set_reason(target.name + " provisioning failed: " + message);
    if (events_.on_permanent_failure) events_.on_permanent_failure(target, message);
  };

  outbound::endpoint where;
  auto client = make_client(target, where);
  if (!client) return give_up(client.error().describe());
  {
    std::lock_guard lock(mutex_);
    job.client = *client;
    if (stop_.stop_requested()) return;
  }
  const auto jitter = outbound::default_jitter();
  // Rounds of the whole reconcile: each round already retried every call max_attempts times, so
  // what is left is an outage; keep trying, slower, until it ends or the service stops.
  for (unsigned round = 1;; ++round) {
    const auto report = target.reconcile(**client, where, false, stop_);
    if (stop_.stop_requested()) return;
    if (report.ok()) {
      std::istringstream table(outbound::format_report(report));
      for (std::string line; std::getline(table, line);) spdlog::info("{}: {}", target.name, line);
      set_reason({});
      if (events_.on_succeeded) events_.on_succeeded(target);
      retry_after_ready(job, **client, where, report.initialize_pending);
      return;
    }
    if (report.has_permanent_failure()) return give_up(report.failure_summary());
    const auto delay = outbound::backoff_delay(target.rounds, round, jitter());
    spdlog::warn("{}: provisioning round {} failed: {}; next round in {} ms", target.name, round,
                 report.failure_summary(), delay.count());
    set_reason(target.name + " provisioning retrying after: " + report.failure_summary());
    if (events_.on_round_failed) events_.on_round_failed(target, report.failure_summary());
    if (!stop_.wait_for(delay)) return;
  }
}

void background_provisioning::retry_after_ready(runner& job, http_client& client, const outbound::endpoint& where,
                                               std::vector<std::string> pending) {
  const auto& target = job.target;
  if (!target.after_ready || pending.empty()) return;
  // Ready now, so PUBLIC_URL can reach this instance (or another ready one): a few tries, spaced
  // out, since a load balancer may take a while to route to a newly ready pod.
  constexpr unsigned kAttempts = 20;
  constexpr std::chrono::seconds kSpacing{15};
  for (unsigned attempt = 1; attempt <= kAttempts && !pending.empty(); ++attempt) {
    if (!stop_.wait_for(attempt == 1 ? std::chrono::seconds(1) : kSpacing)) return;
    const auto report = target.after_ready(client, where, pending, stop_);
    if (stop_.stop_requested()) return;
    pending = report.initialize_pending;
    if (pending.empty()) {
      spdlog::info("{}: Initialize of the pre-call action succeeded (attempt {} after becoming ready)", target.name,
                   attempt);
      return;
    }
    std::string reasons;
    for (const auto& warning : report.warnings) reasons += (reasons.empty() ? "" : "; ") + warning.describe();
    spdlog::warn("{}: Initialize of the pre-call action failed ({}/{} after becoming ready): {}", target.name, attempt,
                 kAttempts, reasons);
  }
  if (!pending.empty())
    spdlog::error("{}: Initialize of the pre-call action still fails; check that PUBLIC_URL/call_context is "
                  "reachable from the internet (twiml-redirect doctor, check synthflow.action)",
                  target.name);
}

}  // namespace twiml_redirect::app
