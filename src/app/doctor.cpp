#include "twiml_redirect/app/doctor.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <thread>
#include <ctime>

#include "twiml_redirect/app/simulate.hpp"
#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/outbound/sip_options.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"
#include "twiml_redirect/context/call_record.hpp"
#include "twiml_redirect/synthflow/actions.hpp"
#include "twiml_redirect/synthflow/api.hpp"
#include "twiml_redirect/twilio_api/api.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio_api/payloads.hpp"
#include "twiml_redirect/util/url.hpp"

namespace twiml_redirect::app {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kWholeSetUp = "-";
constexpr std::string_view kProvisionFix = "run `twiml-redirect provision` with this config";

check_row row(std::string_view id, std::string_view number, check_result result, std::string detail,
              std::string fix = {}) {
  return {std::string(id), std::string(number), result, std::move(detail), std::move(fix)};
}

// host of "host[:port]" (an IPv6 literal in brackets keeps them off).
std::string host_of(std::string_view target) {
  if (target.starts_with("[")) return std::string(target.substr(1, target.find(']') - 1));
  return std::string(target.substr(0, target.find(':')));
}

std::uint16_t port_of(std::string_view target) {
  const std::size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || target.find(']', colon) != std::string_view::npos) return 5060;
  unsigned port = 0;
  for (char c : target.substr(colon + 1)) {
    if (c < '0' || c > '9') return 5060;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return port > 0 && port < 65536 ? static_cast<std::uint16_t>(port) : 5060;
}

// A request's deadline inside a check: short enough that a check with a few calls ends in time.
std::chrono::milliseconds request_deadline(std::chrono::milliseconds configured) { return std::min(configured, 5000ms); }

// An API client whose exchanges the check's deadline can abort.
struct api_session {
  std::unique_ptr<outbound::http_client> client;
  outbound::stop_signal stop;
  std::string problem;  // why there is no client
};

std::unique_ptr<api_session> open_session(std::string_view url, std::string_view url_setting, const std::string& ca_file,
                                          std::string_view ca_setting, std::chrono::milliseconds timeout,
                                          check_control& control, outbound::endpoint& where) {
  auto session = std::make_unique<api_session>();
  auto parsed = util::parse_http_url(url);
  if (!parsed) {
    session->problem = std::string(url_setting) + ": " + parsed.error();
    return session;
  }
  where = *parsed;
  outbound::client_options options;
  options.target = where;
  options.timeout = request_deadline(timeout);
  options.ca_file = ca_file;
  options.ca_file_setting = std::string(ca_setting);
  auto client = outbound::make_http_client(options);
  if (!client) {
    session->problem = client.error();
    return session;
  }
  session->client = std::move(*client);
  control.on_cancel([raw = session.get()] {
    raw->stop.request_stop();
    raw->client->abort();
  });
  return session;
}

// A Synthflow API for a check, or the skip/fail row saying why there is none.
struct synthflow_handle {
  std::unique_ptr<api_session> session;
  std::optional<synthflow::synthflow_api> api;
};

std::variant<std::unique_ptr<synthflow_handle>, check_row> open_synthflow(const doctor_inputs& in, std::string_view id,
                                                                          check_control& control) {
  const config::synthflow_config& sf = in.config.synthflow;
  if (sf.api_key.empty())
    return row(id, kWholeSetUp, check_result::skip, "SYNTHFLOW_API_KEY is not set: Synthflow cannot be asked");
  auto handle = std::make_unique<synthflow_handle>();
  outbound::endpoint where;
  handle->session =
      open_session(sf.api_url, "synthflow.api_url", sf.ca_file, "synthflow.ca_file", sf.request_timeout, control, where);
  if (!handle->session->client)
    return row(id, kWholeSetUp, check_result::fail, handle->session->problem, "correct synthflow.api_url / synthflow.ca_file");
  synthflow::api_settings settings;
  settings.base_path = where.base_path;
  settings.workspace_id = sf.workspace_id;
  settings.api_key = sf.api_key;
  settings.secrets = {sf.api_key, in.config.context.token};
  for (const auto& number : in.config.numbers) settings.secrets.push_back(number.trunk_pwd);
  settings.retry = {2, 200ms, 1000ms};
  handle->api.emplace(*handle->session->client, std::move(settings), handle->session->stop);
  return handle;
}

struct twilio_handle {
  std::unique_ptr<api_session> session;
  std::optional<twilio_api::twilio_api> api;
  outbound::basic_auth credentials;
};

outbound::basic_auth twilio_credentials(const config::twilio_config& twilio) {
  return twilio.api_key.empty() ? outbound::basic_auth{twilio.account_sid, twilio.auth_token}
                                : outbound::basic_auth{twilio.api_key, twilio.api_secret};
}

std::optional<check_row> twilio_unusable(const config::twilio_config& twilio, std::string_view id) {
  if (twilio.account_sid.empty())
    return row(id, kWholeSetUp, check_result::skip, "twilio.account_sid is not set: Twilio cannot be asked");
  if (twilio.auth_token.empty() && (twilio.api_key.empty() || twilio.api_secret.empty()))
    return row(id, kWholeSetUp, check_result::skip,
               "no Twilio credentials (TWILIO_API_KEY and TWILIO_API_SECRET, or TWILIO_AUTH_TOKEN)");
  return std::nullopt;
}

std::variant<std::unique_ptr<twilio_handle>, check_row> open_twilio(const doctor_inputs& in, std::string_view id,
                                                                    check_control& control) {
  const config::twilio_config& tw = in.config.twilio;
  if (auto unusable = twilio_unusable(tw, id)) return *unusable;
  auto handle = std::make_unique<twilio_handle>();
  outbound::endpoint where;
  handle->session = open_session(tw.api_url, "twilio.api_url", tw.ca_file, "twilio.ca_file", tw.request_timeout, control, where);
  if (!handle->session->client)
    return row(id, kWholeSetUp, check_result::fail, handle->session->problem, "correct twilio.api_url / twilio.ca_file");
  handle->credentials = twilio_credentials(tw);
  twilio_api::api_settings settings;
  settings.base_path = where.base_path;
  settings.account_sid = tw.account_sid;
  settings.credentials = handle->credentials;
  settings.retry = {2, 200ms, 1000ms};
  handle->api.emplace(*handle->session->client, std::move(settings), handle->session->stop);
  return handle;
}

// The fix for a failed API call: credentials for 401/403, reachability for no answer.
std::string api_failure_fix(const outbound::call_failure& failure, std::string_view api, std::string_view credentials,
                            std::string_view url_setting) {
  if (failure.http_status == 401 || failure.http_status == 403)
    return "set " + std::string(credentials) + " to valid credentials of this " + std::string(api) + " account";
  if (failure.http_status == 0)
    return "check " + std::string(url_setting) + " and that this machine reaches it (DNS, firewall, proxy, CA)";
  return "see " + std::string(api) + "'s message above";
}

// ---- the checks ------------------------------------------------------------------------------

std::vector<check_row> check_config(const doctor_inputs& in, check_control&) {
  const config::service_config& config = in.config;
  std::vector<check_row> rows;
  for (const std::string& warning : config.warnings)
    rows.push_back(row("config", kWholeSetUp, check_result::warn, warning));
  if (!config::provisioned_numbers(config.numbers).empty())
    if (auto problem = config::check_provisioning_inputs(config.synthflow, config.numbers))
      rows.push_back(row("config", kWholeSetUp, check_result::fail, *problem,
                         "set it in the environment (secrets) or the config file, then run doctor again"));
  if (config.twilio.manages_numbers() && !config.numbers.empty())
    if (auto problem = config::check_twilio_provisioning_inputs(config.twilio))
      rows.push_back(row("config", kWholeSetUp, check_result::fail, *problem,
                         "set the Twilio credentials in the environment, or twilio.manage_numbers false"));
  if (config.twilio.auth_token.empty())
    rows.push_back(row("config", kWholeSetUp, check_result::warn,
                       "TWILIO_AUTH_TOKEN is not set: webhooks are served without a signature check"));
  if (config.numbers.empty())
    rows.push_back(row("config", kWholeSetUp, check_result::warn, "no numbers configured: every call gets the default route"));
  if (rows.empty() || std::none_of(rows.begin(), rows.end(), [](const check_row& r) { return r.result == check_result::fail; }))
    rows.insert(rows.begin(), row("config", kWholeSetUp, check_result::pass,
                                  "loads; " + std::to_string(config.numbers.size()) + " number(s) configured"));
  return rows;
}

std::vector<check_row> check_synthflow_auth(const doctor_inputs& in, check_control& control) {
  auto opened = open_synthflow(in, "synthflow.auth", control);
  if (auto* skipped = std::get_if<check_row>(&opened)) return {*skipped};
  auto& sf = *std::get<std::unique_ptr<synthflow_handle>>(opened);
  auto agents = sf.api->list_assistants();
  if (!agents)
    return {row("synthflow.auth", kWholeSetUp, check_result::fail, agents.error().describe(),
                api_failure_fix(agents.error(), "Synthflow", "SYNTHFLOW_API_KEY", "synthflow.api_url"))};
  return {row("synthflow.auth", kWholeSetUp, check_result::pass,
              "the API key reads the account (" + std::to_string(agents->size()) + " agent(s))")};
}

std::vector<check_row> check_synthflow_region(const doctor_inputs& in, check_control&) {
  const config::service_config& config = in.config;
  auto parsed = util::parse_http_url(config.synthflow.api_url);
  const std::string api_host = parsed ? parsed->host : std::string();
  const auto region = region_of_api_host(api_host);
  std::vector<check_row> rows;
  rows.push_back(judge_sip_target(kWholeSetUp, "sip.target", config.sip.target, region, api_host));
  for (const auto& number : config.numbers)
    if (number.sip_target)
      rows.push_back(judge_sip_target(number.phone_number, "numbers[].sip_target", *number.sip_target, region, api_host));
  return rows;
}

// The Synthflow state of each configured number, for the number and agent checks.
std::vector<check_row> check_synthflow_numbers(const doctor_inputs& in, check_control& control, bool agents) {
  const std::string_view id = agents ? "synthflow.agent" : "synthflow.number";
  auto opened = open_synthflow(in, id, control);
  if (auto* skipped = std::get_if<check_row>(&opened)) return {*skipped};
  auto& sf = *std::get<std::unique_ptr<synthflow_handle>>(opened);
  std::vector<check_row> rows;
  for (const config::number_config& number : in.config.numbers) {
    if (control.cancelled()) break;
    const std::string& e164 = number.phone_number;
    auto state = sf.api->get_number(e164);
    if (!state) {
      rows.push_back(row(id, e164, check_result::fail, state.error().describe(),
                         api_failure_fix(state.error(), "Synthflow", "SYNTHFLOW_API_KEY", "synthflow.api_url")));
      continue;
    }
    if (!*state) {
      if (!agents)
        rows.push_back(row(id, e164, check_result::fail,
                           "not imported in workspace " + in.config.synthflow.workspace_id + ": Synthflow refuses its calls",
                           number.agent ? std::string(kProvisionFix)
                                        : "give the number an agent in the config and " + std::string(kProvisionFix) +
                                              ", or import it in Synthflow's dashboard (Phone numbers)"));
      else
        rows.push_back(row(id, e164, check_result::skip, "the number is not imported (see synthflow.number)"));
      continue;
    }
    if (!agents) {
      rows.push_back(row(id, e164, check_result::pass, "imported in workspace " + in.config.synthflow.workspace_id));
      continue;
    }
    const std::vector<std::string> linked = (*state)->assistants.value_or(std::vector<std::string>{});
    if (linked.empty()) {
      rows.push_back(row(id, e164, check_result::fail, "no inbound agent is linked: calls reach no agent",
                         number.agent ? std::string(kProvisionFix)
                                      : "link an inbound agent to it in Synthflow, or configure numbers[].agent and " +
                                            std::string(kProvisionFix)));
      continue;
    }
    auto agent = sf.api->get_assistant(linked.front());
    if (!agent || !*agent) {
      rows.push_back(row(id, e164, check_result::fail,
                         agent ? "the linked agent " + linked.front() + " does not exist" : agent.error().describe(),
                         std::string(kProvisionFix)));
      continue;
    }
    const synthflow::assistant_state& found = **agent;
    if (!found.type.empty() && found.type != "inbound") {
      rows.push_back(row(id, e164, check_result::fail, "the linked agent \"" + found.name + "\" is " + found.type + ", not inbound",
                         std::string(kProvisionFix)));
    } else if (number.agent && found.name != number.agent->name) {
      rows.push_back(row(id, e164, check_result::fail,
                         "the linked agent is \"" + found.name + "\", the config names \"" + number.agent->name + "\"",
                         std::string(kProvisionFix) + " (or correct numbers[].agent.name)"));
    } else {
      rows.push_back(row(id, e164, check_result::pass, "inbound agent \"" + found.name + "\" (" + found.model_id + ")"));
    }
  }
  if (rows.empty()) rows.push_back(row(id, kWholeSetUp, check_result::skip, "no numbers configured"));
  return rows;
}

std::vector<check_row> check_synthflow_action(const doctor_inputs& in, check_control& control) {
  constexpr std::string_view id = "synthflow.action";
  if (!in.config.context.synthflow_action)
    return {row(id, kWholeSetUp, check_result::skip, "context.synthflow_action is off: no pre-call action is managed")};
  auto opened = open_synthflow(in, id, control);
  if (auto* skipped = std::get_if<check_row>(&opened)) return {*skipped};
  auto& sf = *std::get<std::unique_ptr<synthflow_handle>>(opened);
  const synthflow::context_action_settings settings{in.config.twilio.public_url + "/call_context", in.config.context.token,
                                                    std::string(context::kInitializeProbe)};
  const std::string fingerprint = synthflow::context_action_fingerprint(settings);
  std::vector<check_row> rows;
  for (const config::number_config& number : config::provisioned_numbers(in.config.numbers)) {
    if (control.cancelled()) break;
    const std::string& e164 = number.phone_number;
    auto state = sf.api->get_number(e164);
    if (!state || !*state || !(*state)->assistants || (*state)->assistants->empty()) {
      rows.push_back(row(id, e164, check_result::skip, "no linked agent to look at (see synthflow.agent)"));
      continue;
    }
    auto found = synthflow::context_actions_of(*sf.api, (*state)->assistants->front(), fingerprint);
    if (!found) {
      rows.push_back(row(id, e164, check_result::fail, found.error().describe(),
                         api_failure_fix(found.error(), "Synthflow", "SYNTHFLOW_API_KEY", "synthflow.api_url")));
      continue;
    }
    const std::vector<synthflow::attached_action>& ours = *found;
    if (ours.size() != 1) {
      rows.push_back(row(id, e164, check_result::fail,
                         std::to_string(ours.size()) + " pre-call actions named \"" +
                             std::string(synthflow::kContextActionName) + "\" are attached; exactly one should be",
                         ours.empty() ? std::string(kProvisionFix)
                                      : std::string(kProvisionFix) + ": it keeps one and deletes the others"));
      continue;
    }
    if (ours.front().description.find(fingerprint) == std::string::npos) {
      rows.push_back(row(id, e164, check_result::fail,
                         "the attached action was made for another PUBLIC_URL or CALL_CONTEXT_TOKEN (its fingerprint differs)",
                         std::string(kProvisionFix) + ": it updates the action in place"));
      continue;
    }
    auto initialized = sf.api->initialize_action(ours.front().action_id, synthflow::initialize_variables(settings));
    if (!initialized) {
      rows.push_back(row(id, e164, check_result::fail, "the action does not initialize: " + initialized.error().describe(),
                         "check that PUBLIC_URL/call_context is reachable from the internet (see public_url)"));
      continue;
    }
    rows.push_back(row(id, e164, check_result::pass, "one pre-call action for this URL and token; it initializes"));
  }
  if (rows.empty()) rows.push_back(row(id, kWholeSetUp, check_result::skip, "no number has an agent in the config"));
  return rows;
}

std::vector<check_row> check_twilio_auth(const doctor_inputs& in, check_control& control) {
  auto opened = open_twilio(in, "twilio.auth", control);
  if (auto* skipped = std::get_if<check_row>(&opened)) return {*skipped};
  auto& tw = *std::get<std::unique_ptr<twilio_handle>>(opened);
  const std::string probe = in.config.numbers.empty() ? "+15005550006" : in.config.numbers.front().phone_number;
  auto found = tw.api->find_number(probe);
  const std::string credentials =
      in.config.twilio.api_key.empty() ? "TWILIO_AUTH_TOKEN (with twilio.account_sid)" : "TWILIO_API_KEY and TWILIO_API_SECRET";
  if (!found)
    return {row("twilio.auth", kWholeSetUp, check_result::fail, found.error().describe(),
                api_failure_fix(found.error(), "Twilio", credentials, "twilio.api_url"))};
  return {row("twilio.auth", kWholeSetUp, check_result::pass,
              "the credentials read account " + in.config.twilio.account_sid + "'s numbers")};
}

std::vector<check_row> check_twilio_numbers(const doctor_inputs& in, check_control& control, bool webhook) {
  const std::string_view id = webhook ? "twilio.webhook" : "twilio.number";
  if (webhook && in.config.twilio.public_url.empty())
    return {row(id, kWholeSetUp, check_result::skip, "PUBLIC_URL (twilio.public_url) is not set: no expected VoiceUrl")};
  auto opened = open_twilio(in, id, control);
  if (auto* skipped = std::get_if<check_row>(&opened)) return {*skipped};
  auto& tw = *std::get<std::unique_ptr<twilio_handle>>(opened);
  std::vector<check_row> rows;
  for (const config::number_config& number : in.config.numbers) {
    if (control.cancelled()) break;
    const std::string& e164 = number.phone_number;
    auto found = tw.api->find_number(e164);
    if (!found) {
      rows.push_back(row(id, e164, check_result::fail, found.error().describe(),
                         api_failure_fix(found.error(), "Twilio", "the Twilio credentials", "twilio.api_url")));
    } else if (!*found) {
      rows.push_back(webhook ? row(id, e164, check_result::skip, "the number is not in the account (see twilio.number)")
                             : row(id, e164, check_result::fail,
                                   "not in Twilio account " + in.config.twilio.account_sid,
                                   "buy or port the number into this account, or correct numbers[].phone_number"));
    } else if (!webhook) {
      const twilio_api::incoming_number& n = **found;
      if (!n.trunk_sid.empty())
        rows.push_back(row(id, e164, check_result::fail, "on Elastic SIP trunk " + n.trunk_sid + ": Twilio ignores its VoiceUrl",
                           "remove the number from the trunk (Console, Elastic SIP Trunking, the trunk's Numbers)"));
      else if (!n.voice_application_sid.empty())
        rows.push_back(row(id, e164, check_result::fail,
                           "uses TwiML App " + n.voice_application_sid + ": Twilio ignores its VoiceUrl",
                           "set the number's voice configuration to Webhook (Console, Phone Numbers), or " +
                               std::string(kProvisionFix)));
      else
        rows.push_back(row(id, e164, check_result::pass, "in the account (" + n.sid + "), not on a trunk"));
    } else {
      const twilio_api::incoming_number& n = **found;
      const std::string fallback =
          number.voice_fallback_url.empty() ? in.config.twilio.voice_fallback_url : number.voice_fallback_url;
      const config::twilio_config& twilio = in.config.twilio;
      check_row judged = judge_webhook(
          e164, {twilio_api::webhook_url(twilio.public_url, twilio.webhook_user, twilio.webhook_password), "POST", fallback},
          {n.voice_url, n.voice_method, n.voice_fallback_url});
      // The VoiceUrl carries the webhook password when Basic credentials are set: never shown.
      if (!twilio.webhook_password.empty()) {
        for (std::string* text : {&judged.detail, &judged.fix}) {
          for (std::size_t at = text->find(twilio.webhook_password); at != std::string::npos;
               at = text->find(twilio.webhook_password, at))
            text->replace(at, twilio.webhook_password.size(), "<redacted>");
        }
      }
      rows.push_back(std::move(judged));
    }
  }
  if (rows.empty()) rows.push_back(row(id, kWholeSetUp, check_result::skip, "no numbers configured"));
  return rows;
}

std::vector<check_row> check_public_url(const doctor_inputs& in, check_control&) {
  constexpr std::string_view id = "public_url";
  const config::service_config& config = in.config;
  if (config.twilio.public_url.empty())
    return {row(id, kWholeSetUp, check_result::skip, "PUBLIC_URL (twilio.public_url) is not set")};
  std::string problem;
  auto transport = make_http_transport(config, config.twilio.public_url, problem);
  if (!transport)
    return {row(id, kWholeSetUp, check_result::fail, problem, "correct PUBLIC_URL (twilio.public_url)")};
  const std::string called = config.numbers.empty() ? "+14155550100" : config.numbers.front().phone_number;
  const webhook_answer answer = transport->post(
      "/redirect_call", {{"AccountSid", "AC00000000000000000000000000000000"},
                         {"CallSid", "CA00000000000000000000000000000000"},
                         {"Called", called},
                         {"To", called},
                         {"From", "+15005550006"},
                         {"Direction", "inbound"}});
  const std::string where = config.twilio.public_url + "/redirect_call";
  if (answer.status == 0)
    return {row(id, called, check_result::fail, "no answer from " + where + ": " + answer.error,
                "check DNS, TLS certificate and the proxy in front of the service for PUBLIC_URL")};
  if (answer.status == 403)
    return {row(id, called, check_result::fail, where + " refused the signed test webhook (403)",
                "TWILIO_AUTH_TOKEN must be the same here and on the server, and twilio.public_url the URL Twilio "
                "calls (scheme, host, path)")};
  if (answer.status != 200)
    return {row(id, called, check_result::fail, where + " answered HTTP " + std::to_string(answer.status),
                "route PUBLIC_URL's path to the service (a proxy path that strips or adds a prefix?)")};
  const auto parsed = parse_twiml(answer.body);
  if (std::holds_alternative<std::string>(parsed))
    return {row(id, called, check_result::fail, where + " answered 200 without TwiML (" + std::get<std::string>(parsed) + ")",
                "PUBLIC_URL reaches something that is not this service")};
  return {row(id, called, check_result::pass,
              "a " + std::string(config.twilio.auth_token.empty() ? "unsigned" : "signed") + " test webhook got TwiML 200")};
}

// Every SIP host:port calls may be dialled at, with the setting that names it first.
std::vector<std::pair<std::string, std::string>> sip_targets(const config::service_config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const std::string& target, std::string setting) {
    if (target == "auto" || target.empty()) return;
    if (std::none_of(out.begin(), out.end(), [&](const auto& seen) { return seen.first == target; }))
      out.emplace_back(target, std::move(setting));
  };
  add(config.sip.target, "sip.target");
  for (const auto& step : config.failover)
    if (step.sip_target) add(*step.sip_target, "failover[].sip_target");
  for (const auto& number : config.numbers) {
    if (number.sip_target) add(*number.sip_target, "sip_target of " + number.phone_number);
    if (number.failover)
      for (const auto& step : *number.failover)
        if (step.sip_target) add(*step.sip_target, "failover[].sip_target of " + number.phone_number);
  }
  return out;
}

