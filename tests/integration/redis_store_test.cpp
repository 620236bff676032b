// The Redis store in-process against a real redis-server on loopback: lookups waiting on a frozen
// Redis are capped, and those past the cap are answered at once instead of piling up. And against
// a server that echoes what it was sent: the password never reaches a log line.

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/redis_server.hpp"
#include "support/wait.hpp"
#include "twiml_redirect/context/redis_store.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
using context::lookup_result;

// A store's settings for a redis-server on loopback: the defaults, with its port.
context::redis_store::settings settings_for(const redis_server& redis) {
  context::redis_store::settings settings;
  settings.url = {redis.port(), 0, "", "127.0.0.1"};
  return settings;
}

::testing::AssertionResult connects(const context::redis_store& store) {
  return wait_until([&] { return store.connected(); }, 10s, "the store to connect");
}

TEST(RedisStore, LookupsPastTheCapAreAnsweredAtOnceWhileRedisIsFrozen) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  context::redis_store::settings settings = settings_for(redis);
  settings.lookup_timeout = 2'000ms;
  settings.max_pending_lookups = 5;
  context::redis_store store(settings);
  ASSERT_TRUE(connects(store));

  redis.freeze();
  std::atomic<int> answered{0};
  std::atomic<int> unavailable{0};
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    store.get("CA" + std::string(32, '0'), [&](lookup_result result) {
      if (result.result == lookup_result::outcome::unavailable) ++unavailable;
      ++answered;
    });
  }
  // 45 were past the cap: answered on this thread, before their deadline could matter.
  EXPECT_EQ(answered.load(), 45);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  // The 5 admitted ones meet their deadline (or the probe's drop) as unavailable too.
  ASSERT_TRUE(wait_until([&] { return answered.load() == 50; }, 10s, "the admitted lookups to end"));
  EXPECT_EQ(unavailable.load(), 50);
  std::string metrics;
  store.append_metrics(metrics);
  EXPECT_NE(metrics.find("twiml_redirect_call_context_lookups_shed_total 45\n"), std::string::npos) << metrics;
  redis.thaw();
  // Answers again once it is back: the cap counted its waiting lookups down. A lookup sent just as
  // the probe gives up on the frozen connection is still unavailable, so ask until one is answered.
  ASSERT_TRUE(wait_until(
      [&] {
        auto answer = std::make_shared<std::promise<lookup_result::outcome>>();
        auto outcome = answer->get_future();
        store.get("CA" + std::string(32, '1'), [answer](lookup_result result) { answer->set_value(result.result); });
        return outcome.wait_for(5s) == std::future_status::ready && outcome.get() == lookup_result::outcome::unknown;
      },
      15s, "a lookup after the thaw to be answered by Redis"));
}

// Writes wait up to kWriteGather for company before they go to Redis, but a lookup right after a
// write still finds it: the lookup sends what is queued before itself on the same connection.
TEST(RedisStore, ARecordAndItsEventAreFoundByALookupRightAfterTheWrite) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  context::redis_store store(settings_for(redis));
  ASSERT_TRUE(connects(store));

  constexpr int kCalls = 100;
  std::atomic<int> records_found{0};
  std::atomic<int> events_found{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < kCalls; ++i) {
    std::string call_sid = "CA" + std::string(30, 'a') + (i < 10 ? "0" : "") + std::to_string(i);
    context::call_record record;
    record.values[0] = call_sid;
    record.values[1] = "+14155550100";
    store.put(record);
    store.add_event(call_sid, R"({"event":"webhook"})");
    store.get(call_sid, [&, call_sid](lookup_result result) {
      if (result.result == lookup_result::outcome::found && result.record.call_sid() == call_sid) ++records_found;
      ++answered;
    });
    store.get_events(call_sid, [&](context::events_result result) {
      if (result.result == lookup_result::outcome::found && result.events.size() == 1) ++events_found;
      ++answered;
    });
  }
  ASSERT_TRUE(wait_until([&] { return answered.load() == 2 * kCalls; }, 10s, "every lookup to be answered"));
  EXPECT_EQ(records_found.load(), kCalls);
  EXPECT_EQ(events_found.load(), kCalls);
}

// INFO commandstats' count for `command` ("set", "rpush"), asked over a connection of its own.
long long redis_calls_of(std::uint16_t port, std::string_view command) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(std::string_view("INFO commandstats\r\n")));
  std::string reply;
  std::array<char, 4096> chunk{};
  boost::system::error_code ec;
  // A bulk string: "$<length>\r\n<text>\r\n".
  while (!ec) {
    reply.append(chunk.data(), socket.read_some(asio::buffer(chunk), ec));
    const auto header_end = reply.find("\r\n");
    if (header_end != std::string::npos &&
        reply.size() >= header_end + 2 + std::stoul(reply.substr(1, header_end - 1)) + 2)
      break;
  }
  const std::string prefix = "cmdstat_" + std::string(command) + ":calls=";
  const auto at = reply.find(prefix);
  return at == std::string::npos ? 0 : std::stoll(reply.substr(at + prefix.size()));
}

