// twiml-redirect: answers Twilio's voice webhook with TwiML that dials Synthflow over SIP.
// This file only reads the command line and hands over to a subcommand.

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <pthread.h>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/context/store.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/config/preconditions.hpp"
#include "twiml_redirect/app/provisioning.hpp"
#include "twiml_redirect/install_paths.hpp"
#include "twiml_redirect/app/doctor.hpp"
#include "twiml_redirect/app/simulate.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/version.hpp"

namespace {

using namespace twiml_redirect;

constexpr std::string_view kUsage = R"(Usage: twiml-redirect [COMMAND] [--config PATH]

Answers Twilio's voice webhook (/redirect_call) with TwiML that dials Synthflow's SIP endpoint.

Commands:
  serve            serve webhooks until SIGTERM/SIGINT (the default)
  check-config     validate the configuration and print it, secrets redacted, with "routes":
                   each number's effective call handling (defaults applied)
                   (--schema: print every key instead, as JSON; needs no config file)
                   Secrets serve needs that are not in this environment are listed in a
                   warning (--strict: an error, exit 2)
  provision        make Synthflow match the configured numbers and agents, and point each
                   number's Twilio voice settings at this service (twilio.manage_numbers),
                   then exit (--dry-run: only read, and print what would change)
  healthcheck      ask /healthz of the local server; exit 0 when healthy (for containers)
  twiml            print the TwiML /redirect_call answers for a call to --called with this
                   configuration (--call-sid: the CallSid to tag it with)
  sign --url URL [--shared-key SID] [NAME=VALUE...]
                   print the X-Twilio-Signature header Twilio would send with these form
                   fields to URL, signed with TWILIO_AUTH_TOKEN, or with a shared key of
                   TWILIO_SHARED_KEYS and HMAC-SHA256 (needs no config file)
  doctor           check every hop of a call with the live credentials (Twilio, this service's
                   public URL, Synthflow, the SIP host) and say what to fix (--json: as JSON);
                   --call E164 [--from E164]: place one real test call (it costs a call),
                   follow it and report what it showed
  simulate         play Twilio's side of a call: the webhook, the <Dial> action with a chosen
                   outcome per dial, a transfer; in-process, or against --url (signed)

Options:
  --config PATH    configuration file (default: $TWIML_REDIRECT_CONFIG, else
                   )";
// Between the two: the installed configuration's path, from the install prefix (install_paths.hpp).
constexpr std::string_view kUsageEnd = R"()
  --dry-run        with provision: change nothing
  --json           with doctor: print {"checks":[...]} instead of the table
  --call E164      with doctor: call this number through Twilio's Calls API and follow the call
  --from E164      with doctor --call: the account's number to call from (default: the first
                   configured number)
  --schema         with check-config: list the configuration keys
  --strict         with check-config: missing secrets are an error, not a warning
  --called E164    with twiml: the called number, e.g. +14155550100
  --call-sid SID   with twiml: the call's CallSid (default CA followed by 32 zeros)
  --url URL        with sign: the URL Twilio calls, with its query; with simulate: a running
                   instance instead of in-process
  --shared-key SID with sign: sign as a Webhook Rule with this key of TWILIO_SHARED_KEYS
  --number E164    with simulate: the called number (or --all: every number's calls)
  --outcomes LIST  with simulate: each dial's end, e.g. failed:503,completed (default completed)
  --refer TARGET   with simulate: the agent transfers to tel:+1... or sip:user@host
  --brief          with simulate: one line per answer instead of the TwiML
  --help           print this help
  --version        print the version

Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
)";

struct command_line {
  std::string command = "serve";
  std::string config_path;
  bool dry_run = false;
  bool schema = false;
  bool strict = false;
  bool json = false;                    // doctor
  std::optional<std::string> test_call;  // doctor --call: the number to call
  std::optional<std::string> test_from;  // doctor --call --from
  std::optional<std::string> called;    // twiml
  std::optional<std::string> call_sid;  // twiml
  std::optional<std::string> url;       // sign (required), simulate (a running instance)
  std::vector<std::string> fields;      // sign: NAME=VALUE
  std::optional<std::string> shared_key;  // sign: the key SID to sign with
  app::simulate_command simulate;
};

