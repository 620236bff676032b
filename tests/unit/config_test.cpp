#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/config/preconditions.hpp"

#include <gtest/gtest.h>

#include <map>

namespace twiml_redirect::config {
namespace {

env_lookup fake_env(std::map<std::string, std::string> values = {}) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

// The message of the config_error that parsing `json` throws, or "" when it parses.
std::string error_of(std::string_view json, std::map<std::string, std::string> env = {}) {
  try {
    parse_config(json, fake_env(std::move(env)));
  } catch (const config_error& error) {
    return error.what();
  }
  return "";
}

constexpr std::string_view kOneNumber = R"({"synthflow":{"workspace_id":"W1","numbers":[{
  "phone_number":"+14155550100","friendly_name":"Front desk","trunk_username":"trunk",
  "trunk_pwd_env":"TRUNK_PWD_MAIN","termination_uri":"pbx.example.com","agent":{"name":"Reception","prompt":"Be kind","greeting_message":"Hi",
  "llm":"gpt-4.1","language":"en-US","voice_id":"v1","extra":{"timezone":"Europe/Berlin"}}}]}})";

TEST(Config, EmptyObjectGivesDefaults) {
  const service_config config = parse_config("{}", fake_env());
  EXPECT_EQ(config.server.host, "0.0.0.0");
  EXPECT_EQ(config.server.port, 3000);
  EXPECT_EQ(config.server.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.server.header_limit, 8192u);
  EXPECT_EQ(config.server.body_limit, 16384u);
  EXPECT_EQ(config.server.max_connections, 2000u);
  EXPECT_EQ(config.sip.target, "sipin.synthflow.ai:32681");
  EXPECT_EQ(config.log.format, log_format::text);
  EXPECT_EQ(config.synthflow.api_url, "https://api.synthflow.ai/v2");
  EXPECT_TRUE(config.synthflow.provision_on_start);
  EXPECT_TRUE(config.numbers.empty());
}

TEST(Config, ShippedDefaultConfigParses) {
  const service_config config = load_config_file(TWIML_SOURCE_DIR "/config/twiml-redirect.json", fake_env());
  EXPECT_EQ(config.server.port, 3000);
  EXPECT_TRUE(config.numbers.empty());
}

TEST(Config, ShippedExampleConfigParses) {
  // It requires signatures, as production should: the token is set.
  const service_config config = load_config_file(TWIML_SOURCE_DIR "/config/example-with-number.json",
                                                 fake_env({{"TWILIO_AUTH_TOKEN", "example-token"}}));
  EXPECT_EQ(config.numbers.size(), 1u);
  EXPECT_EQ(config.dial.answer_on_bridge, true);
  EXPECT_EQ(config.routing.unknown_numbers, unknown_number_policy::reject);
}

TEST(Config, ReadsEverySection) {
  const service_config config = parse_config(R"({
    "server":{"host":"127.0.0.1","port":8080,"threads":3,"idle_timeout_ms":5000,"drain_timeout_ms":2000,
              "max_connections":50,"header_limit_bytes":4096,"body_limit_bytes":2048},
    "sip":{"target":"sip.eu.synthflow.ai:32681"},
    "log":{"level":"debug","format":"json","access_log":false},
    "twilio":{"require_signature":false,"public_url":"https://voice.example.com/","trusted_proxies":["10.0.0.0/8"]},
    "synthflow":{"api_url":"https://api.eu.synthflow.ai/v2","provision_on_start":false,"request_timeout_ms":2500,
                 "max_attempts":3,"initial_backoff_ms":100,"max_backoff_ms":1000,"ca_file":"/tmp/ca.pem"}})",
                                             fake_env());
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.server.port, 8080);
  EXPECT_EQ(config.server.threads, 3u);
  EXPECT_EQ(config.server.idle_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(config.server.drain_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(config.server.max_connections, 50u);
  EXPECT_EQ(config.server.header_limit, 4096u);
  EXPECT_EQ(config.server.body_limit, 2048u);
  EXPECT_EQ(config.sip.target, "sip.eu.synthflow.ai:32681");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, log_format::json);
  EXPECT_FALSE(config.log.access_log);
  EXPECT_EQ(config.twilio.public_url, "https://voice.example.com");  // trailing slash dropped
  EXPECT_EQ(config.twilio.trusted_proxies, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(config.synthflow.api_url, "https://api.eu.synthflow.ai/v2");
  EXPECT_FALSE(config.synthflow.provision_on_start);
  EXPECT_EQ(config.synthflow.request_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config.synthflow.max_attempts, 3u);
  EXPECT_EQ(config.synthflow.ca_file, "/tmp/ca.pem");
}

// Synthflow's POST /custom-numbers answers 400 without a termination URI for every provider but
// five9, ringcx and zoom: whatever provisions (check-config, provision, serve with
// provision_on_start) is refused first, naming the key and what to put there.
TEST(ConfigPreconditions, ProvisionedNumberNeedsTheTerminationUriItsProviderRequires) {
  const auto missing_for = [](std::string_view synthflow) {
    const service_config config = parse_config(
        std::string(R"({"synthflow":{"workspace_id":"W1"},"numbers":[{"phone_number":"+14155550100",)") +
            R"("agent":{"name":"Reception"})" + std::string(synthflow) + "}]}",
        fake_env({{"SYNTHFLOW_API_KEY", "k"}}));
    return preconditions_of(config, command::provision).missing_settings();
  };
  const std::string missing = missing_for("");
  EXPECT_NE(missing.find("numbers[0].synthflow.termination_uri: is required"), std::string::npos) << missing;
  EXPECT_NE(missing.find("provider \"twilio\""), std::string::npos) << missing;
  EXPECT_NE(missing.find("pstn.twilio.com"), std::string::npos) << missing;
  EXPECT_NE(missing_for(R"(,"synthflow":{"provider":"vonage"})").find("provider \"vonage\""), std::string::npos);
  EXPECT_EQ(missing_for(R"(,"synthflow":{"provider":"zoom"})"), "") << "Synthflow fills zoom's in";
  EXPECT_EQ(missing_for(R"(,"synthflow":{"termination_uri":"acme.pstn.twilio.com"})"), "");
  const std::string unknown = error_of(
      R"({"numbers":[{"phone_number":"+14155550100","synthflow":{"provider":"skype","termination_uri":"x.example.com"}}]})");
  EXPECT_NE(unknown.find("numbers[0].synthflow.provider"), std::string::npos) << unknown;
  const service_config config = parse_config(
      R"({"numbers":[{"phone_number":"+14155550100","synthflow":{"termination_uri":"acme.pstn.twilio.com"}}]})",
      fake_env());
  EXPECT_EQ(config.numbers[0].synthflow.provider_or_default(), "twilio");
}

TEST(Config, ASipTargetThatIsNotSynthflowsIsWarnedAboutOnce) {
  const service_config config = parse_config(
      R"({"sip":{"target":"sbc.example.com:5060"},"failover":[{"sip_target":"sbc.example.com:5061"}],
          "numbers":[{"phone_number":"+14155550100","sip_target":"sip.eu.synthflow.ai:32681"}]})",
      fake_env());
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("sip target sbc.example.com is not a Synthflow host"), std::string::npos)
      << config.warnings[0];
  EXPECT_TRUE(parse_config(R"({"sip":{"target":"sip.us.synthflow.ai:32681"}})", fake_env()).warnings.empty());
}

