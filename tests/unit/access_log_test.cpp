// Access lines as text and JSON, formatted without spdlog: they must read exactly like spdlog's,
// so the expected lines come from spdlog's own pattern formatter.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/pattern_formatter.h>

#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::util {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// 2024-02-29T23:59:58.123456Z
const system_clock::time_point kTime = sys_days{2024y / February / 29} + 23h + 59min + 58s + 123456us;

access_entry sample_entry() {
  return {.method = "POST",
          .path = "/redirect_call",
          .status = 200,
          .bytes = 164,
          .duration = 1234567ns,
          .call_sid = "CA0123456789abcdef0123456789abcdef",
          .peer = "127.0.0.1"};
}

// A client's text as a logfmt value (the quoting rules have their own tests, in log_escaping_test).
std::string logfmt(std::string_view text) {
  std::string out;
  append_logfmt_value(out, text);
  return out;
}

// The message an spdlog::info call would carry for `entry`, formatted by fmt rather than by hand.
std::string access_message(const access_entry& entry) {
  return fmt::format("access method={} path={} status={} bytes={} duration_ms={:.3f}{} peer={}", logfmt(entry.method),
                     logfmt(entry.path), entry.status, entry.bytes,
                     duration<double, std::milli>(entry.duration).count(),
                     entry.call_sid.empty() ? std::string() : " call_sid=" + logfmt(entry.call_sid), logfmt(entry.peer));
}

// What spdlog's own formatter, as setup_logging installs it, prints for that message at `time`
// (tests/integration/access_log_test.cpp checks the installed logger end to end).
std::string spdlog_line(const access_entry& entry, system_clock::time_point time, log_format format) {
  const auto formatter = make_log_formatter(format);
  const std::string message = access_message(entry);
  const spdlog::details::log_msg msg(time, spdlog::source_loc{}, "twiml-redirect", spdlog::level::info, message);
  spdlog::memory_buf_t out;
  formatter->format(msg, out);
  return fmt::to_string(out);
}

TEST(AccessLine, SameBytesAsSpdlogsFormatter) {
  access_entry no_sid = sample_entry();
  no_sid.call_sid = {};
  no_sid.status = 404;
  no_sid.duration = 999ns;  // rounds up to 0.001 ms
  access_entry slow = sample_entry();
  slow.duration = 12s + 345678us;
  access_entry odd = sample_entry();
  odd.method = "X\x01Y";
  odd.path = "/a\"b\\c\n";
  // Midnight, a leap day, the last microsecond of a second: where a hand-made clock goes wrong.
  const system_clock::time_point times[] = {kTime, sys_days{2025y / January / 1},
                                            sys_days{2024y / December / 31} + 86399999999us};
  for (const auto& entry : {sample_entry(), no_sid, slow, odd}) {
    for (const auto time : times) {
      for (const auto format : {log_format::text, log_format::json}) {
        std::string out;
        append_access_line(out, entry, time, format);
        EXPECT_EQ(out, spdlog_line(entry, time, format));
      }
    }
  }
}

TEST(AccessLine, NoCallSidNoField) {
  access_entry entry = sample_entry();
  entry.call_sid = {};
  entry.status = 404;
  entry.duration = 999ns;  // rounds to 0.001 ms
  std::string out;
  append_access_line(out, entry, kTime, log_format::text);
  EXPECT_EQ(out, "2024-02-29T23:59:58.123Z info access method=POST path=/redirect_call status=404 bytes=164 "
                 "duration_ms=0.001 peer=127.0.0.1\n");
}

TEST(AccessLine, LongDurationsKeepTheirDigits) {
  access_entry entry = sample_entry();
  entry.duration = 12s + 345678us;
  std::string out;
  append_access_line(out, entry, kTime, log_format::text);
  EXPECT_NE(out.find(" duration_ms=12345.678 "), std::string::npos) << out;
}

TEST(AccessLine, JsonIsOneObjectWithMicrosecondTime) {
  std::string out;
  append_access_line(out, sample_entry(), kTime, log_format::json);
  ASSERT_TRUE(out.ends_with("}\n"));
  const auto line = nlohmann::json::parse(out);
  EXPECT_EQ(line["time"], "2024-02-29T23:59:58.123456Z");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"], "access method=POST path=/redirect_call status=200 bytes=164 duration_ms=1.235 "
                         "call_sid=CA0123456789abcdef0123456789abcdef peer=127.0.0.1");
}

TEST(AccessLine, JsonEscapesWhatTheClientSent) {
  access_entry entry = sample_entry();
  entry.path = "/a\"b\\c";
  entry.method = "X\x01Y";
  std::string out;
  append_access_line(out, entry, kTime, log_format::json);
  const auto line = nlohmann::json::parse(out);  // throws if the escaping broke the object
  // The message is logfmt inside JSON: the client's text quoted and escaped once for each.
  EXPECT_NE(line["msg"].get<std::string>().find(R"(method="X\u0001Y" path="/a\"b\\c" )"), std::string::npos)
      << line["msg"];
}

TEST(AccessLine, AppendsAfterWhatIsThere) {
  std::string out = "previous line\n";
  append_access_line(out, sample_entry(), kTime, log_format::text);
  EXPECT_TRUE(out.starts_with("previous line\n2024-02-29T23:59:58.123Z info access "));
}

}  // namespace
}  // namespace twiml_redirect::util
