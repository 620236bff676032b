#include "twiml_redirect/util/form_decoding.hpp"

#include <algorithm>
#include <array>

#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::util {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes that interrupt a run of text copied as it is, one bit each, so that one table lookup
// per byte serves every context: a name ends at '=' or '&', a value only at '&', and '+' means a
// space only in forms.
enum : unsigned char { kPercent = 1, kPlus = 2, kAmpersand = 4, kEquals = 8 };
constexpr auto kByteClass = [] {
  std::array<unsigned char, 256> table{};
  table['%'] = kPercent;
  table['+'] = kPlus;
  table['&'] = kAmpersand;
  table['='] = kEquals;
  return table;
}();
constexpr unsigned char kNameStops = kPercent | kPlus | kAmpersand | kEquals;
constexpr unsigned char kValueStops = kPercent | kPlus | kAmpersand;

// Decodes encoded[i...] onto `out` until a byte whose class is in `stops` but is neither '%' nor
// '+' (a delimiter, left at i), or the end. Returns false on a malformed escape, with i at its '%'.
// Each byte is looked at once: this is the whole cost of reading a Twilio form.
bool decode_until(std::string_view encoded, std::size_t& i, unsigned char stops, std::string& out) {
  while (i < encoded.size()) {
    std::size_t run_end = i;
    while (run_end < encoded.size() && (kByteClass[static_cast<unsigned char>(encoded[run_end])] & stops) == 0) ++run_end;
    out.append(encoded.data() + i, run_end - i);
    i = run_end;
    if (i == encoded.size()) break;
    if (encoded[i] == '+') {
      out.push_back(' ');
      ++i;
    } else if (encoded[i] == '%') {
      if (i + 2 >= encoded.size()) return false;
      const int high = hex_value(encoded[i + 1]);
      const int low = hex_value(encoded[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 3;
    } else {
      break;  // the caller's delimiter
    }
  }
  return true;
}

}  // namespace

bool percent_decode(std::string_view encoded, bool plus_as_space, std::string& out) {
  out.reserve(out.size() + encoded.size());
  std::size_t i = 0;
  return decode_until(encoded, i, plus_as_space ? kPercent | kPlus : kPercent, out);
}

decoded_form decode_form(std::string_view encoded) {
  decoded_form result;
  result.params.reserve(static_cast<std::size_t>(std::count(encoded.begin(), encoded.end(), '&')) + 1);
  std::size_t i = 0;
  while (i < encoded.size()) {
    if (encoded[i] == '&') {  // the end of a pair, or an empty one
      ++i;
      continue;
    }
    form_param& param = result.params.emplace_back();
    bool decoded = decode_until(encoded, i, kNameStops, param.name);
    if (decoded && i < encoded.size() && encoded[i] == '=') {
      ++i;
      decoded = decode_until(encoded, i, kValueStops, param.value);
    }
    if (!decoded) {
      result.params.clear();
      result.error = "malformed percent-escape at offset " + std::to_string(i);
      return result;
    }
  }
  return result;
}

bool is_form_media_type(std::string_view content_type) {
  return iequals(media_type_of(content_type), "application/x-www-form-urlencoded");
}

const form_param* find_param(const std::vector<form_param>& params, std::string_view name) {
  const auto it = std::find_if(params.begin(), params.end(), [name](const form_param& p) { return p.name == name; });
  return it == params.end() ? nullptr : &*it;
}

}  // namespace twiml_redirect::util