TEST(Config, DeprecatedTerminationUriIsMovedWithAWarning) {
  const service_config config = parse_config(
      R"({"numbers":[{"phone_number":"+14155550100","termination_uri":"pbx.example.com","agent":{"name":"R"}}]})",
      fake_env());
  EXPECT_EQ(config.numbers[0].synthflow.termination_uri, "pbx.example.com");
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("numbers[0].synthflow.termination_uri"), std::string::npos) << config.warnings[0];
  const std::string both = error_of(
      R"({"numbers":[{"phone_number":"+14155550100","termination_uri":"a.example.com",
          "synthflow":{"termination_uri":"b.example.com"}}]})");
  EXPECT_NE(both.find("numbers[0].termination_uri"), std::string::npos) << both;
}

TEST(Config, ReadsNumbersAndResolvesTrunkPasswordFromEnv) {
  const service_config config = parse_config(kOneNumber, fake_env({{"TRUNK_PWD_MAIN", "s3cret"}}));
  ASSERT_EQ(config.numbers.size(), 1u);
  const number_config& number = config.numbers[0];
  EXPECT_EQ(number.phone_number, "+14155550100");
  EXPECT_EQ(number.trunk_pwd, "s3cret");
  EXPECT_EQ(number.synthflow.termination_uri, "pbx.example.com") << "moved from the deprecated place";
  EXPECT_EQ(number.synthflow.provider_or_default(), "custom") << "as the deprecated key was always imported";
  EXPECT_TRUE(number.termination_uri.empty());
  EXPECT_EQ(number.agent->name, "Reception");
  EXPECT_EQ(number.agent->voice_engine_version, "2.0");
  EXPECT_EQ(number.agent->extra, R"({"timezone":"Europe/Berlin"})");
}

TEST(Config, EnvironmentOverridesTheFile) {
  const service_config config = parse_config(R"({"server":{"port":1234}})",
                                             fake_env({{"PORT", "4000"},
                                                       {"HOST", "::1"},
                                                       {"SIP_TARGET", "sip.us.synthflow.ai:32681"},
                                                       {"LOG_LEVEL", "warn"},
                                                       {"LOG_FORMAT", "json"},
                                                       {"PUBLIC_URL", "https://hooks.example.com:8443"},
                                                       {"TWILIO_AUTH_TOKEN", "tok"},
                                                       {"SYNTHFLOW_API_URL", "http://127.0.0.1:9/v2"},
                                                       {"SYNTHFLOW_WORKSPACE_ID", "W9"},
                                                       {"SYNTHFLOW_API_KEY", "key"}}));
  EXPECT_EQ(config.server.port, 4000);
  EXPECT_EQ(config.server.host, "::1");
  EXPECT_EQ(config.sip.target, "sip.us.synthflow.ai:32681");
  EXPECT_EQ(config.log.level, "warn");
  EXPECT_EQ(config.log.format, log_format::json);
  EXPECT_EQ(config.twilio.public_url, "https://hooks.example.com:8443");
  EXPECT_EQ(config.twilio.auth_token, "tok");
  EXPECT_EQ(config.synthflow.api_url, "http://127.0.0.1:9/v2");
  EXPECT_EQ(config.synthflow.workspace_id, "W9");
  EXPECT_EQ(config.synthflow.api_key, "key");
}

TEST(Config, CommentsAreAllowed) {
  EXPECT_EQ(error_of("// a comment\n{ /* inline */ \"server\": {\"port\": 1}}"), "");
}

struct bad_case {
  std::string json;
  std::map<std::string, std::string> env;
  std::string expected;
  friend std::ostream& operator<<(std::ostream& out, const bad_case& c) { return out << c.json; }
};

class ConfigErrors : public ::testing::TestWithParam<bad_case> {};

