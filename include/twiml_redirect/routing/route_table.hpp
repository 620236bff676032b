#pragma once
// Per-number call handling: the configuration's numbers and top-level defaults resolved, key by key,
// into one route per number, looked up by the Called number of each webhook. Built once per
// configuration (at startup and on reload); lookups are a hash find. Pure: no I/O.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/twilio/twiml.hpp"

namespace twiml_redirect::routing {

// The callbacks' paths. Their URLs in the TwiML are relative ("dial_action?step=0"), so Twilio
// resolves them against the webhook's own URL and a proxy's path prefix carries over.
inline constexpr std::string_view kDialActionPath = "/dial_action";
inline constexpr std::string_view kReferPath = "/refer";

// The relative URL of the action that takes failover step `next_step` when a dial fails.
std::string dial_action_url(std::size_t next_step);

// Everything a call to one number gets, with the number's own settings over the defaults.
struct call_route {
  std::string sip_target;                        // host[:port] of the first dial
  twilio::dial_attributes dial;                  // with action (failover) and referUrl (transfers) set
  std::string first_dial_prefix;                 // twilio::dial_sip_prefix(dial), computed once
  std::vector<config::failover_step> failover;   // tried in order after a failed dial
  std::vector<std::string> transfer_allow;       // allow-list patterns (twilio/transfer.hpp)
};

// `dial` of a number over the top-level `dial`, key by key, as <Dial> attributes.
twilio::dial_attributes resolve_dial(const config::dial_config& number, const config::dial_config& defaults);

// One route from a number's settings (or, for numbers not configured, from an empty number_config).
call_route make_route(const config::number_config& number, const config::service_config& config);

class route_table {
 public:
  explicit route_table(const config::service_config& config);

  // The table of a configuration that has no numbers and dials `sip_target` (tests, benchmarks).
  static route_table dialing(std::string_view sip_target);

  // The route of a call to `called`: the number's own, else the default route; nullptr when the
  // number is not configured and routing.unknown_numbers is "reject".
  const call_route* find(std::string_view called) const;

  // Whether `called` is one of the configured numbers.
  bool is_configured(std::string_view called) const;

  std::size_t size() const { return numbers_.size(); }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  std::unordered_map<std::string, call_route, string_hash, std::equal_to<>> numbers_;
  call_route default_route_;
  bool reject_unknown_ = false;
};

}  // namespace twiml_redirect::routing
