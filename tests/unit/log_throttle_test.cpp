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
  int lines = 1;
  for (int i = 1; i < 3000; ++i) {  // 3 s of 1,000 events a second
    const auto events = throttle.note(t0 + i * 1ms);
    reported += events;
    lines += events != 0;
  }
  EXPECT_EQ(lines, 3) << "one line a second";
  EXPECT_EQ(throttle.note(t0 + 3001ms), 1000u);  // the events suppressed since the last line, this one included
  EXPECT_EQ(reported + 1000, 3001u) << "every event is reported by some line";
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
