#include "twiml_redirect/routing/route_table.hpp"

#include <map>

namespace twiml_redirect::routing {

std::string dial_action_url(std::size_t next_step) {
  return std::string(kDialActionPath.substr(1)) + "?step=" + std::to_string(next_step);
}

twilio::sip_uri_template resolve_sip_headers(const config::sip_headers_config& number, const config::sip_config& defaults) {
  std::map<std::string, std::string> headers = defaults.headers;
  for (const auto& [name, value] : number.headers) headers[name] = value;
  const std::string x_ei = number.x_ei.value_or(defaults.x_ei);
  return twilio::sip_uri_template(x_ei == "tokens" ? twilio::x_ei_form::tokens : twilio::x_ei_form::call_sid, headers);
}

twilio::sip_uri_result build_sip_uri(const call_route& route, std::string_view sip_target, std::string_view called,
                                     std::string_view call_sid, const twilio::call_parameters& params) {
  return route.sip_headers.build(called, sip_target, call_sid, params);
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
  route.sip_headers = resolve_sip_headers(number.sip, config.sip);
  route.dial = resolve_dial(number.dial, config.dial);
  route.failover = number.failover.value_or(config.failover);
  route.transfer_allow = number.transfer.allow.value_or(config.transfer.allow.value_or(std::vector<std::string>{}));
  route.ai_share = number.ai_share;
  route.variables.assign(number.variables.begin(), number.variables.end());
  // Without failover the action is only there for the breaker to hear the outcome, and then only
  // when asked: it changes the TwiML every such call gets.
  if (!route.failover.empty() || config.health.observe_without_failover) route.dial.action = dial_action_url(0);
  if (!route.transfer_allow.empty()) route.dial.refer_url = std::string(kReferPath.substr(1));
  route.first_dial_prefix = twilio::dial_sip_prefix(route.dial);
  return route;
}

route_table::route_table(const config::service_config& config, std::shared_ptr<breaker_registry> health)
    : default_route_(make_route(config::number_config{}, config)),
      reject_unknown_(config.routing.unknown_numbers == config::unknown_number_policy::reject),
      health_(std::move(health)) {
  numbers_.reserve(config.numbers.size());
  for (const config::number_config& number : config.numbers) numbers_.emplace(number.phone_number, make_route(number, config));
  if (health_) {
    // Every SIP target a call can dial shows in the gauge from the start.
    const auto track = [this](const call_route& route) {
      health_->track(route.sip_target);
      for (const config::failover_step& step : route.failover)
        if (step.sip_target) health_->track(*step.sip_target);
    };
    track(default_route_);
    for (const auto& entry : numbers_) track(entry.second);
  }
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
