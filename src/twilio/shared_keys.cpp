#include "twiml_redirect/twilio/shared_keys.hpp"

#include <algorithm>
#include <cstddef>

#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::twilio {
namespace {

using util::iequals;
using util::trim;

// A key SID as Twilio writes them: letters and digits (KS followed by 32 hex digits in practice; the
// exact form is not checked, so a differently shaped SID Twilio may issue later still works).
bool is_key_sid(std::string_view sid) {
  return !sid.empty() && sid.size() <= 64 &&
         std::all_of(sid.begin(), sid.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

// Calls `each(element)` for every comma-separated element of `text`, trimmed.
template <typename Each>
void for_each_element(std::string_view text, Each each) {
  while (true) {
    const std::size_t comma = text.find(',');
    each(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

shared_keys_parse parse_shared_keys(std::string_view text) {
  shared_keys_parse out;
  if (trim(text).empty()) return out;
  std::size_t position = 0;
  for_each_element(text, [&](std::string_view entry) {
    ++position;
    if (!out.error.empty()) return;
    const std::string where = "entry " + std::to_string(position);
    const std::size_t colon = entry.find(':');
    if (entry.empty()) {
      out.error = where + " is empty (write SID:secret entries separated by single commas)";
    } else if (colon == std::string_view::npos) {
      // The entry may be a bare secret: name it by position only.
      out.error = where + " has no ':' (write SID:secret, e.g. KSxxx:secret)";
    } else if (const std::string_view sid = trim(entry.substr(0, colon)); !is_key_sid(sid)) {
      out.error = where + ": the key SID before ':' must be letters and digits (KS...)";
    } else if (entry.substr(colon + 1).empty()) {
      out.error = where + " (" + std::string(sid) + ") has an empty secret";
    } else if (std::any_of(out.keys.begin(), out.keys.end(), [&](const shared_key& k) { return k.sid == sid; })) {
      out.error = where + " repeats key " + std::string(sid);
    } else {
      out.keys.push_back({std::string(sid), std::string(entry.substr(colon + 1))});
    }
  });
  if (!out.error.empty()) out.keys.clear();
  return out;
}

std::optional<signature_settings> parse_signature_settings(std::string_view header) {
  signature_settings settings;
  bool well_formed = true;
  for_each_element(header, [&](std::string_view pair) {
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      well_formed = false;
      return;
    }
    const std::string_view name = trim(pair.substr(0, equals));
    const std::string_view value = trim(pair.substr(equals + 1));
    if (iequals(name, "key")) settings.key = value;
    if (iequals(name, "algorithm")) settings.algorithm = value;
  });
  if (!well_formed || settings.key.empty()) return std::nullopt;
  return settings;
}

std::optional<hmac_algorithm> hmac_algorithm_named(std::string_view name) {
  if (iequals(name, "HMAC_SHA1")) return hmac_algorithm::sha1;
  if (iequals(name, "HMAC_SHA256")) return hmac_algorithm::sha256;
  return std::nullopt;
}

}  // namespace twiml_redirect::twilio
