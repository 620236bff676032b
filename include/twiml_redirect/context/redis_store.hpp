#pragma once
// The shared store for replicas: one Redis connection driven by hiredis' asynchronous API on a
// thread of its own (with its own io_context), so a slow, frozen or absent Redis never holds up a
// server thread. Writes are fire-and-forget through a bounded queue and go out pipelined (SET key
// value EX ttl, one JSON value per call, holding the webhook's event too), gathered for up to
// kWriteGather first, so that at load one wake-up of the store's thread and one write to Redis
// carry many webhooks' records (a lookup sends what is queued before itself, so a record is never
// read before it is written); a full queue drops and counts. Lookups (GET) answer within their
// deadline, 503-worthy "unavailable" when Redis is down or late; past max_pending_lookups waiting
// at once, at once. A PING every probe_interval notices a Redis that stopped answering (frozen,
// black-holed) while the connection still looks open: no answer within probe_timeout marks the
// store down and reconnects. The connection comes back by itself, with capped exponential backoff,
// reset only once a probe has answered on the new connection (so a Redis that freezes right after
// each connect is not reconnected to ever faster).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "twiml_redirect/context/store.hpp"
#include "twiml_redirect/util/log_throttle.hpp"
#include "twiml_redirect/util/url.hpp"

struct redisAsyncContext;
struct redisReply;
// hiredis' callback type (hiredis/async.h), declared here so the header needs no hiredis include.
typedef void(redisCallbackFn)(struct redisAsyncContext*, void*, void*);