std::vector<check_row> check_sip_dns(const doctor_inputs& in, check_control&) {
  std::vector<check_row> rows;
  for (const auto& [target, setting] : sip_targets(in.config)) {
    const std::string host = host_of(target);
    const outbound::resolved_host found = outbound::resolve_host(host, 2000ms);
    if (!found.error.empty()) {
      rows.push_back(row("sip.dns", kWholeSetUp, check_result::fail, host + " does not resolve: " + found.error,
                         "correct the host in " + setting));
      continue;
    }
    std::string addresses;
    for (std::size_t i = 0; i < found.addresses.size() && i < 3; ++i) addresses += (i ? ", " : "") + found.addresses[i];
    rows.push_back(row("sip.dns", kWholeSetUp, check_result::pass, host + " resolves to " + addresses));
  }
  return rows;
}

std::vector<check_row> check_sip_options(const doctor_inputs& in, check_control&) {
  std::vector<check_row> rows;
  for (const auto& [target, setting] : sip_targets(in.config)) {
    const outbound::sip_ping_result ping = outbound::sip_options_ping(host_of(target), port_of(target), in.sip_deadline);
    if (!ping.answered) {
      rows.push_back(row("sip.options", kWholeSetUp, check_result::fail, target + " does not answer OPTIONS: " + ping.error,
                         "check the host and port in " + setting + " (Synthflow's ingress listens on 32681)"));
      continue;
    }
    rows.push_back(row("sip.options", kWholeSetUp, check_result::pass,
                       target + " answered over " + ping.transport + ": " + ping.status_line));
  }
  return rows;
}

