#include "twiml_redirect/context/redis_store.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <type_traits>
#include <vector>

#include "hiredis_asio.hpp"
#include "twiml_redirect/util/redact.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::context {

namespace asio = boost::asio;

// A lookup waiting for GET's reply or its deadline, whichever comes first; the other is ignored.
// A read (a record's GET, a call's events' LRANGE) waiting for its reply or its deadline, whichever
// comes first; answered once. Held by the deadline's handler and by hiredis' callback data.
template <class Result>
struct redis_store::pending_read {
  pending_read(redis_store& store, std::function<void(Result)> done)
      : store(store), done(std::move(done)), deadline(store.io_context_) {}

  void finish(Result result) {
    if (answered) return;
    answered = true;
    deadline.cancel();
    if constexpr (std::is_same_v<Result, lookup_result>) {
      auto& counter = result.result == lookup_result::outcome::found     ? store.lookups_found_
                      : result.result == lookup_result::outcome::unknown ? store.lookups_unknown_
                                                                          : store.lookups_unavailable_;
      counter.fetch_add(1, std::memory_order_relaxed);
    }
    store.pending_lookups_.fetch_sub(1, std::memory_order_relaxed);
    done(std::move(result));
  }

  redis_store& store;
  std::function<void(Result)> done;
  asio::steady_timer deadline;
  bool answered = false;
  Result gathered{};  // what the replies before the last one found (a call's events: its record's)
};

namespace {

// Tags of the commands sent when a connection opens; PING's reply is what makes it usable.
constexpr const char* kAuth = "AUTH";
constexpr const char* kSelect = "SELECT";
constexpr const char* kPing = "PING";

std::string endpoint_of(const util::redis_url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// More than the longest command sent (SET key 0 EX seconds NX).
constexpr std::size_t kMaxArguments = 8;

int send(redisAsyncContext* ac, redisCallbackFn* callback, void* data, std::initializer_list<std::string_view> args) {
  if (args.size() > kMaxArguments) return REDIS_ERR;  // a command this file does not send
  std::array<const char*, kMaxArguments> argv{};
  std::array<std::size_t, kMaxArguments> lengths{};
  std::size_t count = 0;
  for (std::string_view arg : args) {
    argv[count] = arg.data();
    lengths[count++] = arg.size();
  }
  return redisAsyncCommandArgv(ac, callback, data, static_cast<int>(count), argv.data(), lengths.data());
}

}  // namespace

std::string redis_store::key_of(std::string_view call_sid) { return "twiml-redirect:call:" + std::string(call_sid); }

namespace {

std::string failures_key_of(std::string_view target) { return "twiml-redirect:health:failures:" + std::string(target); }
std::string open_key_of(std::string_view target) { return "twiml-redirect:health:open:" + std::string(target); }

}  // namespace

bool redis_store::send_command(std::initializer_list<std::string_view> args, reply_handler handler) {
  if (stopping_ || ac_ == nullptr || !connected_.load(std::memory_order_relaxed)) return false;
  auto* held = new reply_handler(std::move(handler));
  if (send(ac_, &redis_store::on_handler_reply, held, args) != REDIS_OK) {
    delete held;
    return false;
  }
  return true;
}

void redis_store::on_handler_reply(redisAsyncContext*, void* reply, void* data) {
  const std::unique_ptr<reply_handler> handler(static_cast<reply_handler*>(data));
  (*handler)(static_cast<const redisReply*>(reply));
}

void redis_store::count_target_failure(std::string_view target, std::chrono::seconds window,
                                       std::function<void(long long count)> done) {
  asio::post(io_context_, [this, key = failures_key_of(target), window, done = std::move(done)]() mutable {
    // The count starts at 0 with the window's expiry only when there is none yet (NX); INCR keeps the
    // expiry. Pipelined: one round trip, in order.
    const std::string seconds = std::to_string(std::max<long long>(window.count(), 1));
    if (!send_command({"SET", key, "0", "EX", seconds, "NX"}, [](const redisReply*) {})) return;
    send_command({"INCR", key}, [done = std::move(done)](const redisReply* reply) {
      if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER) done(reply->integer);
    });
  });
}

