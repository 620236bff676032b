#include "twiml_redirect/app/call_events.hpp"

#include <chrono>

#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::app {

call_event::call_event(std::string_view kind) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  json_ = "{\"at_ms\":" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) +
          ",\"event\":";
  json_ += '"';
  util::append_json_escaped(json_, kind);
  json_ += '"';
}

call_event& call_event::text(std::string_view key, std::string_view value) {
  json_ += ",\"";
  util::append_json_escaped(json_, key);
  json_ += "\":\"";
  util::append_json_escaped(json_, value);
  json_ += '"';
  return *this;
}

call_event& call_event::number(std::string_view key, std::int64_t value) {
  json_ += ",\"";
  util::append_json_escaped(json_, key);
  json_ += "\":" + std::to_string(value);
  return *this;
}

call_event& call_event::flag(std::string_view key, bool value) {
  json_ += ",\"";
  util::append_json_escaped(json_, key);
  json_ += value ? "\":true" : "\":false";
  return *this;
}

std::string call_event::finish() {
  json_ += '}';
  return std::move(json_);
}

}  // namespace twiml_redirect::app