TEST_P(ConfigErrors, NameTheKeyAndTheProblem) {
  EXPECT_EQ(error_of(GetParam().json, GetParam().env), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    EveryValidation, ConfigErrors,
    ::testing::Values(
        bad_case{"[]", {}, "(document): must be a JSON object"},
        bad_case{R"({"bogus":1})", {}, "bogus: is not a known key"},
        bad_case{R"({"server":{"prot":1}})", {}, "server.prot: is not a known key"},
        bad_case{R"({"server":[]})", {}, "server: must be a JSON object"},
        bad_case{R"({"server":{"port":70000}})", {}, "server.port: must be an integer from 0 to 65535"},
        bad_case{R"({"server":{"port":-1}})", {}, "server.port: must be an integer from 0 to 65535"},
        bad_case{R"({"server":{"port":"3000"}})", {}, "server.port: must be an integer from 0 to 65535"},
        bad_case{R"({"server":{"host":"localhost"}})", {}, "server.host: must be an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::)"},
        bad_case{R"({"server":{"host":7}})", {}, "server.host: must be a string"},
        bad_case{R"({"server":{"threads":1000}})", {}, "server.threads: must be an integer from 0 to 256"},
        bad_case{R"({"server":{"idle_timeout_ms":10}})", {}, "server.idle_timeout_ms: must be an integer from 100 to 3600000"},
        bad_case{R"({"server":{"drain_timeout_ms":1.5}})", {}, "server.drain_timeout_ms: must be an integer from 0 to 600000"},
        bad_case{R"({"server":{"max_connections":0}})", {}, "server.max_connections: must be an integer from 1 to 1000000"},
        bad_case{R"({"server":{"header_limit_bytes":10}})", {}, "server.header_limit_bytes: must be an integer from 1024 to 1048576"},
        bad_case{R"({"server":{"body_limit_bytes":999999999}})", {}, "server.body_limit_bytes: must be an integer from 1024 to 16777216"},
        bad_case{R"({"sip":{"target":"bad host"}})", {}, "sip.target: host may contain only letters, digits, '.' and '-'"},
        bad_case{R"({"sip":{"target":""}})", {}, "sip.target: is empty"},
        bad_case{R"({"sip":{"host":"x"}})", {}, "sip.host: is not a known key"},
        bad_case{R"({"log":{"level":"loud"}})", {}, "log.level: must be one of trace, debug, info, warn, error, critical, off (got \"loud\")"},
        bad_case{R"({"log":{"format":"xml"}})", {}, "log.format: must be \"text\" or \"json\" (got \"xml\")"},
        bad_case{R"({"log":{"access_log":"yes"}})", {}, "log.access_log: must be true or false"},
        bad_case{R"({"twilio":{"public_url":"voice.example.com"}})", {}, "twilio.public_url: must start with http:// or https://"},
        bad_case{R"({"twilio":{"public_url":"https://voice.example.com/hook?x=1"}})", {},
                 "twilio.public_url: must not have a query or fragment"},
        bad_case{R"({"twilio":{"public_url":"https://voice.example.com/hook#top"}})", {},
                 "twilio.public_url: must not have a query or fragment"},
        bad_case{R"({"twilio":{"public_url":"https://user:pw@voice.example.com"}})", {},
                 "twilio.public_url: must not carry credentials (user:password@); secrets come from the environment"},
        bad_case{R"({"twilio":{"public_url":"https://"}})", {}, "twilio.public_url: has no host"},
        bad_case{R"({"twilio":{"trusted_proxies":"10.0.0.0/8"}})", {}, "twilio.trusted_proxies: must be an array of strings"},
        bad_case{R"({"twilio":{"trusted_proxies":[1]}})", {}, "twilio.trusted_proxies[0]: must be a string"},
        bad_case{R"({"twilio":{"trusted_proxies":["10.0.0.0/8","10.0.0.0/33"]}})", {},
                 "twilio.trusted_proxies[1]: must be an IP address or CIDR such as 10.0.0.0/8 (got \"10.0.0.0/33\")"},
        bad_case{R"({"synthflow":{"api_url":"ftp://x"}})", {}, "synthflow.api_url: must start with https:// (or http:// for local tests)"},
        bad_case{R"({"synthflow":{"max_attempts":0}})", {}, "synthflow.max_attempts: must be an integer from 1 to 100"},
        bad_case{R"({"synthflow":{"request_timeout_ms":0}})", {}, "synthflow.request_timeout_ms: must be an integer from 100 to 600000"},
        bad_case{R"({"synthflow":{"initial_backoff_ms":500,"max_backoff_ms":100}})", {},
                 "synthflow.max_backoff_ms: must not be less than synthflow.initial_backoff_ms"},
        bad_case{R"({"synthflow":{"numbers":{}}})", {}, "synthflow.numbers: must be an array of number objects"},
        bad_case{R"({"synthflow":{"numbers":[{"agent":{"name":"a"}}]}})", {}, "synthflow.numbers[0].phone_number: is required"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"14155550100","agent":{"name":"a"}}]}})", {},
                 "synthflow.numbers[0].phone_number: must start with '+' (E.164, e.g. +14155550100)"},
        // Numbers at the top level, with their call handling; each error names its path.
        bad_case{R"({"numbers":[{"phone_number":"+1"}],"synthflow":{"numbers":[{"phone_number":"+14155550100"}]}})", {},
                 "numbers[0].phone_number: must have 2 to 15 digits after '+', has 1"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100"}],"synthflow":{"numbers":[{"phone_number":"+14155550101"}]}})",
                 {}, "synthflow.numbers: cannot be used together with the top-level numbers; move its entries to numbers"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100"},{"phone_number":"+14155550100"}]})", {},
                 "numbers[1].phone_number: is listed twice"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100"},{"phone_number":"+14155550101",
                     "failover":[{"sip_target":"a.example.com"},{"dial_number":"4155550100"}]}]})", {},
                 "numbers[1].failover[1].dial_number: must start with '+' (E.164, e.g. +14155550100)"},
        bad_case{R"({"failover":[{"say":"Sorry","redirect":"https://example.com/x"}]})", {},
                 "failover[0]: must have exactly one of sip_target, dial_number, say, redirect (has 2)"},
        bad_case{R"({"failover":[{}]})", {}, "failover[0]: must have exactly one of sip_target, dial_number, say, redirect (has 0)"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100","failover":[{"dial_number":"+14155550101","voice":"alice"}]}]})",
                 {}, "numbers[0].failover[0].voice: goes only with say"},
        bad_case{R"({"failover":[{"say":"line one\nline two"}]})", {},
                 "failover[0].say: must not contain control characters (line breaks, tabs)"},
        bad_case{R"({"failover":[{"redirect":"/relative"}]})", {}, "failover[0].redirect: must be an absolute http:// or https:// URL"},
        bad_case{R"({"failover":[{"redirect":"https://other.example.com/hooks/Redirect_Call/?x=1"}]})", {},
                 "failover[0].redirect: points back into this service (a /redirect_call path), which would dial the "
                 "agent again and loop; redirect to TwiML elsewhere"},
        bad_case{R"({"twilio":{"public_url":"https://voice.example.com/"},"numbers":[{"phone_number":"+14155550100",
                   "failover":[{"redirect":"https://VOICE.example.com/anything"}]}]})", {},
                 "numbers[0].failover[0].redirect: points back into this service (under twilio.public_url), which "
                 "would dial the agent again and loop; redirect to TwiML elsewhere"},
        bad_case{R"({})", {{"CALL_CONTEXT_TOKEN", "short-token"}},
                 "CALL_CONTEXT_TOKEN (environment): has 11 characters; use at least 32 random ones (e.g. `openssl "
                 "rand -hex 32`)"},
        bad_case{R"({})", {{"CALL_CONTEXT_TOKEN", "                                  "}},
                 "CALL_CONTEXT_TOKEN (environment): is blank"},
        bad_case{R"({"failover":[{"sip_target":"a b"}]})", {},
                 "failover[0].sip_target: host may contain only letters, digits, '.' and '-'"},
        bad_case{R"({"dial":{"timeout_s":4}})", {}, "dial.timeout_s: must be an integer from 5 to 600"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100","dial":{"record":"always"}}]})", {},
                 "numbers[0].dial.record: must be one of do-not-record, record-from-answer, record-from-ringing, "
                 "record-from-answer-dual, record-from-ringing-dual, true, false (got \"always\")"},
        bad_case{R"({"dial":{"answer_on_bridge":"yes"}})", {}, "dial.answer_on_bridge: must be true or false"},
        bad_case{R"({"routing":{"unknown_numbers":"drop"}})", {},
                 "routing.unknown_numbers: must be \"default\" or \"reject\" (got \"drop\")"},
        bad_case{R"({"transfer":{"allow":["1415"]}})", {},
                 "transfer.allow[0]: must be an E.164 number or prefix (\"+1415555*\") or a SIP address "
                 "(\"sip:desk@pbx.example.com\", \"sip:*@pbx.example.com\") (got \"1415\")"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100","transfer":{"allow":["sip:@pbx.example.com"]}}]})", {},
                 "numbers[0].transfer.allow[0]: has an empty user; use sip:*@host for any user"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100","sip_target":"host:0"}]})", {},
                 "numbers[0].sip_target: port must be a number from 1 to 65535"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{}}]}})", {},
                 "synthflow.numbers[0].agent.name: is required"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":""}}]}})", {},
                 "synthflow.numbers[0].agent.name: must not be empty"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a","tone":"x"}}]}})", {},
                 "synthflow.numbers[0].agent.tone: is not a known key"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a","extra":[]}}]}})", {},
                 "synthflow.numbers[0].agent.extra: must be a JSON object of agent fields"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","trunk_pwd_env":"BAD-NAME","agent":{"name":"a"}}]}})", {},
                 "synthflow.numbers[0].trunk_pwd_env: must be the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*)"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}},
                                             {"phone_number":"+14155550100","agent":{"name":"b"}}]}})", {},
                 "synthflow.numbers[1].phone_number: is listed twice"},
        bad_case{"{}", {{"PORT", "http"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "99999"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "30 00"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "+3000"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "-1"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "3000 "}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "0x10"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"PORT", "18446744073709551616"}}, "PORT (environment, server.port): must be an integer from 0 to 65535"},
        bad_case{"{}", {{"HOST", "example.com"}},
                 "HOST (environment, server.host): must be an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::)"},
        bad_case{"{}", {{"LOG_LEVEL", "verbose"}},
                 "LOG_LEVEL (environment, log.level): must be one of trace, debug, info, warn, error, critical, off (got \"verbose\")"},
        bad_case{"{}", {{"LOG_FORMAT", "yaml"}},
                 "LOG_FORMAT (environment, log.format): must be \"text\" or \"json\" (got \"yaml\")"},
        bad_case{"{}", {{"SIP_TARGET", "a b"}},
                 "SIP_TARGET (environment, sip.target): host may contain only letters, digits, '.' and '-'"},
        bad_case{"{}", {{"PUBLIC_URL", "https://voice.example.com?x=1"}},
                 "PUBLIC_URL (environment, twilio.public_url): must not have a query or fragment"},
        bad_case{"{}", {{"SYNTHFLOW_API_URL", "https://u:p@api.synthflow.ai/v2"}},
                 "SYNTHFLOW_API_URL (environment, synthflow.api_url): must not carry credentials (user:password@); "
                 "secrets come from the environment"},
        // synthflow.api_url goes through the parser the HTTP client uses (util::parse_http_url).
        bad_case{R"({"synthflow":{"api_url":"https://u:p@api.synthflow.ai/v2"}})", {},
                 "synthflow.api_url: must not carry credentials (user:password@); secrets come from the environment"},
        bad_case{R"({"synthflow":{"api_url":"https://api.synthflow.ai:0/v2"}})", {},
                 "synthflow.api_url: has an invalid port (1 to 65535)"},
        bad_case{R"({"synthflow":{"api_url":"https://api.synthflow.ai:99999/v2"}})", {},
                 "synthflow.api_url: has an invalid port (1 to 65535)"},
        bad_case{R"({"synthflow":{"api_url":"https://api.synthflow.ai/v2?region=eu"}})", {},
                 "synthflow.api_url: must not have a query or fragment"},
        // Each refusal says what to fix, not where Boost.URL's grammar stopped ("leftover", "mismatch").
        bad_case{R"({"synthflow":{"api_url":"https://api.synthflow.ai/v2#x"}})", {},
                 "synthflow.api_url: must not have a query or fragment"},
        bad_case{R"({"synthflow":{"api_url":"api.synthflow.ai/v2"}})", {},
                 "synthflow.api_url: must start with https:// (or http:// for local tests) followed by the host (no "
                 "scheme found)"},
        bad_case{R"({"synthflow":{"api_url":"https://api.synthflow.ai/v 2"}})", {},
                 "synthflow.api_url: must not contain spaces or control characters"},
        bad_case{R"({"synthflow":{"api_url":"https:///v2"}})", {}, "synthflow.api_url: has no host"},
        bad_case{R"({"synthflow":{"api_url":"https://api.synth{flow}.ai/v2"}})", {},
                 "synthflow.api_url: has a character a URL cannot hold in its host, port or path (escape it as %XX)"},
        bad_case{R"({"synthflow":{"api_url":""}})", {}, "synthflow.api_url: is empty"},
        bad_case{R"({"twilio":{"api_url":"api.twilio.com"}})", {},
                 "twilio.api_url: must start with https:// (or http:// for local tests) followed by the host (no "
                 "scheme found)"},
        // Error paths through lists of objects name the element.
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}},
                                             {"phone_number":"+14155550101","agent":{"name":"b"}},
                                             {"phone_number":"+14155550102","agent":{"prompt":"c"}}]}})", {},
                 "synthflow.numbers[2].agent.name: is required"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}},
                                             {"phone_number":"+14155550101","agent":{"name":"b","voice_id":7}}]}})", {},
                 "synthflow.numbers[1].agent.voice_id: must be a string"},
        // Secrets come from the environment only; in the file they are refused, saying where they go.
        bad_case{R"({"synthflow":{"api_key":"sk-in-the-file"}})", {},
                 "synthflow.api_key: is a secret, read only from the environment (SYNTHFLOW_API_KEY), never from the "
                 "file, which ends up in repositories and ConfigMaps: remove it here and set the variable"},
        bad_case{R"({"twilio":{"auth_token":"in-the-file"}})", {},
                 "twilio.auth_token: is a secret, read only from the environment (TWILIO_AUTH_TOKEN), never from the "
                 "file, which ends up in repositories and ConfigMaps: remove it here and set the variable"},
        bad_case{R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","trunk_pwd":"x","agent":{"name":"a"}}]}})", {},
                 "synthflow.numbers[0].trunk_pwd: is a secret, read only from the environment (the variable "
                 "trunk_pwd_env names), never from the file, which ends up in repositories and ConfigMaps: remove it "
                 "here and set the variable"},
        // SIP headers: the map's errors name the header.
        bad_case{R"({"sip":{"x_ei":"raw"}})", {}, "sip.x_ei: must be \"call_sid\" or \"tokens\" (got \"raw\")"},
        bad_case{R"({"sip":{"headers":["X-A"]}})", {}, "sip.headers: must be a JSON object of strings"},
        bad_case{R"({"sip":{"headers":{"X-A":1}}})", {}, "sip.headers.X-A: must be a string"},
        bad_case{R"({"sip":{"headers":{"X-EI":"1"}}})", {}, "sip.headers.X-EI: must not be X-EI, which sip.x_ei sets"},
        bad_case{R"({"sip":{"headers":{"X-twilio-x":"1"}}})", {},
                 "sip.headers.X-twilio-x: must not start with X-Twilio (Twilio omits such headers)"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100"},
                                {"phone_number":"+14155550101","sip":{"headers":{"X-Bad name":"1"}}}]})", {},
                 "numbers[1].sip.headers.X-Bad name: must be X- followed by letters, digits, '_' or '-' (^X-[A-Za-z0-9_-]+$)"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100","sip":{"headers":{"X-City":"{From City}"}}}]})", {},
                 "numbers[0].sip.headers.X-City: must be fixed text or one webhook parameter in braces, e.g. \"{FromCity}\""},
        bad_case{R"({"sip":{"headers":{"X-Foo":"1","X-FOO":"2"}}})", {},
                 "sip.headers.X-Foo: is the same SIP header as X-FOO (header names ignore case)"},
        bad_case{R"({"sip":{"headers":{"X-Foo":"1"}},"numbers":[{"phone_number":"+14155550100","sip":{"headers":{"X-foo":"2"}}}]})", {},
                 "numbers[0].sip.headers.X-foo: is the same SIP header as X-Foo (header names ignore case)"},
        bad_case{R"({"numbers":[{"phone_number":"+14155550100","sip":{"x_ei":"E"}}]})", {},
                 "numbers[0].sip.x_ei: must be \"call_sid\" or \"tokens\" (got \"E\")"},
        bad_case{R"({"twilio":{"api_secret":"in-the-file"}})", {},
                 "twilio.api_secret: is a secret, read only from the environment (TWILIO_API_SECRET), never from the "
                 "file, which ends up in repositories and ConfigMaps: remove it here and set the variable"},
        // Twilio's REST API.
        bad_case{R"({"twilio":{"account_sid":"AC123"}})", {},
                 "twilio.account_sid: must be AC followed by 32 hexadecimal digits (the Account SID on the Twilio "
                 "Console's home page)"},
        bad_case{R"({"twilio":{"manage_numbers":"yes"}})", {},
                 "twilio.manage_numbers: must be one of auto, true, false (got \"yes\")"},
        bad_case{R"({"twilio":{"voice_fallback_url":"fallback.example.com"}})", {},
                 "twilio.voice_fallback_url: must be an absolute http:// or https:// URL"},
        bad_case{R"({"twilio":{"api_url":"https://api.twilio.com?x=1"}})", {},
                 "twilio.api_url: must not have a query or fragment"},
        bad_case{R"({"twilio":{"account_sid":"AC0123456789abcdef0123456789abcdef"}})", {},
                 "twilio.public_url: is required when Twilio numbers are managed (twilio.manage_numbers, on by "
                 "default with an account SID): it is where VoiceUrl points (set PUBLIC_URL, or "
                 "twilio.manage_numbers to false)"},
        bad_case{"{}", {{"TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"}},
                 "twilio.public_url: is required when Twilio numbers are managed (twilio.manage_numbers, on by "
                 "default with an account SID): it is where VoiceUrl points (set PUBLIC_URL, or "
                 "twilio.manage_numbers to false)"},
        bad_case{R"({"twilio":{"manage_numbers":"true","public_url":"https://voice.example.com"}})", {},
                 "twilio.account_sid: is required when twilio.manage_numbers is true (or set TWILIO_ACCOUNT_SID)"},
        bad_case{"{}", {{"TWILIO_API_KEY", "SKabc"}},
                 "TWILIO_API_SECRET (environment): is required with TWILIO_API_KEY (an API key is its SID and its "
                 "secret)"}),
    [](const ::testing::TestParamInfo<bad_case>& info) { return "case" + std::to_string(info.index); });

