#include "twiml_redirect/config/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/util/cidr.hpp"

namespace twiml_redirect::config {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw config_error(where + ": " + problem);
}

// Reads one JSON object of the config, remembering which keys it was asked for so that any other
// key (a typo, an option from another version) stops startup instead of being silently ignored.
class object_reader {
 public:
  object_reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) fail(path_.empty() ? "(document)" : path_, "must be a JSON object");
  }

  std::string path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const json* find(const std::string& key) {
    known_.insert(key);
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  void string(const std::string& key, std::string& out) {
    if (const json* value = find(key)) {
      if (!value->is_string()) fail(path_of(key), "must be a string");
      out = value->get<std::string>();
    }
  }

  void boolean(const std::string& key, bool& out) {
    if (const json* value = find(key)) {
      if (!value->is_boolean()) fail(path_of(key), "must be true or false");
      out = value->get<bool>();
    }
  }

  template <typename Integer>
  void integer(const std::string& key, Integer& out, std::uint64_t min, std::uint64_t max) {
    if (const json* value = find(key)) {
      if (!value->is_number_unsigned() || value->get<std::uint64_t>() < min || value->get<std::uint64_t>() > max)
        fail(path_of(key), "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
      out = static_cast<Integer>(value->get<std::uint64_t>());
    }
  }

  void milliseconds(const std::string& key, std::chrono::milliseconds& out, std::uint64_t min, std::uint64_t max) {
    std::uint64_t count = static_cast<std::uint64_t>(out.count());
    integer(key, count, min, max);
    out = std::chrono::milliseconds(count);
  }

  void strings(const std::string& key, std::vector<std::string>& out) {
    if (const json* value = find(key)) {
      if (!value->is_array()) fail(path_of(key), "must be an array of strings");
      out.clear();
      for (std::size_t i = 0; i < value->size(); ++i) {
        if (!(*value)[i].is_string()) fail(path_of(key) + "[" + std::to_string(i) + "]", "must be a string");
        out.push_back((*value)[i].get<std::string>());
      }
    }
  }

  // Call after every known key was read.
  void reject_unknown_keys() const {
    for (const auto& item : object_.items())
      if (!known_.contains(item.key())) fail(path_of(item.key()), "is not a known key");
  }

 private:
  const json& object_;
  std::string path_;
  std::set<std::string> known_;
};

bool is_ip_address(const std::string& text) {
  std::array<unsigned char, 16> buffer{};
  return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 || inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

bool is_env_var_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "http://host[:port][/path]" or "https://...": enough to catch a missing scheme or a typo early.
std::optional<std::string> check_base_url(std::string_view url, bool allow_path) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "must start with http:// or https://";
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "must start with http:// or https://";
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t host_end = rest.find_first_of("/?#");
  if (rest.substr(0, host_end).empty()) return "has no host";
  if (rest.find_first_of("?#") != std::string_view::npos) return "must not have a query or fragment";
  if (!allow_path && host_end != std::string_view::npos && rest.substr(host_end) != "/")
    return "must be scheme and host only (the request path is appended to it)";
  if (url.find_first_of(" \t\r\n") != std::string_view::npos) return "must not contain whitespace";
  return std::nullopt;
}

constexpr std::array kLogLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};

void check_log_level(const std::string& where, const std::string& level) {
  if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end())
    fail(where, "must be one of trace, debug, info, warn, error, critical, off (got \"" + level + "\")");
}

log_format parse_log_format(const std::string& where, const std::string& text) {
  if (text == "text") return log_format::text;
  if (text == "json") return log_format::json;
  fail(where, "must be \"text\" or \"json\" (got \"" + text + "\")");
}

