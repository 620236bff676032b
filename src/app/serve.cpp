#include <malloc.h>
#include <pthread.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstring>
#include <functional>
#include <spdlog/spdlog.h>

#include "twiml_redirect/app/call_context.hpp"
#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/config/preconditions.hpp"
#include "twiml_redirect/http/server.hpp"
#include "twiml_redirect/util/cgroup.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/app/provisioning.hpp"
#include "twiml_redirect/version.hpp"

namespace twiml_redirect::app {

namespace {

// Routes of `config`, and the line that says how calls will be routed with them.
routing::breaker_settings breaker_settings_of(const config::health_config& health) {
  return {health.trip_after, std::chrono::seconds(health.window_s), std::chrono::seconds(health.cooldown_s),
          health.probe_every, health.recover_after};
}

// `health` outlives every table: a reload takes the new numbers but keeps each target's state.
std::shared_ptr<const routing::route_table> build_routes(const config::service_config& config,
                                                         const std::shared_ptr<routing::breaker_registry>& health) {
  health->reconfigure(breaker_settings_of(config.health));
  auto routes = std::make_shared<const routing::route_table>(config, health);
  spdlog::info("routing: {} configured number(s); other numbers {}", routes->size(),
               config.routing.unknown_numbers == config::unknown_number_policy::reject ? "are rejected"
                                                                                       : "get the default route");
  return routes;
}

// SIGHUP: reads the file again and, when it is valid, puts its routing in force. A file that does
// not load changes nothing: the running table stays, and the error says what to fix. Keys that only
// take effect at startup are named, so nobody believes a new port or token is in use; compared with
// `last` (the file as last loaded, updated here), so each such change is named once, not again on
// every later reload.
void reload_config(config::service_config& last, const config_loader& load, routing::live_routes& live,
                   const std::shared_ptr<routing::breaker_registry>& health, util::metrics& metrics) {
  try {
    config::service_config next = load();
    for (const std::string& warning : next.warnings) spdlog::warn("config: {}", warning);
    // Compared before the new table is built, so the comparison's JSON documents and the new table
    // are never in memory at once.
    if (const std::vector<std::string> restart = config::keys_needing_restart(last, next); !restart.empty()) {
      std::string keys;
      for (const std::string& key : restart) keys += (keys.empty() ? "" : ", ") + key;
      spdlog::warn("config reload: changes to {} take effect only after a restart; the running values stay", keys);
    }
    live.replace(build_routes(next, health));
    metrics.set_configured_numbers(next.numbers.size());
    metrics.count_config_reload(true);
    spdlog::info("config reloaded: the new routing is in force for new calls");
    last = std::move(next);
    // The parse's and the old table's memory is free now but stays in the heap; give it back, so
    // a reload does not leave the process at its peak.
    ::malloc_trim(0);
  } catch (const std::exception& error) {
    // config_error names the key; anything else (out of memory building the table) is reported too.
    metrics.count_config_reload(false);
    spdlog::error("config reload refused, the running configuration stays: {}", error.what());
  }
}

}  // namespace

std::optional<std::string> memory_fit_warning(const config::service_config& config) {
  const auto limit = util::cgroup_memory_limit();
  return limit ? config::memory_fit_problem(config, *limit) : std::nullopt;
}

int run_serve(const config::service_config& config, const config_loader& reload) {
  spdlog::info("twiml-redirect {} starting with config {}", kVersion, config::describe_config(config));
  for (const std::string& warning : config.warnings) spdlog::warn("config: {}", warning);
  if (const auto problem = memory_fit_warning(config)) spdlog::warn("config: {}", *problem);

  // Synthflow and Twilio, each on its own; provision_on_start governs both.
  std::vector<provisioning_target> targets;
  if (config.synthflow.provision_on_start) targets = provisioning_targets(config);
  if (const auto needs = config::preconditions_of(config, config::command::serve); !needs.met()) {
    spdlog::critical("config error: {}", needs.describe("serve"));
    return kExitUsage;
  }

  if (!config.twilio.checks_signatures()) {
    spdlog::warn("TWILIO_AUTH_TOKEN is not set (nor TWILIO_SHARED_KEYS): /redirect_call, /dial_action and /refer accept requests without "
                 "checking X-Twilio-Signature, so anyone who can reach this port can place calls through it");
  }
  // Signal handlers first, before any thread exists: from here on no signal can kill the process
  // with its default action. SIGHUP reloads the configuration (below, once there is a table to
  // replace). Signals that would otherwise terminate it without a drain (SIGUSR1/2, SIGALRM) are
  // logged and otherwise ignored.
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  boost::asio::signal_set reload_signals(signals_context, SIGHUP);
  boost::asio::signal_set ignored_signals(signals_context, SIGUSR1, SIGUSR2);
  ignored_signals.add(SIGALRM);
  const std::function<void(const boost::system::error_code&, int)> log_ignored_signal =
      [&](const boost::system::error_code& ec, int signal_number) {
        if (ec) return;
        spdlog::warn("received signal {} ({}): ignored", signal_number, ::strsignal(signal_number));
        ignored_signals.async_wait(log_ignored_signal);
      };
  ignored_signals.async_wait(log_ignored_signal);

  readiness ready_state("starting");
  twilio::request_validator validator({.auth_token = config.twilio.auth_token,
                                       .shared_keys = twilio::parse_shared_keys(config.twilio.shared_keys).keys,
                                       .basic_user = config.twilio.webhook_user,
                                       .basic_password = config.twilio.webhook_password,
                                       .public_url = config.twilio.public_url,
                                       .trusted_proxies = config.twilio.trusted_proxies});
  util::metrics metrics(router::paths(validator.public_path()), provisioned_api_names());
  for (const auto& target : targets) metrics.set_provisioning_state(target.name, util::provisioning_state::pending);
  metrics.add_section([](std::string& out) {
    out += "# HELP twiml_redirect_log_lines_dropped_total Log lines dropped because the log's reader fell behind "
           "(the oldest go first; no request waits for the log).\n"
           "# TYPE twiml_redirect_log_lines_dropped_total counter\n"
           "twiml_redirect_log_lines_dropped_total " + std::to_string(util::log_lines_dropped()) + "\n";
  });
  // The one holder of the routing in force: every Twilio-called handler reads it, SIGHUP replaces it.
  const auto health = std::make_shared<routing::breaker_registry>(breaker_settings_of(config.health));
  const auto live = std::make_shared<routing::live_routes>(build_routes(config, health));
  metrics.set_configured_numbers(config.numbers.size());
  const call_context caller_context(context::make_store(config.context), config.context.token,
                                    config.context.calls_token, live,
                                    config.context.lookup_timeout, metrics);
  if (!caller_context.serves_lookups())
    spdlog::info("CALL_CONTEXT_TOKEN is not set: /call_context is not served (404) and no caller data is kept");
  http::server server(config.server, router(live, ready_state, metrics, std::move(validator), &caller_context),
                      metrics);
  try {
    server.start();
  } catch (const boost::system::system_error& error) {
    spdlog::critical("cannot listen on {}:{}: {}", config.server.host, config.server.port, error.what());
    return kExitFailure;
  }

  // The main thread only waits for the signal that ends the process, or for provisioning to fail
  // for good (a rejected key, a bad field): serving without an agent behind the number is useless.
  int exit_code = kExitOk;
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    spdlog::info("received signal {}: draining connections (up to {} ms)", signal_number,
                 config.server.drain_timeout.count());
    ignored_signals.cancel();
    reload_signals.cancel();
  });
  // Reloads run here, on the main thread, one at a time: the server threads only see the swap.
  config::service_config last_loaded = config;
  const std::function<void(const boost::system::error_code&, int)> on_reload_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        spdlog::info("received SIGHUP: reloading the configuration");
        reload_config(last_loaded, reload, *live, health, metrics);
        reload_signals.async_wait(on_reload_signal);
      };
  reload_signals.async_wait(on_reload_signal);
  // main() blocked SIGHUP until now (see there): a pending one is delivered here, as a reload.
  sigset_t hangup;
  sigemptyset(&hangup);
  sigaddset(&hangup, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &hangup, nullptr);

  // Webhooks do not depend on provisioning, so it runs beside the server; /readyz tells which.
  background_provisioning::callbacks events;
  events.on_permanent_failure = [&](const provisioning_target& target, const std::string& message) {
    metrics.set_provisioning_state(target.name, util::provisioning_state::failed, message);
    boost::asio::post(signals_context, [&, message, name = target.name] {
      spdlog::critical("{} provisioning failed: {}; stopping", name, message);
      exit_code = kExitFailure;
      signals.cancel();
      ignored_signals.cancel();
      reload_signals.cancel();
    });
  };
  events.on_succeeded = [&metrics](const provisioning_target& target) {
    metrics.set_provisioning_state(target.name, util::provisioning_state::succeeded);
  };
  // Still running, but the error shows while the outage lasts, not only after it is over.
  events.on_round_failed = [&metrics](const provisioning_target& target, const std::string& message) {
    metrics.set_provisioning_state(target.name, util::provisioning_state::running, message);
  };
  for (const auto& target : targets) metrics.set_provisioning_state(target.name, util::provisioning_state::running);
  background_provisioning provisioning(std::move(targets), ready_state, std::move(events));
  provisioning.start();
  // Logged last: once it appears, signals are handled and /readyz already tells the truth, so a
  // supervisor (or a test) that waits for this line may probe or stop the service at once.
  spdlog::info("listening on {}:{}", config.server.host, server.port());
  signals_context.run();

  ready_state.set_not_ready("shutting down");
  provisioning.stop();
  server.shutdown();
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace twiml_redirect::app
