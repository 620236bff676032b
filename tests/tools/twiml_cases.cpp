// Prints twiml-redirect's TwiML for the cases in tests/twiml_node/cases.json, as JSON, for
// tests/twiml_node/compare.js to check against twilio-node's VoiceResponse.
// Usage: twiml_cases CASES.json  ->  {"default_sip_target": ..., "routed": [{name, twiml}], "documents": [...]}
//
// Routed cases go the way a webhook goes: the configuration through the real schema, the route
// table, and /redirect_call's handler with the form POST Twilio sends. Documents go through the
// TwiML writer, verb by verb.

#include <cctype>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <string>

#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/outbound/request.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/twilio/twiml.hpp"

namespace {

using namespace twiml_redirect;
using json = nlohmann::ordered_json;

constexpr std::string_view kCallSid = "CA0123456789abcdef0123456789abcdef";

std::string routed_twiml(const json& c) {
  const config::service_config config = config::parse_config(c.at("config").dump(), [](const std::string&) {
    return std::optional<std::string>();  // the file alone: no environment overrides
  });
  http::request req{http::beast_http::verb::post, "/redirect_call", 11};
  req.set(http::beast_http::field::content_type, "application/x-www-form-urlencoded");
  req.body() = outbound::form_encode({{"Called", c.at("called").get<std::string>()}, {"CallSid", std::string(kCallSid)}});
  req.prepare_payload();
  const app::twilio_request decoded(req, req.target());
  http::request_context context;
  const routing::route_table routes(config);
  const http::response res = app::handle_redirect_call(decoded, context, routes);
  if (res.result() != http::beast_http::status::ok) throw std::runtime_error("handler answered " + res.body());
  return res.body();
}

// twilio-node's method name ("say", "hangup") as the element's name ("Say", "Hangup").
std::string element_name(std::string method) {
  method[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(method[0])));
  return method;
}

// Attribute values as twilio-node writes them: JSON true/false and numbers as their text.
twilio::attributes to_attributes(const json& spec) {
  twilio::attributes attrs;
  if (!spec.contains("attributes")) return attrs;
  for (const auto& [name, value] : spec.at("attributes").items())
    attrs.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  return attrs;
}

std::string document_twiml(const json& c) {
  twilio::twiml_document document;
  for (const json& verb : c.at("verbs")) {
    const std::string name = element_name(verb.at("verb").get<std::string>());
    if (!verb.contains("nouns")) {
      document.element(name, to_attributes(verb), verb.value("text", ""));
      continue;
    }
    document.open(name, to_attributes(verb));
    for (const json& noun : verb.at("nouns"))
      document.element(element_name(noun.at("noun").get<std::string>()), to_attributes(noun), noun.value("text", ""));
    document.close(name);
  }
  return document.finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: twiml_cases CASES.json\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::off);  // stdout is the JSON; the handler's log lines are not wanted
  try {
    std::ifstream file(argv[1]);
    if (!file) throw std::runtime_error(std::string(argv[1]) + ": cannot be opened");
    const json cases = json::parse(file);
    json out = {{"call_sid", kCallSid},
                {"default_sip_target", config::sip_config{}.target},
                {"routed", json::array()},
                {"documents", json::array()}};
    for (const json& c : cases.at("routed")) out["routed"].push_back({{"name", c.at("name")}, {"twiml", routed_twiml(c)}});
    for (const json& c : cases.at("documents"))
      out["documents"].push_back({{"name", c.at("name")}, {"twiml", document_twiml(c)}});
    std::cout << out.dump(2) << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "twiml_cases: " << error.what() << "\n";
    return 1;
  }
}
