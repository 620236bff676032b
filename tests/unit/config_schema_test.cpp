// The key table as a whole: the listing (check-config --schema) agrees with what the reader accepts
// and what describe_config prints, every key's errors name its path, secrets never show.

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::config {
namespace {

using json = nlohmann::json;

env_lookup fake_env(std::map<std::string, std::string> values = {}) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(const std::string& document, std::map<std::string, std::string> env = {}) {
  try {
    parse_config(document, fake_env(std::move(env)));
  } catch (const config_error& error) {
    return error.what();
  }
  return "";
}

json schema() { return json::parse(describe_schema(-1)); }

// Every key path in a JSON document, list elements spelled "[]": {"a":{"b":[{"c":1}]}} gives a,
// a.b, a.b[].c. Free-form objects (agent.extra) and string maps (sip.headers, a number's variables) are leaves.
void collect_paths(const json& value, const std::string& path, const std::set<std::string>& leaves,
                   std::set<std::string>& out) {
  if (!path.empty() && !path.ends_with("[]")) out.insert(path);
  if (leaves.contains(path)) return;
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) collect_paths(item, path.empty() ? key : path + "." + key, leaves, out);
  } else if (value.is_array()) {
    for (const json& item : value)
      if (item.is_object()) collect_paths(item, path + "[]", leaves, out);
  }
}

std::set<std::string> paths_of(const json& document) {
  std::set<std::string> leaves;
  for (const json& row : schema())
    if (row["type"] == "json object" || row["type"] == "string map") leaves.insert(row["path"].get<std::string>());
  std::set<std::string> out;
  collect_paths(document, "", leaves, out);
  return out;
}

// Where the numbers used to live: the same table as the top-level numbers, read and moved there.
constexpr std::string_view kDeprecatedPrefix = "synthflow.numbers";

// The listed paths, without those of the deprecated synthflow.numbers (the same table as numbers).
std::set<std::string> listed_paths(bool with_secrets) {
  std::set<std::string> out;
  for (const json& row : schema()) {
    const std::string path = row["path"];
    if (path.starts_with(std::string(kDeprecatedPrefix) + "[]")) continue;
    if (with_secrets || !row["secret"].get<bool>()) out.insert(path);
  }
  return out;
}

