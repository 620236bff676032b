#include "twiml_redirect/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "schema.hpp"
#include "twiml_redirect/twilio/transfer.hpp"
#include "twiml_redirect/util/text.hpp"
#include "twiml_redirect/util/url.hpp"
#include "twiml_redirect/util/utf8.hpp"

namespace twiml_redirect::config {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw config_error(where + ": " + problem);
}

// A failover redirect back into this service starts the call over: the agent is dialled again,
// fails again, and the caller loops until Twilio gives up. Any URL under PUBLIC_URL is ours, and so is
// a /redirect_call path on any host (another replica, an address behind the proxy).
bool redirects_into_this_service(std::string_view url, std::string_view public_url) {
  url = url.substr(0, url.find_first_of("?#"));
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  constexpr std::string_view kWebhook = "/redirect_call";
  if (url.size() >= kWebhook.size() && util::iequals(url.substr(url.size() - kWebhook.size()), kWebhook)) return true;
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  return !public_url.empty() && url.size() >= public_url.size() && util::iequals(url.substr(0, public_url.size()), public_url) &&
         (url.size() == public_url.size() || url[public_url.size()] == '/');
}

// Each step does one thing; `voice` and `language` belong to `say`.
void validate_failover(const std::vector<failover_step>& steps, const std::string& path, std::string_view public_url) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const failover_step& step = steps[i];
    const std::string where = path + "[" + std::to_string(i) + "]";
    const int kinds = int{step.sip_target.has_value()} + int{step.dial_number.has_value()} + int{step.say.has_value()} +
                      int{step.redirect.has_value()};
    if (kinds != 1)
      fail(where, "must have exactly one of sip_target, dial_number, say, redirect (has " + std::to_string(kinds) + ")");
    if (!step.say && step.voice) fail(where + ".voice", "goes only with say");
    if (!step.say && step.language) fail(where + ".language", "goes only with say");
    if (step.redirect && redirects_into_this_service(*step.redirect, public_url))
      fail(where + ".redirect", "points back into this service (" +
                                    std::string(public_url.empty() ? "a /redirect_call path" : "under twilio.public_url") +
                                    "), which would dial the agent again and loop; redirect to TwiML elsewhere");
  }
}

// SIP header names ignore case, so X-Foo and X-FOO would be one header sent twice, and Synthflow
// (whose variable names do not ignore case) would see only one of them. `own` are checked against
// themselves and `inherited` (the top-level headers a number's merge over).
void validate_sip_header_names(const std::map<std::string, std::string>& own,
                               const std::map<std::string, std::string>& inherited, const std::string& path) {
  for (const auto& [name, value] : own) {
    for (const auto* others : {&own, &inherited})
      for (const auto& [other, other_value] : *others)
        if (other != name && util::iequals(other, name) && (others == &inherited || other < name))
          fail(path + "." + name, "is the same SIP header as " + other + " (header names ignore case)");
  }
}

// synthflow.numbers is where numbers lived before they also carried call handling: still read, and
// moved to the top level with a warning naming the new place. Both at once would leave it unclear
// which list counts.
void move_deprecated_numbers(service_config& config) {
  if (config.synthflow.numbers.empty()) return;
  if (!config.numbers.empty())
    fail("synthflow.numbers", "cannot be used together with the top-level numbers; move its entries to numbers");
  config.numbers = std::move(config.synthflow.numbers);
  config.synthflow.numbers.clear();
  config.warnings.push_back("synthflow.numbers is deprecated: move its entries to the top-level \"numbers\" array "
                            "(same fields); it is read from there for now");
}

// numbers[].termination_uri is where the import's termination URI lived before the provider was
// configurable, and it was always sent as provider "custom": moved, with that provider kept.
void move_deprecated_termination_uris(service_config& config, const std::string& numbers_key) {
  for (std::size_t i = 0; i < config.numbers.size(); ++i) {
    number_config& number = config.numbers[i];
    if (number.termination_uri.empty()) continue;
    const std::string path = numbers_key + "[" + std::to_string(i) + "]";
    if (!number.synthflow.termination_uri.empty())
      fail(path + ".termination_uri", "cannot be used together with " + path + ".synthflow.termination_uri; keep that one");
    number.synthflow.termination_uri = std::move(number.termination_uri);
    number.termination_uri.clear();
    if (!number.synthflow.provider) number.synthflow.provider = "custom";
    config.warnings.push_back(path + ".termination_uri is deprecated: move it to " + path +
                              ".synthflow.termination_uri (with synthflow.provider \"custom\", as it was imported)");
  }
}

