#pragma once
// Scrubbing secrets out of text before it reaches a log, a report or /readyz. Pure.

#include <string>
#include <vector>

namespace twiml_redirect::outbound {

// Replaces every occurrence of each non-empty secret in `text` with "<redacted>". Longer secrets
// go first, so one that contains another is replaced whole.
std::string redact(std::string text, std::vector<std::string> secrets);

}  // namespace twiml_redirect::outbound