// Every key the file may hold, each set to a non-default value. A key added to the table and not
// here fails FileKeysAreExactlyTheListedOnes: add it here too.
constexpr std::string_view kEveryKey = R"({
  "server":{"host":"127.0.0.1","port":8080,"threads":3,"idle_timeout_ms":5000,"answer_timeout_ms":4000,"drain_timeout_ms":2000,
            "max_connections":50,"header_limit_bytes":4096,"body_limit_bytes":2048},
  "sip":{"target":"sip.eu.synthflow.ai:32681","x_ei":"tokens","headers":{"X-Tenant":"acme","X-City":"{FromCity}"}},
  "log":{"level":"debug","format":"json","access_log":false},
  "twilio":{"require_signature":true,"webhook_user":"twilio-hook","public_url":"https://example.com/voice/","trusted_proxies":["10.0.0.0/8","::1"],
            "account_sid":"AC0123456789abcdef0123456789abcdef","api_url":"https://api.dublin.ie1.twilio.com",
            "manage_numbers":"true","voice_fallback_url":"https://fallback.example.com/twiml?x=1",
            "ca_file":"/tmp/twilio-ca.pem","monitor_url":"https://monitor.example.com","request_timeout_ms":2500,"max_attempts":3,"initial_backoff_ms":100,
            "max_backoff_ms":1000},
  "synthflow":{"api_url":"https://api.eu.synthflow.ai/v2","workspace_id":"W1","ca_file":"/tmp/ca.pem",
               "provision_on_start":false,"request_timeout_ms":2500,"max_attempts":3,"initial_backoff_ms":100,
               "max_backoff_ms":1000},
  "numbers":[{"phone_number":"+14155550100","friendly_name":"Front desk","trunk_username":"trunk",
              "trunk_pwd_env":"TRUNK_PWD_MAIN","synthflow":{"provider":"custom","termination_uri":"pbx.example.com"},"termination_uri":"",
              "voice_fallback_url":"https://fallback.example.com/desk",
              "agent":{"name":"Reception","prompt":"Be kind","greeting_message":"Hi","llm":"gpt-4.1",
                       "language":"en-US","voice_id":"v1","voice_engine_version":"2.1",
                       "extra":{"timezone":"Europe/Berlin","nested":{"a":[1,2]}}},
              "sip_target":"sip.us.synthflow.ai:32681",
              "sip":{"x_ei":"call_sid","headers":{"X-Tenant":"","X-Line":"front desk"}},
              "dial":{"timeout_s":20,"answer_on_bridge":true,"time_limit_s":3600,"record":"record-from-answer",
                      "ring_tone":"de"},
              "failover":[{"sip_target":"sip.eu.synthflow.ai:32681"},{"dial_number":"+14155550123"},
                          {"say":"Please hold.","voice":"alice","language":"en-GB"},
                          {"redirect":"https://example.com/twiml?x=1"}],
              "transfer":{"allow":["+14155*","sip:desk@pbx.example.com"],"allow_short_prefixes":false},
              "variables":{"business_name":"Acme","opening_hours":"9-5"},"ai_share":0.25}],
  "routing":{"unknown_numbers":"reject"},
  "health":{"trip_after":3,"window_s":30,"cooldown_s":10,"probe_every":2,"recover_after":2,
            "observe_without_failover":true},
  "dial":{"timeout_s":30,"answer_on_bridge":false,"time_limit_s":600,"record":"do-not-record","ring_tone":"us"},
  "failover":[{"sip_target":"sip.us.synthflow.ai:32681"},{"dial_number":"+14155550124"},
              {"say":"Sorry, please call back later.","voice":"Polly.Joanna","language":"en-US"},
              {"redirect":"https://example.com/voicemail"}],
  "transfer":{"allow":["sip:*@pbx.example.com"],"allow_short_prefixes":true},
  "context":{"store":"redis","ttl_s":600,"max_entries":5000,"max_bytes":1048576,"lookup_timeout_ms":250,
             "redis_url":"redis://app@cache:6380/1","synthflow_action":true}})";

// A document's members without those that are null (unset optional keys, as describe shows them).
json without_nulls(const json& value) {
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, item] : value.items())
      if (!item.is_null()) out[key] = without_nulls(item);
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) out.push_back(without_nulls(item));
    return out;
  }
  return value;
}

const std::map<std::string, std::string> kSecretEnv = {
    {"TWILIO_AUTH_TOKEN", "tw-secret-4711"}, {"SYNTHFLOW_API_KEY", "sf-secret-0815"}, {"TRUNK_PWD_MAIN", "trunk-secret-42"},
    {"CALL_CONTEXT_TOKEN", "ctx-secret-1234-0123456789abcdefgh"}, {"CALL_CONTEXT_REDIS_PASSWORD", "redis-secret-99"},
    {"TWILIO_API_KEY", "SK-secret-1234"},    {"TWILIO_API_SECRET", "tw-api-secret-5678"},
    {"TWILIO_SHARED_KEYS", "KSa1:shared-secret-31"}, {"TWILIO_WEBHOOK_PASSWORD", "hook-secret-52"},
    {"CALLS_TOKEN", "calls-secret-5678-0123456789abcdefgh"}};

TEST(ConfigSchema, FileKeysAreExactlyTheListedOnes) {
  ASSERT_EQ(error_of(std::string(kEveryKey), kSecretEnv), "");
  std::set<std::string> in_file = paths_of(json::parse(kEveryKey));
  in_file.insert(std::string(kDeprecatedPrefix));
  EXPECT_EQ(in_file, listed_paths(/*with_secrets=*/false));
}

