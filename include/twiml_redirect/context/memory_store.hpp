#pragma once
// The embedded store: records in this process, for one instance. Bounded by max_entries and by
// max_bytes (the oldest record goes first), each kept for the TTL; a repeated webhook for a call
// replaces its record in place. Every record has the same TTL, so insertion order is
// also expiry order: one FIFO serves both eviction and expiry, and cleaning up expired records is a
// walk from its front in short batches, each under the lock for microseconds, never a stop of the
// worker threads.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "twiml_redirect/context/store.hpp"

namespace twiml_redirect::context {

class memory_store final : public call_store {
 public:
  using clock = std::chrono::steady_clock;

  // With `sweep_every` > 0, a thread of its own removes expired records that often, and gives the
  // freed memory back to the system after a sweep that removed many.
  memory_store(std::size_t max_entries, std::chrono::seconds ttl,
               clock::duration sweep_every = std::chrono::seconds(1),
               std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

  // What one record is counted as: its packed bytes plus the queue slot and index node that hold it.
  static std::size_t cost_of(const std::string& packed);
  ~memory_store() override;
  memory_store(const memory_store&) = delete;
  memory_store& operator=(const memory_store&) = delete;

  void put(call_record record) override { put_at(std::move(record), clock::now()); }
  void get(std::string call_sid, lookup_callback done) override;
  void add_event(std::string_view call_sid, std::string event) override;
  void get_events(std::string call_sid, events_callback done) override;
  bool answers_inline() const override { return true; }
  const char* kind() const override { return "memory"; }
  void append_metrics(std::string& out) const override;

  // The same with the time given, for tests.
  void put_at(call_record record, clock::time_point now);
  std::optional<call_record> find_at(std::string_view call_sid, clock::time_point now) const;
  // Removes up to `at_most` expired records from the front; how many it removed.
  std::size_t remove_expired(clock::time_point now, std::size_t at_most);
  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct slot {
    std::string packed;  // call_record::pack(); the CallSid is its first value
    clock::time_point expires;
    std::vector<std::string> events;  // the call's path, oldest first
    std::size_t events_bytes = 0;
  };

  // The CallSid inside a slot's packed record: the map's key points into it.
  static std::string_view call_sid_of(const std::string& packed);
  // Drops the front slot; its map entry too, unless a later put of the same call replaced it.
  void pop_front_locked();
  void sweep_loop();

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  std::size_t bytes_ = 0;                    // cost_of() of every slot
  const std::chrono::seconds ttl_;
  const clock::duration sweep_every_;
  mutable std::mutex mutex_;
  std::deque<slot> slots_;                   // oldest first
  std::uint64_t front_sequence_ = 0;         // the sequence number of slots_.front()
  std::unordered_map<std::string_view, std::uint64_t> index_;  // CallSid -> sequence number
  std::uint64_t evicted_ = 0;                // dropped at max_entries before their TTL
  std::uint64_t expired_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t lookups_found_ = 0;
  std::uint64_t lookups_unknown_ = 0;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace twiml_redirect::context
