#pragma once
// The service's whole configuration: a JSON file, then environment overrides, validated once at
// startup. Nothing here does I/O except load_config_file(); the rest is pure and unit-tested.
// Every key is described once, in src/config/schema.cpp; reading, environment overrides, validation,
// describe_config and describe_schema are derived from that table. Adding a key: a member here and a
// row there. No JSON library in this header: the HTTP server includes it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/http/settings.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::config {

// The HTTP server's own settings, read from the `server` section.
using server_config = http::server_settings;

// The SIP headers each dial carries to Synthflow: how X-EI holds the CallSid, and extra X- headers,
// name -> fixed text or "{Param}" (a webhook parameter). A number's own headers go over these name
// by name; its "" for a name drops that header for the number.
struct sip_headers_config {
  std::optional<std::string> x_ei;  // "call_sid" or "tokens"; unset: the top-level one
  std::map<std::string, std::string> headers;
};

struct sip_config {
  // host[:port] of Synthflow's SIP ingress that Twilio dials; "auto" (here and in a number's or a
  // failover step's sip_target): the SIP host of the region whose API synthflow.api_url names,
  // resolved when the configuration is read (resolve_auto_sip_target).
  std::string target = "sipin.synthflow.ai:32681";
  // X-EI=CA… ("call_sid", the bytes from before the option) or Synthflow's token X-EI=E.CA…%3B ("tokens").
  std::string x_ei = "call_sid";
  std::map<std::string, std::string> headers;  // as in sip_headers_config
};

// The log section is util's own settings struct: util sits below config and must not include it.
using log_format = util::log_format;
using log_config = util::log_settings;

// Whether `provision` (and serve's provisioning) points each number's Twilio settings at the service.
enum class number_management {
  when_account_sid,  // "auto": managed when twilio.account_sid is set
  on,                // "true"
  off,               // "false"
};

// How the service reaches one REST API (Twilio's, Synthflow's): the same six keys in each API's
// section, so a new API's section reuses them (schema.cpp adds their rows in one call).
struct api_transport {
  std::string api_url;
  std::string ca_file;  // extra CA bundle for a private CA (SSL_CERT_FILE also works)
  std::chrono::milliseconds request_timeout{10'000};
  unsigned max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
};

struct twilio_config : api_transport {
  twilio_config() { api_url = "https://api.twilio.com"; }

  bool require_signature = false;
  // e.g. https://voice.example.com or https://example.com/voice (no trailing '/'); empty: derive per request
  std::string public_url;
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-* headers are believed
  std::string auth_token;                 // from TWILIO_AUTH_TOKEN only; never logged
  // Webhook shared keys, "KSaaa:secret,KSbbb:secret" (twilio::parse_shared_keys); from
  // TWILIO_SHARED_KEYS only; never logged.
  std::string shared_keys;
  // HTTP Basic credentials Twilio must present on the routes it calls (it puts them in the webhook
  // URL as user:password@); both empty: not required. The password from TWILIO_WEBHOOK_PASSWORD
  // only; never logged.
  std::string webhook_user;
  std::string webhook_password;
  // True when some secret can check a webhook's signature.
  bool checks_signatures() const { return !auth_token.empty() || !shared_keys.empty(); }
  // The REST API, for pointing numbers at the service.
  std::string account_sid;  // AC + 32 hex digits; not a secret
  number_management manage_numbers = number_management::when_account_sid;
  std::string voice_fallback_url;  // VoiceFallbackUrl of every number unless the number sets one; empty: unmanaged
  std::string api_key;     // from TWILIO_API_KEY only (SK...); with api_secret, preferred over the auth token
  std::string api_secret;  // from TWILIO_API_SECRET only; never logged
  // Twilio's Monitor API (alerts), on its own host; read by `doctor` only.
  std::string monitor_url = "https://monitor.twilio.com";