// Removes the key at `path` ("numbers[].dial.timeout_s": from every element of each list).
void erase_path(json& value, std::string_view path) {
  const std::size_t dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  const bool each = head.ends_with("[]");
  if (each) head.remove_suffix(2);
  const auto it = value.find(std::string(head));
  if (it == value.end()) return;
  if (dot == std::string_view::npos) {
    value.erase(it);
    return;
  }
  if (!each) return erase_path(*it, path.substr(dot + 1));
  for (json& item : *it) erase_path(item, path.substr(dot + 1));
}

// Each row's reload mark (--schema's "reload") is what the restart warning reads: a file that differs
// from the running one by a single key (removed, so its default comes back) is named as needing a
// restart exactly when the key is marked "restart" and the value changed. And the live keys are the
// ones docs/operations.md ("Reloading without a restart") lists: call handling.
TEST(ConfigSchema, ReloadMarkOfEveryKeyIsWhatTheRestartWarningReads) {
  const json full = json::parse(kEveryKey);
  const service_config running = parse_config(kEveryKey, fake_env(kSecretEnv));
  const json running_described = json::parse(describe_config(running));
  std::map<std::string, std::string> reload_of;
  for (const json& row : schema()) reload_of[row["path"]] = row["reload"];
  int live = 0, restart = 0;
  for (const std::string& path : paths_of(full)) {
    if (path.starts_with(kDeprecatedPrefix)) continue;
    ASSERT_TRUE(reload_of.contains(path)) << path;
    json reduced = full;
    erase_path(reduced, path);
    std::optional<service_config> next;
    try {
      next = parse_config(reduced.dump(), fake_env(kSecretEnv));
    } catch (const config_error&) {
      continue;  // a required key, or one another key needs
    }
    const std::vector<std::string> named = keys_needing_restart(running, *next);
    if (reload_of[path] == "live") {
      ++live;
      EXPECT_TRUE(named.empty()) << path << " is marked live, yet a reload names " << ::testing::PrintToString(named);
    } else if (json::parse(describe_config(*next)) != running_described) {
      ++restart;
      EXPECT_FALSE(named.empty()) << path << " is marked restart, yet a reload that changes it names nothing";
    }
  }
  EXPECT_GT(live, 30);
  EXPECT_GT(restart, 30);
  std::set<std::string> live_roots;  // the live rows whose parent is not live
  for (const auto& [path, reload] : reload_of) {
    std::string parent = path.substr(0, path.rfind('.') == std::string::npos ? 0 : path.rfind('.'));
    if (parent.ends_with("[]")) parent.resize(parent.size() - 2);
    if (reload == "live" && (parent.empty() || reload_of[parent] != "live")) live_roots.insert(path);
  }
  EXPECT_EQ(live_roots, (std::set<std::string>{"sip", "routing", "health", "dial", "failover", "transfer",
                                               "numbers[].sip_target", "numbers[].sip", "numbers[].dial",
                                               "numbers[].failover", "numbers[].transfer", "numbers[].variables",
                                               "numbers[].ai_share", "synthflow.numbers[].sip_target",
                                               "synthflow.numbers[].sip", "synthflow.numbers[].dial",
                                               "synthflow.numbers[].failover", "synthflow.numbers[].transfer",
                                               "synthflow.numbers[].variables", "synthflow.numbers[].ai_share"}));
  std::cout << "[ figures  ] reload marks checked: " << live << " live keys, " << restart << " restart keys\n";
}

TEST(ConfigSchema, DeprecatedNumbersHaveTheKeysOfNumbers) {
  std::set<std::string> top, deprecated;
  for (const json& row : schema()) {
    const std::string path = row["path"];
    if (path.starts_with("numbers[]")) top.insert(path);
    if (path.starts_with(std::string(kDeprecatedPrefix) + "[]")) deprecated.insert(path.substr(kDeprecatedPrefix.size() - 7));
  }
  EXPECT_EQ(top, deprecated);
  EXPECT_GT(top.size(), 20u);
}

TEST(ConfigSchema, DescribeShowsExactlyTheListedKeys) {
  const service_config config = parse_config(kEveryKey, fake_env(kSecretEnv));
  EXPECT_EQ(paths_of(json::parse(describe_config(config))), listed_paths(/*with_secrets=*/true));
}