// Reads the value of option `name` at args[i] ("--name VALUE" or "--name=VALUE") into `out`,
// advancing i past it. False when args[i] is another argument; exits the parse with a message when
// the value is missing.
bool option_value(const std::vector<std::string_view>& args, std::size_t& i, std::string_view name,
                  std::optional<std::string>& out, bool& missing) {
  const std::string_view arg = args[i];
  if (arg == name) {
    if (i + 1 == args.size()) {
      std::cerr << "twiml-redirect: " << name << " needs a value\n";
      missing = true;
      return true;
    }
    out = std::string(args[++i]);
    return true;
  }
  if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=') {
    out = std::string(arg.substr(name.size() + 1));
    return true;
  }
  return false;
}

// Parses argv; on a usage error prints it and returns nullopt.
std::optional<command_line> parse_command_line(const std::vector<std::string_view>& args) {
  command_line parsed;
  bool command_seen = false;
  std::optional<std::string> config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    bool missing = false;
    if (option_value(args, i, "--config", config_path, missing) ||
        option_value(args, i, "--called", parsed.called, missing) ||
        option_value(args, i, "--call-sid", parsed.call_sid, missing) ||
        option_value(args, i, "--number", parsed.simulate.number, missing) ||
        option_value(args, i, "--outcomes", parsed.simulate.outcomes, missing) ||
        option_value(args, i, "--refer", parsed.simulate.refer, missing) ||
        option_value(args, i, "--shared-key", parsed.shared_key, missing) ||
        option_value(args, i, "--url", parsed.url, missing) ||
        option_value(args, i, "--call", parsed.test_call, missing) ||
        option_value(args, i, "--from", parsed.test_from, missing)) {
      if (missing) return std::nullopt;
    } else if (arg == "--dry-run") {
      parsed.dry_run = true;
    } else if (arg == "--brief" || arg == "--all") {
      (arg == "--brief" ? parsed.simulate.brief : parsed.simulate.all) = true;
    } else if (arg == "--json") {
      parsed.json = true;
    } else if (arg == "--schema") {
      parsed.schema = true;
    } else if (arg == "--strict") {
      parsed.strict = true;
    } else if (!arg.starts_with("-") && !command_seen) {
      parsed.command = arg;
      command_seen = true;
    } else if (!arg.starts_with("-") && parsed.command == "sign") {
      parsed.fields.emplace_back(arg);
    } else {
      std::cerr << "twiml-redirect: unknown argument '" << arg << "'; see --help\n";
      return std::nullopt;
    }
  }
  parsed.config_path = config_path.value_or("");
  if (parsed.command != "serve" && parsed.command != "check-config" && parsed.command != "provision" &&
      parsed.command != "healthcheck" && parsed.command != "twiml" && parsed.command != "sign" &&
      parsed.command != "simulate" && parsed.command != "doctor") {
    std::cerr << "twiml-redirect: unknown command '" << parsed.command << "'; see --help\n";
    return std::nullopt;
  }
  if (parsed.dry_run && parsed.command != "provision") {
    std::cerr << "twiml-redirect: --dry-run goes with the provision command\n";
    return std::nullopt;
  }
  if ((parsed.schema || parsed.strict) && parsed.command != "check-config") {
    std::cerr << "twiml-redirect: " << (parsed.schema ? "--schema" : "--strict") << " goes with the check-config command\n";
    return std::nullopt;
  }
  if ((parsed.called || parsed.call_sid) && parsed.command != "twiml") {
    std::cerr << "twiml-redirect: --called and --call-sid go with the twiml command\n";
    return std::nullopt;
  }
  if (parsed.command == "sign" && !parsed.url) {
    std::cerr << "twiml-redirect: sign needs --url URL\n";
    return std::nullopt;
  }
  if (parsed.shared_key && parsed.command != "sign") {
    std::cerr << "twiml-redirect: --shared-key goes with the sign command\n";
    return std::nullopt;
  }
  if (parsed.url && parsed.command != "sign" && parsed.command != "simulate") {
    std::cerr << "twiml-redirect: --url goes with the sign and simulate commands\n";
    return std::nullopt;
  }
  if (parsed.command == "simulate") parsed.simulate.url = parsed.url;
  if ((parsed.test_call || parsed.test_from) && parsed.command != "doctor") {
    std::cerr << "twiml-redirect: --call and --from go with the doctor command\n";
    return std::nullopt;
  }
  if (parsed.test_from && !parsed.test_call) {
    std::cerr << "twiml-redirect: --from goes with doctor --call\n";
    return std::nullopt;
  }
  if (parsed.json && parsed.command != "doctor") {
    std::cerr << "twiml-redirect: --json goes with the doctor command\n";
    return std::nullopt;
  }
  const app::simulate_command& sim = parsed.simulate;
  if ((sim.number || sim.outcomes || sim.refer || sim.brief || sim.all) && parsed.command != "simulate") {
    std::cerr << "twiml-redirect: --number, --outcomes, --refer, --brief and --all go with simulate\n";
    return std::nullopt;
  }
  if (parsed.command == "twiml" && !parsed.called) {
    std::cerr << "twiml-redirect: twiml needs --called E164 (the number the call is to)\n";
    return std::nullopt;
  }
  if (parsed.config_path.empty()) {
    const char* from_env = std::getenv("TWIML_REDIRECT_CONFIG");
    parsed.config_path = from_env && *from_env ? from_env : std::string(kDefaultConfigPath);
  }
  return parsed;
}

