#pragma once
// Whether the service should receive traffic (/readyz), and why not. Written by startup and by
// provisioning on their own threads, read by request handlers: guarded by a mutex, since it changes
// a handful of times per process lifetime and is read only by health probes.

#include <mutex>
#include <string>

namespace twiml_redirect::app {

class readiness {
 public:
  struct state {
    bool ready = false;
    std::string reason;  // why not ready; empty when ready
  };

  explicit readiness(std::string initial_reason = "starting") : state_{false, std::move(initial_reason)} {}

  void set_ready() {
    std::lock_guard lock(mutex_);
    state_ = {true, {}};
  }

  void set_not_ready(std::string reason) {
    std::lock_guard lock(mutex_);
    state_ = {false, std::move(reason)};
  }

  state get() const {
    std::lock_guard lock(mutex_);
    return state_;
  }

 private:
  mutable std::mutex mutex_;
  state state_;
};

}  // namespace twiml_redirect::app