  // Whether numbers' Twilio settings are managed, "auto" resolved.
  bool manages_numbers() const {
    return manage_numbers == number_management::on ||
           (manage_numbers == number_management::when_account_sid && !account_sid.empty());
  }
};

struct agent_config {
  std::string name;
  std::string prompt;
  std::string greeting_message;
  std::string llm;
  std::string language;
  std::string voice_id;
  std::string voice_engine_version = "2.0";
  // Other documented agent fields, passed through: the text of a JSON object (validated as one when
  // read), kept as text so that this header needs no JSON library.
  std::string extra = "{}";
};

// <Dial> options. Each one that is unset adds no attribute, so Twilio's own default applies and a
// config without them answers the same bytes as before they existed. A number's own value of a key
// wins over the top-level `dial` block's, key by key.
struct dial_config {
  std::optional<unsigned> timeout_s;         // ring time before no-answer, 5-600 (Twilio adds 5 s)
  std::optional<bool> answer_on_bridge;      // caller hears ringing until the agent answers
  std::optional<unsigned> time_limit_s;      // longest call
  std::optional<std::string> record;         // one of Twilio's record values
  std::optional<std::string> ring_tone;      // ISO country code of the ringback tone
};

// One step of a failover plan, tried in order when the dial before it ends busy, unanswered or
// failed. Exactly one of the four kinds is set (config.cpp checks).
struct failover_step {
  std::optional<std::string> sip_target;   // dial the same call into another Synthflow region
  std::optional<std::string> dial_number;  // dial a person (E.164)
  std::optional<std::string> say;          // speak this, then hang up
  std::optional<std::string> voice;        // with say: Twilio's voice name
  std::optional<std::string> language;     // with say: language tag, e.g. en-US
  std::optional<std::string> redirect;     // hand the call to this TwiML URL
};

// Where the agent may send a caller with a SIP REFER. An empty list: no referUrl, transfers refused
// by Twilio as before.
struct transfer_config {
  // "+14155550199" (that number), "+1415555*" (numbers starting with it), "sip:desk@pbx.example.com",
  // "sip:*@pbx.example.com"
  std::optional<std::vector<std::string>> allow;
  // Lets prefixes with fewer than 5 digits ("+1*", "+44*") into `allow`: they cover premium-rate
  // and far-away numbers (toll fraud). A number's own value wins over the top level's.
  std::optional<bool> allow_short_prefixes;
};

// How Synthflow imports a number (POST /custom-numbers). Its reference requires a termination URI
// for every provider but five9, ringcx and zoom (it fills theirs in) and answers 400 without one.
struct number_synthflow_config {
  std::optional<std::string> provider;  // provider_name; unset: "twilio" (a number this service routes is Twilio's)
  // SIP domain Synthflow sends outbound calls and transfers it places for this number to, e.g. the
  // account's Elastic SIP Trunk termination domain (example.pstn.twilio.com).
  std::string termination_uri;

