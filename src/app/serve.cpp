#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/http/server.hpp"

namespace twiml_redirect::app {

int run_serve(const config::service_config& config) {
  spdlog::info("twiml-redirect {} starting with config {}", TWIML_REDIRECT_VERSION, config::describe_config(config));

  if (config.twilio.auth_token.empty()) {
    spdlog::warn("TWILIO_AUTH_TOKEN is not set: /redirect_call accepts requests without checking "
                 "X-Twilio-Signature, so anyone who can reach this port can place calls through it");
  }
  readiness ready_state("starting");
  http::server server(config.server,
                      router(config.sip.target, ready_state, twilio::request_validator(config.twilio)));
  try {
    server.start();
  } catch (const boost::system::system_error& error) {
    spdlog::critical("cannot listen on {}:{}: {}", config.server.host, config.server.port, error.what());
    return kExitFailure;
  }
  spdlog::info("listening on {}:{}", config.server.host, server.port());
  ready_state.set_ready();

  // The main thread only waits for the signal that ends the process.
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  int exit_code = kExitOk;
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    spdlog::info("received signal {}: draining connections (up to {} ms)", signal_number,
                 config.server.drain_timeout.count());
  });
  signals_context.run();

  ready_state.set_not_ready("shutting down");
  server.shutdown();
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace twiml_redirect::app
