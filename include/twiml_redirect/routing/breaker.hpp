#pragma once
// Whether a call should try the AI platform at all. Each SIP target (a Synthflow ingress such as
// "sip.us.synthflow.ai:32681") has a circuit breaker fed by how the agent's SIP leg ended: when the
// platform keeps failing, calls skip it and go straight to the failover plan instead of waiting out a
// dial timeout each, and a few probe calls find out when it is back. Separately, goes_to_ai() sends a
// configured share of calls to the AI, the same way for the same call on every replica.
//
// Pure: no I/O, no logging, no clock reads (every time is passed in, so tests are deterministic). The
// callers log the transitions these functions hand back.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twiml_redirect::routing {

struct breaker_settings {
  unsigned trip_after = 5;            // failures within `window` that open the breaker
  std::chrono::seconds window{60};    // how long a failure keeps counting
  std::chrono::seconds cooldown{30};  // how long an open breaker refuses before probing
  unsigned probe_every = 5;           // half-open: 1 call in this many tries the target
  unsigned recover_after = 3;         // half-open: consecutive successes that close it again
};

// The numeric values are the metric gauge's, ordered from healthy to refusing.
enum class breaker_state { closed = 0, half_open = 1, open = 2 };

// "closed", "half_open", "open".
std::string_view to_string(breaker_state state);

enum class leg_outcome { success, failure, ignored };

// What one ended agent leg says about the platform behind its SIP target, from the <Dial> action's
// DialCallStatus:
// - "completed", "answered": success (the platform took the call);
// - "failed", "no-answer" (the platform never answers its own SIP leg, so silence means it is not
//   taking calls), "busy" (Synthflow's ingress answering 486 means the platform is refusing): failure;
// - "canceled" (the caller hung up first, or the call was cancelled through the API) and anything
//   unknown: ignored, they say nothing about the platform.
// The status decides on its own: DialSipResponseCode's 5xx/6xx only comes with failed/busy/no-answer
// (already failures) and a 2xx with completed (already a success), a canceled leg never counts
// whatever its code, and DialCallDuration adds nothing either; so neither is asked for.
//
// Only the agent leg (failover step 0, the SIP dial into the AI platform) may be fed to a breaker. A
// person's number dialled in a later step never is: a person not picking up says nothing about the
// platform, and must not switch the AI off for everyone else.
leg_outcome classify_agent_leg(std::string_view dial_call_status);

// One change of state, with the counts that caused it, for one log line.
struct breaker_transition {
  breaker_state from;
  breaker_state to;
  unsigned failures_in_window;  // closed → open: the failures in the window; half_open → open: 1
  unsigned successes;           // half_open → closed: the consecutive successes; else those so far
};

// Whether one call should try the target.
struct admission {
  bool try_target;  // false: skip the target, take the failover plan at once
  bool probe;       // true: a half-open probe, whose outcome decides whether the breaker closes
};

// The breaker of one target. Not thread-safe (breaker_registry locks around it).
//
// closed: every call tries the target. Failures are kept as timestamps; when `trip_after` of them fall
//   within `window`, it opens. A success does not clear them: a platform failing half its calls is
//   failing, and would otherwise never trip. Only `trip_after` timestamps are kept, the older ones
//   cannot matter once that many are newer.
// open: no call tries the target until `cooldown` has passed since it opened; the first call after
//   that moves it to half_open.
// half_open: the 1st call after entering it tries the target as a probe, then the (probe_every+1)th,
//   and so on, 1 call in `probe_every`; the others skip the target. One failure opens it again (a
//   new cooldown); `recover_after` consecutive successes close it.
// Outcomes recorded while open, from calls admitted before it opened, are ignored.
class circuit_breaker {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // Zero counts in `settings` are taken as 1.
  explicit circuit_breaker(const breaker_settings& settings = {});

  admission admit(time_point now);
  void record(leg_outcome outcome, time_point now);

  breaker_state state() const { return state_; }

  // The transition caused by the last admit() or record(), once: a second call, or a call after an
  // admit()/record() that changed nothing, gives nullopt.
  std::optional<breaker_transition> take_transition();

  // Uses new numbers from now on; the state and the counts so far stay. A closed breaker already
  // holding the new `trip_after` failures opens at its next failure.
  void reconfigure(const breaker_settings& settings);

  // Another replica opened the target's breaker, `left` before its cooldown ends: a closed breaker
  // opens until then (at most one cooldown). Open or half-open ones are already reacting: unchanged.
  void open_shared(time_point now, std::chrono::milliseconds left);

 private:
  void move_to(breaker_state to, unsigned failures, unsigned successes);
  void forget_failures_before(time_point now);

  breaker_settings settings_;
  breaker_state state_ = breaker_state::closed;
  std::deque<time_point> failures_;  // closed: the failure times within the window, oldest first
  time_point opened_at_{};
  unsigned half_open_calls_ = 0;  // half_open: calls admitted so far, for picking the probes
  unsigned successes_ = 0;        // half_open: consecutive successes
  std::optional<breaker_transition> transition_;
};

// The breakers of all targets, one per target string. Thread-safe.
class breaker_registry {
 public:
  using time_point = circuit_breaker::time_point;

  // Targets come from the configuration, so a few; beyond this many distinct ones (a bug, or targets
  // taken from requests) nothing is tracked: admit() says try, record() is ignored.
  static constexpr std::size_t kMaxTargets = 256;

  struct admit_result {
    routing::admission admission;
    std::optional<breaker_transition> transition;  // to log, when this admission changed the state
  };

  explicit breaker_registry(const breaker_settings& settings);
  breaker_registry(const breaker_registry&) = delete;
  breaker_registry& operator=(const breaker_registry&) = delete;

  admit_result admit(std::string_view target, time_point now);
  // The transition this outcome caused, to log.
  std::optional<breaker_transition> record(std::string_view target, leg_outcome outcome, time_point now);

  // Another replica opened `target` (circuit_breaker::open_shared); the transition, to log.
  std::optional<breaker_transition> open_shared(std::string_view target, time_point now, std::chrono::milliseconds left);
  breaker_settings settings() const;
  // Every known target's state, sorted by target, for the metrics gauge.
  std::vector<std::pair<std::string, breaker_state>> states() const;

  // New numbers for every breaker, present and future (a reload); states stay.
  void reconfigure(const breaker_settings& settings);

  // Creates the breaker of `target` (closed) if it has none, so the gauge lists every configured
  // target before its first call.
  void track(std::string_view target);

 private:
  // The breaker of `target`, created on first use; null past kMaxTargets. Call with mutex_ held.
  circuit_breaker* find_or_add(std::string_view target);

  mutable std::mutex mutex_;  // guards settings_ and breakers_
  breaker_settings settings_;
  std::map<std::string, circuit_breaker, std::less<>> breakers_;
};

// Whether the call `call_sid` goes to the AI when a share `ai_share` of calls does: always at 1.0 or
// more, never at 0.0 or less (or NaN). In between, a hash of the CallSid decides, so the answer is
// the same for every webhook of the call, on whichever replica answers it, before and after a restart:
// a call must not start on the AI and fail over as if it had not. Hence a hash written out here
// (FNV-1a, 64 bits, over the CallSid's bytes, then MurmurHash3's fmix64 finalizer so that CallSids
// differing only in their last digits still spread evenly) rather than std::hash, which differs
// between standard libraries and may be salted. Its top 53 bits, as a fraction in [0, 1), are
// compared with `ai_share`, so raising the share only ever adds calls.
bool goes_to_ai(std::string_view call_sid, double ai_share);

}  // namespace twiml_redirect::routing