TEST(ConfigSchema, FullyPopulatedDocumentRoundTripsThroughDescribe) {
  const service_config config = parse_config(kEveryKey, fake_env(kSecretEnv));
  json described = json::parse(describe_config(config));
  // What describe adds (secrets) or normalises (the public URL's trailing slash) aside, the
  // description is the document: every key was read into the member its row names.
  described["twilio"].erase("auth_token");
  described["twilio"].erase("api_key");
  described["twilio"].erase("api_secret");
  described["twilio"].erase("shared_keys");
  described["twilio"].erase("webhook_password");
  described["synthflow"].erase("api_key");
  described["numbers"][0].erase("trunk_pwd");
  described["context"].erase("token");
  described["context"].erase("calls_token");
  described["context"].erase("redis_password");
  json expected = json::parse(kEveryKey);
  expected["twilio"]["public_url"] = "https://example.com/voice";
  expected["synthflow"]["numbers"] = json::array();
  EXPECT_EQ(without_nulls(described), expected) << described.dump(2);
  // And reading the description back gives the same configuration.
  EXPECT_EQ(describe_config(parse_config(described.dump(), fake_env(kSecretEnv))), describe_config(config));
}

TEST(ConfigSchema, DefaultsAreThoseOfTheDefaultConfig) {
  const json described = json::parse(describe_config(parse_config("{}", fake_env())));
  int compared = 0;
  for (const json& row : schema()) {
    const std::string path = row["path"];
    if (path.find("[]") != std::string::npos || row["type"] == "object") continue;
    std::string pointer_text = "/" + path;
    if (const auto dot = pointer_text.find('.'); dot != std::string::npos) pointer_text[dot] = '/';
    const json::json_pointer pointer(pointer_text);
    const json shown = described.at(pointer);
    if (row["secret"].get<bool>()) {
      EXPECT_EQ(shown, "<unset>") << path;
      EXPECT_EQ(row["default"], "") << path;
    } else {
      EXPECT_EQ(row["default"], shown) << path;
    }
    ++compared;
  }
  EXPECT_GT(compared, 20);
  // Defaults inside list elements are those of a default-constructed element.
  const json number = json::parse(describe_config(parse_config(
      R"({"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}}]})", fake_env())))["numbers"][0];
  for (const json& row : schema()) {
    const std::string path = row["path"];
    const std::string prefix = "numbers[].";
    if (!path.starts_with(prefix) || row["type"] == "object" || row["required"].get<bool>() || row["secret"].get<bool>())
      continue;
    std::string rest = path.substr(prefix.size());
    if (rest.find("[]") != std::string::npos) continue;  // inside a list of the number
    for (char& c : rest)
      if (c == '.') c = '/';
    EXPECT_EQ(row["default"], number.at(json::json_pointer("/" + rest))) << path;
  }
}

TEST(ConfigSchema, ListingRowsAreComplete) {
  const std::set<std::string> types = {"string", "bool", "integer", "milliseconds", "fraction", "enum",
                                       "string list", "string map", "object", "object list", "json object"};
  for (const json& row : schema()) {
    for (const char* key : {"path", "type", "default", "min", "max", "allowed", "env", "secret", "help"})
      EXPECT_TRUE(row.contains(key)) << row.dump() << " lacks " << key;
    EXPECT_TRUE(types.contains(row["type"].get<std::string>())) << row.dump();
    EXPECT_FALSE(row["help"].get<std::string>().empty()) << row.dump();
    const bool ranged = row["type"] == "integer" || row["type"] == "milliseconds";
    EXPECT_EQ(row["min"].is_number(), ranged) << row.dump();
    EXPECT_EQ(row["max"].is_number(), ranged) << row.dump();
    EXPECT_EQ(row["allowed"].is_array(), row["type"] == "enum") << row.dump();
    if (row["secret"].get<bool>()) {
      EXPECT_TRUE(row["env"].is_string() || row["env_named_by"].is_string()) << row.dump();
    }
  }
  // The example from the brief, literally.
  bool found = false;
  for (const json& row : schema())
    if (row["path"] == "numbers[].agent.name") found = row["required"].get<bool>() && row["type"] == "string";
  EXPECT_TRUE(found);
}

