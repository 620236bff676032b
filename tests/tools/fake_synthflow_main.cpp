// fake-synthflow: the test fake as a standalone server, for the container test and benchmarks.
//   fake-synthflow --port N [--host H] [--tls] [--cert-dir DIR] [--api-key K] [--workspace W]
//                  [--wrap-number] [--assistant-object] [--unknown-number-400] [--gateway-errors]
// Prints the port it listens on as the first stdout line (with --tls, the CA file on the second),
// then serves until SIGINT/SIGTERM. GET /__calls lists the calls received as JSON
// [{"method","path","target"}]; DELETE /__calls clears them; GET /__state dumps numbers and agents;
// POST /__faults {"method","path","times","kind":"status|hang|truncated_json|close","status",
// "body","retry_after"} injects a fault.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "support/fake_synthflow.hpp"

namespace {

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "fake-synthflow: " << problem << "\n"
            << "usage: fake-synthflow --port N [--host H] [--tls] [--cert-dir DIR] [--api-key K]\n"
            << "       [--workspace W] [--wrap-number] [--assistant-object] [--unknown-number-400]\n"
            << "       [--gateway-errors]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  twiml_redirect::test::fake_synthflow_options options;
  options.api_key.clear();  // any Bearer token unless --api-key says otherwise
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--port") {
      const auto text = value();
      char* end = nullptr;
      const long port = std::strtol(text.c_str(), &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) usage("bad port " + text);
      options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--host") {
      options.host = value();
    } else if (arg == "--tls") {
      options.tls = true;
    } else if (arg == "--cert-dir") {
      options.cert_dir = value();
    } else if (arg == "--api-key") {
      options.api_key = value();
    } else if (arg == "--workspace") {
      options.workspace_id = value();
    } else if (arg == "--wrap-number") {
      options.wrap_number = true;
    } else if (arg == "--assistant-object") {
      options.assistant_as_object = true;
    } else if (arg == "--unknown-number-400") {
      options.unknown_number_status = 400;
    } else if (arg == "--gateway-errors") {
      options.gateway_errors = true;
    } else {
      usage("unknown argument " + std::string(arg));
    }
  }

  // Block the stop signals before the server thread starts, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    twiml_redirect::test::fake_synthflow fake(options);
    std::cout << fake.port() << '\n';
    if (options.tls) std::cout << fake.ca_file().string() << '\n';
    std::cout.flush();
    std::cerr << "fake-synthflow: serving " << fake.api_url() << " (workspace "
              << fake.options().workspace_id << ")\n";
    int received = 0;
    sigwait(&signals, &received);
    fake.stop();
  } catch (const std::exception& e) {
    std::cerr << "fake-synthflow: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
