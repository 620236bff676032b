#pragma once
// A repeated event (a refused connection, a failed accept, a forged signature) logged at most once
// per interval with the number that happened since, so a flood costs one line a second, not one per
// event. Every event is still counted in the metrics. Pure: the caller passes the time.

#include <chrono>
#include <cstdint>

namespace twiml_redirect::util {

class log_throttle {
 public:
  using clock = std::chrono::steady_clock;

  explicit log_throttle(clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

  // Counts one event. Returns how many events the line due now should report (this one and those
  // suppressed since the last line), or 0 when no line is due. The first event always gets a line.
  std::uint64_t note(clock::time_point now) {
    ++pending_;
    if (logged_once_ && now - last_line_ < interval_) return 0;
    logged_once_ = true;
    last_line_ = now;
    const std::uint64_t events = pending_;
    pending_ = 0;
    return events;
  }

 private:
  clock::duration interval_;
  clock::time_point last_line_{};
  std::uint64_t pending_ = 0;
  bool logged_once_ = false;
};

}  // namespace twiml_redirect::util