// GET of a Twilio JSON resource under `base_url` (the REST API or Monitor) with the configured
// credentials: the parsed answer, or the row saying why there is none.
std::variant<nlohmann::json, check_row> twilio_get(const doctor_inputs& in, std::string_view id, const std::string& base_url,
                                                   std::string_view url_setting, const std::string& target,
                                                   check_control& control) {
  const config::twilio_config& tw = in.config.twilio;
  if (auto unusable = twilio_unusable(tw, id)) return *unusable;
  outbound::endpoint where;
  auto session = open_session(base_url, url_setting, tw.ca_file, "twilio.ca_file", tw.request_timeout, control, where);
  if (!session->client) return row(id, kWholeSetUp, check_result::fail, session->problem, "correct " + std::string(url_setting));
  outbound::http_request request;
  request.target = where.base_path + target;
  request.auth = twilio_credentials(tw);
  request.headers.push_back({"Accept", "application/json", false});
  const outbound::http_result result = session->client->send(request);
  const std::string operation = "GET " + target.substr(0, target.find('?'));
  if (!result.ok())
    return row(id, kWholeSetUp, check_result::fail, operation + ": " + result.error_message,
               "check " + std::string(url_setting) + " and that this machine reaches it");
  if (result.response.status == 401 || result.response.status == 403)
    return row(id, kWholeSetUp, check_result::fail, operation + ": HTTP " + std::to_string(result.response.status),
               "set valid Twilio credentials (see twilio.auth)");
  if (result.response.status != 200)
    return row(id, kWholeSetUp, check_result::fail, operation + ": HTTP " + std::to_string(result.response.status),
               "check " + std::string(url_setting));
  auto parsed = nlohmann::json::parse(result.response.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return row(id, kWholeSetUp, check_result::fail, operation + ": the answer is not JSON", "check " + std::string(url_setting));
  return parsed;
}

// "2026-12-02T08:00:00Z": 24 hours before now, as Monitor's StartDate reads it.
std::string iso8601_day_ago() {
  const std::time_t then = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - 24h);
  std::tm utc{};
  gmtime_r(&then, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::vector<check_row> check_twilio_alerts(const doctor_inputs& in, check_control& control) {
  constexpr std::string_view id = "twilio.alerts";
  auto answer = twilio_get(in, id, in.monitor_url, "twilio.monitor_url",
                           "/v1/Alerts?" + outbound::form_encode({{"StartDate", iso8601_day_ago()}, {"PageSize", "200"}}),
                           control);
  if (auto* failed = std::get_if<check_row>(&answer)) return {*failed};
  std::vector<std::string> numbers;
  for (const auto& number : in.config.numbers) numbers.push_back(number.phone_number);
  std::vector<check_row> rows = group_alerts(std::get<nlohmann::json>(answer).value("alerts", nlohmann::json::array()),
                                             numbers, in.config.twilio.public_url);
  if (rows.empty()) rows.push_back(row(id, kWholeSetUp, check_result::pass, "no alerts in the last 24 h for these numbers and URLs"));
  return rows;
}

std::vector<check_row> check_twilio_calls(const doctor_inputs& in, check_control& control) {
  constexpr std::string_view id = "twilio.calls";
  std::vector<check_row> rows;
  for (const config::number_config& number : in.config.numbers) {
    if (control.cancelled()) break;
    auto answer = twilio_get(in, id, in.config.twilio.api_url, "twilio.api_url",
                             "/2010-04-01/Accounts/" + in.config.twilio.account_sid + "/Calls.json?" +
                                 outbound::form_encode({{"To", number.phone_number}, {"PageSize", "20"}}),
                             control);
    if (auto* failed = std::get_if<check_row>(&answer)) {
      if (failed->result == check_result::skip) return {*failed};
      failed->number = number.phone_number;
      rows.push_back(*failed);
      continue;
    }
    rows.push_back(summarize_calls(number.phone_number, std::get<nlohmann::json>(answer).value("calls", nlohmann::json::array())));
  }
  if (rows.empty()) rows.push_back(row(id, kWholeSetUp, check_result::skip, "no numbers configured"));
  return rows;
}

// Runs one check on the calling thread, turning an exception into its fail row.
std::vector<check_row> run_guarded(const doctor_check& check, const doctor_inputs& in, check_control& control) {
  try {
    return check.run(in, control);
  } catch (const std::exception& error) {
    return {row(check.id, kWholeSetUp, check_result::fail, std::string("the check failed: ") + error.what())};
  }
}

}  // namespace

std::string_view to_string(check_result result) {
  switch (result) {
    case check_result::pass: return "pass";
    case check_result::warn: return "warn";
    case check_result::fail: return "fail";
    case check_result::skip: return "skip";
  }
  return "fail";
}

void check_control::on_cancel(std::function<void()> hook) {
  std::unique_lock lock(mutex_);
  if (!cancelled_) {
    hooks_.push_back(std::move(hook));
    return;
  }
  lock.unlock();
  hook();
}

void check_control::cancel() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    hooks.swap(hooks_);
  }
  for (auto& hook : hooks) hook();
}

