#include "twiml_redirect/app/health.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace twiml_redirect::app {
namespace {

// The SIP target whose outcome the action for failover step `step` reports: the action of step N
// reports how the dial of step N-1 ended, and step 0's reports the agent's own first dial. Empty
// when that dial was not into a SIP target (a person's number).
std::string_view dialled_target(const routing::call_route& route, std::size_t step) {
  if (step == 0) return route.sip_target;
  if (step - 1 < route.failover.size() && route.failover[step - 1].sip_target) return *route.failover[step - 1].sip_target;
  return {};
}

}  // namespace

std::string_view to_string(divert_reason reason) { return reason == divert_reason::breaker ? "breaker" : "ai_share"; }

health_metrics::health_metrics(util::metrics& metrics, std::shared_ptr<const routing::live_routes> routes,
                               const health_sharing* sharing)
    : diverted_(metrics.counter("twiml_redirect_calls_diverted_total",
                                "Calls sent straight to their first failover step instead of the agent, by reason.",
                                {{"reason", {"breaker", "ai_share"}}})),
      transitions_(metrics.counter("twiml_redirect_target_transitions_total",
                                   "Circuit breaker state changes of the SIP targets, by the state entered.",
                                   {{"to", {"closed", "half_open", "open"}}})),
      sharing_(sharing) {
  if (!routes) return;
  metrics.add_section([routes](std::string& out) {
    const auto table = routes->snapshot();
    const routing::breaker_registry* health = table ? table->health() : nullptr;
    if (!health) return;
    out += "# HELP twiml_redirect_target_state Circuit breaker of each SIP target: 0 closed, 1 half-open, 2 open.\n"
           "# TYPE twiml_redirect_target_state gauge\n";
    // Targets are config values (host[:port], checked at load), never caller data.
    for (const auto& [target, state] : health->states())
      out += "twiml_redirect_target_state{target=\"" + target + "\"} " + std::to_string(static_cast<int>(state)) + "\n";
  });
}

void health_metrics::count_diverted(divert_reason reason) const { diverted_.increment({to_string(reason)}); }

void health_metrics::note(std::string_view target, const routing::breaker_transition& transition) const {
  transitions_.increment({routing::to_string(transition.to)});
  const auto log = transition.to == routing::breaker_state::open ? spdlog::level::warn : spdlog::level::info;
  spdlog::log(log, "health: SIP target {} {} -> {} (failures in window: {}, successes: {})", target,
              routing::to_string(transition.from), routing::to_string(transition.to), transition.failures_in_window,
              transition.successes);
}

std::optional<divert_reason> divert_first_dial(const routing::call_route& route, std::string_view call_sid,
                                               routing::breaker_registry* health, const health_metrics* metrics,
                                               std::chrono::steady_clock::time_point now) {
  const bool can_divert = !route.failover.empty();
  if (can_divert && !routing::goes_to_ai(call_sid, route.ai_share)) return divert_reason::ai_share;
  if (!health) return std::nullopt;
  const auto admitted = health->admit(route.sip_target, now);
  if (admitted.transition && metrics) metrics->note(route.sip_target, *admitted.transition);
  if (can_divert && !admitted.admission.try_target) return divert_reason::breaker;
  return std::nullopt;
}

void hear_dial_outcome(const routing::call_route& route, std::size_t step, std::string_view dial_call_status,
                       routing::breaker_registry* health, const health_metrics* metrics,
                       std::chrono::steady_clock::time_point now) {
  if (!health) return;
  const std::string_view target = dialled_target(route, step);
  if (target.empty()) return;
  const routing::leg_outcome outcome = routing::classify_agent_leg(dial_call_status);
  if (outcome == routing::leg_outcome::ignored) return;
  const auto transition = health->record(target, outcome, now);
  if (transition && metrics) metrics->note(target, *transition);
  const health_sharing* sharing = metrics ? metrics->sharing() : nullptr;
  if (!sharing) return;
  if (outcome == routing::leg_outcome::failure) sharing->failure_heard(target);
  if (transition && transition->to == routing::breaker_state::open) sharing->opened_here(target);
}

struct health_sharing::state {
  // The store runs the callbacks that use this, so it exists whenever they do.
  context::call_store& store;
  std::shared_ptr<const routing::live_routes> routes;
  health_metrics notes;  // counts and logs the transitions the marks cause, beside the router's
  std::atomic<bool> alive{true};

  state(context::call_store& s, std::shared_ptr<const routing::live_routes> r, util::metrics& metrics)
      : store(s), routes(std::move(r)), notes(metrics, nullptr) {}
  std::shared_ptr<routing::breaker_registry> registry() const {
    const auto table = routes->snapshot();
    return table ? table->shared_health() : nullptr;
  }
  // Another replica's mark (or this one's count reaching trip_after): open here too.
  void open(const std::string& target, std::chrono::milliseconds left) const {
    const auto health = registry();
    if (!health) return;
    if (const auto transition = health->open_shared(target, std::chrono::steady_clock::now(), left)) {
      spdlog::info("health: SIP target {} marked open by a replica ({} ms of its cooldown left)", target, left.count());
      notes.note(target, *transition);
    }
  }
};

health_sharing::health_sharing(context::call_store& store, std::shared_ptr<const routing::live_routes> routes,
                               util::metrics& metrics)
    : state_(std::make_shared<state>(store, std::move(routes), metrics)) {
  constexpr std::chrono::seconds kReadMarksEvery{1};
  store.watch_open_targets(
      [weak = std::weak_ptr<state>(state_)] {
        std::vector<std::string> targets;
        if (const auto s = weak.lock(); s && s->alive)
          if (const auto health = s->registry())
            for (auto& [target, breaker_state] : health->states()) targets.push_back(target);
        return targets;
      },
      [weak = std::weak_ptr<state>(state_)](const std::string& target, std::chrono::milliseconds left) {
        if (const auto s = weak.lock(); s && s->alive) s->open(target, left);
      },
      kReadMarksEvery);
}

health_sharing::~health_sharing() { state_->alive = false; }

void health_sharing::failure_heard(std::string_view target) const {
  const auto health = state_->registry();
  if (!health) return;
  const routing::breaker_settings settings = health->settings();
  state_->store.count_target_failure(
      target, settings.window,
      [weak = std::weak_ptr<state>(state_), target = std::string(target), settings](long long count) {
        const auto s = weak.lock();
        if (!s || !s->alive || count < static_cast<long long>(settings.trip_after)) return;
        const auto cooldown = std::chrono::duration_cast<std::chrono::milliseconds>(settings.cooldown);
        s->store.mark_target_open(target, cooldown);
        s->open(target, cooldown);
      });
}

void health_sharing::opened_here(std::string_view target) const {
  const auto health = state_->registry();
  if (!health) return;
  state_->store.mark_target_open(target, std::chrono::duration_cast<std::chrono::milliseconds>(health->settings().cooldown));
}

}  // namespace twiml_redirect::app
