#pragma once
// UTF-8 for logs and labels: text from outside (request paths, a remote API's error message) may
// hold any bytes, and a log line or a metric label that carries invalid UTF-8, or a character cut
// in half, is no longer valid JSON. Pure: no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace twiml_redirect::util {

// The length of the valid UTF-8 sequence at the start of `text` (1 to 4), or 0 when it does not
// start with one (a stray continuation byte, an overlong form, a surrogate, a cut sequence).
std::size_t utf8_sequence_length(std::string_view text) noexcept;

// The longest prefix of `text` of at most `max_bytes` that does not end inside a character.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept;

// True when all of `text` is valid UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace twiml_redirect::util
