#include "twiml_redirect/util/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>

#include "twiml_redirect/util/utf8.hpp"

namespace twiml_redirect::util {
namespace {

std::atomic<bool> g_access_log_enabled{true};
std::atomic<log_format> g_access_log_format{log_format::text};

// spdlog flag %* : the log message as JSON string content, so a message with quotes or newlines
// still yields one valid JSON object per line.
class json_message_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string escaped;
    append_json_escaped(escaped, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<json_message_flag>(); }
};

// spdlog's sink for every line that is not an access line: formats in the caller's thread (these
// lines are rare) and hands the bytes to the shared log_writer, so spdlog's lines and the access
// lines reach stderr through one queue, in order, and a reader that stops blocks neither.
class log_writer_sink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    line_.assign(formatted.data(), formatted.size());
    shared_log_writer().write(STDERR_FILENO, line_);
  }
  void flush_() override {}

 private:
  std::string line_;
};

// Writes `width` decimal digits of `value`, zero-padded, at `at`; returns the end.
char* put_padded(char* at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return at + width;
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

// 2024-05-01T12:34:56.789 (text, milliseconds, as spdlog's %e) or .789012 (JSON, microseconds, %f).
// Built in a local array and appended once: this runs for every request.
void append_utc_time(std::string& out, std::chrono::system_clock::time_point now, log_format format) {
  using namespace std::chrono;
  const auto day = floor<days>(now);
  const year_month_day date{day};
  const hh_mm_ss time{floor<microseconds>(now - day)};
  char text[32];
  char* at = put_padded(text, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  *at++ = '-';
  at = put_padded(at, static_cast<unsigned>(date.month()), 2);
  *at++ = '-';
  at = put_padded(at, static_cast<unsigned>(date.day()), 2);
  *at++ = 'T';
  at = put_padded(at, static_cast<unsigned>(time.hours().count()), 2);
  *at++ = ':';
  at = put_padded(at, static_cast<unsigned>(time.minutes().count()), 2);
  *at++ = ':';
  at = put_padded(at, static_cast<unsigned>(time.seconds().count()), 2);
  *at++ = '.';
  const auto micros = static_cast<unsigned>(time.subseconds().count());
  at = format == log_format::json ? put_padded(at, micros, 6) : put_padded(at, micros / 1000, 3);
  out.append(text, at);
}

// A method and a path longer than these are cut, so that even when every byte needs the longest
// escape (7 bytes: a control byte as logfmt's \u00XX, escaped again for JSON) the line stays under
// kMaxAccessLineBytes. Real ones are far shorter: Twilio's paths are the configured ones.
constexpr std::size_t kMaxLoggedMethodBytes = 32;
constexpr std::size_t kMaxLoggedPathBytes = 448;

// The access line's message: "access method=GET path=/x status=200 bytes=12 duration_ms=0.107 ...".
// The fixed parts need no JSON escaping; the request's own text does when `json`.
void append_access_message(std::string& out, const access_entry& entry, bool json) {
  const bool truncated = entry.method.size() > kMaxLoggedMethodBytes || entry.path.size() > kMaxLoggedPathBytes;
  std::string quoted;  // a value that needed logfmt quoting, before JSON escaping
  const auto append_text = [&out, &quoted, json](std::string_view text) {
    if (is_plain_logfmt_value(text)) {
      out += text;  // the common case: the method, a route path, a CallSid, an address
    } else if (json) {
      quoted.clear();
      append_logfmt_value(quoted, text);
      append_json_escaped(out, quoted);
    } else {
      append_logfmt_value(out, text);
    }
  };
  // key=value pairs: greppable as text, and one "msg" string in JSON mode.
  out += "access method=";
  append_text(entry.method.substr(0, kMaxLoggedMethodBytes));
  out += " path=";
  append_text(entry.path.substr(0, kMaxLoggedPathBytes));
  out += " status=";
  append_number(out, entry.status);
  out += " bytes=";
  append_number(out, entry.bytes);
  out += " duration_ms=";
  // Milliseconds with three decimals, rounded to the microsecond, without printf's cost.
  const auto micros = static_cast<std::uint64_t>((std::max<std::int64_t>(entry.duration.count(), 0) + 500) / 1000);
  append_number(out, micros / 1000);
  char fraction[4] = {'.'};
  out.append(fraction, put_padded(fraction + 1, static_cast<unsigned>(micros % 1000), 3));
  if (!entry.call_sid.empty()) {
    out += " call_sid=";
    append_text(entry.call_sid);
  }
  out += " peer=";
  append_text(entry.peer);
  if (truncated) out += " truncated=true";
}

}  // namespace

bool is_plain_logfmt_value(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
  });
}