bool check_control::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

std::vector<doctor_check> doctor_checks() {
  return {
      {"config", 2s, check_config},
      {"synthflow.auth", 12s, check_synthflow_auth},
      {"synthflow.region", 1s, check_synthflow_region},
      {"synthflow.number", 20s, [](const doctor_inputs& in, check_control& c) { return check_synthflow_numbers(in, c, false); }},
      {"synthflow.agent", 25s, [](const doctor_inputs& in, check_control& c) { return check_synthflow_numbers(in, c, true); }},
      {"synthflow.action", 25s, check_synthflow_action},
      {"twilio.auth", 12s, check_twilio_auth},
      {"twilio.number", 20s, [](const doctor_inputs& in, check_control& c) { return check_twilio_numbers(in, c, false); }},
      {"twilio.webhook", 20s, [](const doctor_inputs& in, check_control& c) { return check_twilio_numbers(in, c, true); }},
      {"public_url", 12s, check_public_url},
      {"sip.dns", 5s, check_sip_dns},
      {"sip.options", 15s, check_sip_options},
      {"twilio.alerts", 12s, check_twilio_alerts},
      {"twilio.calls", 20s, check_twilio_calls},
  };
}

std::vector<check_row> run_checks(const std::vector<doctor_check>& checks, const doctor_inputs& inputs) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<check_control>> controls;
  std::vector<std::future<std::vector<check_row>>> running;
  for (const doctor_check& check : checks) {
    controls.push_back(std::make_unique<check_control>());
    running.push_back(std::async(std::launch::async, [&check, &inputs, control = controls.back().get()] {
      return run_guarded(check, inputs, *control);
    }));
  }
  std::vector<check_row> rows;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    if (running[i].wait_until(start + checks[i].deadline) != std::future_status::ready) {
      controls[i]->cancel();  // its requests end now, so the join below is short
      running[i].wait();
      rows.push_back(row(checks[i].id, kWholeSetUp, check_result::fail,
                         "no result within its deadline of " + std::to_string(checks[i].deadline.count() / 1000) + " s",
                         "the API or host it asks is too slow or unreachable from here"));
      continue;
    }
    for (check_row& r : running[i].get()) rows.push_back(std::move(r));
  }
  return rows;
}