// A value of the wrong type for each listed key: its error names exactly that key's path.
json wrong_value(const std::string& type) {
  if (type == "bool" || type == "enum") return 7;
  if (type == "integer" || type == "milliseconds") return -1;
  if (type == "fraction") return 1.5;
  if (type == "json object" || type == "string map") return json::array();
  return true;  // strings, lists, objects
}

TEST(ConfigSchema, EveryKeysErrorNamesItsPath) {
  int checked = 0;
  for (const json& row : schema()) {
    if (row["secret"].get<bool>()) continue;
    std::string path = row["path"];
    // Numbers in both places: each wrong value fails while the file is read, before the rule
    // against using both is checked.
    json document = json::parse(R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}}]},
                                    "numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}}]})");
    std::string pointer = "/" + path;
    for (std::size_t at = pointer.find('.'); at != std::string::npos; at = pointer.find('.')) pointer[at] = '/';
    for (std::size_t at = pointer.find("[]"); at != std::string::npos; at = pointer.find("[]"))
      pointer.replace(at, 2, "/0");
    document[json::json_pointer(pointer)] = wrong_value(row["type"]);
    std::string expected_path = path;
    for (std::size_t at = expected_path.find("[]"); at != std::string::npos; at = expected_path.find("[]"))
      expected_path.replace(at, 2, "[0]");
    const std::string message = error_of(document.dump());
    EXPECT_TRUE(message.starts_with(expected_path + ": ")) << path << " gave \"" << message << "\"";
    ++checked;
  }
  EXPECT_GT(checked, 35);
}

TEST(ConfigSchema, EveryEnvErrorNamesTheVariableAndTheKey) {
  int checked = 0;
  for (const json& row : schema()) {
    if (!row["env"].is_string()) continue;
    const std::string type = row["type"];
    std::string bad;
    if (type == "integer" || type == "milliseconds") bad = "12x";
    else if (type == "enum") bad = "not-a-level";
    else if (type == "bool") bad = "yes";
    else continue;  // strings are checked by the explicit cases in config_test.cpp
    const std::string env = row["env"];
    const std::string message = error_of("{}", {{env, bad}});
    EXPECT_TRUE(message.starts_with(env + " (environment, " + row["path"].get<std::string>() + "): ")) << message;
    ++checked;
  }
  EXPECT_GE(checked, 3);  // PORT, LOG_LEVEL, LOG_FORMAT
}

TEST(ConfigSchema, DescribeNeverShowsASecret) {
  const service_config config = parse_config(kEveryKey, fake_env(kSecretEnv));
  EXPECT_EQ(config.synthflow.api_key, "sf-secret-0815");
  EXPECT_EQ(config.twilio.auth_token, "tw-secret-4711");
  EXPECT_EQ(config.numbers.at(0).trunk_pwd, "trunk-secret-42");
  for (const int indent : {-1, 2}) {
    const std::string described = describe_config(config, indent);
    for (const auto& [name, secret] : kSecretEnv) EXPECT_EQ(described.find(secret), std::string::npos) << name;
  }
  // Every secret row shows "<redacted>" when set.
  const json described = json::parse(describe_config(config));
  int secrets = 0;
  for (const json& row : schema()) {
    if (!row["secret"].get<bool>() || row["path"].get<std::string>().starts_with(kDeprecatedPrefix)) continue;
    std::string pointer = "/" + row["path"].get<std::string>();
    for (std::size_t at = pointer.find('.'); at != std::string::npos; at = pointer.find('.')) pointer[at] = '/';
    for (std::size_t at = pointer.find("[]"); at != std::string::npos; at = pointer.find("[]")) pointer.replace(at, 2, "/0");
    EXPECT_EQ(described.at(json::json_pointer(pointer)), "<redacted>") << pointer;
    ++secrets;
  }
  EXPECT_EQ(secrets, 10);  // Twilio token, shared keys, webhook password, API key and secret; Synthflow key; trunk password; context token, calls token and Redis password
}

