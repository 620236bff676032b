// Access lines as text and JSON, formatted without spdlog: they must read exactly like spdlog's.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(AccessLine, TextMatchesTheSpdlogPattern) {
  std::string out;
  append_access_line(out, sample_entry(), kTime, log_format::text);
  EXPECT_EQ(out,
            "2024-02-29T23:59:58.123Z info access method=POST path=/redirect_call status=200 bytes=164 "
            "duration_ms=1.235 call_sid=CA0123456789abcdef0123456789abcdef peer=127.0.0.1\n");
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
  EXPECT_NE(line["msg"].get<std::string>().find("method=X\x01Y path=/a\"b\\c "), std::string::npos);
}

TEST(AccessLine, AppendsAfterWhatIsThere) {
  std::string out = "previous line\n";
  append_access_line(out, sample_entry(), kTime, log_format::text);
  EXPECT_TRUE(out.starts_with("previous line\n2024-02-29T23:59:58.123Z info access "));
}

}  // namespace
}  // namespace twiml_redirect::util
