#include "twiml_redirect/outbound/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

namespace twiml_redirect::outbound {

using std::chrono::milliseconds;

bool is_transient_status(unsigned status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool status_may_have_applied(unsigned status) {
  if (status == 429 || status == 503) return false;
  return status >= 500 && status <= 599;
}

milliseconds backoff_delay(const retry_policy& policy, unsigned retry, double jitter) {
  const auto cap = std::max<std::int64_t>(policy.max_backoff.count(), 0);
  std::int64_t base = std::max<std::int64_t>(policy.initial_backoff.count(), 0);
  // Doubling stops at the cap, so large retry counts cannot overflow.
  for (unsigned i = 1; i < retry && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  jitter = std::clamp(jitter, 0.0, 1.0);
  const auto half = base / 2;
  return milliseconds{half + static_cast<std::int64_t>(static_cast<double>(base - half) * jitter)};
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// IMF-fixdate, the only HTTP-date form senders may generate: "Sun, 06 Nov 1994 08:49:37 GMT", as
// seconds since 1970. Years outside 1970-9999 are refused: a hostile year would overflow the
// arithmetic (and system_clock's nanoseconds end in 2262, so the result stays in seconds).
std::optional<std::int64_t> parse_imf_fixdate(std::string_view value) {
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string text(value);
  char weekday[4]{}, month[4]{}, zone[4]{};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", weekday, &day, month, &year, &hour,
                  &minute, &second, zone) != 8 ||
      std::string_view(zone) != "GMT") {
    return std::nullopt;
  }
  const auto it = std::find(kMonths.begin(), kMonths.end(), std::string_view(month));
  if (it == kMonths.end() || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      hour < 0 || minute < 0 || second < 0 || year < 1970 || year > 9999) {
    return std::nullopt;
  }
  const auto m = static_cast<unsigned>(it - kMonths.begin() + 1);
  const auto days = days_from_civil(year, m, static_cast<unsigned>(day));
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::uint32_t seconds = 0;
  const auto* end = value.data() + value.size();
  if (auto [ptr, ec] = std::from_chars(value.data(), end, seconds); ec == std::errc{} && ptr == end) {
    return milliseconds{std::int64_t{seconds} * 1000};
  }
  const auto when = parse_imf_fixdate(value);
  if (!when) return std::nullopt;
  // At most a day: the caller caps the wait far lower, and seconds * 1000 must not overflow.
  constexpr std::int64_t kMaxWaitSeconds = 86'400;
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t delta = std::clamp<std::int64_t>(*when - now_s, 0, kMaxWaitSeconds);
  return milliseconds{delta * 1000};
}

milliseconds retry_delay(const retry_policy& policy, unsigned retry, double jitter,
                         std::optional<milliseconds> retry_after) {
  if (retry_after) return std::min(*retry_after, std::max(policy.max_backoff, milliseconds{0}));
  return backoff_delay(policy, retry, jitter);
}

}  // namespace twiml_redirect::outbound
