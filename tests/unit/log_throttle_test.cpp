// A flood of one event makes one log line per interval, each reporting how many it stands for.
#include "twiml_redirect/util/log_throttle.hpp"

#include <gtest/gtest.h>

namespace twiml_redirect::util {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, FirstEventLogsThenOneLinePerIntervalWithTheCount) {
  log_throttle throttle(1s);
  const auto t0 = log_throttle::clock::time_point{} + 100s;
  EXPECT_EQ(throttle.note(t0), 1u);
  std::uint64_t reported = 1;
  for (int i = 1; i < 3000; ++i) reported += throttle.note(t0 + i * 1ms);  // 3 s of 1,000 events a second
  EXPECT_EQ(throttle.note(t0 + 3001ms), 1u);  // the last interval's only event: this one
  EXPECT_EQ(reported + 1, 3001u) << "every event is reported by some line";
}

TEST(LogThrottle, QuietPeriodsLogEveryEvent) {
  log_throttle throttle(1s);
  const auto t0 = log_throttle::clock::time_point{} + 100s;
  EXPECT_EQ(throttle.note(t0), 1u);
  EXPECT_EQ(throttle.note(t0 + 2s), 1u);
  EXPECT_EQ(throttle.note(t0 + 2500ms), 0u);
  EXPECT_EQ(throttle.note(t0 + 3s), 2u);
}

}  // namespace
}  // namespace twiml_redirect::util