void redis_store::mark_target_open(std::string_view target, std::chrono::milliseconds cooldown) {
  asio::post(io_context_, [this, key = open_key_of(target), cooldown] {
    send_command({"SET", key, "1", "PX", std::to_string(std::max<long long>(cooldown.count(), 1))}, [](const redisReply*) {});
  });
}

void redis_store::watch_open_targets(std::function<std::vector<std::string>()> targets, open_target_callback opened,
                                     std::chrono::milliseconds every) {
  asio::post(io_context_, [this, targets = std::move(targets), opened = std::move(opened), every]() mutable {
    watched_targets_ = std::move(targets);
    on_open_target_ = std::move(opened);
    health_watch_every_ = every;
    schedule_health_watch();
  });
}

void redis_store::schedule_health_watch() {
  health_watch_timer_.expires_after(health_watch_every_);
  health_watch_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    // Down: nothing to read; the next tick tries again. Each reply is handled on its own, so a
    // target's mark opens this replica's breaker as soon as it is read.
    for (const std::string& target : watched_targets_()) {
      send_command({"PTTL", open_key_of(target)}, [this, target](const redisReply* reply) {
        if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
          on_open_target_(target, std::chrono::milliseconds(reply->integer));
      });
    }
    schedule_health_watch();
  });
}

std::string redis_store::events_key_of(std::string_view call_sid) {
  return "twiml-redirect:events:" + std::string(call_sid);
}

redis_store::redis_store(settings settings)
    : settings_(std::move(settings)),
      endpoint_(endpoint_of(settings_.url)),
      work_(asio::make_work_guard(io_context_)),
      reconnect_timer_(io_context_),
      connect_deadline_(io_context_),
      probe_timer_(io_context_),
      health_watch_timer_(io_context_),
      write_gather_timer_(io_context_),
      backoff_(settings_.initial_backoff) {
  asio::post(io_context_, [this] { connect(); });
  thread_ = std::thread([this] { util::run_thread_body("redis", [this] { io_context_.run(); }); });
}

redis_store::~redis_store() {
  asio::post(io_context_, [this] {
    stopping_ = true;
    reconnect_timer_.cancel();
    connect_deadline_.cancel();
    probe_timer_.cancel();
    health_watch_timer_.cancel();
    write_gather_timer_.cancel();
    drop_connection();  // pending lookups get their NULL reply: unavailable
    work_.reset();
  });
  thread_.join();
}

void redis_store::connect() {
  if (stopping_) return;
  redisAsyncContext* ac = redisAsyncConnect(settings_.url.host.c_str(), settings_.url.port);
  if (ac == nullptr || ac->err) {
    if (!outage_logged_) {
      spdlog::warn("call context: cannot connect to Redis at {}: {}; webhooks are answered, lookups get 503 "
                   "until it is back",
                   endpoint_, ac ? util::redact_and_cut(ac->errstr, {settings_.password}) : "out of memory");
      outage_logged_ = true;
    }
    if (ac) redisAsyncFree(ac);
    return schedule_reconnect();
  }
  ac->data = this;
  attach_to_asio(ac, io_context_);
  redisAsyncSetConnectCallback(ac, &redis_store::on_connect_hook);
  redisAsyncSetDisconnectCallback(ac, &redis_store::on_disconnect_hook);
  ac_ = ac;
  connecting_ = true;
  // Queued by hiredis until the connection is up, then sent in one write.
  if (!settings_.password.empty()) {
    if (settings_.url.user.empty()) {
      send(ac, &redis_store::on_setup_reply, const_cast<char*>(kAuth), {"AUTH", settings_.password});
    } else {
      send(ac, &redis_store::on_setup_reply, const_cast<char*>(kAuth), {"AUTH", settings_.url.user, settings_.password});
    }
  }
  if (settings_.url.db != 0) {
    const std::string db = std::to_string(settings_.url.db);
    send(ac, &redis_store::on_setup_reply, const_cast<char*>(kSelect), {"SELECT", db});
  }
  send(ac, &redis_store::on_setup_reply, const_cast<char*>(kPing), {"PING"});
  // hiredis 0.14 has no timeout for an asynchronous connect: a silently dropped SYN would hang it.
  connect_deadline_.expires_after(settings_.connect_timeout);
  connect_deadline_.async_wait([this, ac](const boost::system::error_code& ec) {
    if (ec || ac_ != ac || connected_.load(std::memory_order_relaxed)) return;
    if (!outage_logged_) {
      spdlog::warn("call context: Redis at {} did not answer within {} ms; webhooks are answered, lookups get 503 "
                   "until it does",
                   endpoint_, settings_.connect_timeout.count());
      outage_logged_ = true;
    }
    drop_connection();
  });
}

