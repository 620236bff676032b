#pragma once
// A stop request that sleeping threads notice at once: retry back-offs wait on it instead of
// sleeping, so stopping the service never waits out a 30 s back-off.

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace twiml_redirect::outbound {

class stop_signal {
 public:
  // Wakes every waiter; later waits return immediately. Thread-safe.
  void request_stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

  // Whether request_stop() was called.
  bool stop_requested() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }

  // Waits for `delay` unless a stop comes first; true when the whole delay passed.
  bool wait_for(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, delay, [this] { return stopped_; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace twiml_redirect::outbound
