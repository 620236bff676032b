#pragma once
// The route table in force, which a reload (SIGHUP) may replace while requests are being answered.
// Every Twilio-called handler reads it through one shared holder, so a reload changes them all at
// once and no request sees a mix of two configurations.
//
// Reading happens on every webhook, so it must stay as cheap as reading a plain pointer: each
// thread keeps its own reference to the table it last used, and only checks a generation number
// that changes on each replace(). A thread takes the lock (and the reference count) once after
// each reload, not once per request. A request in flight keeps the table it started with, because
// its thread's reference is only dropped when that thread asks for the table again.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::routing {

class live_routes {
 public:
  explicit live_routes(std::shared_ptr<const route_table> initial);
  live_routes(const live_routes&) = delete;
  live_routes& operator=(const live_routes&) = delete;

  // The table in force. The reference stays valid until this same thread calls current() again
  // (on any live_routes), so a handler takes it once and uses it to the end of the request.
  const route_table& current() const;

  // The table in force, held: for callers that keep it beyond one request, or hand it to another
  // thread. Takes the lock.
  std::shared_ptr<const route_table> snapshot() const;

  // Puts `next` in force. Requests already answering keep the table they started with; each thread
  // moves to `next` at its next current(). Thread-safe.
  void replace(std::shared_ptr<const route_table> next);

 private:
  mutable std::mutex mutex_;  // guards table_, and pairs it with generation_
  std::shared_ptr<const route_table> table_;
  // Unique across every live_routes in the process (a global counter hands them out), so a thread's
  // cached table can never be mistaken for another holder's that happens to share an address.
  std::atomic<std::uint64_t> generation_;
};

}  // namespace twiml_redirect::routing