void redis_store::on_connect_hook(const redisAsyncContext* ac, int status) {
  auto* store = static_cast<redis_store*>(ac->data);
  store->on_connected(status);
  if (status != REDIS_OK && !store->outage_logged_) {
    spdlog::warn("call context: cannot connect to Redis at {}: {}; webhooks are answered, lookups get 503 until it "
                 "is back",
                 store->endpoint_, util::redact_and_cut(ac->errstr, {store->settings_.password}));
    store->outage_logged_ = true;
  }
}

void redis_store::on_connected(int status) {
  connecting_ = false;
  if (status == REDIS_OK) return;  // usable once PING answers
  // hiredis frees the context after this callback.
  ac_ = nullptr;
  connect_deadline_.cancel();
  schedule_reconnect();
}

void redis_store::on_disconnect_hook(const redisAsyncContext* ac, int status) {
  static_cast<redis_store*>(ac->data)->on_disconnected(status);
}

void redis_store::on_disconnected(int) {
  if (ac_ == nullptr) return;  // dropped on purpose: drop_connection() handles what follows
  ac_ = nullptr;
  connecting_ = false;
  connected_.store(false, std::memory_order_relaxed);
  if (stopping_) return;
  spdlog::warn("call context: lost the connection to Redis at {}; reconnecting (lookups get 503 meanwhile)", endpoint_);
  outage_logged_ = true;
  schedule_reconnect();
}

void redis_store::drop_connection() {
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  connecting_ = false;
  connected_.store(false, std::memory_order_relaxed);
  if (ac) redisAsyncFree(ac);  // answers its pending commands with a NULL reply
  if (!stopping_) schedule_reconnect();
}

void redis_store::schedule_reconnect() {
  if (stopping_) return;
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, settings_.max_backoff);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && ac_ == nullptr) connect();
  });
}

void redis_store::on_setup_reply(redisAsyncContext* ac, void* reply_data, void* data) {
  auto* store = static_cast<redis_store*>(ac->data);
  const auto* reply = static_cast<redisReply*>(reply_data);
  const char* command = static_cast<const char*>(data);
  if (reply == nullptr || store->ac_ != ac) return;  // the connection is going away
  if (reply->type == REDIS_REPLY_ERROR) {
    // Redis' own message ("WRONGPASS invalid username-password pair") never holds the password, but
    // a proxy or an impostor on the port may echo the AUTH command it was sent: masked, then cut.
    spdlog::warn("call context: Redis at {} refused {}: {}; retrying", store->endpoint_, command,
                 util::redact_and_cut(std::string(reply->str, reply->len), {store->settings_.password}));
    store->outage_logged_ = true;
    // Not from inside hiredis' callback: free the connection once it has returned.
    asio::post(store->io_context_, [store, ac] {
      if (store->ac_ == ac) store->drop_connection();
    });
    return;
  }
  if (command != kPing) return;
  store->connect_deadline_.cancel();
  store->connected_.store(true, std::memory_order_relaxed);
  store->probe_outstanding_ = false;
  store->schedule_probe();
  if (store->was_up_) {
    store->reconnects_.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("call context: reconnected to Redis at {}", store->endpoint_);
  } else {
    spdlog::info("call context: connected to Redis at {}", store->endpoint_);
  }
  store->was_up_ = true;
  store->outage_logged_ = false;
  store->flush_writes();
}

