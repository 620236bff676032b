#pragma once
// Twilio's webhook shared keys (twilio.com/docs/usage/webhooks/webhook-shared-keys): when a Webhook
// Rule matches a URL, Twilio signs that webhook with a shared key's secret instead of the auth token
// and says which key and hash in X-Twilio-Webhooks-Signature-Settings ("key=KS...,algorithm=HMAC_SHA256").
// Several keys may be configured at once, so a key rotates without a moment where calls are refused.
// Pure parsing; no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::twilio {

struct shared_key {
  std::string sid;     // the key's SID as Twilio names it in the header (KS...)
  std::string secret;  // never logged
};

// TWILIO_SHARED_KEYS: "SID:secret" entries separated by commas ("KSaaa:s1,KSbbb:s2"), spaces around
// an entry ignored. The secret is everything after the first ':' (so it may hold ':'; a secret
// holding ',' cannot be written here).
struct shared_keys_parse {
  std::vector<shared_key> keys;
  std::string error;  // empty when the text is valid; names the entry by position and SID, never a secret
};
shared_keys_parse parse_shared_keys(std::string_view text);

// X-Twilio-Webhooks-Signature-Settings, split into its comma-separated name=value pairs. Views into
// the header. `algorithm` is empty when the header does not name one.
struct signature_settings {
  std::string_view key;
  std::string_view algorithm;
};
// Nullopt when the header is not a list of name=value pairs or names no key.
std::optional<signature_settings> parse_signature_settings(std::string_view header);

// HMAC_SHA1 or HMAC_SHA256 (as Twilio spells them; case is ignored); nullopt for anything else.
std::optional<hmac_algorithm> hmac_algorithm_named(std::string_view name);

}  // namespace twiml_redirect::twilio
