#pragma once
// Health-aware routing at the webhook: whether a call's first dial goes to its agent at all (the
// number's ai_share, and the circuit breaker of the agent's SIP target), and what the <Dial> action
// tells the breakers afterwards. The decisions are routing/breaker.hpp's; this part logs the
// transitions, counts diversions and shows each target's state in /metrics.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "twiml_redirect/context/store.hpp"
#include "twiml_redirect/routing/breaker.hpp"
#include "twiml_redirect/routing/live_routes.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace twiml_redirect::app {

// Why a call skipped its agent: the breaker of its SIP target is open (or half-open and this is not
// a probe), or the number's ai_share sent it elsewhere.
enum class divert_reason { breaker, ai_share };
std::string_view to_string(divert_reason reason);

class health_sharing;

// The counters, registered on (and living in) the service's metrics, plus a section that writes
// twiml_redirect_target_state{target} from the breakers of the table in force (none without
// `routes`: another instance over the same metrics, counting into the same counters).
class health_metrics {
 public:
  // `sharing`, when set, must outlive this: it hears this replica's failures and openings.
  health_metrics(util::metrics& metrics, std::shared_ptr<const routing::live_routes> routes,
                 const health_sharing* sharing = nullptr);
  const health_sharing* sharing() const { return sharing_; }

  void count_diverted(divert_reason reason) const;
  // Logs one line naming the target, the states and the counts that caused it, and counts it.
  void note(std::string_view target, const routing::breaker_transition& transition) const;

 private:
  util::labelled_counter& diverted_;     // {reason}
  util::labelled_counter& transitions_;  // {to}
  const health_sharing* sharing_;
};

// Breakers shared by replicas through the Redis store (with the memory store there is nothing to
// share, and serve makes none). Each failure heard here is counted in Redis per target, with the
// window's expiry; the replica whose count reaches trip_after marks the target open for the
// cooldown, as does any replica whose own breaker opens. Every second each replica reads the marks
// and opens its own breaker for what is left of the cooldown, so they trip together. Probing and
// closing stay each replica's own. Redis down: each replica has its own breakers, as without Redis,
// and no webhook waits or fails.
class health_sharing {
 public:
  // `store`, `routes` and `metrics` must outlive this.
  health_sharing(context::call_store& store, std::shared_ptr<const routing::live_routes> routes, util::metrics& metrics);
  ~health_sharing();
  health_sharing(const health_sharing&) = delete;
  health_sharing& operator=(const health_sharing&) = delete;

  // This replica heard a failed agent leg to `target`.
  void failure_heard(std::string_view target) const;
  // This replica's breaker of `target` opened.
  void opened_here(std::string_view target) const;

 private:
  struct state;  // what the store's callbacks hold: alive until the last of them has run
  std::shared_ptr<state> state_;
};

// Whether the first dial of a call to `route` goes to its agent; the reason when it does not. Only a
// route with failover steps is diverted (there must be somewhere else to go); without steps the
// breaker is still asked, so it moves on to half-open and reports, but the call is always dialled.
std::optional<divert_reason> divert_first_dial(const routing::call_route& route, std::string_view call_sid,
                                               routing::breaker_registry* health, const health_metrics* metrics,
                                               std::chrono::steady_clock::time_point now);

// Feeds the outcome of a dial into a SIP target's breaker: the agent's first dial (step 0 of the
// action) or a failover step that dialled another SIP target. A person's number never counts.
void hear_dial_outcome(const routing::call_route& route, std::size_t step, std::string_view dial_call_status,
                       routing::breaker_registry* health, const health_metrics* metrics,
                       std::chrono::steady_clock::time_point now);

}  // namespace twiml_redirect::app
