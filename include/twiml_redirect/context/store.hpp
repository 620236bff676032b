#pragma once
// Where call records live between Twilio's webhook and Synthflow's pre-call action: the interface
// both stores implement, and the factory that picks one from the configuration.

#include <functional>
#include <memory>
#include <optional>
#include <string>

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