TEST(Config, NotJsonNamesTheProblem) {
  const std::string message = error_of("{\"server\": ");
  EXPECT_NE(message.find("(document): not valid JSON"), std::string::npos) << message;
}

TEST(Config, NumberTooLargeIsAConfigError) {
  // Found by fuzzing: nlohmann reports this as out_of_range, not parse_error, so it used to escape
  // parse_config and end the process as a "fatal" runtime failure (exit 1) instead of exit 2.
  const std::string message = error_of(R"({"server":{"port":1e400}})");
  EXPECT_NE(message.find("(document): not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("number overflow"), std::string::npos) << message;
}

TEST(Config, KeyGivenTwiceIsAnErrorNamingItsPath) {
  EXPECT_EQ(error_of(R"({"server":{"port":1,"port":2}})"), "server.port: is given twice (only one value can count)");
  EXPECT_EQ(error_of(R"({"log":{},"log":{}})"), "log: is given twice (only one value can count)");
  EXPECT_EQ(error_of(R"({"synthflow":{"numbers":[{"phone_number":"+14155550100","agent":{"name":"a"}},
                       {"phone_number":"+14155550101","agent":{"name":"b","extra":{"x":[1,{"y":1,"y":2}]},"name":"c"}}]}})"),
            "synthflow.numbers[1].agent.extra.x[1].y: is given twice (only one value can count)");
  // The same key in different objects is fine.
  EXPECT_EQ(error_of(R"({"server":{"port":1},"log":{"level":"info"},"sip":{"target":"a.example.com"}})"), "");
}