std::string format_table(const std::vector<check_row>& rows) {
  std::size_t id_width = 5, number_width = 6;
  for (const check_row& r : rows) {
    id_width = std::max(id_width, r.id.size());
    number_width = std::max(number_width, r.number.size());
  }
  auto pad = [](std::string text, std::size_t width) {
    text.resize(std::max(text.size(), width), ' ');
    return text;
  };
  const std::string indent(id_width + 2 + number_width + 2 + 6 + 2, ' ');  // under DETAIL
  std::string out = pad("CHECK", id_width) + "  " + pad("NUMBER", number_width) + "  RESULT  DETAIL\n";
  for (const check_row& r : rows) {
    out += pad(r.id, id_width) + "  " + pad(r.number, number_width) + "  " + pad(std::string(to_string(r.result)), 6) +
           "  " + r.detail + "\n";
    if (r.result == check_result::fail && !r.fix.empty()) out += indent + "fix: " + r.fix + "\n";
  }
  std::map<check_result, std::size_t> counts;
  for (const check_row& r : rows) ++counts[r.result];
  out += "\n" + std::to_string(counts[check_result::pass]) + " pass, " + std::to_string(counts[check_result::warn]) +
         " warn, " + std::to_string(counts[check_result::fail]) + " fail, " + std::to_string(counts[check_result::skip]) +
         " skip\n";
  return out;
}

