// access_log_buffer and log_writer on a real pipe: several threads' lines arrive whole and, per
// thread, in order; a reader that stops reading never blocks a writer and costs only counted lines;
// and the access line against the spdlog formatter setup_logging installs, through real stderr.
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <optional>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
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
  std::optional<log_writer> writer(std::in_place);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([t, fd = fds[1], &writer] {
      access_log_buffer buffer(fd, *writer);
      const std::string peer = "thread-" + std::to_string(t);
      for (int i = 0; i < kLines; ++i) {
        const std::string path = "/line/" + std::to_string(i);
        buffer.log({.method = "GET", .path = path, .status = 200, .bytes = 1, .duration = {}, .call_sid = {}, .peer = peer});
        if (i % 1000 == 999) buffer.flush();  // as the worker's tick would, mid-stream
      }
    });  // the buffer's destructor writes the rest
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(writer->lines_dropped(), 0u);
  writer.reset();  // writes what it holds
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
  log_writer writer;
  {
    access_log_buffer buffer(fds[1], writer);
    buffer.log({.method = "GET", .path = "/", .status = 200, .bytes = 0, .duration = {}, .call_sid = {}, .peer = "p"});
    EXPECT_FALSE(buffer.empty());
    buffer.flush();
    EXPECT_TRUE(buffer.empty());
    ASSERT_TRUE(writer.drain(std::chrono::seconds(5)));
    int written = 0;
    ASSERT_EQ(::ioctl(fds[0], FIONREAD, &written), 0);
    const int one_line = written;
    EXPECT_GT(one_line, 0);
    // Lines past a full batch push the batch out by themselves, whole lines only.
    const std::string long_path(1000, 'x');
    for (int i = 0; i < 10; ++i)
      buffer.log({.method = "GET", .path = long_path, .status = 200, .bytes = 0, .duration = {}, .call_sid = {}, .peer = "p"});
    ASSERT_TRUE(writer.drain(std::chrono::seconds(5)));
    ASSERT_EQ(::ioctl(fds[0], FIONREAD, &written), 0);
    EXPECT_GT(written, one_line);
    EXPECT_LE(written - one_line, 10 * (one_line + 1000));
    EXPECT_FALSE(buffer.empty());  // the last lines wait for the next flush
  }
  ASSERT_TRUE(writer.drain(std::chrono::seconds(5)));
  ::close(fds[1]);
  std::string received;
  char chunk[65536];
  for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) received.append(chunk, static_cast<std::size_t>(n));
  ::close(fds[0]);
  EXPECT_EQ(std::count(received.begin(), received.end(), '\n'), 11);
}

// Lines handed over one at a time (as spdlog's sink does, one per request for a /call_context
// lookup) go out together: each write(2) on a SOCK_SEQPACKET socket arrives as one message, so the
// reader counts the writes. Without the gathering pause each line would be a write of its own.
TEST(LogWriter, LinesHandedOverOneByOneGoOutInFewWrites) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  constexpr int kLines = 2000;
  const std::string line = "2026-12-04T11:00:00.000Z info call context served call_sid=CA0 synthflow_call_id=-\n";
  std::vector<std::string> messages;
  std::thread reader([&] {
    std::vector<char> chunk(log_writer::kMaxWriteBytes + 1);
    for (ssize_t n; (n = ::recv(fds[0], chunk.data(), chunk.size(), 0)) > 0;)
      messages.emplace_back(chunk.data(), static_cast<std::size_t>(n));
  });
  {
    log_writer writer;
    std::string batch;
    for (int i = 0; i < kLines; ++i) {
      batch = line;
      writer.write(fds[1], batch);
      // A line every few microseconds, as under load: a writer without the pause would keep up.
      std::this_thread::sleep_for(std::chrono::microseconds(5));
    }
    ASSERT_TRUE(writer.drain(std::chrono::seconds(5)));
  }
  ::shutdown(fds[1], SHUT_WR);
  reader.join();
  ::close(fds[0]);
  ::close(fds[1]);
  std::string received;
  for (const std::string& message : messages) {
    EXPECT_LE(message.size(), log_writer::kMaxWriteBytes);
    EXPECT_EQ(message.back(), '\n') << "a write ended mid-line";
    received += message;
  }
  EXPECT_EQ(received.size(), line.size() * kLines) << "lines lost or repeated";
  EXPECT_LT(messages.size(), static_cast<std::size_t>(kLines / 10)) << "about one write per line";
}

