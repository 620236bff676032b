#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::routing {

std::string dial_action_url(std::size_t next_step) {
  return std::string(kDialActionPath.substr(1)) + "?step=" + std::to_string(next_step);
}

twilio::dial_attributes resolve_dial(const config::dial_config& number, const config::dial_config& defaults) {
  twilio::dial_attributes dial;
  dial.timeout = number.timeout_s ? number.timeout_s : defaults.timeout_s;
  dial.answer_on_bridge = number.answer_on_bridge ? number.answer_on_bridge : defaults.answer_on_bridge;
  dial.time_limit = number.time_limit_s ? number.time_limit_s : defaults.time_limit_s;
  dial.record = number.record ? number.record : defaults.record;
  dial.ring_tone = number.ring_tone ? number.ring_tone : defaults.ring_tone;
  return dial;
}

call_route make_route(const config::number_config& number, const config::service_config& config) {
  call_route route;
  route.sip_target = number.sip_target.value_or(config.sip.target);
  route.dial = resolve_dial(number.dial, config.dial);
  route.failover = number.failover.value_or(config.failover);
  route.transfer_allow = number.transfer.allow.value_or(config.transfer.allow.value_or(std::vector<std::string>{}));
  if (!route.failover.empty()) route.dial.action = dial_action_url(0);
  if (!route.transfer_allow.empty()) route.dial.refer_url = std::string(kReferPath.substr(1));
  route.first_dial_prefix = twilio::dial_sip_prefix(route.dial);
  return route;
}

route_table::route_table(const config::service_config& config)
    : default_route_(make_route(config::number_config{}, config)),
      reject_unknown_(config.routing.unknown_numbers == config::unknown_number_policy::reject) {
  numbers_.reserve(config.numbers.size());
  for (const config::number_config& number : config.numbers) numbers_.emplace(number.phone_number, make_route(number, config));
}

route_table route_table::dialing(std::string_view sip_target) {
  config::service_config config;
  config.sip.target = sip_target;
  return route_table(config);
}

const call_route* route_table::find(std::string_view called) const {
  if (const auto it = numbers_.find(called); it != numbers_.end()) return &it->second;
  return reject_unknown_ ? nullptr : &default_route_;
}

bool route_table::is_configured(std::string_view called) const { return numbers_.find(called) != numbers_.end(); }

}  // namespace twiml_redirect::routing
