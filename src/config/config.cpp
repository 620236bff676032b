#include "twiml_redirect/config/config.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "schema.hpp"

namespace twiml_redirect::config {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw config_error(where + ": " + problem);
}

// Rules between keys, or between a key and the environment; each key's own rules are in its row in
// schema.cpp. Runs after the environment overrides, so it sees the effective values.
void validate_across_keys(const service_config& config) {
  if (config.twilio.require_signature && config.twilio.auth_token.empty())
    fail("twilio.require_signature", "is true but the TWILIO_AUTH_TOKEN environment variable is not set");
  if (config.synthflow.max_backoff < config.synthflow.initial_backoff)
    fail("synthflow.max_backoff_ms", "must not be less than synthflow.initial_backoff_ms");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.synthflow.numbers.size(); ++i)
    if (!seen.insert(config.synthflow.numbers[i].phone_number).second)
      fail("synthflow.numbers[" + std::to_string(i) + "].phone_number", "is listed twice");
}

}  // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    // An empty variable counts as unset: "PORT=" in a compose file or shell means "no override".
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

service_config parse_config(std::string_view json_text, const env_lookup& env) {
  json document;
  try {
    document = json::parse(json_text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& error) {
    // parse_error, and out_of_range for a number too large for a double ("1e400"), which is not a
    // parse_error. nlohmann's message carries the byte offset, which is what a person fixing the file needs.
    throw config_error(std::string("(document): not valid JSON: ") + error.what());
  }
  service_config config;
  schema::read_document(document, config);
  schema::apply_env(config, env);
  validate_across_keys(config);
  return config;
}

service_config load_config_file(const std::filesystem::path& path, const env_lookup& env) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw config_error(path.string() + ": cannot be opened for reading");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw config_error(path.string() + ": read failed");
  return parse_config(text.str(), env);
}

std::optional<std::string> check_provisioning_inputs(const synthflow_config& synthflow) {
  if (synthflow.api_key.empty()) return "SYNTHFLOW_API_KEY (environment): is required when synthflow.numbers is not empty";
  if (synthflow.workspace_id.empty())
    return "synthflow.workspace_id: is required when synthflow.numbers is not empty (or set SYNTHFLOW_WORKSPACE_ID)";
  for (std::size_t i = 0; i < synthflow.numbers.size(); ++i) {
    const number_config& number = synthflow.numbers[i];
    if (!number.trunk_pwd_env.empty() && number.trunk_pwd.empty())
      return "synthflow.numbers[" + std::to_string(i) + "].trunk_pwd_env: environment variable " +
             number.trunk_pwd_env + " is not set";
  }
  return std::nullopt;
}

std::string describe_config(const service_config& config, int indent) { return schema::describe(config).dump(indent); }

std::string describe_schema(int indent) { return schema::listing().dump(indent); }

}  // namespace twiml_redirect::config