std::string format_json(const std::vector<check_row>& rows) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const check_row& r : rows) {
    nlohmann::ordered_json item;
    item["id"] = r.id;
    item["number"] = r.number == kWholeSetUp ? nlohmann::ordered_json() : nlohmann::ordered_json(r.number);
    item["result"] = to_string(r.result);
    item["detail"] = r.detail;
    item["fix"] = r.result == check_result::fail ? nlohmann::ordered_json(r.fix) : nlohmann::ordered_json();
    checks.push_back(std::move(item));
  }
  nlohmann::ordered_json doc;
  doc["checks"] = std::move(checks);
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

int doctor_exit_code(const std::vector<check_row>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const check_row& r) { return r.result == check_result::fail; }) ? 1 : 0;
}

std::optional<synthflow_region> region_of_api_host(std::string_view host) {
  if (host == "api.synthflow.ai") return synthflow_region{"global", "sip.synthflow.ai"};
  if (host == "api.us.synthflow.ai") return synthflow_region{"us", "sip.us.synthflow.ai"};
  if (host == "api.eu.synthflow.ai") return synthflow_region{"eu", "sip.eu.synthflow.ai"};
  return std::nullopt;
}

check_row judge_sip_target(std::string_view number, std::string_view setting, std::string_view sip_target,
                           const std::optional<synthflow_region>& region, std::string_view api_host) {
  constexpr std::string_view id = "synthflow.region";
  if (sip_target == "auto")
    return row(id, number, region ? check_result::pass : check_result::warn,
               region ? "auto: " + region->sip_host + " (region " + region->name + ")"
                      : "auto, but the API host " + std::string(api_host) + " is not Synthflow's: no region to follow");
  const std::string host = host_of(sip_target);
  const bool synthflows = host.ends_with(".synthflow.ai");
  if (!synthflows)
    return row(id, number, check_result::warn,
               std::string(setting) + " " + host + " is not Synthflow's host (a private set-up): its region is not checked");
  if (host == "sipin.synthflow.ai")
    return row(id, number, check_result::warn,
               "sipin.synthflow.ai is the older guide's host; Synthflow's current pages use sip.<region>.synthflow.ai" +
                   (region ? " (here " + region->sip_host + ")" : std::string()));
  if (!region)
    return row(id, number, check_result::warn,
               "the API host " + std::string(api_host) + " is not Synthflow's, so " + host + " cannot be matched to its region");
  if (host != region->sip_host)
    return row(id, number, check_result::fail,
               std::string(setting) + " " + host + " is not the SIP host of the API's region " + region->name + " (" +
                   region->sip_host + ")",
               "set " + std::string(setting) + " to " + region->sip_host + ":32681 (or \"auto\")");
  if (region->name == "global")
    return row(id, number, check_result::warn,
               host + " is the legacy Global cluster's host; new workspaces are in us or eu");
  return row(id, number, check_result::pass, host + " is region " + region->name + "'s SIP host");
}

check_row judge_webhook(std::string_view number, const webhook_settings& expected, const webhook_settings& actual) {
  constexpr std::string_view id = "twilio.webhook";
  const std::string fix = std::string(kProvisionFix) + " (twilio.manage_numbers), or set the number's \"A call comes "
                                                       "in\" webhook in Twilio's Console";
  if (actual.voice_url != expected.voice_url)
    return row(id, number, check_result::fail,
               "VoiceUrl is \"" + actual.voice_url + "\", expected \"" + expected.voice_url + "\"", fix);
  if (actual.voice_method != "POST" && actual.voice_method != "GET")
    return row(id, number, check_result::fail, "VoiceMethod is \"" + actual.voice_method + "\"", fix);
  if (!expected.voice_fallback_url.empty() && actual.voice_fallback_url != expected.voice_fallback_url)
    return row(id, number, check_result::fail,
               "VoiceFallbackUrl is \"" + actual.voice_fallback_url + "\", expected \"" + expected.voice_fallback_url + "\"",
               fix);
  std::string detail = "VoiceUrl " + actual.voice_url + " (" + actual.voice_method + ")";
  detail += actual.voice_fallback_url.empty() ? ", no fallback URL" : ", fallback " + actual.voice_fallback_url;
  return row(id, number, check_result::pass, std::move(detail));
}

std::vector<check_row> group_alerts(const nlohmann::json& alerts, const std::vector<std::string>& numbers,
                                    std::string_view public_url) {
  struct group {
    std::size_t count = 0;
    std::string text;
  };
  std::map<std::string, group> by_code;
  if (!alerts.is_array()) return {};
  for (const nlohmann::json& alert : alerts) {
    if (!alert.is_object()) continue;
    const std::string url = alert.value("request_url", std::string());
    const std::string text = alert.value("alert_text", std::string());
    const bool ours = (numbers.empty() && public_url.empty()) ||
                      (!public_url.empty() && url.starts_with(public_url)) ||
                      std::any_of(numbers.begin(), numbers.end(), [&](const std::string& n) {
                        return text.find(n) != std::string::npos || url.find(n) != std::string::npos;
                      });
    if (!ours) continue;
    std::string code = alert.contains("error_code") && alert["error_code"].is_string() ? alert["error_code"].get<std::string>()
                       : alert.contains("error_code") && alert["error_code"].is_number()
                           ? std::to_string(alert["error_code"].get<long>())
                           : std::string("?");
    group& g = by_code[code];
    ++g.count;
    if (g.text.empty()) g.text = alert.value("alert_text", std::string()).substr(0, 160);
  }
  std::vector<check_row> rows;
  for (const auto& [code, g] : by_code)
    rows.push_back(row("twilio.alerts", kWholeSetUp, check_result::warn,
                       "error " + code + " x" + std::to_string(g.count) + (g.text.empty() ? "" : ": " + g.text)));
  return rows;
}