namespace twiml_redirect::context {

class redis_store final : public call_store {
 public:
  struct settings {
    util::redis_url url;
    std::string password;  // never logged
    std::chrono::seconds ttl{3600};
    std::chrono::milliseconds lookup_timeout{500};
    std::size_t write_queue_limit = 10'000;  // records waiting for Redis; more are dropped
    std::chrono::milliseconds connect_timeout{1'000};
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{5'000};
    std::chrono::milliseconds probe_interval{1'000};
    std::chrono::milliseconds probe_timeout{1'000};
    std::size_t max_pending_lookups = 1'000;  // more waiting at once are answered unavailable at once
  };

  // How long queued writes wait for company before they are sent.
  static constexpr std::chrono::milliseconds kWriteGather{2};
  // Queued writes that are sent at once, without waiting for the rest of kWriteGather.
  static constexpr std::size_t kWriteBatch = 64;

  // Starts the thread and the first connect; never throws for an unreachable server.
  explicit redis_store(settings settings);
  // Answers pending lookups as unavailable, drops queued writes, joins the thread.
  ~redis_store() override;
  redis_store(const redis_store&) = delete;
  redis_store& operator=(const redis_store&) = delete;

  void put(call_record record) override;
  void get(std::string call_sid, lookup_callback done) override;
  void add_event(std::string_view call_sid, std::string event) override;
  // The event is kept inside the record's JSON, under kWebhookEventKey (one SET); the later events
  // go to the call's list. get_events() answers the record's event first, then the list.
  void put_with_event(call_record record, std::string event) override;
  void get_events(std::string call_sid, events_callback done) override;
  bool answers_inline() const override { return false; }
  const char* kind() const override { return "redis"; }
  void append_metrics(std::string& out) const override;
  // Keys twiml-redirect:health:failures:<target> (INCR, created with the window's expiry) and
  // twiml-redirect:health:open:<target> (set with the cooldown's expiry), read with PTTL.
  void count_target_failure(std::string_view target, std::chrono::seconds window,
                            std::function<void(long long count)> done) override;
  void mark_target_open(std::string_view target, std::chrono::milliseconds cooldown) override;
  void watch_open_targets(std::function<std::vector<std::string>()> targets, open_target_callback opened,
                          std::chrono::milliseconds every) override;

  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  std::uint64_t writes_dropped() const { return writes_dropped_.load(std::memory_order_relaxed); }

  // The key a call's record is kept under, and the list of its events.
  static std::string key_of(std::string_view call_sid);
  static std::string events_key_of(std::string_view call_sid);
  // Where in a record's JSON the webhook's event is kept (a JSON string holding the event's JSON):
  // lower case and with an underscore, as no Twilio parameter is named.
  static constexpr std::string_view kWebhookEventKey = "webhook_event";
  // The webhook's event kept in a record's JSON, if it holds one.
  static std::optional<std::string> webhook_event_of(std::string_view record_json);

 private:
  template <class Result>
  struct pending_read;

  // All of these run on the store's thread.
  void connect();
  void on_connected(int status);
  void on_disconnected(int status);
  void schedule_reconnect();
  void drop_connection();
  void flush_writes();
  // Sends the queued writes once kWriteGather has passed.
  void gather_writes();
  void start_lookup(std::string call_sid, lookup_callback done);
  // Sends `command` and answers `done` with what `on_reply` makes of the reply, or unavailable at
  // the lookup deadline or without a connection.
  // The read is returned while it waits for its reply (a caller may send more commands whose
  // replies complete it); null when it was answered at once.
  template <class Result>
  std::shared_ptr<pending_read<Result>> start_read(std::initializer_list<std::string_view> command,
                                                   std::function<void(Result)> done, redisCallbackFn* on_reply);
  // Sends one more command whose reply goes to `on_reply` with `op`; false, and `op` answered
  // unavailable, when it could not be sent.
  template <class Result>
  bool send_read(const std::shared_ptr<pending_read<Result>>& op, std::initializer_list<std::string_view> command,
                 redisCallbackFn* on_reply);
  // Counts a lookup in as waiting, or (past max_pending_lookups) counts it shed and says no.
  bool admit_lookup();
  void schedule_probe();
  static void on_probe_reply(redisAsyncContext* ac, void* reply, void* data);
  static void on_connect_hook(const redisAsyncContext* ac, int status);
  static void on_disconnect_hook(const redisAsyncContext* ac, int status);
  static void on_write_reply(redisAsyncContext* ac, void* reply, void* data);
  // How a read's reply handler starts: it takes its read back from hiredis' callback data (the reply
  // is hiredis' last use of it) and, when the reply is an error or missing (the connection went
  // away), answers the read unavailable and returns no reply.
  template <class Result>
  static std::pair<std::shared_ptr<pending_read<Result>>, const redisReply*> take_reply(void* reply, void* data);
  static void on_lookup_reply(redisAsyncContext* ac, void* reply, void* data);
  static void on_events_record_reply(redisAsyncContext* ac, void* reply, void* data);
  static void on_events_reply(redisAsyncContext* ac, void* reply, void* data);
  void start_events_lookup(std::string call_sid, events_callback done);
  // Queues a record's JSON (SET) or an event (RPUSH) for the write pipeline (put and add_event).
  void enqueue(std::string call_sid, bool is_record, std::string value);
  static void on_setup_reply(redisAsyncContext* ac, void* reply, void* data);
  // Sends one command whose reply goes to `handler` (null when the connection went first); false,
  // and nothing sent, when there is no connection. On the store's thread.
  using reply_handler = std::function<void(const redisReply* reply)>;
  bool send_command(std::initializer_list<std::string_view> args, reply_handler handler);
  static void on_handler_reply(redisAsyncContext* ac, void* reply, void* data);
  void schedule_health_watch();

  const settings settings_;
  const std::string endpoint_;  // host:port, for logs
  boost::asio::io_context io_context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer connect_deadline_;
  boost::asio::steady_timer probe_timer_;
  boost::asio::steady_timer health_watch_timer_;
  boost::asio::steady_timer write_gather_timer_;
  std::function<std::vector<std::string>()> watched_targets_;  // set once, before the watch starts
  open_target_callback on_open_target_;
  std::chrono::milliseconds health_watch_every_{1'000};
  bool probe_outstanding_ = false;  // a health PING sent on ac_, not answered yet
  std::chrono::steady_clock::time_point probe_sent_;
  redisAsyncContext* ac_ = nullptr;  // the connection, or null between attempts
  bool connecting_ = false;
  bool stopping_ = false;
  bool was_up_ = false;             // for "reconnected" vs "connected" in the log
  bool outage_logged_ = false;      // one warning per outage, not one per attempt
  std::chrono::milliseconds backoff_;
  std::size_t outstanding_writes_ = 0;  // sent, reply not yet read
  bool held_back_ = false;  // the last flush left records queued: at write_queue_limit outstanding

  // Shared with the server threads.
  mutable std::mutex queue_mutex_;
  struct queued_record {
    std::chrono::steady_clock::time_point at;  // when the webhook handed it over
    bool is_record;                            // a record's JSON (SET), or else an event (RPUSH)
    std::string call_sid;
    std::string value;
  };
  std::deque<queued_record> queue_;
  bool flush_posted_ = false;
  util::log_throttle drop_log_;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> writes_dropped_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<std::uint64_t> lookups_found_{0};
  std::atomic<std::uint64_t> lookups_unknown_{0};
  std::atomic<std::uint64_t> lookups_unavailable_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> probe_failures_{0};
  std::atomic<std::size_t> pending_lookups_{0};  // get() called, not finished
  std::atomic<std::uint64_t> lookups_shed_{0};

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace twiml_redirect::context
