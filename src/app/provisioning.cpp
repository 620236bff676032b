#include "twiml_redirect/app/provisioning.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/synthflow/actions.hpp"
#include "twiml_redirect/synthflow/api.hpp"
#include "twiml_redirect/synthflow/provisioner.hpp"

namespace twiml_redirect::app {

using outbound::http_client;
using outbound::stop_signal;
using synthflow::failure;

namespace {

// A config problem found before any call: permanent by nature.
failure setup_failure(std::string message) {
  return failure{"synthflow setup", 0, std::move(message), false, false, false};
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
  return synthflow::context_action_settings{service.twilio.public_url + "/call_context", service.context.token};
}

// Checks what the config loader may not have (these entry points are also called from tests).
std::optional<failure> check_config(const config::synthflow_config& config,
                                    const std::vector<config::number_config>& numbers) {
  if (config.api_key.empty()) return setup_failure("SYNTHFLOW_API_KEY is not set");
  if (config.workspace_id.empty()) return setup_failure("synthflow.workspace_id is empty");
  for (const auto& number : numbers) {
    if (number.phone_number.size() < 3 || number.phone_number.front() != '+') {
      return setup_failure("phone number \"" + number.phone_number + "\" is not E.164 (+<digits>)");
    }
    if (!number.agent || number.agent->name.empty()) {
      return setup_failure("the agent of " + number.phone_number + " has no name");
    }
  }
  return std::nullopt;
}

// The client for api_url, after the checks; warns about plain HTTP off the machine.
boost::system::result<std::shared_ptr<http_client>, failure> make_client(
    const config::synthflow_config& config, const std::vector<config::number_config>& numbers,
    outbound::endpoint& target) {
  if (auto problem = check_config(config, numbers)) return *problem;
  auto parsed = util::parse_http_url(config.api_url);
  if (!parsed) return setup_failure("synthflow.api_url: " + parsed.error());
  target = *parsed;
  if (!target.tls) {
    if (util::is_loopback_host(target.host)) {
      spdlog::info("synthflow: using plain HTTP to {} (loopback)", target.host);
    } else {
      spdlog::warn("synthflow: api_url uses plain HTTP to {}: the API key travels unencrypted",
                   target.host);
    }
  }
  outbound::client_options options;
  options.target = target;
  options.ca_file_setting = "synthflow.ca_file";
  options.timeout = config.request_timeout;
  options.ca_file = config.ca_file;
  auto client = outbound::make_http_client(options);
  if (!client) return setup_failure(client.error());
  return std::shared_ptr<http_client>(std::move(*client));
}

synthflow::api_settings settings_for(const config::synthflow_config& config,
                                     const std::vector<config::number_config>& numbers,
                                     const outbound::endpoint& target) {
  synthflow::api_settings settings;
  settings.base_path = target.base_path;
  settings.workspace_id = config.workspace_id;
  settings.api_key = config.api_key;
  settings.secrets = secrets_of(config, numbers);
  settings.retry = {config.max_attempts, config.initial_backoff, config.max_backoff};
  return settings;
}

}  // namespace

int run_provision_command(const config::service_config& service, bool dry_run, std::ostream& out) {
  const config::synthflow_config& config = service.synthflow;
  const std::vector<config::number_config> numbers = config::provisioned_numbers(service.numbers);
  if (numbers.empty()) {
    out << "synthflow: no numbers with an agent configured, nothing to provision\n";
    return 0;
  }
  outbound::endpoint target;
  auto client = make_client(config, numbers, target);
  if (!client) {
    out << "error: " << client.error().describe() << '\n';
    return 1;
  }
  stop_signal stop;
  const auto context_action = context_action_of(service);
  auto settings = settings_for(config, numbers, target);
  if (context_action) settings.secrets.push_back(context_action->token);
  synthflow::synthflow_api api(**client, std::move(settings), stop);
  auto report = synthflow::provision(api, config, numbers, dry_run, stop);
  if (context_action && report.ok()) synthflow::provision_context_action(api, *context_action, dry_run, stop, report);
  if (dry_run) out << "synthflow: dry run, nothing was written\n";
  out << synthflow::format_report(report);
  if (!report.ok()) spdlog::error("synthflow: provisioning failed: {}", report.failure_summary());
  return report.ok() ? 0 : 1;
}

background_provisioning::background_provisioning(
    const config::service_config& config, readiness& readiness,
    std::function<void(const std::string&)> on_permanent_failure, std::function<void()> on_succeeded,
    std::function<void(const std::string&)> on_round_failed)
    : config_(config.synthflow),
      numbers_(config::provisioned_numbers(config.numbers)),
      context_action_url_(context_action_of(config) ? context_action_of(config)->url : std::string()),
      context_action_token_(config.context.token),
      readiness_(readiness),
      on_permanent_failure_(std::move(on_permanent_failure)),
      on_succeeded_(std::move(on_succeeded)),
      on_round_failed_(std::move(on_round_failed)) {}

background_provisioning::~background_provisioning() { stop(); }

void background_provisioning::start() {
  if (thread_.joinable()) return;
  if (!config_.provision_on_start || numbers_.empty()) {
    spdlog::info("synthflow: provisioning skipped ({})",
                 numbers_.empty() ? "no numbers with an agent configured" : "provision_on_start is false");
    readiness_.set_ready();
    return;
  }
  readiness_.set_not_ready("synthflow provisioning in progress");
  thread_ = std::thread([this] { run(); });
}

void background_provisioning::stop() {
  stop_.request_stop();
  {
    std::lock_guard lock(mutex_);
    if (client_) client_->abort();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void background_provisioning::run() {
  const auto give_up = [this](const std::string& message) {
    spdlog::error("synthflow: provisioning failed permanently: {}", message);
    readiness_.set_not_ready("synthflow provisioning failed: " + message);
    if (on_permanent_failure_) on_permanent_failure_(message);
  };

  outbound::endpoint target;
  auto client = make_client(config_, numbers_, target);
  if (!client) return give_up(client.error().describe());
  {
    std::lock_guard lock(mutex_);
    client_ = *client;
    if (stop_.stop_requested()) return;
  }
  std::optional<synthflow::context_action_settings> context_action;
  if (!context_action_url_.empty()) context_action = {context_action_url_, context_action_token_};
  auto settings = settings_for(config_, numbers_, target);
  if (context_action) settings.secrets.push_back(context_action->token);
  synthflow::synthflow_api api(*client_, std::move(settings), stop_);
  // Rounds of the whole reconcile: each round already retried every call max_attempts times, so
  // what is left is an outage; keep trying, slower, until it ends or the service stops.
  const outbound::retry_policy rounds{0, config_.initial_backoff, config_.max_backoff};
  for (unsigned round = 1;; ++round) {
    auto report = synthflow::provision(api, config_, numbers_, false, stop_);
    if (context_action && report.ok()) synthflow::provision_context_action(api, *context_action, false, stop_, report);
    if (stop_.stop_requested()) return;
    if (report.ok()) {
      std::istringstream table(synthflow::format_report(report));
      for (std::string line; std::getline(table, line);) spdlog::info("synthflow: {}", line);
      readiness_.set_ready();
      if (on_succeeded_) on_succeeded_();
      return;
    }
    if (report.has_permanent_failure()) return give_up(report.failure_summary());
    const auto delay = outbound::backoff_delay(rounds, round, api.jitter());
    spdlog::warn("synthflow: provisioning round {} failed: {}; next round in {} ms", round,
                 report.failure_summary(), delay.count());
    readiness_.set_not_ready("synthflow provisioning retrying after: " + report.failure_summary());
    if (on_round_failed_) on_round_failed_(report.failure_summary());
    if (!stop_.wait_for(delay)) return;
  }
}

}  // namespace twiml_redirect::app
