#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::routing {
namespace {

using json = nlohmann::ordered_json;

// A failover step with only the keys it sets, as the configuration spells them.
json describe_step(const config::failover_step& step) {
  json out = json::object();
  const auto add = [&out](const char* key, const std::optional<std::string>& value) {
    if (value) out[key] = *value;
  };
  add("sip_target", step.sip_target);
  add("dial_number", step.dial_number);
  add("say", step.say);
  add("voice", step.voice);
  add("language", step.language);
  add("redirect", step.redirect);
  return out;
}

json describe_route(const call_route& route) {
  json dial = json::object();
  // The attributes as the <Dial> carries them, names and values alike, so what is shown is what
  // Twilio reads.
  for (const auto& [name, value] : twilio::to_attributes(route.dial)) dial[name] = value;
  json failover = json::array();
  for (const config::failover_step& step : route.failover) failover.push_back(describe_step(step));
  return {{"sip_target", route.sip_target},
          {"dial", std::move(dial)},
          {"failover", std::move(failover)},
          {"transfer_allow", route.transfer_allow}};
}

}  // namespace

std::string describe_routes(const route_table& routes, int indent) {
  std::vector<std::pair<std::string_view, const call_route*>> numbers;
  numbers.reserve(routes.size());
  routes.for_each_number([&](std::string_view number, const call_route& route) { numbers.emplace_back(number, &route); });
  std::sort(numbers.begin(), numbers.end());
  json listed = json::array();
  for (const auto& [number, route] : numbers) {
    json entry = {{"phone_number", number}};
    entry.update(describe_route(*route));
    listed.push_back(std::move(entry));
  }
  json unknown = routes.rejects_unknown() ? json{{"policy", "reject"}, {"answer", "<Reject reason=\"rejected\"/>"}}
                                          : json{{"policy", "default"}, {"route", describe_route(routes.default_route())}};
  const json out = {{"numbers", std::move(listed)}, {"unknown_numbers", std::move(unknown)}};
  return out.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace twiml_redirect::routing