void read_server(object_reader& root, server_config& server) {
  const json* section = root.find("server");
  if (!section) return;
  object_reader reader(*section, "server");
  reader.string("host", server.host);
  if (!is_ip_address(server.host)) fail("server.host", "must be an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::)");
  reader.integer("port", server.port, 0, 65535);
  reader.integer("threads", server.threads, 0, 256);
  reader.milliseconds("idle_timeout_ms", server.idle_timeout, 100, 3'600'000);
  reader.milliseconds("drain_timeout_ms", server.drain_timeout, 0, 600'000);
  reader.integer("max_connections", server.max_connections, 1, 1'000'000);
  reader.integer("header_limit_bytes", server.header_limit, 1024, 1024 * 1024);
  reader.integer("body_limit_bytes", server.body_limit, 1024, 16 * 1024 * 1024);
  reader.reject_unknown_keys();
}

void read_sip(object_reader& root, sip_config& sip) {
  const json* section = root.find("sip");
  if (!section) return;
  object_reader reader(*section, "sip");
  reader.string("target", sip.target);
  reader.reject_unknown_keys();
}

void read_log(object_reader& root, log_config& log) {
  const json* section = root.find("log");
  if (!section) return;
  object_reader reader(*section, "log");
  reader.string("level", log.level);
  std::string format = log.format == log_format::json ? "json" : "text";
  reader.string("format", format);
  log.format = parse_log_format("log.format", format);
  reader.boolean("access_log", log.access_log);
  reader.reject_unknown_keys();
}

void read_twilio(object_reader& root, twilio_config& twilio) {
  const json* section = root.find("twilio");
  if (!section) return;
  object_reader reader(*section, "twilio");
  reader.boolean("require_signature", twilio.require_signature);
  reader.string("public_url", twilio.public_url);
  reader.strings("trusted_proxies", twilio.trusted_proxies);
  reader.reject_unknown_keys();
}

agent_config read_agent(const json& object, const std::string& path) {
  agent_config agent;
  object_reader reader(object, path);
  reader.string("name", agent.name);
  if (agent.name.empty()) fail(reader.path_of("name"), "is required and must not be empty");
  reader.string("prompt", agent.prompt);
  reader.string("greeting_message", agent.greeting_message);
  reader.string("llm", agent.llm);
  reader.string("language", agent.language);
  reader.string("voice_id", agent.voice_id);
  reader.string("voice_engine_version", agent.voice_engine_version);
  if (const json* extra = reader.find("extra")) {
    if (!extra->is_object()) fail(reader.path_of("extra"), "must be a JSON object of agent fields");
    agent.extra = *extra;
  }
  reader.reject_unknown_keys();
  return agent;
}

number_config read_number(const json& object, const std::string& path) {
  number_config number;
  object_reader reader(object, path);
  reader.string("phone_number", number.phone_number);
  if (number.phone_number.empty()) fail(reader.path_of("phone_number"), "is required");
  if (auto problem = twilio::check_called(number.phone_number)) fail(reader.path_of("phone_number"), *problem);
  reader.string("friendly_name", number.friendly_name);
  reader.string("trunk_username", number.trunk_username);
  reader.string("trunk_pwd_env", number.trunk_pwd_env);
  reader.string("termination_uri", number.termination_uri);
  if (!number.trunk_pwd_env.empty() && !is_env_var_name(number.trunk_pwd_env))
    fail(reader.path_of("trunk_pwd_env"), "must be the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*)");
  const json* agent = reader.find("agent");
  if (!agent) fail(reader.path_of("agent"), "is required");
  number.agent = read_agent(*agent, reader.path_of("agent"));
  reader.reject_unknown_keys();
  return number;
}

void read_synthflow(object_reader& root, synthflow_config& synthflow) {
  const json* section = root.find("synthflow");
  if (!section) return;
  object_reader reader(*section, "synthflow");
  reader.string("api_url", synthflow.api_url);
  reader.string("workspace_id", synthflow.workspace_id);
  reader.string("ca_file", synthflow.ca_file);
  reader.boolean("provision_on_start", synthflow.provision_on_start);
  reader.milliseconds("request_timeout_ms", synthflow.request_timeout, 100, 600'000);
  reader.integer("max_attempts", synthflow.max_attempts, 1, 100);
  reader.milliseconds("initial_backoff_ms", synthflow.initial_backoff, 0, 600'000);
  reader.milliseconds("max_backoff_ms", synthflow.max_backoff, 0, 3'600'000);
  if (const json* numbers = reader.find("numbers")) {
    if (!numbers->is_array()) fail("synthflow.numbers", "must be an array of number objects");
    for (std::size_t i = 0; i < numbers->size(); ++i)
      synthflow.numbers.push_back(read_number((*numbers)[i], "synthflow.numbers[" + std::to_string(i) + "]"));
  }
  reader.reject_unknown_keys();
}

// Checks that span sections or depend on environment overrides, so they run after both.
void validate(const service_config& config) {
  if (auto problem = twilio::check_sip_target(config.sip.target)) fail("sip.target", *problem);
  check_log_level("log.level", config.log.level);
  if (!config.twilio.public_url.empty())
    if (auto problem = check_base_url(config.twilio.public_url, true)) fail("twilio.public_url", *problem);
  for (std::size_t i = 0; i < config.twilio.trusted_proxies.size(); ++i)
    if (!util::parse_cidr(config.twilio.trusted_proxies[i]))
      fail("twilio.trusted_proxies[" + std::to_string(i) + "]",
           "must be an IP address or CIDR such as 10.0.0.0/8 (got \"" + config.twilio.trusted_proxies[i] + "\")");
  if (config.twilio.require_signature && config.twilio.auth_token.empty())
    fail("twilio.require_signature", "is true but the TWILIO_AUTH_TOKEN environment variable is not set");
  if (auto problem = check_base_url(config.synthflow.api_url, true)) fail("synthflow.api_url", *problem);
  if (config.synthflow.max_backoff < config.synthflow.initial_backoff)
    fail("synthflow.max_backoff_ms", "must not be less than synthflow.initial_backoff_ms");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.synthflow.numbers.size(); ++i)
    if (!seen.insert(config.synthflow.numbers[i].phone_number).second)
      fail("synthflow.numbers[" + std::to_string(i) + "].phone_number", "is listed twice");
}

void apply_env(service_config& config, const env_lookup& env) {
  if (auto port = env("PORT")) {
    unsigned long value = 0;
    std::size_t used = 0;
    try {
      value = std::stoul(*port, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != port->size() || value > 65535) fail("PORT (environment)", "must be an integer from 0 to 65535");
    config.server.port = static_cast<std::uint16_t>(value);
  }
  if (auto host = env("HOST")) {
    if (!is_ip_address(*host)) fail("HOST (environment)", "must be an IPv4 or IPv6 address");
    config.server.host = *host;
  }
  if (auto target = env("SIP_TARGET")) config.sip.target = *target;
  if (auto level = env("LOG_LEVEL")) {
    check_log_level("LOG_LEVEL (environment)", *level);
    config.log.level = *level;
  }
  if (auto format = env("LOG_FORMAT")) config.log.format = parse_log_format("LOG_FORMAT (environment)", *format);
  if (auto url = env("PUBLIC_URL")) config.twilio.public_url = *url;
  if (auto token = env("TWILIO_AUTH_TOKEN")) config.twilio.auth_token = *token;
  if (auto url = env("SYNTHFLOW_API_URL")) config.synthflow.api_url = *url;
  if (auto workspace = env("SYNTHFLOW_WORKSPACE_ID")) config.synthflow.workspace_id = *workspace;
  if (auto key = env("SYNTHFLOW_API_KEY")) config.synthflow.api_key = *key;
  for (number_config& number : config.synthflow.numbers)
    if (!number.trunk_pwd_env.empty())
      if (auto password = env(number.trunk_pwd_env)) number.trunk_pwd = *password;
}

const char* redact(const std::string& secret) { return secret.empty() ? "<unset>" : "<redacted>"; }

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
  object_reader root(document, "");
  read_server(root, config.server);
  read_sip(root, config.sip);
  read_log(root, config.log);
  read_twilio(root, config.twilio);
  read_synthflow(root, config.synthflow);
  root.reject_unknown_keys();
  apply_env(config, env);
  validate(config);
  // The raw request target, which starts with '/', is appended to the public URL when signing.
  if (config.twilio.public_url.ends_with('/')) config.twilio.public_url.pop_back();
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

std::string describe_config(const service_config& config, int indent) {
  json numbers = json::array();
  for (const number_config& number : config.synthflow.numbers) {
    const agent_config& agent = number.agent;
    numbers.push_back({{"phone_number", number.phone_number},
                       {"friendly_name", number.friendly_name},
                       {"trunk_username", number.trunk_username},
                       {"trunk_pwd_env", number.trunk_pwd_env},
                       {"trunk_pwd", redact(number.trunk_pwd)},
                       {"termination_uri", number.termination_uri},
                       {"agent",
                        {{"name", agent.name},
                         {"prompt", agent.prompt},
                         {"greeting_message", agent.greeting_message},
                         {"llm", agent.llm},
                         {"language", agent.language},
                         {"voice_id", agent.voice_id},
                         {"voice_engine_version", agent.voice_engine_version},
                         {"extra", agent.extra}}}});
  }
  const json described = {
      {"server",
       {{"host", config.server.host},
        {"port", config.server.port},
        {"threads", config.server.threads},
        {"idle_timeout_ms", config.server.idle_timeout.count()},
        {"drain_timeout_ms", config.server.drain_timeout.count()},
        {"max_connections", config.server.max_connections},
        {"header_limit_bytes", config.server.header_limit},
        {"body_limit_bytes", config.server.body_limit}}},
      {"sip", {{"target", config.sip.target}}},
      {"log",
       {{"level", config.log.level},
        {"format", config.log.format == log_format::json ? "json" : "text"},
        {"access_log", config.log.access_log}}},
      {"twilio",
       {{"require_signature", config.twilio.require_signature},
        {"public_url", config.twilio.public_url},
        {"trusted_proxies", config.twilio.trusted_proxies},
        {"auth_token", redact(config.twilio.auth_token)}}},
      {"synthflow",
       {{"api_url", config.synthflow.api_url},
        {"workspace_id", config.synthflow.workspace_id},
        {"api_key", redact(config.synthflow.api_key)},
        {"ca_file", config.synthflow.ca_file},
        {"provision_on_start", config.synthflow.provision_on_start},
        {"request_timeout_ms", config.synthflow.request_timeout.count()},
        {"max_attempts", config.synthflow.max_attempts},
        {"initial_backoff_ms", config.synthflow.initial_backoff.count()},
        {"max_backoff_ms", config.synthflow.max_backoff.count()},
        {"numbers", numbers}}}};
  return described.dump(indent);
}

}  // namespace twiml_redirect::config
