// The Redis store in-process against a real redis-server on loopback: lookups waiting on a frozen
// Redis are capped, and those past the cap are answered at once instead of piling up.

#include <atomic>
#include <chrono>

#include <gtest/gtest.h>

#include "support/redis_server.hpp"
#include "support/wait.hpp"
#include "twiml_redirect/context/redis_store.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
using context::lookup_result;

TEST(RedisStore, LookupsPastTheCapAreAnsweredAtOnceWhileRedisIsFrozen) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  context::redis_store::settings settings;
  settings.url = {redis.port(), 0, "", "127.0.0.1"};
  settings.lookup_timeout = 2'000ms;
  settings.max_pending_lookups = 5;
  context::redis_store store(settings);
  ASSERT_TRUE(wait_until([&] { return store.connected(); }, 10s, "the store to connect"));

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
  // Answers again once it is back: the cap counted its waiting lookups down.
  ASSERT_TRUE(wait_until([&] { return store.connected(); }, 15s, "the store to come back"));
  std::atomic<bool> known{false};
  std::atomic<bool> done{false};
  store.get("CA" + std::string(32, '1'), [&](lookup_result result) {
    known = result.result == lookup_result::outcome::unknown;
    done = true;
  });
  ASSERT_TRUE(wait_until([&] { return done.load(); }, 5s, "a lookup after the thaw"));
  EXPECT_TRUE(known.load());
}

}  // namespace
}  // namespace twiml_redirect::testing