TEST(ConfigSchema, NumberVariablesAreFixedStringsWithTheirOwnNames) {
  const std::string number = R"({"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"},"variables":)";
  const service_config config = parse_config(number + R"({"business_name":"Acme"}}]})", fake_env());
  EXPECT_EQ(config.numbers.at(0).variables.at("business_name"), "Acme");
  EXPECT_EQ(error_of(number + R"({"caller_name":"Bob"}}]})"),
            "numbers[0].variables.caller_name: is a caller variable /call_context fills from the webhook; "
            "choose another name");
  EXPECT_EQ(error_of(number + R"({"hours":9}}]})"), "numbers[0].variables.hours: must be a string");
  EXPECT_TRUE(error_of(number + R"({"bad name":"x"}}]})").starts_with("numbers[0].variables.bad name: "));
}

TEST(ConfigSchema, ContextRulesBetweenKeys) {
  EXPECT_EQ(error_of(R"({"context":{"store":"redis"}})"),
            "context.redis_url: is required when context.store is \"redis\" (or set CALL_CONTEXT_REDIS_URL)");
  EXPECT_EQ(error_of(R"({"context":{"store":"redis"}})", {{"CALL_CONTEXT_REDIS_URL", "redis://127.0.0.1:6379"}}), "");
  EXPECT_EQ(error_of(R"({"context":{"synthflow_action":true},"twilio":{"public_url":"https://x.example"}})"), "")
      << "the token is a secret: preconditions_of asks for it (config_test.cpp)";
  EXPECT_TRUE(error_of(R"({"context":{"synthflow_action":true}})", {{"CALL_CONTEXT_TOKEN", std::string(32, 't')}})
                  .starts_with("context.synthflow_action: is true but twilio.public_url"));
  const std::string password_in_url = error_of(R"({"context":{"redis_url":"redis://u:pw@h:1"}})");
  EXPECT_TRUE(password_in_url.starts_with("context.redis_url: must not carry a password")) << password_in_url;
}

TEST(ConfigSchema, PublicUrlMayCarryAPathPrefix) {
  EXPECT_EQ(parse_config(R"({"twilio":{"public_url":"https://example.com/voice"}})", fake_env()).twilio.public_url,
            "https://example.com/voice");
  EXPECT_EQ(parse_config(R"({"twilio":{"public_url":"https://example.com/voice/"}})", fake_env()).twilio.public_url,
            "https://example.com/voice");
  EXPECT_EQ(parse_config("{}", fake_env({{"PUBLIC_URL", "http://127.0.0.1:8080/a/b//"}})).twilio.public_url,
            "http://127.0.0.1:8080/a/b");
  EXPECT_EQ(parse_config(R"({"twilio":{"public_url":"https://voice.example.com"}})", fake_env()).twilio.public_url,
            "https://voice.example.com");
}

TEST(ConfigSchema, ApiUrlThatTheClientCanUseIsAccepted) {
  EXPECT_EQ(error_of(R"({"synthflow":{"api_url":"http://[::1]:8443/v2/"}})"), "");
  EXPECT_EQ(error_of(R"({"synthflow":{"api_url":"https://api.synthflow.ai"}})"), "");
}

TEST(ConfigSchema, ExtraIsKeptAsJsonText) {
  const service_config config = parse_config(kEveryKey, fake_env(kSecretEnv));
  const json extra = json::parse(config.numbers.at(0).agent->extra);
  EXPECT_EQ(extra, json::parse(R"({"timezone":"Europe/Berlin","nested":{"a":[1,2]}})"));
  EXPECT_EQ(parse_config(R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}}]}})",
                         fake_env())
                .numbers.at(0)
                .agent->extra,
            "{}");
}

}  // namespace
}  // namespace twiml_redirect::config