TEST(Config, NulByteIsAnErrorNotTheEndOfTheDocument) {
  const std::string text = std::string(R"({"server":{"port":1}})") + '\0' + R"(, "junk")";
  EXPECT_EQ(error_of(text), "(document): contains a NUL byte at offset 21");
}

TEST(Config, EnvironmentValueThatIsNotUtf8IsAConfigError) {
  EXPECT_EQ(error_of("{}", {{"SIP_TARGET", "sip\xFF.example.com"}}), "SIP_TARGET (environment): is not valid UTF-8");
}

TEST(Config, MissingFileNamesThePath) {
  try {
    load_config_file("/nonexistent/twiml.json", fake_env());
    FAIL() << "expected config_error";
  } catch (const config_error& error) {
    EXPECT_EQ(std::string(error.what()), "/nonexistent/twiml.json: cannot be opened for reading");
  }
}

TEST(Config, ProvisioningInputsAreCheckedSeparately) {
  service_config config = parse_config(kOneNumber, fake_env());
  EXPECT_EQ(check_provisioning_inputs(config.synthflow, config.numbers),
            "SYNTHFLOW_API_KEY (environment): is required when a number has an agent");
  config = parse_config(kOneNumber, fake_env({{"SYNTHFLOW_API_KEY", "k"}}));
  EXPECT_EQ(check_provisioning_inputs(config.synthflow, config.numbers),
            "numbers[0].trunk_pwd_env: environment variable TRUNK_PWD_MAIN is not set");
  config = parse_config(kOneNumber, fake_env({{"SYNTHFLOW_API_KEY", "k"}, {"TRUNK_PWD_MAIN", "p"}}));
  EXPECT_EQ(check_provisioning_inputs(config.synthflow, config.numbers), std::nullopt);
  config.synthflow.workspace_id.clear();
  EXPECT_EQ(check_provisioning_inputs(config.synthflow, config.numbers),
            "synthflow.workspace_id: is required when a number has an agent (or set SYNTHFLOW_WORKSPACE_ID)");
}