check_row summarize_calls(std::string_view number, const nlohmann::json& calls) {
  constexpr std::string_view id = "twilio.calls";
  if (!calls.is_array() || calls.empty()) return row(id, number, check_result::pass, "no calls to it yet");
  std::map<std::string, std::size_t> by_status;
  long total_seconds = 0;
  for (const nlohmann::json& call : calls) {
    if (!call.is_object()) continue;
    const nlohmann::json status = call.value("status", nlohmann::json());
    ++by_status[status.is_string() ? status.get<std::string>() : std::string("unknown")];
    const nlohmann::json duration = call.value("duration", nlohmann::json());
    if (duration.is_string()) total_seconds += std::strtol(duration.get<std::string>().c_str(), nullptr, 10);
  }
  std::string detail = "last " + std::to_string(calls.size()) + " call(s):";
  bool failures = false;
  for (const auto& [status, count] : by_status) {
    detail += " " + std::to_string(count) + " " + status + ",";
    failures = failures || status == "failed" || status == "busy" || status == "no-answer";
  }
  detail += " " + std::to_string(total_seconds / static_cast<long>(calls.size())) + " s on average";
  return row(id, number, failures ? check_result::warn : check_result::pass, std::move(detail));
}

int run_doctor(const config::service_config& config, bool json, std::ostream& out) {
  doctor_inputs inputs{config};
  inputs.monitor_url = config.twilio.monitor_url;
  const std::vector<check_row> rows = run_checks(doctor_checks(), inputs);
  out << (json ? format_json(rows) + "\n" : format_table(rows));
  return doctor_exit_code(rows);
}


// ---- doctor --call ---------------------------------------------------------------------------

namespace {

// The kind of an event of GET /calls/{sid}: its "event" field.
std::string event_type(const nlohmann::json& event) {
  if (!event.is_object()) return {};
  const auto type = event.value("event", nlohmann::json());
  return type.is_string() ? type.get<std::string>() : std::string();
}

std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return {};
  const auto& value = object.at(key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  return {};
}

std::vector<nlohmann::json> events_of(const nlohmann::json& record, std::string_view type) {
  std::vector<nlohmann::json> found;
  if (!record.is_object() || !record.contains("events") || !record["events"].is_array()) return found;
  for (const auto& event : record["events"])
    if (event_type(event) == type) found.push_back(event);
  return found;
}

constexpr std::array<std::string_view, 5> kEndedStatuses = {"completed", "busy", "failed", "no-answer", "canceled"};

bool has_ended(const nlohmann::json& call) {
  const std::string status = text_of(call, "status");
  return std::find(kEndedStatuses.begin(), kEndedStatuses.end(), status) != kEndedStatuses.end();
}

}  // namespace

std::vector<check_row> summarize_test_call(const test_call_evidence& evidence) {
  std::vector<check_row> rows;
  const std::string to = text_of(evidence.placed, "to");
  const std::string status = text_of(evidence.placed, "status");
  const std::string sid = text_of(evidence.placed, "sid");
  if (!has_ended(evidence.placed)) {
    rows.push_back(row("call.placed", to, check_result::fail,
                       sid + " had not ended when doctor stopped following it (status " + status + ")",
                       "look the call up in Twilio's Console (Monitor > Calls); it ends at its TimeLimit"));
  } else {
    rows.push_back(row("call.placed", to, status == "completed" ? check_result::pass : check_result::fail,
                       sid + " ended " + status + " after " + text_of(evidence.placed, "duration") + " s",
                       status == "completed" ? "" : "the number did not answer the test call: see twilio.calls and twilio.alerts"));
  }
  if (evidence.inbound.is_null()) {
    rows.push_back(row("call.webhook", to, check_result::skip,
                       "no inbound leg to " + to + " was seen: the call reached a number that is not the account's"));
    return rows;
  }
  const std::string leg = text_of(evidence.inbound, "sid");
  if (evidence.record.is_null()) {
    rows.push_back(row("call.webhook", to, check_result::fail,
                       "this deployment has no record of " + leg + " (" + evidence.record_note + ")",
                       "the number's webhook does not reach this deployment: see twilio.webhook and public_url"));
    return rows;
  }
  const auto webhooks = events_of(evidence.record, "webhook");
  rows.push_back(row("call.webhook", to, webhooks.empty() ? check_result::fail : check_result::pass,
                     webhooks.empty() ? leg + " is recorded, but without its webhook"
                                      : "Twilio requested /redirect_call for " + leg + " (" +
                                            std::to_string(webhooks.size()) + " time(s))",
                     webhooks.empty() ? "see the service's log lines for this CallSid" : ""));

  const auto dials = events_of(evidence.record, "dial_outcome");
  if (dials.empty()) {
    rows.push_back(row("call.sip", to, check_result::warn,
                       "no <Dial> outcome was recorded (the agent's leg was still up, or the call was not dialled)"));
  } else {
    const auto& last = dials.back();
    const std::string dial_status = text_of(last, "dial_call_status");
    const std::string code = text_of(last, "sip_response_code");
    rows.push_back(row("call.sip", to, dial_status == "completed" ? check_result::pass : check_result::fail,
                       "the agent's SIP leg ended " + dial_status + (code.empty() ? "" : ", SIP " + code) +
                           (dials.size() > 1 ? " (" + std::to_string(dials.size()) + " dials)" : ""),
                       dial_status == "completed" ? "" : "see sip.options and synthflow.number for that SIP host"));
    rows.push_back(row("call.duration", to, check_result::pass,
                       "the agent's leg lasted " + text_of(last, "dial_call_duration") + " s; the call " +
                           text_of(evidence.inbound, "duration") + " s"));
  }

  const auto lookups = events_of(evidence.record, "context_lookup");
  if (lookups.empty()) {
    rows.push_back(row("call.context", to, evidence.context_action ? check_result::fail : check_result::skip,
                       "Synthflow did not ask /call_context for this call",
                       evidence.context_action ? "see synthflow.action: the pre-call action is missing or fails" : ""));
  } else {
    std::string fields;
    bool found = false;
    for (const auto& lookup : lookups) {
      found = found || lookup.value("found", false);
      // "fields": the call-id fields Synthflow filled, comma-separated.
      std::string listed = text_of(lookup, "fields");
      for (std::size_t start = 0; start < listed.size();) {
        const std::size_t comma = std::min(listed.find(',', start), listed.size());
        const std::string field = listed.substr(start, comma - start);
        if (!field.empty() && fields.find(field) == std::string::npos) fields += (fields.empty() ? "" : ", ") + field;
        start = comma + 1;
      }
    }
    rows.push_back(row("call.context", to, found ? check_result::pass : check_result::fail,
                       "Synthflow asked /call_context " + std::to_string(lookups.size()) + " time(s), fields filled: " +
                           (fields.empty() ? "none" : fields) + (found ? "; answered from the record" : "; not found"),
                       found ? "" : "the fields Synthflow filled hold no CallSid of this call: see docs/caller-context.md"));
    // The docs' statement on what Synthflow's variables hold on a call it did not place.
    rows.push_back(row("unconfirmed.synthflow_call_id_fields", to, check_result::pass,
                       "settled for this account: on an inbound call Synthflow filled " +
                           (fields.empty() ? std::string("no call-id field") : fields)));
  }
  if (lookups.empty())
    rows.push_back(row("unconfirmed.synthflow_call_id_fields", to, check_result::skip,
                       "not settled: Synthflow did not ask /call_context"));
  // The docs' statement on which SIP final response becomes which DialCallStatus.
  if (!dials.empty() && !text_of(dials.back(), "sip_response_code").empty())
    rows.push_back(row("unconfirmed.sip_status_mapping", to, check_result::pass,
                       "settled for one code: SIP " + text_of(dials.back(), "sip_response_code") + " became DialCallStatus " +
                           text_of(dials.back(), "dial_call_status")));
  else
    rows.push_back(row("unconfirmed.sip_status_mapping", to, check_result::skip,
                       "not settled: no SIP response code was recorded"));
  return rows;
}