void append_logfmt_value(std::string& out, std::string_view text) {
  if (is_plain_logfmt_value(text)) {
    out += text;
    return;
  }
  // logfmt's quoted values use Go's escapes, which for these characters are JSON's.
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Printable ASCII other than the two JSON quotes goes out as it is: whole runs of it are appended
  // at once, so a typical value (a CallSid, a number, a city) costs one append, not one per byte.
  const auto unescaped = [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; };
  while (!text.empty()) {
    const std::size_t run = static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), unescaped) - text.begin());
    out.append(text.data(), run);
    text.remove_prefix(run);
    if (text.empty()) return;
    const char c = text.front();
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      // Log lines must be UTF-8 (JSON requires it): a request path or a remote error message may
      // not be. Valid sequences stay as they are; a stray byte becomes U+FFFD.
      const std::size_t length = utf8_sequence_length(text);
      out += length == 0 ? std::string_view("\xEF\xBF\xBD") : text.substr(0, length);
      text.remove_prefix(length == 0 ? 1 : length);
      continue;
    }
    text.remove_prefix(1);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:  // the other control characters, and DEL
        out += "\\u00";
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xf]);
    }
  }
}

std::unique_ptr<spdlog::formatter> make_log_formatter(log_format format) {
  // UTC timestamps: replicas in different zones still produce comparable logs.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == log_format::json) {
    formatter->add_flag<json_message_flag>('*').set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%*"})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v");
  }
  return formatter;
}

void setup_logging(const log_settings& log) {
  auto logger = std::make_shared<spdlog::logger>("twiml-redirect", std::make_shared<log_writer_sink>());
  logger->set_formatter(make_log_formatter(log.format));
  logger->set_level(spdlog::level::from_str(log.level));
  spdlog::set_default_logger(std::move(logger));
  g_access_log_enabled = log.access_log;
  g_access_log_format = log.format;
}

void append_access_line(std::string& out, const access_entry& entry, std::chrono::system_clock::time_point now,
                        log_format format) {
  // The shapes of setup_logging's two spdlog patterns, filled in by hand.
  if (format == log_format::json) {
    out += R"({"time":")";
    append_utc_time(out, now, format);
    out += R"(Z","level":"info","msg":")";
    append_access_message(out, entry, /*json=*/true);
    out += "\"}\n";
  } else {
    append_utc_time(out, now, format);
    out += "Z info ";
    append_access_message(out, entry, /*json=*/false);
    out.push_back('\n');
  }
}

void access_log_buffer::log(const access_entry& entry) {
  if (!g_access_log_enabled.load(std::memory_order_relaxed) || !spdlog::should_log(spdlog::level::info)) return;
  line_.clear();
  append_access_line(line_, entry, std::chrono::system_clock::now(), g_access_log_format.load(std::memory_order_relaxed));
  if (pending_.size() + line_.size() > kBatchBytes) flush();
  pending_ += line_;
}

void access_log_buffer::flush() { writer_.write(fd_, pending_); }

std::uint64_t log_lines_dropped() { return shared_log_writer().lines_dropped(); }

bool flush_logs(std::chrono::milliseconds timeout) { return shared_log_writer().drain(timeout); }

void exit_on_escaped_exception(std::string_view thread) noexcept {
  std::string what = "an exception that is not a std::exception";
  try {
    throw;
  } catch (const std::exception& error) {
    what = error.what();
  } catch (...) {
  }
  try {
    spdlog::critical("{} thread: unexpected error, exiting: {}", thread, what);
    flush_logs(std::chrono::seconds(1));
  } catch (...) {
  }
  std::_Exit(kExitInternalError);
}

}  // namespace twiml_redirect::util
