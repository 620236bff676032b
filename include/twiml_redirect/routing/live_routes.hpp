#pragma once
// The route table in force, which a reload (SIGHUP) may replace while requests are being answered.
// Every Twilio-called handler reads it through one shared holder, so a reload changes them all at
// once and no request sees a mix of two configurations.
//
// Reading happens on every webhook, so it must stay cheap: each thread keeps its own reference to
// the table it last used, and only checks a generation number that changes on each replace(). A
// thread takes the lock once after each reload, not once per request. current() hands out a
// reference-counted copy of that pointer (one uncontended atomic increment), so the table a
// request holds stays alive whatever that thread reads next.

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

  // The table in force, held for as long as the caller keeps it (a handler: to the end of its
  // request; an earlier reading stays valid across any later one, and across replace()).
  std::shared_ptr<const route_table> current() const;

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
