#pragma once
// The walks over the configuration's key table (schema.cpp): the one place that knows the keys.
// Private to src/config/: it speaks nlohmann::json, which config.hpp must not.

#include <nlohmann/json.hpp>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::config::schema {

// Reads a parsed document into `config` (which starts out default-constructed): type and per-key
// checks, required keys, unknown keys rejected. Throws config_error naming the key path.
void read_document(const nlohmann::json& document, service_config& config);

// Applies the environment variables that override keys (and those named by other keys, such as each
// number's trunk_pwd_env). Errors name the variable and the key: "PORT (environment, server.port): ...".
void apply_env(service_config& config, const env_lookup& env);

// The configuration as JSON, secrets replaced by "<redacted>" (or "<unset>" when empty).
nlohmann::json describe(const service_config& config);

// describe() without the keys a SIGHUP reload puts in force (rows marked reloadable, and all
// under them): what differs here between two files needs a restart.
nlohmann::json describe_startup_keys(const service_config& config);

// One object per key, depth first: {path, type, default, min, max, allowed, env, env_named_by,
// secret, required, reload ("live" or "restart"), help}.
nlohmann::json listing();

}  // namespace twiml_redirect::config::schema
