// util::decode_form on arbitrary bytes: never crashes, errors exactly when percent_decode does, and
// what it decodes survives a re-encode/decode round trip unchanged.
#include "fuzz_target.hpp"
#include "twiml_redirect/util/form_decoding.hpp"

namespace {

// Percent-encodes every byte that is not unreserved, so the result decodes back to `text` exactly.
void append_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
}

}  // namespace

TWIML_FUZZ_TARGET(form_decoding) {
  using namespace twiml_redirect::util;
  const decoded_form decoded = decode_form(input);
  std::string whole;
  TWIML_FUZZ_CHECK(decoded.ok() == percent_decode(input, true, whole));
  if (!decoded.ok()) {
    TWIML_FUZZ_CHECK(decoded.params.empty());
    return;
  }
  std::size_t separators = 0;
  for (const char c : input) separators += c == '&';
  TWIML_FUZZ_CHECK(decoded.params.size() <= separators + 1);

  std::string encoded;
  for (const form_param& param : decoded.params) {
    if (!encoded.empty()) encoded.push_back('&');
    append_encoded(encoded, param.name);
    encoded.push_back('=');
    append_encoded(encoded, param.value);
  }
  const decoded_form again = decode_form(encoded);
  TWIML_FUZZ_CHECK(again.ok() && again.params.size() == decoded.params.size());
  for (std::size_t i = 0; i < again.params.size(); ++i) {
    TWIML_FUZZ_CHECK(again.params[i].name == decoded.params[i].name);
    TWIML_FUZZ_CHECK(again.params[i].value == decoded.params[i].value);
  }
  if (!decoded.params.empty()) {
    const form_param* first = find_param(decoded.params, decoded.params.front().name);
    TWIML_FUZZ_CHECK(first == &decoded.params.front());
  }
}