namespace {

// A usage or configuration problem of doctor --call: printed, exit 2.
int refuse_call(std::ostream& out, const std::string& why) {
  out << "twiml-redirect: doctor --call: " << why << "\n";
  return 2;
}

// This deployment's record of `sid` (GET PUBLIC_URL/calls/{sid}, bearer token), or null and why not.
nlohmann::json fetch_call_record(const config::service_config& config, const std::string& sid, std::string& note,
                                 check_control& control) {
  const std::string& token = config.context.token;
  if (config.twilio.public_url.empty()) {
    note = "PUBLIC_URL is not set";
    return nullptr;
  }
  if (token.empty()) {
    note = "no CALL_CONTEXT_TOKEN to read it with";
    return nullptr;
  }
  outbound::endpoint where;
  auto session = open_session(config.twilio.public_url, "twilio.public_url", "", "", config.twilio.request_timeout,
                              control, where);
  if (!session->client) {
    note = session->problem;
    return nullptr;
  }
  outbound::http_request request;
  request.target = where.base_path + "/calls/" + sid;
  request.auth = outbound::bearer_auth{token};
  const outbound::http_result result = session->client->send(request);
  if (!result.ok()) {
    note = "GET /calls/" + sid + ": " + result.error_message;
    return nullptr;
  }
  if (result.response.status != 200) {
    note = "GET /calls/" + sid + " answered HTTP " + std::to_string(result.response.status);
    return nullptr;
  }
  auto parsed = nlohmann::json::parse(result.response.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    note = "GET /calls/" + sid + " did not answer a JSON object";
    return nullptr;
  }
  return parsed;
}

}  // namespace

int run_doctor_call(const config::service_config& config, const test_call_options& options, bool json, std::ostream& out) {
  const config::twilio_config& tw = config.twilio;
  if (auto unusable = twilio_unusable(tw, "call.placed")) return refuse_call(out, unusable->detail);
  if (twilio::check_called(options.to))
    return refuse_call(out, "the number to call must be E.164 (+14155550100), got \"" + options.to + "\"");
  std::string from = options.from;
  if (from.empty() && !config.numbers.empty()) from = config.numbers.front().phone_number;
  if (from.empty() || twilio::check_called(from))
    return refuse_call(out, "--from must be one of the account's numbers in E.164 (none is configured)");

  check_control control;
  outbound::endpoint where;
  auto session = open_session(tw.api_url, "twilio.api_url", tw.ca_file, "twilio.ca_file", tw.request_timeout, control, where);
  if (!session->client) return refuse_call(out, session->problem);
  const std::string calls_path = where.base_path + "/2010-04-01/Accounts/" + tw.account_sid + "/Calls.json";

  // The placed leg only waits (TimeLimit ends it) while the called number's own webhook runs the call.
  outbound::http_request place;
  place.method = boost::beast::http::verb::post;
  place.target = calls_path;
  place.auth = twilio_credentials(tw);
  place.headers.push_back({"Accept", "application/json", false});
  place.body = outbound::form_body({{"To", options.to},
                                    {"From", from},
                                    {"Twiml", "<Response><Pause length=\"60\"/></Response>"},
                                    {"Timeout", "30"},
                                    {"TimeLimit", "90"}});
  const outbound::http_result placed = session->client->send(place);
  if (!placed.ok()) return refuse_call(out, "POST Calls.json: " + placed.error_message);
  auto created = nlohmann::json::parse(placed.response.body, nullptr, false);
  if (placed.response.status != 201 || !created.is_object() || text_of(created, "sid").empty()) {
    const std::string message = created.is_object() ? text_of(created, "message") : std::string();
    out << "twiml-redirect: doctor --call: Twilio refused the test call (HTTP " << placed.response.status
        << (message.empty() ? "" : ": " + message) << ")\n";
    return 1;
  }
  const std::string sid = text_of(created, "sid");

  test_call_evidence evidence;
  evidence.placed = created;
  evidence.context_action = config.context.synthflow_action;
  const auto deadline = std::chrono::steady_clock::now() + options.follow_for;
  for (;;) {
    outbound::http_request list;
    list.target = calls_path + "?" + outbound::form_encode({{"To", options.to}, {"PageSize", "20"}});
    list.auth = twilio_credentials(tw);
    list.headers.push_back({"Accept", "application/json", false});
    const outbound::http_result answer = session->client->send(list);
    auto calls = answer.ok() ? nlohmann::json::parse(answer.response.body, nullptr, false) : nlohmann::json();
    if (calls.is_object() && calls.contains("calls") && calls["calls"].is_array()) {
      for (const auto& call : calls["calls"]) {
        if (text_of(call, "sid") == sid) evidence.placed = call;
        // The leg the call made at `to`: inbound, from our number, not the placed call itself.
        if (text_of(call, "sid") != sid && text_of(call, "direction") == "inbound" && text_of(call, "from") == from &&
            evidence.inbound.is_null())
          evidence.inbound = call;
      }
    }
    if (has_ended(evidence.placed) || std::chrono::steady_clock::now() + options.poll_every > deadline) break;
    std::this_thread::sleep_for(options.poll_every);
  }
  if (!evidence.inbound.is_null())
    evidence.record = fetch_call_record(config, text_of(evidence.inbound, "sid"), evidence.record_note, control);
  const std::vector<check_row> rows = summarize_test_call(evidence);
  out << (json ? format_json(rows) + "\n" : format_table(rows));
  return doctor_exit_code(rows);
}

}  // namespace twiml_redirect::app