// Rules between keys, or between a key and the environment; each key's own rules are in its row in
// schema.cpp. Runs after the environment overrides, so it sees the effective values.
// `numbers_key` is where the numbers were read from, for messages.
// Short prefixes ("+1*") only where transfer.allow_short_prefixes says so (a number's own value wins).
void validate_transfer_prefixes(const service_config& config, const std::string& numbers_key) {
  const auto check = [](const std::string& where, const transfer_config& transfer, bool short_ok) {
    if (!transfer.allow || short_ok) return;
    for (std::size_t i = 0; i < transfer.allow->size(); ++i) {
      const std::string& pattern = (*transfer.allow)[i];
      if (twilio::is_short_prefix(pattern))
        fail(where + "transfer.allow[" + std::to_string(i) + "]",
             "\"" + pattern + "\" has fewer than " + std::to_string(twilio::kMinPrefixDigits) +
                 " digits before '*': it would allow premium-rate and far-away numbers (toll fraud); name the "
                 "numbers or a longer prefix, or set " + where + "transfer.allow_short_prefixes: true");
    }
  };
  const bool top_short_ok = config.transfer.allow_short_prefixes.value_or(false);
  check("", config.transfer, top_short_ok);
  for (std::size_t i = 0; i < config.numbers.size(); ++i) {
    const transfer_config& own = config.numbers[i].transfer;
    check(numbers_key + "[" + std::to_string(i) + "].", own, own.allow_short_prefixes.value_or(top_short_ok));
  }
}

void validate_across_keys(const service_config& config, const std::string& numbers_key) {
  validate_transfer_prefixes(config, numbers_key);
  if (config.twilio.webhook_user.empty() != config.twilio.webhook_password.empty())
    fail(config.twilio.webhook_user.empty() ? "twilio.webhook_user" : "TWILIO_WEBHOOK_PASSWORD (environment)",
         "is required with " +
             std::string(config.twilio.webhook_user.empty() ? "TWILIO_WEBHOOK_PASSWORD" : "twilio.webhook_user") +
             " (Basic credentials are a user and a password; set TWILIO_WEBHOOK_USER or the key)");
  if (config.twilio.api_key.empty() != config.twilio.api_secret.empty())
    fail(config.twilio.api_key.empty() ? "TWILIO_API_KEY (environment)" : "TWILIO_API_SECRET (environment)",
         "is required with " + std::string(config.twilio.api_key.empty() ? "TWILIO_API_SECRET" : "TWILIO_API_KEY") +
             " (an API key is its SID and its secret)");
  if (config.twilio.manages_numbers()) {
    if (config.twilio.account_sid.empty())
      fail("twilio.account_sid", "is required when twilio.manage_numbers is true (or set TWILIO_ACCOUNT_SID)");
    if (config.twilio.public_url.empty())
      fail("twilio.public_url",
           "is required when Twilio numbers are managed (twilio.manage_numbers, on by default with an account SID): "
           "it is where VoiceUrl points (set PUBLIC_URL, or twilio.manage_numbers to false)");
  }
  if (config.twilio.max_backoff < config.twilio.initial_backoff)
    fail("twilio.max_backoff_ms", "must not be less than twilio.initial_backoff_ms");
  if (config.synthflow.max_backoff < config.synthflow.initial_backoff)
    fail("synthflow.max_backoff_ms", "must not be less than synthflow.initial_backoff_ms");
  if (config.context.store == context_store::redis && config.context.redis_url.empty())
    fail("context.redis_url", "is required when context.store is \"redis\" (or set CALL_CONTEXT_REDIS_URL)");
  // The token is all that stands between the internet and callers' details: a short or blank one is
  // a guessable one. Its length is named, never its value.
  const auto check_token = [](const std::string& token, const std::string& where) {
    if (token.empty()) return;
    const bool blank = std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isspace(c) != 0; });
    if (blank || token.size() < kMinContextTokenLength)
      fail(where, blank ? std::string("is blank")
                        : "has " + std::to_string(token.size()) + " characters; use at least " +
                              std::to_string(kMinContextTokenLength) + " random ones (e.g. `openssl rand -hex 32`)");
  };
  check_token(config.context.token, "CALL_CONTEXT_TOKEN (environment)");
  check_token(config.context.calls_token, "CALLS_TOKEN (environment)");
  if (config.context.synthflow_action && config.twilio.public_url.empty())
    fail("context.synthflow_action", "is true but twilio.public_url (PUBLIC_URL) is not set: the action needs the URL of /call_context");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.numbers.size(); ++i) {
    const std::string path = numbers_key + "[" + std::to_string(i) + "]";
    const number_config& number = config.numbers[i];
    if (!seen.insert(number.phone_number).second) fail(path + ".phone_number", "is listed twice");
    if (number.failover) validate_failover(*number.failover, path + ".failover", config.twilio.public_url);
    const bool has_failover = number.failover ? !number.failover->empty() : !config.failover.empty();
    if (number.ai_share < 1.0 && !has_failover)
      fail(path + ".ai_share", "is below 1.0 but the number has no failover step for the other calls to take");
    validate_sip_header_names(number.sip.headers, config.sip.headers, path + ".sip.headers");
  }
  validate_failover(config.failover, "failover", config.twilio.public_url);
  validate_sip_header_names(config.sip.headers, {}, "sip.headers");
}

