#pragma once
// Which failures of an HTTP API are worth another attempt, and how long to wait before it. Pure: the
// caller supplies the jitter and the current time, so every rule here is unit-tested without clocks.

#include <chrono>
#include <optional>
#include <string_view>

namespace twiml_redirect::outbound {

struct retry_policy {
  unsigned max_attempts = 5;                    // attempts per call, the first one included
  std::chrono::milliseconds initial_backoff{500};  // base delay before the first retry
  std::chrono::milliseconds max_backoff{30'000};   // cap on any single delay, Retry-After included
};

// True for HTTP statuses that say "try again later": 408, 429 and every 5xx. Other 4xx are the
// caller's fault and repeating the same request cannot fix them.
bool is_transient_status(unsigned status);

// True when a failed write with this status may still have taken effect on the server. 429 and 503
// are refusals before any work; other 5xx can come from a gateway after the backend acted.
bool status_may_have_applied(unsigned status);

// Delay before retry number `retry` (1 = the first retry): initial_backoff doubled per retry, capped
// at max_backoff, with "equal jitter" (half fixed, half random) so that many instances restarting
// together do not hit the API in lockstep. `jitter` is a uniform draw from [0, 1).
std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned retry, double jitter);

// The delay a Retry-After header asks for: delta-seconds ("120") or an HTTP-date relative to `now`.
// std::nullopt when the value is absent or unreadable, so the caller falls back to backoff.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// The delay actually used: Retry-After when the server sent one (never less than it asks, but
// capped at max_backoff so a start-up cannot stall for hours), else backoff_delay().
std::chrono::milliseconds retry_delay(const retry_policy& policy, unsigned retry, double jitter,
                                      std::optional<std::chrono::milliseconds> retry_after);

}  // namespace twiml_redirect::outbound
