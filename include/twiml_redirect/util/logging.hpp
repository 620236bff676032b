#pragma once
// Logging set-up (spdlog) and the per-request access line. Text by default; JSON lines with
// LOG_FORMAT=json, one object per line, for log shippers.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "twiml_redirect/config/config.hpp"

namespace twiml_redirect::util {

// Installs the default logger (stderr) with the configured level and format. Call once at startup.
void setup_logging(const config::log_config& log);

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

// Writes one access line at info level, if the access log is enabled.
void log_access(const access_entry& entry);

// Appends `text` as the inside of a JSON string (quotes, backslashes and control bytes escaped).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace twiml_redirect::util
