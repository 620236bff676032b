#include "twiml_redirect/context/memory_store.hpp"

#include <malloc.h>

#include <algorithm>
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::context {
namespace {

// Records removed per lock hold when sweeping: a few microseconds, so a webhook's put never waits long.
constexpr std::size_t kSweepBatch = 256;
// A sweep that removed at least this many records hands the freed pages back (malloc_trim): after a
// burst, the process shrinks again instead of keeping its peak.
constexpr std::size_t kTrimAfterRemoved = 4096;
// A queue slot (string + time point, in the deque's blocks) and an index node with its bucket share.
constexpr std::size_t kSlotOverhead = 48 + 64;

}  // namespace

memory_store::memory_store(std::size_t max_entries, std::chrono::seconds ttl, clock::duration sweep_every,
                           std::size_t max_bytes)
    : max_entries_(std::max<std::size_t>(max_entries, 1)),
      max_bytes_(std::max<std::size_t>(max_bytes, 1)),
      ttl_(ttl),
      sweep_every_(sweep_every) {
  index_.reserve(std::min<std::size_t>(max_entries_, 1024));
  if (sweep_every_ > clock::duration::zero()) sweeper_ = std::thread([this] { util::run_thread_body("call store sweeper", [this] { sweep_loop(); }); });
}

memory_store::~memory_store() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

std::string_view memory_store::call_sid_of(const std::string& packed) {
  if (packed.empty()) return {};
  return std::string_view(packed).substr(1, static_cast<unsigned char>(packed.front()));
}

std::size_t memory_store::cost_of(const std::string& packed) { return packed.capacity() + kSlotOverhead; }

void memory_store::pop_front_locked() {
  const std::string_view call_sid = call_sid_of(slots_.front().packed);
  const auto it = index_.find(call_sid);
  if (it != index_.end() && it->second == front_sequence_) index_.erase(it);
  bytes_ -= cost_of(slots_.front().packed) + slots_.front().events_bytes;
  slots_.pop_front();
  ++front_sequence_;
}

void memory_store::put_at(call_record record, clock::time_point now) {
  if (record.call_sid().empty()) return;
  std::string packed = record.pack();
  std::lock_guard lock(mutex_);
  ++records_;
  // Expired records at the front go first, a couple per put, so a busy store needs no sweep.
  for (int i = 0; i < 2 && !slots_.empty() && slots_.front().expires <= now; ++i) {
    pop_front_locked();
    ++expired_;
  }
  // A repeated webhook for the same call (Twilio's retry): the newest record replaces the old one in
  // its slot, keeping the first one's expiry (so the queue stays in expiry order) and taking no new
  // slot. The index key points into the record's own bytes, so it is re-keyed.
  if (const auto it = index_.find(call_sid_of(packed)); it != index_.end()) {
    slot& held = slots_[static_cast<std::size_t>(it->second - front_sequence_)];
    const std::uint64_t sequence = it->second;
    index_.erase(it);
    bytes_ = bytes_ - cost_of(held.packed) + cost_of(packed);
    held.packed = std::move(packed);
    index_.emplace(call_sid_of(held.packed), sequence);
    return;
  }
  const std::size_t cost = cost_of(packed);
  while (!slots_.empty() && (slots_.size() >= max_entries_ || bytes_ + cost > max_bytes_)) {
    pop_front_locked();
    ++evicted_;
  }
  bytes_ += cost;
  slots_.push_back({std::move(packed), now + ttl_, {}, 0});
  const std::uint64_t sequence = front_sequence_ + slots_.size() - 1;
  index_.emplace(call_sid_of(slots_.back().packed), sequence);
}

std::optional<call_record> memory_store::find_at(std::string_view call_sid, clock::time_point now) const {
  std::string packed;
  {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(call_sid);
    if (it == index_.end()) return std::nullopt;
    const slot& found = slots_[static_cast<std::size_t>(it->second - front_sequence_)];
    if (found.expires <= now) return std::nullopt;
    packed = found.packed;
  }
  return call_record::unpack(packed);
}

std::size_t memory_store::remove_expired(clock::time_point now, std::size_t at_most) {
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  while (removed < at_most && !slots_.empty() && slots_.front().expires <= now) {
    pop_front_locked();
    ++removed;
  }
  expired_ += removed;
  return removed;
}

std::size_t memory_store::size() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

std::size_t memory_store::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void memory_store::add_event(std::string_view call_sid, std::string event) {
  std::lock_guard lock(mutex_);
  const auto it = index_.find(call_sid);
  if (it == index_.end()) return;  // no record (expired, evicted, never kept): no path either
  slot& held = slots_[static_cast<std::size_t>(it->second - front_sequence_)];
  if (held.events.size() >= kMaxCallEvents) return;
  // Counted against max_bytes like the record; the bound is checked at the next put.
  held.events_bytes += event.capacity() + sizeof(std::string);
  bytes_ += event.capacity() + sizeof(std::string);
  held.events.push_back(std::move(event));
}

void memory_store::get_events(std::string call_sid, events_callback done) {
  events_result result;
  {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(call_sid);
    if (it != index_.end()) {
      const slot& found = slots_[static_cast<std::size_t>(it->second - front_sequence_)];
      if (found.expires > clock::now()) {
        result.result = lookup_result::outcome::found;
        result.events = found.events;
      }
    }
  }
  done(std::move(result));
}

void memory_store::get(std::string call_sid, lookup_callback done) {
  auto record = find_at(call_sid, clock::now());
  {
    std::lock_guard lock(mutex_);
    ++(record ? lookups_found_ : lookups_unknown_);
  }
  if (!record) return done({lookup_result::outcome::unknown, {}});
  done({lookup_result::outcome::found, std::move(*record)});
}

void memory_store::sweep_loop() {
  std::unique_lock lock(mutex_);
  while (!stop_cv_.wait_for(lock, sweep_every_, [this] { return stopping_; })) {
    lock.unlock();
    // Batches with the lock released between them: webhooks interleave with a long sweep.
    std::size_t removed = 0;
    for (std::size_t batch = kSweepBatch; batch == kSweepBatch;) removed += batch = remove_expired(clock::now(), kSweepBatch);
    lock.lock();
    if (removed >= kTrimAfterRemoved) {
      // The index's bucket array does not shrink by itself; a quarter full, it is rebuilt smaller.
      if (index_.bucket_count() > 1024 && index_.size() * 4 < index_.bucket_count()) index_.rehash(0);
      lock.unlock();
      ::malloc_trim(0);
      lock.lock();
    }
  }
}

void memory_store::append_metrics(std::string& out) const {
  std::lock_guard lock(mutex_);
  out += "# HELP twiml_redirect_call_context_store_up Whether the call context store answers lookups (1) or not (0).\n"
         "# TYPE twiml_redirect_call_context_store_up gauge\n"
         "twiml_redirect_call_context_store_up{store=\"memory\"} 1\n";
  out += "# HELP twiml_redirect_call_context_entries Call records held in memory now.\n"
         "# TYPE twiml_redirect_call_context_entries gauge\n"
         "twiml_redirect_call_context_entries " + std::to_string(index_.size()) + "\n";
  out += "# HELP twiml_redirect_call_context_bytes Bytes the memory store's records take now (context.max_bytes bounds it).\n"
         "# TYPE twiml_redirect_call_context_bytes gauge\n"
         "twiml_redirect_call_context_bytes " + std::to_string(bytes_) + "\n";
  out += "# HELP twiml_redirect_call_context_records_total Call records written by the webhook.\n"
         "# TYPE twiml_redirect_call_context_records_total counter\n"
         "twiml_redirect_call_context_records_total " + std::to_string(records_) + "\n";
  out += "# HELP twiml_redirect_call_context_removed_total Call records removed, by why.\n"
         "# TYPE twiml_redirect_call_context_removed_total counter\n"
         "twiml_redirect_call_context_removed_total{reason=\"expired\"} " + std::to_string(expired_) + "\n"
         "twiml_redirect_call_context_removed_total{reason=\"evicted\"} " + std::to_string(evicted_) + "\n";
  out += "# HELP twiml_redirect_call_context_lookups_total Store lookups, by result.\n"
         "# TYPE twiml_redirect_call_context_lookups_total counter\n"
         "twiml_redirect_call_context_lookups_total{result=\"found\"} " + std::to_string(lookups_found_) + "\n"
         "twiml_redirect_call_context_lookups_total{result=\"unknown\"} " + std::to_string(lookups_unknown_) + "\n";
}

}  // namespace twiml_redirect::context
