#include "twiml_redirect/util/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

namespace twiml_redirect::util {
namespace {

std::atomic<bool> g_access_log_enabled{true};

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

void append_duration_ms(std::string& out, std::chrono::nanoseconds duration) {
  char buffer[32];
  const int length = std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(duration.count()) / 1e6);
  out.append(buffer, static_cast<std::size_t>(length));
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
}

void setup_logging(const config::log_config& log) {
  auto logger = std::make_shared<spdlog::logger>("twiml-redirect", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // UTC timestamps: replicas in different zones still produce comparable logs.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (log.format == config::log_format::json) {
    formatter->add_flag<json_message_flag>('*').set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%*"})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  g_access_log_enabled = log.access_log;
}

void log_access(const access_entry& entry) {
  if (!g_access_log_enabled.load(std::memory_order_relaxed) || !spdlog::should_log(spdlog::level::info)) return;
  std::string line;
  line.reserve(160);
  // key=value pairs: greppable as text, and one "msg" string in JSON mode.
  line += "access method=";
  line += entry.method;
  line += " path=";
  line += entry.path;
  line += " status=";
  line += std::to_string(entry.status);
  line += " bytes=";
  line += std::to_string(entry.bytes);
  line += " duration_ms=";
  append_duration_ms(line, entry.duration);
  if (!entry.call_sid.empty()) {
    line += " call_sid=";
    line += entry.call_sid;
  }
  line += " peer=";
  line += entry.peer;
  spdlog::info(line);
}

}  // namespace twiml_redirect::util
