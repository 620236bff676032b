#include "twiml_redirect/routing/live_routes.hpp"

#include <stdexcept>

namespace twiml_redirect::routing {
namespace {

std::atomic<std::uint64_t> next_generation{1};

// What a thread last read: the table and the generation it belonged to. 0 matches no holder.
struct cached_table {
  std::uint64_t generation = 0;
  std::shared_ptr<const route_table> table;
};
thread_local cached_table cache;

}  // namespace

live_routes::live_routes(std::shared_ptr<const route_table> initial)
    : table_(std::move(initial)), generation_(next_generation.fetch_add(1, std::memory_order_relaxed)) {
  if (!table_) throw std::invalid_argument("live_routes needs a route table");
}

std::shared_ptr<const route_table> live_routes::current() const {
  if (cache.generation != generation_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mutex_);
    cache.table = table_;
    cache.generation = generation_.load(std::memory_order_relaxed);
  }
  return cache.table;
}

std::shared_ptr<const route_table> live_routes::snapshot() const {
  std::lock_guard lock(mutex_);
  return table_;
}

void live_routes::replace(std::shared_ptr<const route_table> next) {
  if (!next) throw std::invalid_argument("live_routes needs a route table");
  std::lock_guard lock(mutex_);
  table_ = std::move(next);
  generation_.store(next_generation.fetch_add(1, std::memory_order_relaxed), std::memory_order_release);
}

}  // namespace twiml_redirect::routing
