#pragma once
// Bounded waits on observable state. A fixed sleep is either longer than needed or, on a loaded
// machine, too short; polling what the test actually needs (a connection count, a gauge, a status)
// goes on as soon as it holds and fails with a message saying what never happened.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

namespace twiml_redirect::testing {

// Calls `holds` until it returns true or `timeout` has passed; the failure names `what`.
// Use as ASSERT_TRUE(wait_until(...)). The short pause between polls only yields the CPU: the
// outcome depends on `holds`, never on how long the pause is.
template <class Predicate>
::testing::AssertionResult wait_until(Predicate&& holds, std::chrono::milliseconds timeout, std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (holds()) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline)
      return ::testing::AssertionFailure() << "gave up after " << timeout.count() << " ms waiting for " << what;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// The value of one sample in Prometheus text format: `series` is the metric name with its labels
// exactly as rendered ("twiml_redirect_http_requests_in_flight"). nullopt when the line is absent.
inline std::optional<double> metric_value(std::string_view exposition, std::string_view series) {
  std::istringstream lines{std::string(exposition)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() <= series.size() || !line.starts_with(series) || line[series.size()] != ' ') continue;
    const std::string value = line.substr(series.size() + 1);
    char* end = nullptr;
    const double parsed = std::strtod(value.c_str(), &end);
    if (end != value.c_str()) return parsed;
  }
  return std::nullopt;
}

}  // namespace twiml_redirect::testing
