// Log lines stay machine-readable whatever a client puts in its request: text access lines
// round-trip through a logfmt parser, JSON lines are valid JSON (and valid UTF-8).
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/logfmt.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/util/utf8.hpp"

namespace twiml_redirect::util {
namespace {

const std::vector<std::string> kHostilePaths = {
    "/redirect_call",
    "/a b",
    "/quote\"d",
    "/back\\slash",
    "/eq=uals",
    "/new\nline",
    "/tab\tand\rreturn",
    "/\x01\x7f",
    "/caf\xC3\xA9",                // valid UTF-8
    "/\xFF\xFE",                   // not UTF-8
    "/cut\xE2\x82",                // a character cut short
    "",
    "/\" peer=10.0.0.1 x=\"",      // an attempt to forge a field
};

access_entry entry_with_path(const std::string& path) {
  return {.method = "GET", .path = path, .status = 404, .bytes = 12, .duration = std::chrono::microseconds(50),
          .call_sid = {}, .peer = "127.0.0.1"};
}

TEST(LogEscaping, TextAccessLinesRoundTripThroughLogfmt) {
  for (const std::string& path : kHostilePaths) {
    std::string line;
    append_access_line(line, entry_with_path(path), std::chrono::system_clock::time_point{}, log_format::text);
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    // The timestamp and level come first; the pairs start at "access".
    const auto pairs = testing::parse_logfmt(line.substr(line.find("access ")));
    ASSERT_TRUE(pairs.has_value()) << "not logfmt: " << line;
    ASSERT_EQ(pairs->count("path"), 1u) << line;
    EXPECT_EQ(pairs->find("path")->second, valid_utf8(path)) << line;
    EXPECT_EQ(pairs->find("peer")->second, "127.0.0.1") << line;
    EXPECT_EQ(pairs->count("peer"), 1u) << "a forged field: " << line;
  }
}

TEST(LogEscaping, JsonAccessLinesAreValidJsonWithALogfmtMessage) {
  for (const std::string& path : kHostilePaths) {
    std::string line;
    append_access_line(line, entry_with_path(path), std::chrono::system_clock::time_point{}, log_format::json);
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
    const auto pairs = testing::parse_logfmt(parsed.at("msg").get<std::string>());
    ASSERT_TRUE(pairs.has_value()) << line;
    EXPECT_EQ(pairs->find("path")->second, valid_utf8(path)) << line;
  }
}

TEST(LogEscaping, JsonEscapingReplacesInvalidUtf8) {
  std::string out;
  append_json_escaped(out, "ok \xC3\xA9 \xFF \"q\" \x01");
  EXPECT_EQ(out, "ok \xC3\xA9 \xEF\xBF\xBD \\\"q\\\" \\u0001");
  EXPECT_FALSE(nlohmann::json::parse("\"" + out + "\"", nullptr, false).is_discarded());
}

// Every ASCII byte, alone and between runs of plain text, reads back as itself through a JSON parser;
// the plain runs around it come out unchanged.
TEST(LogEscaping, JsonEscapingRoundTripsEveryAsciiByte) {
  for (int byte = 0; byte < 0x80; ++byte) {
    for (const std::string& around : {std::string(), std::string("CA0123456789abcdef"), std::string(40, 'x')}) {
      const std::string text = around + static_cast<char>(byte) + around;
      std::string out;
      append_json_escaped(out, text);
      const auto parsed = nlohmann::json::parse("\"" + out + "\"", nullptr, false);
      ASSERT_FALSE(parsed.is_discarded()) << "byte " << byte << ": " << out;
      EXPECT_EQ(parsed.get<std::string>(), text) << "byte " << byte;
      EXPECT_EQ(out.substr(0, around.size()), around);
      EXPECT_EQ(out.substr(out.size() - around.size()), around);
    }
  }
}

// An exception escaping a thread's body ends the process with exit code 70 and says so, instead
// of std::terminate's silent abort.
TEST(ThreadGuard, AnEscapedExceptionExitsWithCode70) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::thread([] { run_thread_body("test", [] { throw std::runtime_error("boom"); }); }).join(),
              ::testing::ExitedWithCode(kExitInternalError), "");
  bool ran = false;
  run_thread_body("test", [&] { ran = true; });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace twiml_redirect::util
