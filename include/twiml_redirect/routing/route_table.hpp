#pragma once
// Per-number call handling: the configuration's numbers and top-level defaults resolved, key by key,
// into one route per number, looked up by the Called number of each webhook. Built once per
// configuration (at startup and on reload); lookups are a hash find. Pure: no I/O.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/routing/breaker.hpp"
#include "twiml_redirect/twilio/sip_uri.hpp"
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
  twilio::sip_uri_template sip_headers;          // X-EI form and X- headers, escaped once
  twilio::dial_attributes dial;                  // with action (failover) and referUrl (transfers) set
  std::string first_dial_prefix;                 // twilio::dial_sip_prefix(dial), computed once
  std::vector<config::failover_step> failover;   // tried in order after a failed dial
  std::vector<std::string> transfer_allow;       // allow-list patterns (twilio/transfer.hpp)
  double ai_share = 1.0;                         // share of calls sent to the agent (goes_to_ai)
  // Fixed variables /call_context adds for calls to this number, in the order config lists them.
  // Here, not in the caller-context handler, so a reload changes them with the rest of the route.
  std::vector<std::pair<std::string, std::string>> variables;
};

// A number's `sip` (x_ei, headers) over the top-level one: x_ei when set, headers name by name.
twilio::sip_uri_template resolve_sip_headers(const config::sip_headers_config& number, const config::sip_config& defaults);

// The SIP URI of a dial of `route`'s call to `sip_target` (the route's own, or a failover step's),
// with the route's X-EI form and headers, `params` filling "{Param}" headers. Every <Sip> the
// service writes comes from here; write the URI with twiml_document (or append_xml_text), which
// escapes the '&' between headers. Headers left out for length are in the result's `omitted`:
// count and log their names (never values: they can be caller data).
twilio::sip_uri_result build_sip_uri(const call_route& route, std::string_view sip_target, std::string_view called,
                                     std::string_view call_sid, const twilio::call_parameters& params);

// `dial` of a number over the top-level `dial`, key by key, as <Dial> attributes.
twilio::dial_attributes resolve_dial(const config::dial_config& number, const config::dial_config& defaults);

// One route from a number's settings (or, for numbers not configured, from an empty number_config).
call_route make_route(const config::number_config& number, const config::service_config& config);

class route_table {
 public:
  // `health`: the breakers of the SIP targets, which outlive any one table (a reload keeps their
  // state); null: no breaker (commands that answer one webhook, tests).
  explicit route_table(const config::service_config& config, std::shared_ptr<breaker_registry> health = nullptr);

  // The table of a configuration that has no numbers and dials `sip_target` (tests, benchmarks).
  static route_table dialing(std::string_view sip_target);

  // The route of a call to `called`: the number's own, else the default route; nullptr when the
  // number is not configured and routing.unknown_numbers is "reject".
  const call_route* find(std::string_view called) const;

  // Whether `called` is one of the configured numbers.
  bool is_configured(std::string_view called) const;

  std::size_t size() const { return numbers_.size(); }

  // What numbers that are not configured get: default_route(), or <Reject> when rejects_unknown().
  const call_route& default_route() const { return default_route_; }
  bool rejects_unknown() const { return reject_unknown_; }

  // The SIP targets' breakers, or null. Thread-safe; shared by every table of the process.
  breaker_registry* health() const { return health_.get(); }
  // The same, owned: for a holder that may outlive this table (a reload keeps the registry).
  std::shared_ptr<breaker_registry> shared_health() const { return health_; }

  // Calls `visit(number, route)` for every configured number, in no particular order.
  template <typename Visit>
  void for_each_number(Visit&& visit) const {
    for (const auto& [number, route] : numbers_) visit(std::string_view(number), route);
  }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  std::unordered_map<std::string, call_route, string_hash, std::equal_to<>> numbers_;
  call_route default_route_;
  bool reject_unknown_ = false;
  std::shared_ptr<breaker_registry> health_;
};

// The effective routing as JSON, for `check-config`: every configured number (sorted) with its
// resolved sip_target, <Dial> attributes as Twilio gets them, failover steps and transfer
// allow-list, and what other numbers get. indent as for config::describe_config.
std::string describe_routes(const route_table& routes, int indent = 2);

}  // namespace twiml_redirect::routing