// Secrets are not the file's business: a config that needs them parses without them, and
// preconditions_of names every one that is missing, for the command that needs it.
// sip target "auto": the SIP host of the region whose API synthflow.api_url names.
// Prefixes under 5 digits reach premium-rate numbers: refused unless allow_short_prefixes says so,
// top level or per number (a number's own value wins).
TEST(ConfigTransfer, ShortPrefixesNeedAnExplicitYes) {
  const auto error_of = [](const std::string& json) {
    try {
      parse_config(json, fake_env());
    } catch (const config_error& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of(R"({"transfer":{"allow":["+1*"]}})").find("transfer.allow[0]: \"+1*\" has fewer than 5 digits"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"transfer":{"allow":["+1*"],"allow_short_prefixes":true}})"), "");
  EXPECT_NE(error_of(R"({"numbers":[{"phone_number":"+14155550100","transfer":{"allow":["+44*"]}}]})")
                .find("numbers[0].transfer.allow[0]"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"transfer":{"allow_short_prefixes":true},
                        "numbers":[{"phone_number":"+14155550100","transfer":{"allow":["+44*"]}}]})"),
            "");
  EXPECT_NE(error_of(R"({"transfer":{"allow_short_prefixes":true},
                        "numbers":[{"phone_number":"+14155550100","transfer":{"allow":["+44*"],"allow_short_prefixes":false}}]})")
                .find("fewer than 5 digits"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"transfer":{"allow":["+44207*"]}})"), "");
  EXPECT_NE(error_of(R"({"transfer":{"allow":["+1"]}})").find("too short to be a whole number"), std::string::npos);
}

