#include "twiml_redirect/config/preconditions.hpp"

#include <algorithm>

namespace twiml_redirect::config {

bool provisions_synthflow(const service_config& config) {
  return std::any_of(config.numbers.begin(), config.numbers.end(), [](const number_config& n) { return n.agent.has_value(); });
}

bool provisions_twilio(const service_config& config) {
  return config.twilio.manages_numbers() && !config.numbers.empty();
}

preconditions preconditions_of(const service_config& config, command cmd) {
  preconditions needs;
  const auto secret = [&](std::string name, std::string why) { needs.secrets.push_back({std::move(name), std::move(why)}); };
  if (cmd == command::serve && config.twilio.require_signature && !config.twilio.checks_signatures())
    secret("TWILIO_AUTH_TOKEN", "twilio.require_signature is true; TWILIO_SHARED_KEYS also satisfies it");
  // The action calls /call_context, which is served only with the token; provision puts it in the action.
  if (config.context.synthflow_action && config.context.token.empty())
    secret("CALL_CONTEXT_TOKEN", "context.synthflow_action is true");
  const bool provisions = cmd == command::provision || config.synthflow.provision_on_start;
  const std::string when = cmd == command::serve ? " and synthflow.provision_on_start is true" : "";
  if (provisions && provisions_synthflow(config)) {
    if (config.synthflow.api_key.empty()) secret("SYNTHFLOW_API_KEY", "a number has an agent" + when);
    if (config.synthflow.workspace_id.empty())
      needs.settings.push_back({"synthflow.workspace_id", "is required when a number has an agent" + when +
                                                              " (or set SYNTHFLOW_WORKSPACE_ID)"});
    for (std::size_t i = 0; i < config.numbers.size(); ++i) {
      const number_config& number = config.numbers[i];
      const std::string path = "numbers[" + std::to_string(i) + "]";
      if (number.agent && !number.trunk_pwd_env.empty() && number.trunk_pwd.empty())
        secret(number.trunk_pwd_env, path + ".trunk_pwd_env");
      if (number.agent && number.synthflow.needs_termination_uri() && number.synthflow.termination_uri.empty())
        needs.settings.push_back(
            {path + ".synthflow.termination_uri",
             "is required to import the number with provider \"" + number.synthflow.provider_or_default() +
                 "\" (Synthflow answers 400 without it): the SIP domain Synthflow sends this number's outbound "
                 "calls to, e.g. your Twilio Elastic SIP Trunk's termination URI example.pstn.twilio.com "
                 "(docs/provisioning.md, \"Termination URI\")"});
    }
  }
  if (provisions && provisions_twilio(config) && config.twilio.api_key.empty() && config.twilio.auth_token.empty())
    secret("TWILIO_API_KEY and TWILIO_API_SECRET, or TWILIO_AUTH_TOKEN", "Twilio numbers are managed (twilio.manage_numbers)" + when);
  return needs;
}

std::string preconditions::missing_secrets(std::string_view command_name) const {
  std::string out;
  for (const missing_input& input : secrets) out += (out.empty() ? "" : ", ") + input.name + " (" + input.why + ")";
  if (out.empty()) return out;
  return std::string(command_name) + " needs " + (secrets.size() == 1 ? "this environment variable, which is" : "these environment variables, which are") +
         " not set: " + out;
}

std::string preconditions::missing_settings() const {
  std::string out;
  for (const missing_input& input : settings) out += (out.empty() ? "" : "; ") + input.name + ": " + input.why;
  return out;
}

std::string preconditions::describe(std::string_view command_name) const {
  const std::string a = missing_settings(), b = missing_secrets(command_name);
  return a + (a.empty() || b.empty() ? "" : "; ") + b;
}

}  // namespace twiml_redirect::config