void redis_store::schedule_probe() {
  probe_timer_.expires_after(probe_outstanding_ ? settings_.probe_timeout : settings_.probe_interval);
  probe_timer_.async_wait([this, ac = ac_](const boost::system::error_code& ec) {
    if (ec || stopping_ || ac_ != ac || ac == nullptr) return;
    if (probe_outstanding_) {
      // The socket is open but Redis says nothing: frozen (SIGSTOP), black-holed, or swamped.
      probe_failures_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("call context: Redis at {} did not answer PING within {} ms; marking it down and reconnecting "
                   "(lookups get 503 meanwhile)",
                   endpoint_, settings_.probe_timeout.count());
      outage_logged_ = true;
      probe_outstanding_ = false;
      return drop_connection();
    }
    if (send(ac_, &redis_store::on_probe_reply, nullptr, {"PING"}) != REDIS_OK) return drop_connection();
    probe_outstanding_ = true;
    probe_sent_ = std::chrono::steady_clock::now();
    schedule_probe();
  });
}

void redis_store::on_probe_reply(redisAsyncContext* ac, void* reply_data, void*) {
  auto* store = static_cast<redis_store*>(ac->data);
  if (reply_data == nullptr || store->ac_ != ac) return;
  store->probe_outstanding_ = false;
  // This connection has answered a probe: it is healthy, and the next outage starts from the
  // first backoff step again.
  store->backoff_ = store->settings_.initial_backoff;
}

void redis_store::put(call_record record) { put_with_event(std::move(record), {}); }

void redis_store::put_with_event(call_record record, std::string event) {
  if (record.call_sid().empty()) return;
  writes_.fetch_add(1, std::memory_order_relaxed);
  // Formatted here: only the JSON crosses to the store's thread, not the record's many strings.
  // The webhook's event rides in its record, under a key no Twilio parameter has: one SET per
  // webhook, where a record and a listed event took four commands (SET, RPUSH, LTRIM, EXPIRE).
  // It expires with the record, which is what "kept as long as its record" means anyway.
  std::string json = record.to_json();
  if (!event.empty()) {
    json.pop_back();  // the closing brace
    json += ",\"";
    json += kWebhookEventKey;
    json += "\":\"";
    util::append_json_escaped(json, event);
    json += "\"}";
  }
  enqueue(record.call_sid(), true, std::move(json));
}

void redis_store::add_event(std::string_view call_sid, std::string event) {
  if (call_sid.empty()) return;
  enqueue(std::string(call_sid), false, std::move(event));
}

void redis_store::enqueue(std::string call_sid, bool is_record, std::string value) {
  std::uint64_t dropped_to_log = 0;
  bool post_gather = false;
  bool post_flush = false;
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_.size() >= settings_.write_queue_limit) {
      writes_dropped_.fetch_add(1, std::memory_order_relaxed);
      dropped_to_log = drop_log_.note(util::log_throttle::clock::now());
    } else {
      queue_.push_back({std::chrono::steady_clock::now(), is_record, std::move(call_sid), std::move(value)});
      post_gather = !flush_posted_;
      flush_posted_ = true;
      // A full batch goes at once: hiredis' output buffer stays small enough to reuse its memory.
      post_flush = queue_.size() == kWriteBatch;
    }
  }
  if (dropped_to_log > 0)
    spdlog::warn("call context: {} call record(s) dropped: {} are waiting for Redis at {} already", dropped_to_log,
                 settings_.write_queue_limit, endpoint_);
  if (post_gather) asio::post(io_context_, [this] { gather_writes(); });
  if (post_flush) asio::post(io_context_, [this] { flush_writes(); });
}

void redis_store::gather_writes() {
  write_gather_timer_.expires_after(kWriteGather);
  write_gather_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) flush_writes();
  });
}