// Appends to `out` the paths under `path` where `a` and `b` differ: objects are compared key by
// key, anything else (a value, a list) as a whole.
void collect_differences(const json& a, const json& b, const std::string& path, std::vector<std::string>& out) {
  if (!a.is_object() || !b.is_object()) {
    if (a != b) out.push_back(path);
    return;
  }
  std::set<std::string> keys;
  for (const auto& [key, value] : a.items()) keys.insert(key);
  for (const auto& [key, value] : b.items()) keys.insert(key);
  for (const std::string& key : keys) {
    const json missing;
    collect_differences(a.contains(key) ? a[key] : missing, b.contains(key) ? b[key] : missing,
                        path.empty() ? key : path + "." + key, out);
  }
}

// Each number (by phone number) with its startup keys: what provisioning writes. Points into
// `numbers`, which must outlive it: a reload compares thousands of numbers without copying them.
std::map<std::string, const json*> provisioning_view(const json& numbers) {
  std::map<std::string, const json*> out;
  for (const json& number : numbers) out[number.value("phone_number", "")] = &number;
  return out;
}

// The numbers whose provisioning differs between `a` and `b` and that provisioning looks at at all:
// one with an agent (Synthflow), or any when Twilio numbers are managed (VoiceUrl). A bare number
// added to a config without either is routed at once and needs nothing else.
void collect_provisioning_changes(const json& a, const json& b, bool twilio_managed, std::vector<std::string>& out) {
  const auto before = provisioning_view(a);
  const auto after = provisioning_view(b);
  std::set<std::string> numbers;
  for (const auto& entry : before) numbers.insert(entry.first);
  for (const auto& entry : after) numbers.insert(entry.first);
  const auto has_agent = [](const std::map<std::string, const json*>& view, const std::string& number) {
    const auto it = view.find(number);
    return it != view.end() && it->second->contains("agent") && !(*it->second)["agent"].is_null();
  };
  for (const std::string& number : numbers) {
    const auto x = before.find(number), y = after.find(number);
    const bool same = x != before.end() && y != after.end() && *x->second == *y->second;
    if (same || (!twilio_managed && !has_agent(before, number) && !has_agent(after, number))) continue;
    out.push_back("numbers[" + number + "] (provisioning: agent, trunk, Twilio settings)");
  }
}