  std::string provider_or_default() const { return provider.value_or("twilio"); }
  // Whether Synthflow refuses an import of this provider without a termination URI.
  bool needs_termination_uri() const;
};

struct number_config {
  std::string phone_number;  // E.164
  std::string friendly_name;
  std::string trunk_username;
  std::string trunk_pwd_env;  // name of the env var that holds the trunk password
  std::string trunk_pwd;      // resolved from trunk_pwd_env at load time; never logged
  number_synthflow_config synthflow;
  // The old place of synthflow.termination_uri: still read, moved there with a warning.
  std::string termination_uri;
  // The inbound agent provisioning creates; a number without one is routed but not provisioned.
  std::optional<agent_config> agent;
  // Call handling; each unset key falls back to the top-level one.
  std::optional<std::string> sip_target;  // host[:port]; default sip.target
  sip_headers_config sip;
  dial_config dial;
  std::optional<std::vector<failover_step>> failover;
  transfer_config transfer;
  // Fixed strings /call_context adds to the caller's variables for calls to this number (a
  // business name, opening hours). Names may not reuse the caller variables' names.
  std::map<std::string, std::string> variables;
  // Twilio's VoiceFallbackUrl for this number; empty: twilio.voice_fallback_url.
  std::string voice_fallback_url;
  // The share of this number's calls that go to the agent (decided by a hash of the CallSid); the
  // rest take the first failover step straight away. 1.0: all.
  double ai_share = 1.0;
};

struct synthflow_config : api_transport {
  synthflow_config() { api_url = "https://api.synthflow.ai/v2"; }
  std::string workspace_id;
  std::string api_key;  // from SYNTHFLOW_API_KEY only; never logged
  bool provision_on_start = true;
  // The old place of the top-level `numbers`: still read, moved there with a warning.
  std::vector<number_config> numbers;
};

enum class context_store { memory, redis };

// Caller context: what /redirect_call records about a call and /call_context answers to Synthflow's
// pre-call action.
// CALL_CONTEXT_TOKEN's shortest accepted length: 32 random characters cannot be guessed.
inline constexpr std::size_t kMinContextTokenLength = 32;

struct context_config {
  context_store store = context_store::memory;
  std::uint32_t ttl_s = 3600;            // how long a call's record is kept
  std::size_t max_entries = 1'000'000;   // memory store: records at most; the oldest go first
  // Memory store: bytes its records may take at most (the records themselves plus the index's and
  // queue's share of each); the oldest go first. Sized for the shipped pod's 128 MiB limit.
  std::size_t max_bytes = 32 * 1024 * 1024;
  std::chrono::milliseconds lookup_timeout{500};
  std::string redis_url;       // redis://[user@]host:port/db
  std::string redis_password;  // from CALL_CONTEXT_REDIS_PASSWORD only; never logged
  std::string token;           // from CALL_CONTEXT_TOKEN only; never logged. Empty: no /call_context
  std::string calls_token;     // from CALLS_TOKEN only; never logged. Reads /calls/{CallSid}, not /call_context
  bool synthflow_action = false;  // provision the pre-call action that calls /call_context
};

// What /redirect_call does with a Called number that is not configured.
enum class unknown_number_policy {
  route_default,  // dial it with the top-level settings (the service's behaviour before routing)
  reject,         // <Reject reason="rejected"/>: not answered, not billed
};

struct routing_config {
  unknown_number_policy unknown_numbers = unknown_number_policy::route_default;
};

// The circuit breaker per SIP target (routing/breaker.hpp): the agent legs' outcomes, heard at the
// <Dial> action, open it; while open, calls take their first failover step without a SIP attempt.
struct health_config {
  unsigned trip_after = 5;   // failed or unanswered agent legs within window_s that open it
  unsigned window_s = 60;
  unsigned cooldown_s = 30;  // open this long, then half-open
  unsigned probe_every = 5;       // half-open: 1 call in this many tries the target
  unsigned recover_after = 3;     // half-open: this many successes close it
  // Routes without failover get no <Dial action> (the TwiML stays byte for byte the guide's); true
  // adds one so the breaker hears their outcomes too (it reports, never diverts: nowhere to go).
  bool observe_without_failover = false;
};

struct service_config {
  server_config server;
  sip_config sip;
  log_config log;
  twilio_config twilio;
  synthflow_config synthflow;
  // The Twilio numbers: how each one's calls are handled, and what provisioning creates for it.
  std::vector<number_config> numbers;
  routing_config routing;
  // Defaults for numbers without their own value (and for numbers not configured at all).
  dial_config dial;
  std::vector<failover_step> failover;
  transfer_config transfer;
  // Things the operator should fix that do not stop the service (a deprecated key); not a key.
  std::vector<std::string> warnings;
  context_config context;
  health_config health;
};

// A config that cannot be used. what() names the key path (e.g. "server.port") and the problem.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Looks an environment variable up; std::nullopt when unset. Injected so tests need no real env.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment; a variable set to the empty string counts as unset.
env_lookup process_env();

// Parses and validates a JSON document, then applies environment overrides
// (PORT, HOST, SIP_TARGET, LOG_LEVEL, LOG_FORMAT, PUBLIC_URL, TWILIO_AUTH_TOKEN, SYNTHFLOW_*).
// Throws config_error naming the offending key.
service_config parse_config(std::string_view json_text, const env_lookup& env);

// Reads the file and calls parse_config. Throws config_error when it cannot be read.
service_config load_config_file(const std::filesystem::path& path, const env_lookup& env);

// Why provisioning cannot run with this config (no API key, no workspace, an unset trunk password
// variable), or nullopt. Checked only when provisioning will run, so serve-only replicas need no key.
std::optional<std::string> check_provisioning_inputs(const synthflow_config& synthflow,
                                                     const std::vector<number_config>& numbers);

// The numbers provisioning manages: those with an agent.
// The SIP ingress ("host:32681") of the Synthflow region whose API `api_url` names: api.us… →
// sip.us.synthflow.ai, api.eu… → sip.eu…, api.synthflow.ai (the legacy Global cluster) →
// sip.synthflow.ai; nullopt for a host that is not one of Synthflow's.
std::optional<std::string> sip_target_of_synthflow_api(std::string_view api_url);

std::vector<number_config> provisioned_numbers(const std::vector<number_config>& numbers);

// The keys whose value differs between `running` and `next` that a reload does not put in force,
// as paths ("server.port", "twilio.public_url"); "numbers[+1…] (provisioning: …)" for each number
// whose provisioning settings changed (provisioning runs at startup, or with the provision command)
// and that provisioning looks at (it has an agent, or Twilio numbers are managed).
std::vector<std::string> keys_needing_restart(const service_config& running, const service_config& next);

// The most memory serve can need with `config`: the process at rest, every connection holding the
// largest header and body it may send before it is authenticated (measured: the body, the header
// and about 16 KiB of state), and the caller-context memory store full. docs/deployment.md has the
// measurements behind each term.
struct memory_budget {
  std::uint64_t at_rest = 0;
  std::uint64_t per_connection = 0;
  std::uint64_t connections = 0;  // max_connections x per_connection
  std::uint64_t store = 0;        // context.max_bytes when the memory store keeps records, else 0
  std::uint64_t total() const { return at_rest + connections + store; }
};
memory_budget worst_case_memory(const service_config& config);

// Why `config` may not fit in `limit` bytes (a cgroup's memory.max), naming the terms and the keys
// that size them; nullopt when it fits.
std::optional<std::string> memory_fit_problem(const service_config& config, std::uint64_t limit);
// Why provisioning Twilio cannot run with this config (no credentials), or nullopt. Like
// check_provisioning_inputs, checked only when it will run.
std::optional<std::string> check_twilio_provisioning_inputs(const twilio_config& twilio);

// Every key as a JSON array of {path, type, default, min, max, allowed, env, env_named_by, secret,
// required, help}, e.g. {"path":"server.port","type":"integer","default":3000,...}; the keys of
// list elements read "synthflow.numbers[].agent.name". For `check-config --schema`, the manifest
// check and the README check. indent as for describe_config.
std::string describe_schema(int indent = 2);

// The effective configuration as JSON, with secrets replaced by "<redacted>" (or "<unset>").
// indent < 0: one line (for logs); else pretty-printed with that indent.
std::string describe_config(const service_config& config, int indent = -1);

}  // namespace twiml_redirect::config