void redis_store::flush_writes() {
  std::vector<queued_record> batch;
  {
    std::lock_guard lock(queue_mutex_);
    flush_posted_ = false;
    // Redis that stopped reading (frozen) must not grow hiredis' buffer without bound: at most
    // write_queue_limit records are on their way at once; the rest wait in (and overflow) the queue.
    if (!connected_.load(std::memory_order_relaxed) || ac_ == nullptr) return;
    const std::size_t room = settings_.write_queue_limit - std::min(outstanding_writes_, settings_.write_queue_limit);
    const std::size_t take = std::min(room, queue_.size());
    held_back_ = take < queue_.size();
    batch.reserve(take);
    for (std::size_t i = 0; i < take; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  const auto now = std::chrono::steady_clock::now();
  // hiredis buffers these and sends them in as few writes as the socket takes: a pipeline.
  for (const queued_record& queued : batch) {
    // Kept only for the TTL from the webhook on, also when Redis was away for part of it.
    const auto left = std::chrono::ceil<std::chrono::seconds>(settings_.ttl - (now - queued.at));
    if (left.count() <= 0) continue;
    const std::string ttl = std::to_string(left.count());
    if (queued.is_record) {
      const std::string key = key_of(queued.call_sid);
      if (send(ac_, &redis_store::on_write_reply, nullptr, {"SET", key, queued.value, "EX", ttl}) == REDIS_OK) {
        ++outstanding_writes_;
      } else {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    // An event: appended, the list cut to its first kMaxCallEvents, and kept as long as a record.
    const std::string key = events_key_of(queued.call_sid);
    const std::string last = std::to_string(kMaxCallEvents - 1);
    for (const std::initializer_list<std::string_view> command :
         {std::initializer_list<std::string_view>{"RPUSH", key, queued.value}, {"LTRIM", key, "0", last},
          {"EXPIRE", key, ttl}}) {
      if (send(ac_, &redis_store::on_write_reply, nullptr, command) == REDIS_OK) {
        ++outstanding_writes_;
      } else {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

void redis_store::on_write_reply(redisAsyncContext* ac, void* reply_data, void*) {
  auto* store = static_cast<redis_store*>(ac->data);
  const auto* reply = static_cast<redisReply*>(reply_data);
  if (store->outstanding_writes_ > 0) --store->outstanding_writes_;
  if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) store->write_errors_.fetch_add(1, std::memory_order_relaxed);
  // Only a flush that left records behind for want of room needs the replies to send the rest.
  if (reply == nullptr || store->ac_ != ac || !store->held_back_) return;
  bool post_flush = false;
  {
    std::lock_guard lock(store->queue_mutex_);
    post_flush = !store->queue_.empty() && !store->flush_posted_;
    if (post_flush) store->flush_posted_ = true;
  }
  if (post_flush) asio::post(store->io_context_, [store] { store->flush_writes(); });
}

bool redis_store::admit_lookup() {
  // Lookups waiting on a slow Redis hold memory and a connection each: past the cap the answer is
  // "unavailable" at once (503 with Retry-After), from the caller's thread.
  if (pending_lookups_.fetch_add(1, std::memory_order_relaxed) < settings_.max_pending_lookups) return true;
  pending_lookups_.fetch_sub(1, std::memory_order_relaxed);
  lookups_shed_.fetch_add(1, std::memory_order_relaxed);
  lookups_unavailable_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void redis_store::get(std::string call_sid, lookup_callback done) {
  if (!admit_lookup()) return done({lookup_result::outcome::unavailable, {}});
  asio::post(io_context_, [this, call_sid = std::move(call_sid), done = std::move(done)]() mutable {
    start_lookup(std::move(call_sid), std::move(done));
  });
}

template <class Result>
std::shared_ptr<redis_store::pending_read<Result>> redis_store::start_read(std::initializer_list<std::string_view> command,
                                                                          std::function<void(Result)> done,
                                                                          redisCallbackFn* on_reply) {
  auto op = std::make_shared<pending_read<Result>>(*this, std::move(done));
  if (stopping_ || ac_ == nullptr || !connected_.load(std::memory_order_relaxed)) {
    op->finish({lookup_result::outcome::unavailable, {}});
    return nullptr;
  }
  op->deadline.expires_after(settings_.lookup_timeout);
  op->deadline.async_wait([op](const boost::system::error_code& ec) {
    if (!ec) op->finish({lookup_result::outcome::unavailable, {}});
  });
  // Commands on one connection run in order: what a webhook queued before this read is written first.
  flush_writes();
  return send_read(op, command, on_reply) ? op : nullptr;
}

template <class Result>
bool redis_store::send_read(const std::shared_ptr<pending_read<Result>>& op,
                            std::initializer_list<std::string_view> command, redisCallbackFn* on_reply) {
  auto* holder = new std::shared_ptr<pending_read<Result>>(op);  // hiredis' callback data: its reply frees it
  if (send(ac_, on_reply, holder, command) == REDIS_OK) return true;
  delete holder;
  op->finish({lookup_result::outcome::unavailable, {}});
  return false;
}

void redis_store::start_lookup(std::string call_sid, lookup_callback done) {
  start_read<lookup_result>({"GET", key_of(call_sid)}, std::move(done), &redis_store::on_lookup_reply);
}

void redis_store::get_events(std::string call_sid, events_callback done) {
  if (!admit_lookup()) return done({lookup_result::outcome::unavailable, {}});
  asio::post(io_context_, [this, call_sid = std::move(call_sid), done = std::move(done)]() mutable {
    start_events_lookup(std::move(call_sid), std::move(done));
  });
}

void redis_store::start_events_lookup(std::string call_sid, events_callback done) {
  // The record (holding the webhook's event) and then the list of the later ones: one connection
  // answers in order, so the list's reply, which finishes the lookup, comes second.
  const auto op = start_read<events_result>({"GET", key_of(call_sid)}, std::move(done), &redis_store::on_events_record_reply);
  if (!op) return;
  const std::string last = std::to_string(kMaxCallEvents - 1);
  send_read(op, {"LRANGE", events_key_of(call_sid), "0", last}, &redis_store::on_events_reply);
}

template <class Result>
std::pair<std::shared_ptr<redis_store::pending_read<Result>>, const redisReply*> redis_store::take_reply(void* reply_data,
                                                                                                       void* data) {
  const std::unique_ptr<std::shared_ptr<pending_read<Result>>> holder(static_cast<std::shared_ptr<pending_read<Result>>*>(data));
  std::shared_ptr<pending_read<Result>> op = std::move(*holder);
  const auto* reply = static_cast<const redisReply*>(reply_data);
  if (reply != nullptr && reply->type != REDIS_REPLY_ERROR) return {std::move(op), reply};
  op->finish({lookup_result::outcome::unavailable, {}});
  return {std::move(op), nullptr};
}

void redis_store::on_events_record_reply(redisAsyncContext*, void* reply_data, void* data) {
  const auto [op, reply] = take_reply<events_result>(reply_data, data);
  if (reply == nullptr) return;
  if (reply->type != REDIS_REPLY_STRING) return;  // no record (expired, or never kept): the list alone
  // A record is a found call, as in the memory store, even before any event.
  op->gathered.result = lookup_result::outcome::found;
  if (auto event = webhook_event_of(std::string_view(reply->str, reply->len))) op->gathered.events.push_back(std::move(*event));
}

void redis_store::on_events_reply(redisAsyncContext*, void* reply_data, void* data) {
  const auto [op, reply] = take_reply<events_result>(reply_data, data);
  if (reply == nullptr) return;
  events_result result = std::move(op->gathered);
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < reply->elements && result.events.size() < kMaxCallEvents; ++i) {
      const redisReply* item = reply->element[i];
      if (item != nullptr && item->type == REDIS_REPLY_STRING) result.events.emplace_back(item->str, item->len);
    }
    if (reply->elements > 0) result.result = lookup_result::outcome::found;
  }
  op->finish(std::move(result));
}

std::optional<std::string> redis_store::webhook_event_of(std::string_view record_json) {
  const auto parsed = nlohmann::json::parse(record_json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  const auto it = parsed.find(kWebhookEventKey);
  if (it == parsed.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

void redis_store::on_lookup_reply(redisAsyncContext*, void* reply_data, void* data) {
  const auto [op, reply] = take_reply<lookup_result>(reply_data, data);
  if (reply == nullptr) return;
  if (reply->type != REDIS_REPLY_STRING) return op->finish({lookup_result::outcome::unknown, {}});
  auto record = call_record::from_json(std::string_view(reply->str, reply->len));
  // Something else wrote that key: as good as no record.
  if (!record) return op->finish({lookup_result::outcome::unknown, {}});
  op->finish({lookup_result::outcome::found, std::move(*record)});
}

void redis_store::append_metrics(std::string& out) const {
  const auto value = [](const std::atomic<std::uint64_t>& counter) {
    return std::to_string(counter.load(std::memory_order_relaxed));
  };
  std::size_t queued = 0;
  {
    std::lock_guard lock(queue_mutex_);
    queued = queue_.size();
  }
  out += "# HELP twiml_redirect_call_context_store_up Whether the call context store answers lookups (1) or not (0).\n"
         "# TYPE twiml_redirect_call_context_store_up gauge\n"
         "twiml_redirect_call_context_store_up{store=\"redis\"} " + std::string(connected() ? "1" : "0") + "\n";
  out += "# HELP twiml_redirect_call_context_records_total Call records written by the webhook.\n"
         "# TYPE twiml_redirect_call_context_records_total counter\n"
         "twiml_redirect_call_context_records_total " + value(writes_) + "\n";
  out += "# HELP twiml_redirect_call_context_write_queue Call records waiting to be sent to Redis.\n"
         "# TYPE twiml_redirect_call_context_write_queue gauge\n"
         "twiml_redirect_call_context_write_queue " + std::to_string(queued) + "\n";
  out += "# HELP twiml_redirect_call_context_writes_failed_total Call records not kept, by why.\n"
         "# TYPE twiml_redirect_call_context_writes_failed_total counter\n"
         "twiml_redirect_call_context_writes_failed_total{reason=\"queue_full\"} " + value(writes_dropped_) + "\n"
         "twiml_redirect_call_context_writes_failed_total{reason=\"redis_error\"} " + value(write_errors_) + "\n";
  out += "# HELP twiml_redirect_call_context_lookups_total Store lookups, by result.\n"
         "# TYPE twiml_redirect_call_context_lookups_total counter\n"
         "twiml_redirect_call_context_lookups_total{result=\"found\"} " + value(lookups_found_) + "\n"
         "twiml_redirect_call_context_lookups_total{result=\"unknown\"} " + value(lookups_unknown_) + "\n"
         "twiml_redirect_call_context_lookups_total{result=\"unavailable\"} " + value(lookups_unavailable_) + "\n";
  out += "# HELP twiml_redirect_call_context_reconnects_total Connections to Redis reopened after a loss.\n"
         "# TYPE twiml_redirect_call_context_reconnects_total counter\n"
         "twiml_redirect_call_context_reconnects_total " + value(reconnects_) + "\n";
  out += "# HELP twiml_redirect_call_context_probe_failures_total Health PINGs Redis did not answer in time (the store was marked down).\n"
         "# TYPE twiml_redirect_call_context_probe_failures_total counter\n"
         "twiml_redirect_call_context_probe_failures_total " + value(probe_failures_) + "\n";
  out += "# HELP twiml_redirect_call_context_lookups_shed_total Lookups answered unavailable at once: too many were waiting for Redis.\n"
         "# TYPE twiml_redirect_call_context_lookups_shed_total counter\n"
         "twiml_redirect_call_context_lookups_shed_total " + value(lookups_shed_) + "\n";
}

}  // namespace twiml_redirect::context