TEST(ConfigSipTarget, AutoFollowsTheApiRegion) {
  const service_config us = parse_config(R"({"synthflow":{"api_url":"https://api.us.synthflow.ai/v2"},
      "sip":{"target":"auto"},"failover":[{"sip_target":"auto"}],
      "numbers":[{"phone_number":"+14155550100","sip_target":"auto"},{"phone_number":"+14155550101"}]})",
                                         fake_env());
  EXPECT_EQ(us.sip.target, "sip.us.synthflow.ai:32681");
  EXPECT_EQ(us.failover.at(0).sip_target, "sip.us.synthflow.ai:32681");
  EXPECT_EQ(us.numbers.at(0).sip_target, "sip.us.synthflow.ai:32681");
  EXPECT_TRUE(us.warnings.empty());
  const service_config eu =
      parse_config(R"({"synthflow":{"api_url":"https://API.EU.synthflow.ai/v2"},"sip":{"target":"auto"}})", fake_env());
  EXPECT_EQ(eu.sip.target, "sip.eu.synthflow.ai:32681");
  // The legacy Global cluster: its host, and a warning that it is being retired.
  const service_config global = parse_config(R"({"sip":{"target":"auto"}})", fake_env());
  EXPECT_EQ(global.sip.target, "sip.synthflow.ai:32681");
  ASSERT_EQ(global.warnings.size(), 1u);
  EXPECT_NE(global.warnings[0].find("retires by the end of 2026"), std::string::npos) << global.warnings[0];
  // Not Synthflow's API: the guide's host, with a warning.
  const service_config private_setup =
      parse_config(R"({"synthflow":{"api_url":"https://synthflow.internal.example/v2"},"sip":{"target":"auto"}})",
                   fake_env());
  EXPECT_EQ(private_setup.sip.target, "sipin.synthflow.ai:32681");
  ASSERT_EQ(private_setup.warnings.size(), 1u);
  EXPECT_NE(private_setup.warnings[0].find("region is unknown"), std::string::npos);
  // An explicit host stays as written.
  EXPECT_EQ(parse_config(R"({"sip":{"target":"pbx.example.com:5060"}})", fake_env()).sip.target, "pbx.example.com:5060");
}

TEST(ConfigPreconditions, EveryMissingSecretIsNamedAtOnce) {
  const std::string json = R"({"twilio":{"require_signature":true},"numbers":[{"phone_number":"+14155550100",
    "trunk_pwd_env":"TRUNK_PWD_MAIN","synthflow":{"termination_uri":"acme.pstn.twilio.com"},"agent":{"name":"Reception"}}],
    "synthflow":{"workspace_id":"W1"}})";
  const service_config config = parse_config(json, fake_env());
  const preconditions serve = preconditions_of(config, command::serve);
  EXPECT_TRUE(serve.settings.empty());
  EXPECT_EQ(serve.describe("serve"),
            "serve needs these environment variables, which are not set: TWILIO_AUTH_TOKEN (twilio.require_signature "
            "is true; TWILIO_SHARED_KEYS also satisfies it), SYNTHFLOW_API_KEY (a number has an agent and synthflow.provision_on_start is true), "
            "TRUNK_PWD_MAIN (numbers[0].trunk_pwd_env)");
  // provision does not check signatures: it needs only what provisioning needs.
  EXPECT_EQ(preconditions_of(config, command::provision).describe("provision"),
            "provision needs these environment variables, which are not set: SYNTHFLOW_API_KEY (a number has an "
            "agent), TRUNK_PWD_MAIN (numbers[0].trunk_pwd_env)");
  const service_config all_set = parse_config(
      json, fake_env({{"TWILIO_AUTH_TOKEN", "t"}, {"SYNTHFLOW_API_KEY", "k"}, {"TRUNK_PWD_MAIN", "p"}}));
  EXPECT_TRUE(preconditions_of(all_set, command::serve).met());
  EXPECT_TRUE(preconditions_of(all_set, command::provision).met());
  EXPECT_EQ(preconditions_of(all_set, command::serve).describe("serve"), "");
}

TEST(ConfigPreconditions, ServeNeedsProvisioningInputsOnlyWhenItProvisions) {
  service_config config = parse_config(R"({"synthflow":{"provision_on_start":false},"numbers":[{"phone_number":
    "+14155550100","synthflow":{"termination_uri":"acme.pstn.twilio.com"},"agent":{"name":"Reception"}}]})", fake_env());
  EXPECT_TRUE(preconditions_of(config, command::serve).met());
  const preconditions provision = preconditions_of(config, command::provision);
  EXPECT_EQ(provision.missing_settings(),
            "synthflow.workspace_id: is required when a number has an agent (or set SYNTHFLOW_WORKSPACE_ID)");
  EXPECT_EQ(provision.missing_secrets("provision"),
            "provision needs this environment variable, which is not set: SYNTHFLOW_API_KEY (a number has an agent)");
  // Numbers without agents need no Synthflow key at all.
  config = parse_config(R"({"numbers":[{"phone_number":"+14155550100"}]})", fake_env());
  EXPECT_TRUE(preconditions_of(config, command::provision).met());
  EXPECT_FALSE(provisions_synthflow(config));
}

