// The memory store: bounded (oldest out first), TTL, repeated calls, expired records cleaned in batches.
// Time is passed in: no sleeping.

#include <gtest/gtest.h>

#include "twiml_redirect/context/memory_store.hpp"

namespace twiml_redirect::context {
namespace {

using namespace std::chrono_literals;
using clock = memory_store::clock;

call_record call(const std::string& sid, const std::string& caller_name = {}) {
  call_record record;
  record.values[0] = sid;
  record.values[3] = caller_name;
  return record;
}

TEST(MemoryStore, FindsWhatWasPutUntilItsTtl) {
  memory_store store(10, 60s, clock::duration::zero());
  const auto t0 = clock::time_point{} + 1000s;
  store.put_at(call("CA1", "Ada"), t0);
  ASSERT_TRUE(store.find_at("CA1", t0 + 59s));
  EXPECT_EQ(store.find_at("CA1", t0 + 59s)->values[3], "Ada");
  EXPECT_FALSE(store.find_at("CA1", t0 + 60s));
  EXPECT_FALSE(store.find_at("CA2", t0));
}

TEST(MemoryStore, EvictsTheOldestAtTheBound) {
  memory_store store(3, 60s, clock::duration::zero());
  const auto t0 = clock::time_point{} + 1000s;
  for (int i = 1; i <= 5; ++i) store.put_at(call("CA" + std::to_string(i)), t0 + std::chrono::seconds(i));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.find_at("CA1", t0 + 6s));
  EXPECT_FALSE(store.find_at("CA2", t0 + 6s));
  for (const char* kept : {"CA3", "CA4", "CA5"}) EXPECT_TRUE(store.find_at(kept, t0 + 6s)) << kept;
  std::string metrics;
  store.append_metrics(metrics);
  EXPECT_NE(metrics.find("twiml_redirect_call_context_removed_total{reason=\"evicted\"} 2"), std::string::npos) << metrics;
}

TEST(MemoryStore, ARepeatedCallReplacesItsRecordInPlace) {
  memory_store store(3, 60s, clock::duration::zero());
  const auto t0 = clock::time_point{} + 1000s;
  store.put_at(call("CA1", "first"), t0);
  store.put_at(call("CA2"), t0 + 1s);
  const std::size_t bytes_before = store.bytes();
  for (int retry = 0; retry < 100; ++retry) store.put_at(call("CA1", "second"), t0 + 2s);
  EXPECT_EQ(store.find_at("CA1", t0 + 3s)->values[3], "second");
  EXPECT_EQ(store.size(), 2u) << "Twilio's retries take no new slots";
  EXPECT_LE(store.bytes(), bytes_before + 16) << "nor new bytes beyond the longer record";
  // Nothing was evicted to make room for the repeats.
  store.put_at(call("CA3"), t0 + 3s);
  EXPECT_TRUE(store.find_at("CA2", t0 + 4s));
  EXPECT_EQ(store.find_at("CA1", t0 + 4s)->values[3], "second");
  // It keeps the first webhook's expiry, which keeps the queue in expiry order.
  EXPECT_TRUE(store.find_at("CA1", t0 + 59s));
  EXPECT_FALSE(store.find_at("CA1", t0 + 60s));
}

// Long records (long caller names, many variables) are bounded by bytes, not only by count: the
// oldest go first, and the store never holds more than max_bytes.
TEST(MemoryStore, IsBoundedByBytes) {
  const std::size_t max_bytes = 64 * 1024;
  memory_store store(1'000'000, 60s, clock::duration::zero(), max_bytes);
  const auto t0 = clock::time_point{} + 1000s;
  const std::string long_name(1000, 'x');
  for (int i = 0; i < 1000; ++i) {
    store.put_at(call("CA" + std::to_string(i), long_name), t0);
    ASSERT_LE(store.bytes(), max_bytes) << i;
  }
  EXPECT_GT(store.size(), 40u);
  EXPECT_LT(store.size(), 64u);
  EXPECT_TRUE(store.find_at("CA999", t0 + 1s)) << "the newest is kept";
  EXPECT_FALSE(store.find_at("CA0", t0 + 1s)) << "the oldest went first";
  store.remove_expired(t0 + 61s, 1'000'000);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryStore, RemovesExpiredRecordsInBatches) {
  memory_store store(1000, 60s, clock::duration::zero());
  const auto t0 = clock::time_point{} + 1000s;
  for (int i = 0; i < 600; ++i) store.put_at(call("CA" + std::to_string(i)), t0);
  store.put_at(call("CAlater"), t0 + 30s);
  EXPECT_EQ(store.remove_expired(t0 + 59s, 256), 0u);
  EXPECT_EQ(store.remove_expired(t0 + 60s, 256), 256u);
  EXPECT_EQ(store.remove_expired(t0 + 60s, 256), 256u);
  EXPECT_EQ(store.remove_expired(t0 + 60s, 256), 88u);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.find_at("CAlater", t0 + 60s));
}

TEST(MemoryStore, PutsCleanExpiredRecordsAsTheyGo) {
  memory_store store(1000, 60s, clock::duration::zero());
  const auto t0 = clock::time_point{} + 1000s;
  for (int i = 0; i < 10; ++i) store.put_at(call("CA" + std::to_string(i)), t0);
  for (int i = 0; i < 5; ++i) store.put_at(call("CAnew" + std::to_string(i)), t0 + 120s);
  EXPECT_EQ(store.size(), 5u);  // two expired ones leave per put
}

TEST(MemoryStore, GetAnswersAtOnce) {
  memory_store store(10, 60s, clock::duration::zero());
  store.put(call("CA1", "Ada"));
  std::optional<lookup_result> found;
  store.get("CA1", [&](lookup_result result) { found = std::move(result); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->result, lookup_result::outcome::found);
  EXPECT_EQ(found->record.values[3], "Ada");
  std::optional<lookup_result> missing;
  store.get("CA2", [&](lookup_result result) { missing = std::move(result); });
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result, lookup_result::outcome::unknown);
}

}  // namespace
}  // namespace twiml_redirect::context
