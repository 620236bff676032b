// Retry rules without clocks: which statuses retry, how backoff grows and is capped, Retry-After.

#include <chrono>

#include <gtest/gtest.h>

#include "twiml_redirect/outbound/retry_policy.hpp"

namespace twiml_redirect::outbound {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST(OutboundRetryPolicy, TransientStatuses) {
  for (unsigned s : {408u, 429u, 500u, 502u, 503u, 504u, 599u}) EXPECT_TRUE(is_transient_status(s)) << s;
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 409u, 422u, 600u}) EXPECT_FALSE(is_transient_status(s)) << s;
}

TEST(OutboundRetryPolicy, RefusalsDidNotApplyButOtherServerErrorsMayHave) {
  EXPECT_FALSE(status_may_have_applied(429));
  EXPECT_FALSE(status_may_have_applied(503));
  EXPECT_TRUE(status_may_have_applied(500));
  EXPECT_TRUE(status_may_have_applied(502));
  EXPECT_TRUE(status_may_have_applied(504));
  EXPECT_FALSE(status_may_have_applied(400));
}

TEST(OutboundRetryPolicy, BackoffDoublesWithinEqualJitterBounds) {
  const retry_policy policy{5, 100ms, 10'000ms};
  EXPECT_EQ(backoff_delay(policy, 1, 0.0), 50ms);
  EXPECT_EQ(backoff_delay(policy, 1, 0.999), 99ms);
  EXPECT_EQ(backoff_delay(policy, 2, 0.0), 100ms);
  EXPECT_EQ(backoff_delay(policy, 3, 0.0), 200ms);
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), 300ms);
  EXPECT_EQ(backoff_delay(policy, 4, 1.0), 800ms);
}

TEST(OutboundRetryPolicy, BackoffIsCappedAndNeverOverflows) {
  const retry_policy policy{5, 500ms, 30'000ms};
  EXPECT_EQ(backoff_delay(policy, 10, 1.0), 30'000ms);
  EXPECT_EQ(backoff_delay(policy, 1'000'000, 0.0), 15'000ms);
  EXPECT_EQ(backoff_delay(policy, 1'000'000, 1.0), 30'000ms);
}

TEST(OutboundRetryPolicy, JitterOutsideTheUnitIntervalIsClamped) {
  const retry_policy policy{5, 100ms, 1000ms};
  EXPECT_EQ(backoff_delay(policy, 1, -3.0), 50ms);
  EXPECT_EQ(backoff_delay(policy, 1, 7.0), 100ms);
}

TEST(OutboundRetryPolicy, RetryAfterSeconds) {
  const auto now = std::chrono::system_clock::time_point{};
  EXPECT_EQ(parse_retry_after("1", now), milliseconds{1000});
  EXPECT_EQ(parse_retry_after(" 120 ", now), milliseconds{120'000});
  EXPECT_EQ(parse_retry_after("0", now), milliseconds{0});
}

TEST(OutboundRetryPolicy, RetryAfterHttpDate) {
  // 1994-11-06 08:49:37 UTC is 784111777 s after the epoch.
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{784111777 - 30}};
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds{30'000});
  // A date in the past means "now".
  const auto later = now + std::chrono::hours(1);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later), milliseconds{0});
}

TEST(OutboundRetryPolicy, UnreadableRetryAfterIsIgnored) {
  const auto now = std::chrono::system_clock::time_point{};
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("1.5", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now));
  // Years past what the clock can hold (system_clock counts nanoseconds to 2262) are not dates.
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 2147483647 08:49:37 GMT", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov -2147483647 08:49:37 GMT", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1969 08:49:37 GMT", now));
}

TEST(OutboundRetryPolicy, AFarFutureRetryAfterDateIsADayAtMost) {
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{784111777}};
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), milliseconds{86'400'000});
}

TEST(OutboundRetryPolicy, RetryAfterWinsOverBackoffButIsCapped) {
  const retry_policy policy{5, 10ms, 5000ms};
  EXPECT_EQ(retry_delay(policy, 1, 0.0, milliseconds{1000}), 1000ms);
  EXPECT_EQ(retry_delay(policy, 1, 0.0, milliseconds{60'000}), 5000ms);
  EXPECT_EQ(retry_delay(policy, 1, 0.0, std::nullopt), 5ms);
}

}  // namespace
}  // namespace twiml_redirect::outbound