// Transfers work without answerOnBridge, but then Twilio drops the agent's leg as soon as it asks
// the referUrl, so a refused or unanswered transfer loses the caller (docs/routing.md,
// "Transfers"). Worth a warning, not a refusal: a deployment may accept that.
void warn_about_transfers(service_config& config, const std::string& numbers_key) {
  const auto check = [&](const std::string& where, const std::optional<std::vector<std::string>>& allow,
                         const std::optional<bool>& answer_on_bridge) {
    if (!allow || allow->empty() || answer_on_bridge.value_or(false)) return;
    config.warnings.push_back(where + "transfer.allow is set but " + where +
                              "dial.answer_on_bridge is not true: a refused or unanswered transfer drops the caller "
                              "instead of returning them to the agent");
  };
  check("", config.transfer.allow, config.dial.answer_on_bridge);
  for (std::size_t i = 0; i < config.numbers.size(); ++i) {
    const number_config& number = config.numbers[i];
    if (!number.transfer.allow && !number.dial.answer_on_bridge) continue;  // the top level's, warned above
    check(numbers_key + "[" + std::to_string(i) + "].", number.transfer.allow ? number.transfer.allow : config.transfer.allow,
          number.dial.answer_on_bridge ? number.dial.answer_on_bridge : config.dial.answer_on_bridge);
  }
}

}  // namespace

std::vector<std::string> keys_needing_restart(const service_config& running, const service_config& next) {
  // Only the startup keys: which ones a reload applies is each schema row's own property.
  const json a = schema::describe_startup_keys(running);
  const json b = schema::describe_startup_keys(next);
  std::vector<std::string> out;
  for (const auto& [key, value] : a.items()) {
    if (key == "numbers") {
      collect_provisioning_changes(value, b.value(key, json::array()), next.twilio.manages_numbers(), out);
      continue;
    }
    collect_differences(value, b.value(key, json()), key, out);
  }
  return out;
}

namespace {

// Bytes as MiB with one decimal: "81.6 MiB".
std::string mebibytes(std::uint64_t bytes) {
  const std::uint64_t tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

}  // namespace

memory_budget worst_case_memory(const service_config& config) {
  // Measured by bench/partial-requests: 8.9 MiB at rest, and 31.6 KiB per connection holding a
  // 16 KiB body, so about 16 KiB of state besides the body (with the 2 KiB request_arena).
  constexpr std::uint64_t kAtRest = 8 * 1024 * 1024;
  constexpr std::uint64_t kConnectionState = 16 * 1024;
  memory_budget budget;
  budget.at_rest = kAtRest;
  budget.per_connection = config.server.body_limit + config.server.header_limit + kConnectionState;
  budget.connections = budget.per_connection * config.server.max_connections;
  const bool keeps_records = config.context.store == context_store::memory && !config.context.token.empty();
  budget.store = keeps_records ? config.context.max_bytes : 0;
  return budget;
}

std::optional<std::string> memory_fit_problem(const service_config& config, std::uint64_t limit) {
  const memory_budget budget = worst_case_memory(config);
  if (budget.total() <= limit) return std::nullopt;
  std::string terms = mebibytes(budget.at_rest) + " at rest + server.max_connections (" +
                      std::to_string(config.server.max_connections) + ") x " +
                      std::to_string((budget.per_connection + 1023) / 1024) + " KiB";
  if (budget.store > 0) terms += " + context.max_bytes (" + mebibytes(budget.store) + ")";
  return "the worst case memory, " + terms + " = " + mebibytes(budget.total()) + ", is more than this process's " +
         "memory limit of " + mebibytes(limit) + " (cgroup memory.max): under a flood of slow clients it would be " +
         "killed. Lower server.max_connections, server.body_limit_bytes" +
         (budget.store > 0 ? std::string(" or context.max_bytes") : std::string()) + ", or raise the limit";
}

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    // An empty variable counts as unset: "PORT=" in a compose file or shell means "no override".
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

namespace {

// Where the parser is in the document, so that a key given twice can be named by its path. JSON
// allows duplicate keys and nlohmann keeps the last one; in a config that silently drops a setting.
class duplicate_key_finder {
 public:
  bool operator()(int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back({event == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::key:
        if (!frames_.back().keys.insert(parsed.get<std::string>()).second)
          fail(path_to(parsed.get<std::string>()), "is given twice (only one value can count)");
        frames_.back().key = parsed.get<std::string>();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        if (!frames_.empty()) ++frames_.back().elements;
        break;
      case json::parse_event_t::value:
        if (!frames_.empty()) ++frames_.back().elements;
        break;
    }
    return true;
  }

 private:
  struct frame {
    bool array;
    std::size_t elements;  // completed elements of an array
    std::string key;       // the current key of an object
    std::set<std::string> keys;
  };

  std::string path_to(const std::string& key) const {
    std::string path;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      if (frames_[i].array) {
        path += "[" + std::to_string(frames_[i].elements) + "]";
      } else {
        path += (path.empty() ? "" : ".") + frames_[i].key;
      }
    }
    return path + (path.empty() ? "" : ".") + key;
  }