TEST(ConfigPreconditions, CallContextActionNeedsTheToken) {
  const service_config config = parse_config(
      R"({"context":{"synthflow_action":true},"twilio":{"public_url":"https://x.example"}})", fake_env());
  EXPECT_EQ(preconditions_of(config, command::serve).missing_secrets("serve"),
            "serve needs this environment variable, which is not set: CALL_CONTEXT_TOKEN (context.synthflow_action is "
            "true)");
}

TEST(Config, TwilioNumbersAreManagedWhenAnAccountSidIsSet) {
  const std::string sid = "AC0123456789abcdef0123456789abcdef";
  EXPECT_FALSE(parse_config("{}", fake_env()).twilio.manages_numbers());
  const auto with_sid = parse_config("{}", fake_env({{"TWILIO_ACCOUNT_SID", sid}, {"PUBLIC_URL", "https://v.example.com"}}));
  EXPECT_TRUE(with_sid.twilio.manages_numbers());
  EXPECT_EQ(with_sid.twilio.account_sid, sid);
  EXPECT_FALSE(parse_config(R"({"twilio":{"manage_numbers":"false","account_sid":")" + sid + R"("}})", fake_env())
                   .twilio.manages_numbers());
  EXPECT_EQ(parse_config("{}", fake_env({{"TWILIO_API_URL", "https://api.dublin.ie1.twilio.com"}})).twilio.api_url,
            "https://api.dublin.ie1.twilio.com");
}

TEST(Config, TwilioCredentialsAreCheckedWhenNumbersAreManaged) {
  twilio_config twilio;
  EXPECT_EQ(check_twilio_provisioning_inputs(twilio),
            "TWILIO_API_KEY and TWILIO_API_SECRET (environment), or TWILIO_AUTH_TOKEN: one is required when Twilio "
            "numbers are managed (twilio.manage_numbers)");
  twilio.auth_token = "token";
  EXPECT_EQ(check_twilio_provisioning_inputs(twilio), std::nullopt);
  twilio.auth_token.clear();
  twilio.api_key = "SKkey";
  twilio.api_secret = "secret";
  EXPECT_EQ(check_twilio_provisioning_inputs(twilio), std::nullopt);
}

TEST(ConfigPreconditions, TwilioCredentialsAreNeededWhenNumbersAreManaged) {
  const std::string json = R"({"twilio":{"account_sid":"AC0123456789abcdef0123456789abcdef","public_url":
    "https://v.example.com"},"numbers":[{"phone_number":"+14155550100"}]})";
  EXPECT_EQ(preconditions_of(parse_config(json, fake_env()), command::provision).missing_secrets("provision"),
            "provision needs this environment variable, which is not set: TWILIO_API_KEY and TWILIO_API_SECRET, or "
            "TWILIO_AUTH_TOKEN (Twilio numbers are managed (twilio.manage_numbers))");
  EXPECT_TRUE(preconditions_of(parse_config(json, fake_env({{"TWILIO_AUTH_TOKEN", "t"}})), command::provision).met());
  EXPECT_TRUE(preconditions_of(parse_config(json, fake_env({{"TWILIO_API_KEY", "SKk"}, {"TWILIO_API_SECRET", "s"}})),
                               command::provision)
                  .met());
}

TEST(Config, DescribeRedactsSecrets) {
  const service_config config = parse_config(
      kOneNumber, fake_env({{"SYNTHFLOW_API_KEY", "sk-live-123"}, {"TRUNK_PWD_MAIN", "trunkpass"}, {"TWILIO_AUTH_TOKEN", "tw-tok"}}));
  const std::string described = describe_config(config);
  EXPECT_EQ(described.find("sk-live-123"), std::string::npos);
  EXPECT_EQ(described.find("trunkpass"), std::string::npos);
  EXPECT_EQ(described.find("tw-tok"), std::string::npos);
  EXPECT_NE(described.find("\"api_key\":\"<redacted>\""), std::string::npos) << described;
  EXPECT_NE(described.find("\"trunk_pwd_env\":\"TRUNK_PWD_MAIN\""), std::string::npos);
  const std::string unset = describe_config(parse_config("{}", fake_env()));
  EXPECT_NE(unset.find("\"auth_token\":\"<unset>\""), std::string::npos) << unset;
}

TEST(Config, TransfersWithoutAnswerOnBridgeAreWarnedAbout) {
  const service_config top = parse_config(R"({"transfer": {"allow": ["+14155*"]}})", fake_env());
  ASSERT_EQ(top.warnings.size(), 1u);
  EXPECT_EQ(top.warnings[0], "transfer.allow is set but dial.answer_on_bridge is not true: a refused or unanswered "
                             "transfer drops the caller instead of returning them to the agent");
  EXPECT_TRUE(parse_config(R"({"transfer": {"allow": ["+14155*"]}, "dial": {"answer_on_bridge": true}})", fake_env())
                  .warnings.empty());
  const service_config numbers = parse_config(R"({"dial": {"answer_on_bridge": true}, "numbers": [
      {"phone_number": "+14155550100", "transfer": {"allow": ["+14155*"]}},
      {"phone_number": "+14155550101", "transfer": {"allow": ["+14155*"]}, "dial": {"answer_on_bridge": false}}]})",
                                              fake_env());
  ASSERT_EQ(numbers.warnings.size(), 1u);
  EXPECT_TRUE(numbers.warnings[0].starts_with("numbers[1].transfer.allow is set but numbers[1].dial.answer_on_bridge"))
      << numbers.warnings[0];
}

}  // namespace
}  // namespace twiml_redirect::config
