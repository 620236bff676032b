#pragma once
// Logging set-up (spdlog) and the per-request access line. Text by default; JSON lines with
// LOG_FORMAT=json, one object per line, for log shippers.
//
// Access lines do not go through spdlog: formatting a line per request through a locked sink and
// writing it with its own write(2) cost more than answering the request. Each server thread keeps
// an access_log_buffer instead and hands whole lines in batches to a log_writer, whose thread does
// the writing, so lines stay intact and in order per connection (a connection never changes
// thread), at the price of appearing up to one flush interval after the request, and possibly
// after spdlog lines logged in between. spdlog's lines go through the same writer, so no thread
// ever waits for the log's reader; when the reader falls behind, the oldest lines are dropped
// (counted) instead.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "twiml_redirect/util/log_writer.hpp"

namespace spdlog {
class formatter;
}  // namespace spdlog

namespace twiml_redirect::util {

enum class log_format { text, json };

// What setup_logging needs. Defined here rather than in config/ so that util depends on nothing
// above it; config's log_config is this struct, its defaults are the configuration's defaults.
struct log_settings {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  log_format format = log_format::text;
  bool access_log = true;
};

// spdlog's formatter for `format`: the patterns every log line follows, and which
// append_access_line() reproduces by hand. setup_logging() installs it; tests compare with it.
std::unique_ptr<spdlog::formatter> make_log_formatter(log_format format);

// Installs the default logger (stderr, through shared_log_writer) with the configured level and
// format, and the access log's format and switch. Call once at startup, before the server starts.
void setup_logging(const log_settings& log);

// Log lines dropped because the reader fell behind (shared_log_writer's count).
std::uint64_t log_lines_dropped();

// Waits until the log lines queued so far are written, at most `timeout`; false if a reader that
// stopped reading kept them. Call before the process exits.
bool flush_logs(std::chrono::milliseconds timeout);

// The exit code of a process ended by an error nothing could handle (sysexits' EX_SOFTWARE).
inline constexpr int kExitInternalError = 70;

// Logs what escaped a thread's entry point (`thread` names it) and ends the process with
// kExitInternalError. Without it an exception leaving a thread calls std::terminate: the process
// dies with no word of why, and a supervisor restarts it into the same fault.
[[noreturn]] void exit_on_escaped_exception(std::string_view thread) noexcept;

// Runs a thread's body with that guard around it.
template <typename Body>
void run_thread_body(std::string_view thread, Body&& body) noexcept {
  try {
    body();
  } catch (...) {
    exit_on_escaped_exception(thread);
  }
}

// One request as the access log records it. The query string is left out on purpose: for GET
// webhooks it carries the caller's own number (From, Caller), which must not be logged.
struct access_entry {
  std::string_view method;
  std::string_view path;  // target without the query
  unsigned status = 0;
  std::size_t bytes = 0;  // response body bytes
  std::chrono::nanoseconds duration{};
  std::string_view call_sid;  // empty when the request had none (or an invalid one)
  std::string_view peer;
};

// Appends one access line, newline included, exactly as spdlog's pattern for `format` would print
// "access method=... peer=..." at info level at time `now` (UTC), but never more than
// kMaxAccessLineBytes. Pure: the caller supplies the clock.
void append_access_line(std::string& out, const access_entry& entry, std::chrono::system_clock::time_point now,
                        log_format format);

// The longest access line: PIPE_BUF, so that one line is always one atomic write(2) on a pipe.
// A longer one (a path of kilobytes of escaped bytes) is cut, and says so with "truncated=true".
inline constexpr std::size_t kMaxAccessLineBytes = 4096;

// Access lines of one thread, handed to a log_writer for `fd` in batches of whole lines. Not
// thread-safe: one per server thread. Each batch holds at most kBatchBytes (PIPE_BUF), so lines
// from different threads never interleave, even on a pipe.
class access_log_buffer {
 public:
  static constexpr std::size_t kBatchBytes = 4096;

  // Writes to `fd` (stderr by default), which must outlive the writer's use of it.
  explicit access_log_buffer(int fd = 2, log_writer& writer = shared_log_writer()) : fd_(fd), writer_(writer) {}
  ~access_log_buffer() { flush(); }
  access_log_buffer(const access_log_buffer&) = delete;
  access_log_buffer& operator=(const access_log_buffer&) = delete;

  // Records a request, if the access log is on (setup_logging) and info is logged. Writes the
  // batch out first when this line would not fit in it.
  void log(const access_entry& entry);

  // Writes out the buffered lines. Call periodically so quiet periods do not hold lines back.
  void flush();

  bool empty() const { return pending_.empty(); }

 private:
  int fd_;
  log_writer& writer_;
  std::string pending_;  // whole lines waiting to be handed to the writer
  std::string line_;     // scratch for the line being formatted, reused
};

// Appends `text` as the inside of a JSON string: quotes, backslashes and control bytes escaped, and
// any byte that is not valid UTF-8 replaced by U+FFFD, so the line is always valid JSON.
void append_json_escaped(std::string& out, std::string_view text);

// True when `text` can be a logfmt value as it is: not empty, printable ASCII, no space, '"', '='
// or '\'.
bool is_plain_logfmt_value(std::string_view text) noexcept;

// Appends `text` as a logfmt value: as it is when plain, else in double quotes with '"', '\' and
// control bytes escaped (\n, \u00XX) and invalid UTF-8 replaced by U+FFFD, which a logfmt parser
// reads back to the same text.
void append_logfmt_value(std::string& out, std::string_view text);

}  // namespace twiml_redirect::util
