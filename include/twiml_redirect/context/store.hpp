#pragma once
// Where call records live between Twilio's webhook and Synthflow's pre-call action: the interface
// both stores implement, and the factory that picks one from the configuration.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/context/call_record.hpp"

namespace twiml_redirect::context {

struct lookup_result {
  enum class outcome { found, unknown, unavailable };
  outcome result = outcome::unknown;
  call_record record;  // when found
};

// Called exactly once per lookup, on any thread.
using lookup_callback = std::function<void(lookup_result)>;

// A call's path as the service saw it (GET /calls/{CallSid}): one JSON object per event, oldest
// first, at most kMaxCallEvents; no caller data in any of them.
inline constexpr std::size_t kMaxCallEvents = 64;
struct events_result {
  lookup_result::outcome result = lookup_result::outcome::unknown;
  std::vector<std::string> events;  // when found
};
using events_callback = std::function<void(events_result)>;

class call_store {
 public:
  virtual ~call_store() = default;

  // Keeps `record` under its CallSid for the configured TTL. Never blocks and never fails the
  // caller: a store that cannot keep it drops it (and counts that). Thread-safe.
  virtual void put(call_record record) = 0;

  // Looks `call_sid` up and calls `done` with the result within the lookup deadline (unavailable
  // when the store has not answered by then). Thread-safe; `done` may run before get() returns.
  virtual void get(std::string call_sid, lookup_callback done) = 0;

  // Whether get() always calls `done` before it returns (an in-process store): then a handler can
  // answer at once instead of deferring its answer.
  virtual bool answers_inline() const = 0;

  // Adds one event (a JSON object) to the call's path, kept as long as its record; past
  // kMaxCallEvents, later events are dropped. Never blocks, never fails the caller. Thread-safe.
  virtual void add_event(std::string_view call_sid, std::string event) = 0;

  // The call's events, oldest first, as get() answers (within the lookup deadline). Thread-safe.
  virtual void get_events(std::string call_sid, events_callback done) = 0;

  // The webhook's record and its event together: put(record), then add_event() of `event`. A store
  // may keep both in one write (Redis: one SET per webhook instead of a SET and three list commands).
  virtual void put_with_event(call_record record, std::string event) {
    const std::string call_sid = record.call_sid();
    put(std::move(record));
    if (!event.empty()) add_event(call_sid, std::move(event));
  }

  // Circuit-breaker state shared by replicas (routing/breaker.hpp). The Redis store keeps it; the
  // memory store shares nothing, and these do nothing. None blocks or fails the caller: with Redis
  // down, each replica goes on with its own breakers.
  //
  // One more failure of the agent legs to `target`, counted for `window` from the first one;
  // `done` gets the count so far, on the store's thread, if Redis answers.
  virtual void count_target_failure(std::string_view /*target*/, std::chrono::seconds /*window*/,
                                    std::function<void(long long count)> /*done*/) {}
  // Marks `target` open for every replica, for `cooldown`.
  virtual void mark_target_open(std::string_view /*target*/, std::chrono::milliseconds /*cooldown*/) {}
  // Every `every`, asks which of `targets()` some replica marked open, and calls `opened` (on the
  // store's thread) with each one and the time its mark has left.
  using open_target_callback = std::function<void(const std::string& target, std::chrono::milliseconds left)>;
  virtual void watch_open_targets(std::function<std::vector<std::string>()> /*targets*/, open_target_callback /*opened*/,
                                  std::chrono::milliseconds /*every*/) {}

  // "memory" or "redis", for logs and the metrics' store label.
  virtual const char* kind() const = 0;

  // The store's state in the Prometheus text format (twiml_redirect_call_context_store_* lines).
  // Thread-safe.
  virtual void append_metrics(std::string& out) const = 0;
};

// The store `config` asks for. A Redis store starts connecting in the background and never throws
// for an unreachable server (it reconnects); a config it cannot use at all throws config_error.
std::unique_ptr<call_store> make_store(const config::context_config& config);

// Why the configured Redis cannot be used right now (unreachable, AUTH refused), or nullopt; nullopt
// for the memory store. Blocks up to `timeout`: for check-config and startup, which only warn.
std::optional<std::string> probe_store(const config::context_config& config, std::chrono::milliseconds timeout);

}  // namespace twiml_redirect::context
