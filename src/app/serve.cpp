#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstring>
#include <functional>
#include <spdlog/spdlog.h>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/http/server.hpp"
#include "twiml_redirect/app/provisioning.hpp"
#include "twiml_redirect/version.hpp"

namespace twiml_redirect::app {

int run_serve(const config::service_config& config) {
  spdlog::info("twiml-redirect {} starting with config {}", kVersion, config::describe_config(config));
  for (const std::string& warning : config.warnings) spdlog::warn("config: {}", warning);

  // Synthflow and Twilio, each on its own; provision_on_start governs both.
  std::vector<provisioning_target> targets;
  if (config.synthflow.provision_on_start) targets = provisioning_targets(config);
  if (!targets.empty()) {
    if (auto problem = config::check_provisioning_inputs(config.synthflow, config.numbers)) {
      spdlog::critical("config error: {}", *problem);
      return kExitUsage;
    }
    if (config.twilio.manages_numbers())
      if (auto problem = config::check_twilio_provisioning_inputs(config.twilio)) {
        spdlog::critical("config error: {}", *problem);
        return kExitUsage;
      }
  }

  if (config.twilio.auth_token.empty()) {
    spdlog::warn("TWILIO_AUTH_TOKEN is not set: /redirect_call accepts requests without checking "
                 "X-Twilio-Signature, so anyone who can reach this port can place calls through it");
  }
  // Signal handlers first, before any thread exists: from here on no signal can kill the process
  // with its default action. Signals that would otherwise terminate it without a drain (a stray
  // SIGHUP from a closed terminal, SIGUSR1/2, SIGALRM) are logged and otherwise ignored.
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  boost::asio::signal_set ignored_signals(signals_context, SIGHUP, SIGUSR1, SIGUSR2);
  ignored_signals.add(SIGALRM);
  const std::function<void(const boost::system::error_code&, int)> log_ignored_signal =
      [&](const boost::system::error_code& ec, int signal_number) {
        if (ec) return;
        spdlog::warn("received signal {} ({}): ignored; the configuration is read only at startup", signal_number,
                     ::strsignal(signal_number));
        ignored_signals.async_wait(log_ignored_signal);
      };
  ignored_signals.async_wait(log_ignored_signal);

  readiness ready_state("starting");
  twilio::request_validator validator({.auth_token = config.twilio.auth_token,
                                       .public_url = config.twilio.public_url,
                                       .trusted_proxies = config.twilio.trusted_proxies});
  util::metrics metrics(router::paths(validator.public_path()));
  for (const auto& target : targets) metrics.set_provisioning_state(target.api, util::provisioning_state::pending);
  auto routes = std::make_shared<const routing::route_table>(config);
  spdlog::info("routing: {} configured number(s); other numbers {}", routes->size(),
               config.routing.unknown_numbers == config::unknown_number_policy::reject ? "are rejected"
                                                                                       : "get the default route");
  http::server server(config.server, router(std::move(routes), ready_state, metrics, std::move(validator)), metrics);
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
  });

  // Webhooks do not depend on provisioning, so it runs beside the server; /readyz tells which.
  background_provisioning::callbacks events;
  events.on_permanent_failure = [&](const provisioning_target& target, const std::string& message) {
    metrics.set_provisioning_state(target.api, util::provisioning_state::failed, message);
    boost::asio::post(signals_context, [&, message, name = target.name] {
      spdlog::critical("{} provisioning failed: {}; stopping", name, message);
      exit_code = kExitFailure;
      signals.cancel();
      ignored_signals.cancel();
    });
  };
  events.on_succeeded = [&metrics](const provisioning_target& target) {
    metrics.set_provisioning_state(target.api, util::provisioning_state::succeeded);
  };
  // Still running, but the error shows while the outage lasts, not only after it is over.
  events.on_round_failed = [&metrics](const provisioning_target& target, const std::string& message) {
    metrics.set_provisioning_state(target.api, util::provisioning_state::running, message);
  };
  for (const auto& target : targets) metrics.set_provisioning_state(target.api, util::provisioning_state::running);
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