// A reader that stops reading (a paused log shipper): the pipe fills, the writer's thread blocks in
// write(2), and the server thread logging must not notice. It goes on at full speed, the queue stays
// within its bound by dropping the oldest batches, and every line is either delivered whole or counted.
TEST(LogWriter, StalledReaderNeverBlocksTheLoggingThreadAndDropsAreCounted) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  constexpr std::size_t kBound = 64 * 1024;  // besides the pipe's own 64 KiB
  constexpr int kLines = 20'000;             // about 2 MB of lines: 15x what pipe and queue hold
  std::string received;
  {
    log_writer writer(kBound);
    auto logging = std::async(std::launch::async, [&] {
      access_log_buffer buffer(fds[1], writer);
      for (int i = 0; i < kLines; ++i) {
        const std::string path = "/line/" + std::to_string(i);
        buffer.log({.method = "GET", .path = path, .status = 200, .bytes = 1, .duration = {}, .call_sid = {}, .peer = "p"});
      }
    });
    // Nobody reads yet. A logging thread that waited for the reader would never finish.
    ASSERT_EQ(logging.wait_for(std::chrono::seconds(30)), std::future_status::ready)
        << "the logging thread blocked on a reader that stopped";
    logging.get();
    EXPECT_GT(writer.lines_dropped(), 0u);
    // The reader comes back: what was kept arrives whole.
    std::thread reader([&] {
      char chunk[65536];
      for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) received.append(chunk, static_cast<std::size_t>(n));
    });
    ASSERT_TRUE(writer.drain(std::chrono::seconds(10)));
    ::close(fds[1]);
    reader.join();
    const auto delivered = static_cast<std::uint64_t>(std::count(received.begin(), received.end(), '\n'));
    EXPECT_EQ(delivered + writer.lines_dropped(), static_cast<std::uint64_t>(kLines));
    EXPECT_LE(received.size(), kBound + 65536 + 2 * access_log_buffer::kBatchBytes) << "kept more than the bound";
  }
  ::close(fds[0]);
  const std::regex line_pattern(R"(\S+ info access method=GET path=/line/(\d+) status=200 bytes=1 duration_ms=0\.000 peer=p)");
  std::istringstream lines(received);
  int previous = -1;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, line_pattern)) << "broken line: " << line;
    const int number = std::stoi(match[1]);
    ASSERT_GT(number, previous) << "lines out of order";
    previous = number;
  }
  EXPECT_EQ(previous, kLines - 1) << "the newest lines must be the ones kept";
}

// The longest line anything can make: a method and a path of control bytes, each escaped twice
// over in JSON. It is cut to at most PIPE_BUF bytes, says so, and is still one valid line.
TEST(AccessLine, LongestPossibleLineIsCutAndMarked) {
  const std::string path(8192, '\x01');
  const std::string method(1000, '\x02');
  for (const auto format : {log_format::text, log_format::json}) {
    std::string line;
    append_access_line(line, {.method = method, .path = path, .status = 400, .bytes = 30, .duration = {},
                              .call_sid = "CA0123456789abcdef0123456789abcdef",
                              .peer = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"},
                       std::chrono::system_clock::now(), format);
    EXPECT_LE(line.size(), kMaxAccessLineBytes);
    EXPECT_NE(line.find(" truncated=true"), std::string::npos);
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
    EXPECT_EQ(line.back(), '\n');
  }
  std::string ordinary;
  append_access_line(ordinary, {.method = "POST", .path = "/redirect_call", .status = 200, .bytes = 1, .duration = {},
                                .call_sid = {}, .peer = "::1"},
                     std::chrono::system_clock::now(), log_format::text);
  EXPECT_EQ(ordinary.find("truncated"), std::string::npos);
}

// Runs `body` with file descriptor 2 pointing at a temporary file; returns what it wrote there.
std::string capture_stderr(const std::function<void()>& body) {
  std::fflush(stderr);
  std::FILE* file = std::tmpfile();
  if (file == nullptr) throw std::runtime_error("tmpfile failed");
  const int saved = ::dup(2);
  ::dup2(::fileno(file), 2);
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string captured;
  std::rewind(file);
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file)) > 0;) captured.append(chunk, n);
  std::fclose(file);
  return captured;
}

// append_access_line against the very formatter setup_logging installs: a log message with the
// same text and time goes through the default logger's sink, and the bytes must be identical.
TEST(AccessLine, SameBytesAsTheLoggerSetupLoggingInstalls) {
  using namespace std::chrono;
  using namespace std::chrono_literals;
  const auto previous = spdlog::default_logger();
  const system_clock::time_point time = sys_days{2024y / February / 29} + 23h + 59min + 58s + 123456us;
  const access_entry with_sid{.method = "POST", .path = "/redirect_call", .status = 200, .bytes = 164,
                              .duration = 1234567ns, .call_sid = "CA0123456789abcdef0123456789abcdef",
                              .peer = "127.0.0.1"};
  const access_entry odd{.method = "X\x01Y", .path = "/a\"b\\c", .status = 404, .bytes = 0, .duration = 999ns,
                         .call_sid = {}, .peer = "::1"};
  for (const auto format : {log_format::text, log_format::json}) {
    log_settings log;
    log.format = format;
    setup_logging(log);
    const auto logger = spdlog::default_logger();
    ASSERT_EQ(logger->sinks().size(), 1u);
    for (const access_entry& entry : {with_sid, odd}) {
      // The message as the service's own spdlog::info("access ...") would carry it.
      // Values are logfmt (quoted when they need it); the quoting has its own tests.
      const auto logfmt = [](std::string_view text) {
        std::string out;
        append_logfmt_value(out, text);
        return out;
      };
      const std::string message = fmt::format(
          "access method={} path={} status={} bytes={} duration_ms={:.3f}{} peer={}", logfmt(entry.method),
          logfmt(entry.path), entry.status, entry.bytes, duration<double, std::milli>(entry.duration).count(),
          entry.call_sid.empty() ? std::string() : " call_sid=" + logfmt(entry.call_sid), logfmt(entry.peer));
      const spdlog::details::log_msg msg(time, spdlog::source_loc{}, logger->name(), spdlog::level::info, message);
      const std::string expected = capture_stderr([&] {
        logger->sinks().front()->log(msg);
        ASSERT_TRUE(flush_logs(std::chrono::seconds(5)));  // the sink hands the line to the log's thread
      });
      std::string ours;
      append_access_line(ours, entry, time, format);
      EXPECT_EQ(ours, expected) << (format == log_format::json ? "json" : "text");
    }
  }
  setup_logging(log_settings{});  // the access log's own switches back to their defaults
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace twiml_redirect::util
