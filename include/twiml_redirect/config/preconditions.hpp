#pragma once
// What a command needs beyond a valid configuration file: secrets from the environment and the
// settings that only some commands need. The one place that decides it: serve, check-config (which
// checks for serve) and provision all ask preconditions_of(), so check-config says OK exactly for
// the configurations serve accepts. Pure.

#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::config {

// Whether provisioning has anything to do on each side: Synthflow when a number has an agent,
// Twilio when its numbers are managed and there are numbers.
bool provisions_synthflow(const service_config& config);
bool provisions_twilio(const service_config& config);

// The commands whose needs preconditions_of() knows. serve needs provisioning's inputs only when it
// provisions at startup (synthflow.provision_on_start).
enum class command { serve, provision };

// One thing a command needs that this configuration and environment do not give it.
struct missing_input {
  std::string name;  // the environment variable, or the key path
  std::string why;   // what needs it, e.g. "twilio.require_signature is true"
};

// Secrets come from the environment, which the machine checking a config may not hold; settings are
// keys of the file, so a missing one is the file's fault (a config error wherever it is checked).
struct preconditions {
  std::vector<missing_input> secrets;
  std::vector<missing_input> settings;
  bool met() const { return secrets.empty() && settings.empty(); }
  // "serve needs these environment variables, which are not set: TWILIO_AUTH_TOKEN
  // (twilio.require_signature is true), SYNTHFLOW_API_KEY (...)"; "" when none is missing.
  std::string missing_secrets(std::string_view command_name) const;
  // "synthflow.workspace_id: is required ...; ..."; "" when none is missing.
  std::string missing_settings() const;
  // Both, for a command that refuses to run: "" when met.
  std::string describe(std::string_view command_name) const;
};

// Everything `cmd` needs that `config` (file and environment, as loaded) does not give it, all of it.
preconditions preconditions_of(const service_config& config, command cmd);

}  // namespace twiml_redirect::config
