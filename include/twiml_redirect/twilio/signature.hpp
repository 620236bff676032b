#pragma once
// Twilio's X-Twilio-Signature: an HMAC over the URL Twilio requested followed by the POST form
// fields, keyed with the account's auth token (HMAC-SHA1) or, when a Webhook Rule says so, with a
// shared key's secret (HMAC-SHA1 or HMAC-SHA256). Pure functions; no I/O, no clocks.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twiml_redirect::twilio {

// Decoded form fields in the order they arrived. Repeated names stay repeated.
using form_params = std::vector<std::pair<std::string, std::string>>;

// The same fields as views into strings that someone else owns (a decoded request body).
using field_views = std::vector<std::pair<std::string_view, std::string_view>>;

// The exact bytes Twilio signs: `url`, then for every name in bytewise order, each of that name's
// distinct values in bytewise order, as name immediately followed by value (no separators; an empty
// value still contributes its name).
std::string signing_string(std::string_view url, const form_params& params);
// The same, from views.
std::string signing_string_of_views(std::string_view url, field_views fields);

// Standard base64 (with '=' padding) of HMAC-SHA1(auth_token, signing_string(url, params)):
// what Twilio puts in X-Twilio-Signature.
std::string compute_signature(std::string_view auth_token, std::string_view url, const form_params& params);

// Standard base64 (with '=' padding) of `text`.
std::string base64_of(std::string_view text);

// Lower-case hex SHA-256 of `body`: what Twilio puts in the bodySHA256 query parameter of a
// request whose body is not form-encoded (JSON).
std::string body_sha256_hex(std::string_view body);

// Compares in time that depends only on the lengths, so a forger cannot learn how many leading
// bytes of a guess were right. Different lengths compare unequal at once (length is not secret).
bool constant_time_equals(std::string_view a, std::string_view b);

// The spellings of `url` Twilio may have signed, because its servers are inconsistent about ports:
// `url` as given, `url` without its port (when it has one), and `url` with the scheme's default port
// (443 for https, 80 otherwise) when it has none. No duplicates. A URL without "scheme://" yields
// only itself.
std::vector<std::string> candidate_urls(std::string_view url);

// The hash under the HMAC. The auth token always signs with SHA-1; a shared key signs with the
// algorithm its X-Twilio-Webhooks-Signature-Settings header names.
enum class hmac_algorithm { sha1, sha256 };

// A secret ready to sign with: the HMAC key set-up done once, at construction. Const member
// functions may run on several threads at once; copies share the set-up.
class signing_key {
 public:
  // Throws std::runtime_error if OpenSSL cannot provide the hash (a broken installation).
  explicit signing_key(std::string_view secret, hmac_algorithm algorithm = hmac_algorithm::sha1);

  // Base64 HMAC of message_start followed by message_rest (two parts, so that a URL and the
  // fields' signing text need not be joined first).
  std::string sign(std::string_view message_start, std::string_view message_rest) const;

  // True when `signature_header` is the signature of any of candidate_urls(url) with `params`.
  bool matches(std::string_view signature_header, std::string_view url, const form_params& params) const;
  // The same, from views: what the validator uses, so the decoded body is not copied.
  bool matches_views(std::string_view signature_header, std::string_view url, field_views fields) const;

 private:
  struct state;
  std::shared_ptr<const state> state_;
};

// True when `signature_header` is the signature of any of candidate_urls(url) with `params`.
// An empty token or an empty header never matches.
bool signature_matches(std::string_view auth_token, std::string_view signature_header, std::string_view url,
                       const form_params& params);

}  // namespace twiml_redirect::twilio
