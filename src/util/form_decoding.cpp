#include "twiml_redirect/util/form_decoding.hpp"

#include <algorithm>

namespace twiml_redirect::util {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Index of the first malformed escape in `encoded`, or npos.
std::size_t find_bad_escape(std::string_view encoded) {
  for (std::size_t i = encoded.find('%'); i != std::string_view::npos; i = encoded.find('%', i + 1)) {
    if (i + 2 >= encoded.size()) return i;  // fewer than two characters follow
    if (hex_value(encoded[i + 1]) < 0 || hex_value(encoded[i + 2]) < 0) return i;
    i += 2;
  }
  return std::string_view::npos;
}

}  // namespace

bool percent_decode(std::string_view encoded, bool plus_as_space, std::string& out) {
  out.reserve(out.size() + encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return false;
      const int high = hex_value(encoded[i + 1]);
      const int low = hex_value(encoded[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

decoded_form decode_form(std::string_view encoded) {
  decoded_form result;
  result.params.reserve(static_cast<std::size_t>(std::count(encoded.begin(), encoded.end(), '&')) + 1);
  std::size_t pair_start = 0;
  while (pair_start <= encoded.size()) {
    std::size_t pair_end = encoded.find('&', pair_start);
    if (pair_end == std::string_view::npos) pair_end = encoded.size();
    const std::string_view pair = encoded.substr(pair_start, pair_end - pair_start);
    if (!pair.empty()) {
      if (const std::size_t bad = find_bad_escape(pair); bad != std::string_view::npos) {
        result.params.clear();
        result.error = "malformed percent-escape at offset " + std::to_string(pair_start + bad);
        return result;
      }
      const std::size_t equals = pair.find('=');
      form_param& param = result.params.emplace_back();
      percent_decode(pair.substr(0, equals), true, param.name);
      if (equals != std::string_view::npos) percent_decode(pair.substr(equals + 1), true, param.value);
    }
    pair_start = pair_end + 1;
  }
  return result;
}

const form_param* find_param(const std::vector<form_param>& params, std::string_view name) {
  const auto it = std::find_if(params.begin(), params.end(), [name](const form_param& p) { return p.name == name; });
  return it == params.end() ? nullptr : &*it;
}

}  // namespace twiml_redirect::util
