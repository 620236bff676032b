#pragma once
// The events of a call's path (GET /calls/{CallSid}): one flat JSON object each, with the time in
// milliseconds since the epoch and what happened. Built by the handlers, kept by the call store.
// Never caller data: the called number is the business's, targets are config or masked.

#include <cstdint>
#include <string>
#include <string_view>

namespace twiml_redirect::app {

class call_event {
 public:
  // {"at_ms":…,"event":"<kind>"
  explicit call_event(std::string_view kind);

  call_event& text(std::string_view key, std::string_view value);
  call_event& number(std::string_view key, std::int64_t value);
  call_event& flag(std::string_view key, bool value);

  // The closed object; the builder is spent.
  std::string finish();

 private:
  std::string json_;
};

}  // namespace twiml_redirect::app