  std::vector<frame> frames_;
};

// The environment, refusing values that are not UTF-8: every setting may end up in a JSON log line.
env_lookup utf8_only(const env_lookup& env) {
  return [&env](const std::string& name) -> std::optional<std::string> {
    auto value = env(name);
    if (value && !util::is_valid_utf8(*value)) fail(name + " (environment)", "is not valid UTF-8");
    return value;
  };
}

// Far more than any real configuration (10,000 numbers with their agents fit), far less than what
// would make reading it a memory problem.
constexpr std::uintmax_t kMaxConfigBytes = 16 * 1024 * 1024;

// Every "auto" SIP target becomes the region's host of synthflow.api_url, or the guide's host with a
// warning when that URL is not Synthflow's.
void resolve_auto_sip_targets(service_config& config) {
  std::vector<std::string*> targets{&config.sip.target};
  for (failover_step& step : config.failover)
    if (step.sip_target) targets.push_back(&*step.sip_target);
  for (number_config& number : config.numbers) {
    if (number.sip_target) targets.push_back(&*number.sip_target);
    if (number.failover)
      for (failover_step& step : *number.failover)
        if (step.sip_target) targets.push_back(&*step.sip_target);
  }
  // A host that is not Synthflow's is fine for a private set-up (a PBX or SBC in front), and a typo
  // otherwise: said once per host, not refused.
  std::set<std::string> foreign;
  for (const std::string* target : targets) {
    const std::string_view host = std::string_view(*target).substr(0, target->rfind(':') == std::string::npos
                                                                          ? target->size()
                                                                          : target->rfind(':'));
    const bool synthflow = host.size() > 13 && util::iequals(host.substr(host.size() - 13), ".synthflow.ai");
    if (*target != "auto" && !synthflow && foreign.insert(std::string(host)).second)
      config.warnings.push_back("sip target " + std::string(host) +
                                " is not a Synthflow host (*.synthflow.ai): calls go there, not to an agent, unless "
                                "it forwards them (a private set-up)");
  }
  if (std::none_of(targets.begin(), targets.end(), [](const std::string* t) { return *t == "auto"; })) return;
  const std::optional<std::string> regional = sip_target_of_synthflow_api(config.synthflow.api_url);
  if (!regional)
    config.warnings.push_back("sip target \"auto\": synthflow.api_url is not one of Synthflow's API hosts, so its "
                              "region is unknown; dialling the guide's host sipin.synthflow.ai:32681");
  else if (regional->starts_with("sip.synthflow.ai"))
    config.warnings.push_back("sip target \"auto\": synthflow.api_url is the legacy Global cluster "
                              "(api.synthflow.ai), which Synthflow retires by the end of 2026; once the workspace "
                              "has moved, set synthflow.api_url to its region (api.us or api.eu.synthflow.ai)");
  for (std::string* target : targets)
    if (*target == "auto") *target = regional.value_or("sipin.synthflow.ai:32681");
}

}  // namespace

std::optional<std::string> sip_target_of_synthflow_api(std::string_view api_url) {
  const auto url = util::parse_http_url(api_url);
  if (!url) return std::nullopt;
  std::string host = url->host;
  std::transform(host.begin(), host.end(), host.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  if (host == "api.synthflow.ai") return "sip.synthflow.ai:32681";
  if (host == "api.us.synthflow.ai") return "sip.us.synthflow.ai:32681";
  if (host == "api.eu.synthflow.ai") return "sip.eu.synthflow.ai:32681";
  return std::nullopt;
}

service_config parse_config(std::string_view json_text, const env_lookup& env) {
  // nlohmann stops reading at a NUL byte and would ignore whatever follows it.
  if (const auto nul = json_text.find('\0'); nul != std::string_view::npos)
    fail("(document)", "contains a NUL byte at offset " + std::to_string(nul));
  json document;
  try {
    document = json::parse(json_text, duplicate_key_finder{}, true, /*ignore_comments=*/true);
  } catch (const json::exception& error) {
    // parse_error, and out_of_range for a number too large for a double ("1e400"), which is not a
    // parse_error. nlohmann's message carries the byte offset, which is what a person fixing the file needs.
    throw config_error(std::string("(document): not valid JSON: ") + error.what());
  }
  service_config config;
  schema::read_document(document, config);
  schema::apply_env(config, utf8_only(env));
  const std::string numbers_key = config.synthflow.numbers.empty() ? "numbers" : "synthflow.numbers";
  move_deprecated_numbers(config);
  move_deprecated_termination_uris(config, numbers_key);
  resolve_auto_sip_targets(config);
  validate_across_keys(config, numbers_key);
  warn_about_transfers(config, numbers_key);
  return config;
}

service_config load_config_file(const std::filesystem::path& path, const env_lookup& env) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw config_error(path.string() + ": is a directory, not a config file");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxConfigBytes)
    throw config_error(path.string() + ": is " + std::to_string(size) + " bytes; a config file may have at most " +
                       std::to_string(kMaxConfigBytes));
  std::ifstream file(path, std::ios::binary);
  if (!file) throw config_error(path.string() + ": cannot be opened for reading");
  // Read straight into one string (a stringstream would hold the text twice).
  std::string text;
  if (!ec) text.reserve(static_cast<std::size_t>(size));
  text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  if (file.bad()) throw config_error(path.string() + ": read failed");
  return parse_config(text, env);
}

