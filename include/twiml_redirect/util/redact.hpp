#pragma once
// Scrubbing secrets out of text before it reaches a log, a report or /readyz. Pure.

#include <cstddef>
#include <string>
#include <vector>

namespace twiml_redirect::util {

// Replaces every occurrence of each non-empty secret in `text` with "<redacted>". Longer secrets
// go first, so one that contains another is replaced whole.
std::string redact(std::string text, std::vector<std::string> secrets);

// Vendor error text for a log line, a report or /readyz: secrets masked first, then cut to
// `max_bytes` between UTF-8 characters and marked "...". In that order, because a cut through a
// secret leaves a prefix that no longer matches it (all but one character would leak).
inline constexpr std::size_t kMaxErrorText = 300;
std::string redact_and_cut(std::string text, std::vector<std::string> secrets,
                           std::size_t max_bytes = kMaxErrorText);

}  // namespace twiml_redirect::util
