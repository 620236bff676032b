#pragma once
// Decoding of application/x-www-form-urlencoded text, which is also how Twilio encodes the query
// strings it builds. Pure functions: no I/O, no allocation beyond the returned strings.

#include <string>
#include <string_view>
#include <vector>

namespace twiml_redirect::util {

struct form_param {
  std::string name;   // decoded
  std::string value;  // decoded; empty when the pair had no '=' or nothing after it
};

struct decoded_form {
  std::vector<form_param> params;  // in the order they appeared, repeats kept
  std::string error;               // empty on success; else what is wrong and where
  bool ok() const { return error.empty(); }
};

// Splits on '&', then each pair at its first '='; '+' becomes a space and %XX the byte XX.
// Empty pairs ("a=1&&b=2") are skipped. A malformed escape ("%4", "%zz") is an error naming its
// offset, because guessing what a sender meant would let two parties read the same bytes differently.
decoded_form decode_form(std::string_view encoded);

// Percent-decodes one component, with '+' as a space when plus_as_space. Appends to out.
// Returns false (out then holds a partial result) on a malformed escape.
bool percent_decode(std::string_view encoded, bool plus_as_space, std::string& out);

// True when a Content-Type header names application/x-www-form-urlencoded, whatever its case and
// parameters ("application/x-www-form-urlencoded; charset=UTF-8" is one).
bool is_form_media_type(std::string_view content_type);

// The value of the first parameter named `name`, or nullptr.
const form_param* find_param(const std::vector<form_param>& params, std::string_view name);

}  // namespace twiml_redirect::util
