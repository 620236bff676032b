#pragma once
// The few text helpers HTTP needs, written once: ASCII case-insensitive comparison, trimming of
// optional whitespace, and the media type of a Content-Type. Pure: no I/O, no allocation.

#include <string_view>

namespace twiml_redirect::util {

// ASCII case-insensitive equality. Not boost::beast::iequals: Boost 1.81's reads one byte past the
// end of both arguments when they differ only in the case of their last byte, which is harmless
// inside Beast's own field storage but not for a view that ends where its memory ends (the fuzzer
// found it through the request validator).
bool iequals(std::string_view a, std::string_view b) noexcept;

// `text` without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
std::string_view trim(std::string_view text) noexcept;

// The media type of a Content-Type value, without parameters or surrounding whitespace:
// " application/x-www-form-urlencoded ; charset=UTF-8" -> "application/x-www-form-urlencoded".
// Compare it with iequals: media types are case-insensitive.
std::string_view media_type_of(std::string_view content_type) noexcept;

}  // namespace twiml_redirect::util
