#include "twiml_redirect/routing/breaker.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace twiml_redirect::routing {
namespace {

constexpr std::array<std::string_view, 3> kStateNames = {"closed", "half_open", "open"};

// A count of 0 would mean "never trip" or "never probe", which no configuration means: at least 1.
breaker_settings sanitized(breaker_settings settings) {
  settings.trip_after = std::max(settings.trip_after, 1U);
  settings.probe_every = std::max(settings.probe_every, 1U);
  settings.recover_after = std::max(settings.recover_after, 1U);
  return settings;
}

// FNV-1a, 64 bits (the published offset basis and prime): fixed arithmetic over the bytes, so every
// replica and platform computes the same value.
std::uint64_t fnv1a_64(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// MurmurHash3's 64-bit finalizer. FNV-1a mixes a string's last bytes into the low bits only, so
// CallSids differing in their last digits land close together in the top bits, which decide the
// share (sequential ones gave 32.5 % for a 30 % share); this spreads every input bit over all 64.
std::uint64_t fmix64(std::uint64_t hash) {
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace

std::string_view to_string(breaker_state state) { return kStateNames[static_cast<std::size_t>(state)]; }

leg_outcome classify_agent_leg(std::string_view dial_call_status) {
  // The SIP code and the duration agree with the status whenever Twilio sends them (see the header),
  // so the status alone decides; in particular a canceled leg never counts, whatever its code.
  if (dial_call_status == "completed" || dial_call_status == "answered") return leg_outcome::success;
  if (dial_call_status == "failed" || dial_call_status == "no-answer" || dial_call_status == "busy")
    return leg_outcome::failure;
  return leg_outcome::ignored;
}

circuit_breaker::circuit_breaker(const breaker_settings& settings) : settings_(sanitized(settings)) {}

void circuit_breaker::move_to(breaker_state to, unsigned failures, unsigned successes) {
  transition_ = breaker_transition{.from = state_, .to = to, .failures_in_window = failures, .successes = successes};
  state_ = to;
}

void circuit_breaker::forget_failures_before(time_point now) {
  // A failure exactly `window` old has left the window.
  while (!failures_.empty() && now - failures_.front() >= settings_.window) failures_.pop_front();
}

admission circuit_breaker::admit(time_point now) {
  transition_.reset();
  switch (state_) {
    case breaker_state::closed:
      return {.try_target = true, .probe = false};
    case breaker_state::open:
      if (now - opened_at_ < settings_.cooldown) return {.try_target = false, .probe = false};
      move_to(breaker_state::half_open, 0, 0);
      half_open_calls_ = 0;
      successes_ = 0;
      break;
    case breaker_state::half_open:
      break;
  }
  const bool probe = half_open_calls_ % settings_.probe_every == 0;
  // Wraps after 2^32 calls, which only shifts which call probes next.
  ++half_open_calls_;
  return {.try_target = probe, .probe = probe};
}

void circuit_breaker::record(leg_outcome outcome, time_point now) {
  transition_.reset();
  if (outcome == leg_outcome::ignored) return;
  switch (state_) {
    case breaker_state::closed: {
      forget_failures_before(now);
      if (outcome == leg_outcome::success) return;  // the failures within the window still count
      failures_.push_back(now);
      while (failures_.size() > settings_.trip_after) failures_.pop_front();
      if (failures_.size() < settings_.trip_after) return;
      const auto failures = static_cast<unsigned>(failures_.size());
      failures_.clear();  // they were for this opening; the next closed period starts afresh
      opened_at_ = now;
      move_to(breaker_state::open, failures, 0);
      return;
    }
    case breaker_state::half_open:
      if (outcome == leg_outcome::failure) {
        opened_at_ = now;
        move_to(breaker_state::open, 1, successes_);
        successes_ = 0;
        return;
      }
      if (++successes_ < settings_.recover_after) return;
      failures_.clear();
      move_to(breaker_state::closed, 0, successes_);
      successes_ = 0;
      return;
    case breaker_state::open:
      return;  // from a call admitted before it opened: the cooldown is what decides now
  }
}

std::optional<breaker_transition> circuit_breaker::take_transition() { return std::exchange(transition_, std::nullopt); }

void circuit_breaker::reconfigure(const breaker_settings& settings) {
  settings_ = sanitized(settings);
  while (failures_.size() > settings_.trip_after) failures_.pop_front();
}

breaker_registry::breaker_registry(const breaker_settings& settings) : settings_(sanitized(settings)) {}

circuit_breaker* breaker_registry::find_or_add(std::string_view target) {
  if (const auto found = breakers_.find(target); found != breakers_.end()) return &found->second;
  if (breakers_.size() >= kMaxTargets) return nullptr;
  return &breakers_.emplace(std::string(target), circuit_breaker(settings_)).first->second;
}

breaker_registry::admit_result breaker_registry::admit(std::string_view target, time_point now) {
  const std::lock_guard lock(mutex_);
  circuit_breaker* breaker = find_or_add(target);
  if (!breaker) return {.admission = {.try_target = true, .probe = false}, .transition = std::nullopt};
  const routing::admission admission = breaker->admit(now);
  return {.admission = admission, .transition = breaker->take_transition()};
}

void circuit_breaker::open_shared(time_point now, std::chrono::milliseconds left) {
  transition_.reset();
  if (state_ != breaker_state::closed) return;  // open already, or probing: its own outcomes decide
  const auto failures = static_cast<unsigned>(failures_.size());
  failures_.clear();
  // Dated so that the cooldown ends when the other replica's does.
  const auto left_clamped = std::min<std::chrono::steady_clock::duration>(left, settings_.cooldown);
  opened_at_ = now + left_clamped - settings_.cooldown;
  move_to(breaker_state::open, failures, 0);
}

std::optional<breaker_transition> breaker_registry::open_shared(std::string_view target, time_point now,
                                                                std::chrono::milliseconds left) {
  const std::lock_guard lock(mutex_);
  circuit_breaker* breaker = find_or_add(target);
  if (!breaker) return std::nullopt;
  breaker->open_shared(now, left);
  return breaker->take_transition();
}

breaker_settings breaker_registry::settings() const {
  const std::lock_guard lock(mutex_);
  return settings_;
}

std::optional<breaker_transition> breaker_registry::record(std::string_view target, leg_outcome outcome,
                                                           time_point now) {
  const std::lock_guard lock(mutex_);
  circuit_breaker* breaker = find_or_add(target);
  if (!breaker) return std::nullopt;
  breaker->record(outcome, now);
  return breaker->take_transition();
}

std::vector<std::pair<std::string, breaker_state>> breaker_registry::states() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, breaker_state>> states;
  states.reserve(breakers_.size());
  for (const auto& [target, breaker] : breakers_) states.emplace_back(target, breaker.state());
  return states;  // sorted: std::map iterates in key order
}

void breaker_registry::track(std::string_view target) {
  const std::lock_guard lock(mutex_);
  find_or_add(target);
}

void breaker_registry::reconfigure(const breaker_settings& settings) {
  const std::lock_guard lock(mutex_);
  settings_ = sanitized(settings);
  for (auto& entry : breakers_) entry.second.reconfigure(settings_);
}

bool goes_to_ai(std::string_view call_sid, double ai_share) {
  if (ai_share >= 1.0) return true;
  if (!(ai_share > 0.0)) return false;  // also NaN
  // The top 53 bits, as a double in [0, 1) with every value exactly representable.
  const double position = static_cast<double>(fmix64(fnv1a_64(call_sid)) >> 11) * 0x1.0p-53;
  return position < ai_share;
}

}  // namespace twiml_redirect::routing
