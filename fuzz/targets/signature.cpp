// Signature computation on arbitrary token, URL and parameters.
// Input: token '\n' url '\n' then name=value pairs separated by '&' (taken raw, not decoded).
#include <algorithm>

#include "fuzz_target.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace {

bool is_base64(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=';
  });
}

}  // namespace

TWIML_FUZZ_TARGET(signature) {
  using namespace twiml_redirect::twilio;
  twiml_fuzz::field_reader fields(input);
  const std::string_view token = fields.next();
  const std::string_view url = fields.next();
  std::string_view pairs = fields.rest();
  form_params params;
  while (!pairs.empty()) {
    const std::string_view pair = pairs.substr(0, pairs.find('&'));
    pairs.remove_prefix(std::min(pairs.size(), pair.size() + 1));
    const std::size_t eq = pair.find('=');
    params.emplace_back(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }

  const std::string signature = compute_signature(token, url, params);
  TWIML_FUZZ_CHECK(signature.size() == 28 && signature.ends_with('=') && is_base64(signature));

  // The signed string starts with the URL and holds every name and value once per distinct pair.
  const std::string signed_bytes = signing_string(url, params);
  TWIML_FUZZ_CHECK(signed_bytes.starts_with(url));

  // Arrival order and repeated pairs do not matter.
  form_params shuffled(params.rbegin(), params.rend());
  if (!params.empty()) shuffled.push_back(params.front());
  TWIML_FUZZ_CHECK(signing_string(url, shuffled) == signed_bytes);
  TWIML_FUZZ_CHECK(compute_signature(token, url, shuffled) == signature);

  // Every candidate spelling of the URL validates against the URL; nothing validates with no token.
  const std::vector<std::string> candidates = candidate_urls(url);
  TWIML_FUZZ_CHECK(!candidates.empty() && candidates.size() <= 2 && candidates.front() == url);
  for (const std::string& candidate : candidates) {
    const std::string candidate_signature = compute_signature(token, candidate, params);
    TWIML_FUZZ_CHECK(signature_matches(token, candidate_signature, url, params) == !token.empty());
  }
  TWIML_FUZZ_CHECK(!signature_matches("", signature, url, params));

  const std::string hash = body_sha256_hex(input);
  TWIML_FUZZ_CHECK(hash.size() == 64);
}
