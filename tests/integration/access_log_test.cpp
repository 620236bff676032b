// access_log_buffer on a real pipe: several threads' lines arrive whole and, per thread, in order.
#include <sys/ioctl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::util {
namespace {

TEST(AccessLogBuffer, ThreadsWritingOnePipeKeepLinesWholeAndOrdered) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string received;
  std::thread reader([&] {
    char chunk[65536];
    for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) received.append(chunk, static_cast<std::size_t>(n));
  });

  constexpr int kThreads = 3;
  constexpr int kLines = 5000;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([t, fd = fds[1]] {
      access_log_buffer buffer(fd);
      const std::string peer = "thread-" + std::to_string(t);
      for (int i = 0; i < kLines; ++i) {
        const std::string path = "/line/" + std::to_string(i);
        buffer.log({.method = "GET", .path = path, .status = 200, .bytes = 1, .duration = {}, .call_sid = {}, .peer = peer});
        if (i % 1000 == 999) buffer.flush();  // as the worker's tick would, mid-stream
      }
    });  // the buffer's destructor writes the rest
  }
  for (auto& w : writers) w.join();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);

  const std::regex line_pattern(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info access method=GET path=/line/(\d+) status=200 bytes=1 )"
      R"(duration_ms=0\.000 peer=thread-(\d))");
  std::map<int, int> next_line;  // per thread, the line number expected next
  std::istringstream lines(received);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, line_pattern)) << "broken line: " << line;
    const int thread = std::stoi(match[2]);
    ASSERT_EQ(std::stoi(match[1]), next_line[thread]) << "out of order for thread " << thread;
    ++next_line[thread];
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(AccessLogBuffer, HoldsLinesUntilFlushOrFullBatch) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    access_log_buffer buffer(fds[1]);
    buffer.log({.method = "GET", .path = "/", .status = 200, .bytes = 0, .duration = {}, .call_sid = {}, .peer = "p"});
    EXPECT_FALSE(buffer.empty());
    buffer.flush();
    EXPECT_TRUE(buffer.empty());
    int written = 0;
    ASSERT_EQ(::ioctl(fds[0], FIONREAD, &written), 0);
    const int one_line = written;
    EXPECT_GT(one_line, 0);
    // Lines past a full batch push the batch out by themselves, whole lines only.
    const std::string long_path(1000, 'x');
    for (int i = 0; i < 10; ++i)
      buffer.log({.method = "GET", .path = long_path, .status = 200, .bytes = 0, .duration = {}, .call_sid = {}, .peer = "p"});
    ASSERT_EQ(::ioctl(fds[0], FIONREAD, &written), 0);
    EXPECT_GT(written, one_line);
    EXPECT_LE(written - one_line, 10 * (one_line + 1000));
    EXPECT_FALSE(buffer.empty());  // the last lines wait for the next flush
  }
  ::close(fds[1]);
  std::string received;
  char chunk[65536];
  for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) received.append(chunk, static_cast<std::size_t>(n));
  ::close(fds[0]);
  EXPECT_EQ(std::count(received.begin(), received.end(), '\n'), 11);
}

}  // namespace
}  // namespace twiml_redirect::util
