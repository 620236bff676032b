// config::parse_config on arbitrary documents: the only failure is a config_error, and an accepted
// config describes itself as valid JSON without the secrets that came from the environment.
#include <nlohmann/json.hpp>

#include "fuzz_target.hpp"
#include "twiml_redirect/config/config.hpp"

namespace {

constexpr std::string_view kSecrets[] = {"twilio-secret-7d3e", "synthflow-secret-91ab", "trunk-secret-c0fe"};

// An environment with every secret set, and nothing else: PORT, HOST etc. come from the document.
std::optional<std::string> fuzz_env(const std::string& name) {
  if (name == "TWILIO_AUTH_TOKEN") return std::string(kSecrets[0]);
  if (name == "SYNTHFLOW_API_KEY") return std::string(kSecrets[1]);
  if (name.ends_with("PASSWORD") || name.ends_with("PWD")) return std::string(kSecrets[2]);
  return std::nullopt;
}

}  // namespace

TWIML_FUZZ_TARGET(config) {
  using namespace twiml_redirect::config;
  for (const env_lookup& env : {env_lookup(fuzz_env), env_lookup([](const std::string&) { return std::nullopt; })}) {
    service_config config;
    try {
      config = parse_config(input, env);
    } catch (const config_error& error) {
      TWIML_FUZZ_CHECK(*error.what() != '\0');
      continue;
    }
    (void)check_provisioning_inputs(config.synthflow, config.numbers);
    for (const int indent : {-1, 2}) {
      const std::string description = describe_config(config, indent);
      TWIML_FUZZ_CHECK(nlohmann::json::accept(description));
      for (const std::string_view secret : kSecrets) {
        TWIML_FUZZ_CHECK(description.find(secret) == std::string::npos || input.find(secret) != std::string_view::npos);
      }
    }
  }
}