int run(const command_line& cli) {
  if (cli.schema) {
    std::cout << config::describe_schema(2) << "\n";
    return app::kExitOk;
  }
  if (cli.command == "sign") {
    const auto env = config::process_env();
    const std::string auth_token = env("TWILIO_AUTH_TOKEN").value_or("");
    const std::string shared_keys = env("TWILIO_SHARED_KEYS").value_or("");
    return app::run_sign({.auth_token = auth_token, .shared_keys = shared_keys,
                          .shared_key_sid = cli.shared_key.value_or("")},
                         *cli.url, cli.fields, std::cout, std::cerr);
  }
  config::service_config config;
  try {
    config = config::load_config_file(cli.config_path, config::process_env());
  } catch (const config::config_error& error) {
    std::cerr << "twiml-redirect: config error: " << error.what() << "\n";
    return app::kExitUsage;
  }
  // serve logs them once logging is set up; the other commands speak to a person at a terminal.
  if (cli.command != "serve")
    for (const std::string& warning : config.warnings) std::cerr << "twiml-redirect: warning: " << warning << "\n";
  if (cli.command == "check-config") {
    // What serve would refuse. A missing setting is the file's fault; a missing secret may only be
    // missing on this machine, so it is a warning unless --strict (run where serve will run).
    const config::preconditions needs = config::preconditions_of(config, config::command::serve);
    if (!needs.settings.empty()) {
      std::cerr << "twiml-redirect: config error: " << needs.missing_settings() << "\n";
      return app::kExitUsage;
    }
    // The keys as read, then "routes": what each number's calls get once defaults are applied,
    // which is what an operator checking a change wants to see.
    nlohmann::ordered_json shown = nlohmann::ordered_json::parse(config::describe_config(config));
    shown["routes"] = nlohmann::ordered_json::parse(routing::describe_routes(routing::route_table(config), -1));
    std::cout << shown.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    if (const auto problem = app::memory_fit_warning(config)) std::cerr << "twiml-redirect: warning: " << *problem << "\n";
    // Only a warning: webhooks work without Redis, and it may come up after this service.
    if (auto problem = context::probe_store(config.context, std::chrono::seconds(2)))
      std::cerr << "twiml-redirect: warning: " << *problem << "\n";
    if (needs.secrets.empty()) return app::kExitOk;
    std::cerr << "twiml-redirect: " << (cli.strict ? "config error: " : "warning: ") << needs.missing_secrets("serve")
              << (cli.strict ? "" : " (set them where serve runs; check there with --strict)") << "\n";
    return cli.strict ? app::kExitUsage : app::kExitOk;
  }
  if (cli.command == "healthcheck") return app::run_healthcheck(config, std::cerr);
  // Logs go to stderr from here on: twiml's stdout must hold the TwiML alone, whatever its handler logs.
  util::setup_logging(config.log);
  if (cli.command == "twiml")
    return app::run_twiml(config, *cli.called, cli.call_sid.value_or(std::string(app::kExampleCallSid)), std::cout,
                          std::cerr);
  if (cli.command == "doctor" && cli.test_call)
    return app::run_doctor_call(config, {.to = *cli.test_call, .from = cli.test_from.value_or(""),
                                         .follow_for = std::chrono::milliseconds(150'000),
                                         .poll_every = std::chrono::milliseconds(2'000)},
                                cli.json, std::cout);
  if (cli.command == "doctor") return app::run_doctor(config, cli.json, std::cout);
  if (cli.command == "simulate") return app::run_simulate_command(config, cli.simulate, std::cout, std::cerr);
  if (cli.command == "provision") {
    if (const auto needs = config::preconditions_of(config, config::command::provision); !needs.met()) {
      std::cerr << "twiml-redirect: config error: " << needs.describe(cli.dry_run ? "provision --dry-run" : "provision")
                << "\n";
      return app::kExitUsage;
    }
    return app::run_provision_command(config, cli.dry_run, std::cout);
  }
  return app::run_serve(config, [path = cli.config_path] { return config::load_config_file(path, config::process_env()); });
}

}  // namespace

int main(int argc, char** argv) {
  // A log reader that goes away (`| head`, a dead log shipper) must not kill the server: with
  // SIGPIPE ignored a write to it fails with EPIPE, which the log writers drop.
  std::signal(SIGPIPE, SIG_IGN);
  // A request body is reserved whole when its header announces its length. Bodies of 16 KiB and
  // more are never Twilio's (1-3 KB), so they get their own mappings, returned to the system when
  // the connection ends instead of fragmenting the heap that webhooks use. Process-wide, so set
  // here, once, before any thread exists (not by a library object such as the HTTP server).
  constexpr int kOwnMappingBytes = 16 * 1024;
  ::mallopt(M_MMAP_THRESHOLD, kOwnMappingBytes);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (const std::string_view arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage << kDefaultConfigPath << kUsageEnd;
      return app::kExitOk;
    }
    if (arg == "--version") {
      std::cout << "twiml-redirect " << kVersion << "\n";
      return app::kExitOk;
    }
  }
  const auto cli = parse_command_line(args);
  if (!cli) return app::kExitUsage;
  if (cli->command == "serve") {
    // A SIGHUP (a reload sent by a config watcher) before serve has its handler would kill the
    // process: held blocked until then, it is a reload once serve unblocks it. Threads started in
    // between inherit the block, so the signal goes to the thread that handles it.
    sigset_t hangup;
    sigemptyset(&hangup);
    sigaddset(&hangup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hangup, nullptr);
  }
  int exit_code = app::kExitFailure;
  try {
    exit_code = run(*cli);
  } catch (const std::exception& error) {
    // Startup bugs and resource failures: say what happened instead of terminating silently.
    std::cerr << "twiml-redirect: fatal: " << error.what() << "\n";
  }
  // The log's thread may still hold lines. A reader that stopped reading gets 2 s, not forever: past
  // that the log thread is stuck in write(2), and exit would wait for it, so end without it.
  if (!util::flush_logs(std::chrono::seconds(2))) {
    std::cout.flush();
    std::fflush(stdout);
    std::_Exit(exit_code);
  }
  return exit_code;
}