// The webhook's record and event are one SET (the event inside the record), and the call's path
// still reads the webhook's event first, then the events added after it.
TEST(RedisStore, AWebhookIsOneSetAndItsEventComesFirstOnTheCallsPath) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  context::redis_store store(settings_for(redis));
  ASSERT_TRUE(connects(store));
  const auto events_of = [&](const std::string& call_sid) {
    auto answer = std::make_shared<std::promise<context::events_result>>();
    auto events = answer->get_future();
    store.get_events(call_sid, [answer](context::events_result result) { answer->set_value(std::move(result)); });
    EXPECT_EQ(events.wait_for(5s), std::future_status::ready);
    return events.get();
  };

  constexpr int kCalls = 20;
  const std::string webhook_event = R"({"at_ms":1,"event":"webhook","answer":"dial","target":"sip:\"x\"@a.synthflow.ai"})";
  for (int i = 0; i < kCalls; ++i) {
    context::call_record record;
    record.values[0] = "CA" + std::string(30, 'b') + (i < 10 ? "0" : "") + std::to_string(i);
    record.values[1] = "+14155550100";
    store.put_with_event(record, webhook_event);
  }
  const std::string first = "CA" + std::string(30, 'b') + "00";
  auto path = events_of(first);  // sends the queued writes first
  ASSERT_EQ(path.result, lookup_result::outcome::found);
  EXPECT_EQ(path.events, std::vector<std::string>{webhook_event});
  EXPECT_EQ(redis_calls_of(redis.port(), "set"), kCalls);
  EXPECT_EQ(redis_calls_of(redis.port(), "rpush"), 0);

  // The record still reads as the record (the event's key is none of its fields).
  auto answer = std::make_shared<std::promise<lookup_result>>();
  auto found = answer->get_future();
  store.get(first, [answer](lookup_result result) { answer->set_value(std::move(result)); });
  ASSERT_EQ(found.wait_for(5s), std::future_status::ready);
  const lookup_result record = found.get();
  ASSERT_EQ(record.result, lookup_result::outcome::found);
  EXPECT_EQ(record.record.values[1], "+14155550100");

  // Later events follow it, at most kMaxCallEvents in all.
  for (std::size_t i = 0; i < context::kMaxCallEvents + 5; ++i)
    store.add_event(first, R"({"event":"dial_outcome","n":)" + std::to_string(i) + "}");
  path = events_of(first);
  ASSERT_EQ(path.result, lookup_result::outcome::found);
  ASSERT_EQ(path.events.size(), context::kMaxCallEvents);
  EXPECT_EQ(path.events.front(), webhook_event);
  EXPECT_EQ(path.events[1], R"({"event":"dial_outcome","n":0})");
  EXPECT_EQ(path.events.back(), R"({"event":"dial_outcome","n":)" + std::to_string(context::kMaxCallEvents - 2) + "}");

  // A call with events but no record (it expired first) still has its path; one with neither has none.
  const std::string listed_only = "CA" + std::string(32, 'c');
  store.add_event(listed_only, R"({"event":"transfer"})");
  path = events_of(listed_only);
  EXPECT_EQ(path.result, lookup_result::outcome::found);
  EXPECT_EQ(path.events, std::vector<std::string>{R"({"event":"transfer"})"});
  EXPECT_EQ(events_of("CA" + std::string(32, 'd')).result, lookup_result::outcome::unknown);
}

// Not Redis: something on the port that answers every command with an error quoting what it was
// sent, as a proxy, an old server ("unknown command 'AUTH', with args beginning with: ...") or an
// impostor might. The password the store sends in AUTH comes straight back in the error text.
TEST(RedisStore, PasswordEchoedInAnErrorReplyIsMaskedInTheLog) {
  namespace asio = boost::asio;
  const std::string password = "s3cret-redis-password-0123456789abcdef";
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  std::atomic<bool> done{false};
  std::thread echoing_server([&] {
    boost::system::error_code ec;
    for (;;) {
      asio::ip::tcp::socket client(io);
      acceptor.accept(client, ec);
      if (ec || done) return;
      std::array<char, 4096> request{};
      const std::size_t n = client.read_some(asio::buffer(request), ec);
      if (ec) continue;
      // RESP sends each argument on its own line: the error quotes the request's printable bytes.
      std::string quoted;
      for (std::size_t i = 0; i < n; ++i) quoted += (request[i] == '\r' || request[i] == '\n') ? ' ' : request[i];
      const std::string reply = "-ERR unknown command, with args beginning with: " + quoted + "\r\n";
      asio::write(client, asio::buffer(reply), ec);
    }
  });

  const auto previous = spdlog::default_logger();
  const auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", captured));
  const auto log_text = [&] {
    std::string text;
    for (const auto& line : captured->last_formatted()) text += line;
    return text;
  };
  {
    context::redis_store::settings settings;
    settings.url = {port, 0, "", "127.0.0.1"};
    settings.password = password;
    context::redis_store store(settings);
    EXPECT_TRUE(wait_until([&] { return log_text().find("refused AUTH") != std::string::npos; }, 10s,
                           "the store to log the refused AUTH"));
    EXPECT_FALSE(store.connected());
  }
  spdlog::set_default_logger(previous);
  done = true;
  {
    asio::ip::tcp::socket wake(io);  // the server thread is blocked in accept: one last connection ends it
    boost::system::error_code ignored;
    wake.connect(acceptor.local_endpoint(), ignored);
  }
  echoing_server.join();
  const std::string text = log_text();
  EXPECT_NE(text.find("<redacted>"), std::string::npos) << text;
  EXPECT_EQ(text.find(password), std::string::npos) << text;
  EXPECT_EQ(text.find(password.substr(0, 12)), std::string::npos) << "a piece of the password leaked: " << text;
}

}  // namespace
}  // namespace twiml_redirect::testing