std::optional<std::string> check_provisioning_inputs(const synthflow_config& synthflow,
                                                     const std::vector<number_config>& numbers) {
  if (provisioned_numbers(numbers).empty()) return std::nullopt;
  if (synthflow.api_key.empty()) return "SYNTHFLOW_API_KEY (environment): is required when a number has an agent";
  if (synthflow.workspace_id.empty())
    return "synthflow.workspace_id: is required when a number has an agent (or set SYNTHFLOW_WORKSPACE_ID)";
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const number_config& number = numbers[i];
    if (number.agent && !number.trunk_pwd_env.empty() && number.trunk_pwd.empty())
      return "numbers[" + std::to_string(i) + "].trunk_pwd_env: environment variable " + number.trunk_pwd_env +
             " is not set";
  }
  return std::nullopt;
}

std::optional<std::string> check_twilio_provisioning_inputs(const twilio_config& twilio) {
  if (twilio.api_key.empty() && twilio.auth_token.empty())
    return "TWILIO_API_KEY and TWILIO_API_SECRET (environment), or TWILIO_AUTH_TOKEN: one is required when Twilio "
           "numbers are managed (twilio.manage_numbers)";
  return std::nullopt;
}

bool number_synthflow_config::needs_termination_uri() const {
  // Synthflow fills the SIP domain in for these three only.
  const std::string name = provider_or_default();
  return name != "five9" && name != "ringcx" && name != "zoom";
}

std::vector<number_config> provisioned_numbers(const std::vector<number_config>& numbers) {
  std::vector<number_config> out;
  for (const number_config& number : numbers)
    if (number.agent) out.push_back(number);
  return out;
}

std::string describe_config(const service_config& config, int indent) { return schema::describe(config).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string describe_schema(int indent) { return schema::listing().dump(indent); }

}  // namespace twiml_redirect::config
