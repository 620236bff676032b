#pragma once
// Decides whether an HTTP request really comes from Twilio, from the request's bytes and its own
// settings (the caller builds them from config: this header does not know the config). Pure: it sees
// a plain view of the request, never a socket.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "twiml_redirect/twilio/shared_keys.hpp"
#include "twiml_redirect/twilio/signature.hpp"
#include "twiml_redirect/util/cidr.hpp"
#include "twiml_redirect/util/form_decoding.hpp"

namespace twiml_redirect::twilio {

struct validator_settings {
  std::string auth_token;  // empty: only shared keys can sign; never logged
  // Shared keys Twilio may sign with instead (a Webhook Rule); with neither these nor an auth token,
  // no signature can be checked (enabled() is false). Never logged.
  std::vector<shared_key> shared_keys;
  // HTTP Basic credentials Twilio must present as well (from the webhook URL's user:password@); both
  // empty: none required. Never logged.
  std::string basic_user;
  std::string basic_password;
  // The URL Twilio calls, e.g. "https://voice.example.com" or, with a path, "https://example.com/voice";
  // empty: derived per request from the Host (or trusted forwarded) headers.
  std::string public_url;
  std::vector<std::string> trusted_proxies;  // IP addresses or CIDRs whose X-Forwarded-* headers are believed
};

// The parts of a request the signature depends on. Header views are empty when the header is absent.
struct request_view {
  std::string_view method;            // "GET", "POST", ...
  // The raw request-target (path and ?query) exactly as received, except that a proxy may have
  // forwarded the path with public_path() in front: the caller removes that prefix first, since the
  // signed URL is public_url followed by the rest.
  std::string_view target;
  std::string_view host;              // Host header
  std::string_view forwarded_proto;   // X-Forwarded-Proto
  std::string_view forwarded_host;    // X-Forwarded-Host
  std::string_view signature;         // X-Twilio-Signature
  std::string_view signature_settings;  // X-Twilio-Webhooks-Signature-Settings (a shared key signed it)
  std::string_view content_type;      // Content-Type
  std::string_view body;              // raw body
  // The target's query and the body's form fields when the caller has decoded them already (so each
  // is decoded once per request, for this check and the handler); null: the validator decodes them
  // itself (the body only when it is a form).
  const util::decoded_form* decoded_query = nullptr;
  const util::decoded_form* decoded_body = nullptr;
  boost::asio::ip::address peer;      // TCP peer address (the proxy's, when behind one)
};

// Why a request was refused, as the `reason` label of twiml_redirect_signature_failures_total: a
// fixed list, so forged requests cannot grow the series.
inline constexpr std::array<std::string_view, 8> kSignatureFailureReasons = {
    "missing_signature",      // no X-Twilio-Signature
    "bad_signature",          // it does not match with the secret that should have signed
    "unknown_key",            // signed by a shared key TWILIO_SHARED_KEYS does not hold (or none configured)
    "unsupported_algorithm",  // the settings header names a hash other than HMAC_SHA1/HMAC_SHA256
    "malformed_settings",     // the settings header is not "key=...,algorithm=..."
    "no_auth_token",          // signed with the auth token, which is not configured (only shared keys are)
    "bad_body_hash",          // the body does not match its bodySHA256
    "malformed_request",      // no Host to rebuild the URL from, a body the signature cannot cover
};

// Form fields that public validators of real Twilio traffic remove before checking, saying Twilio
// adds them after signing (STIR/SHAKEN data on US calls). Twilio's documentation does not say so.
inline constexpr std::array<std::string_view, 2> kFieldsAddedAfterSigning = {"CallToken", "StirVerstat"};

// The verdict. `reason` explains a rejection for the warn log; it never contains a secret or any
// signature, and names the URL only up to its path (the query may carry phone numbers).
struct validation_result {
  bool ok = false;
  std::string reason;
  std::string_view failure;  // one of kSignatureFailureReasons when !ok
  // The signature matched only without the kFieldsAddedAfterSigning form fields: the request is
  // authentic, those fields are not, and the caller must drop them before anything reads them.
  bool unsigned_fields_present = false;
};

// The query of a request-target, without the '?' and without any fragment: the text whose decoded
// fields are the request's query parameters, for the signature check and the handlers alike.
std::string_view query_of(std::string_view target);

class request_validator {
 public:
  // Throws std::invalid_argument when a trusted_proxies entry is not a CIDR (config validation should
  // have caught it first; reaching here with one is a startup bug).
  explicit request_validator(const validator_settings& settings);

  // True when an auth token or a shared key is configured, i.e. when signatures can be checked at all.
  bool enabled() const { return key_.has_value() || !shared_keys_.empty(); }

  // Checks X-Twilio-Signature, with the shared key X-Twilio-Webhooks-Signature-Settings names when
  // that header is present, else with the auth token. Without either every request fails (fail
  // closed); callers that accept unsigned requests check enabled() first.
  validation_result validate(const request_view& request) const;

  // True when Basic credentials are required, and whether an Authorization header carries them
  // (compared in constant time).
  bool requires_basic() const { return !basic_expected_.empty(); }
  bool basic_matches(std::string_view authorization) const;

  // The path of public_url without a trailing '/' ("/voice" for "https://example.com/voice/"), as
  // sent on the wire; empty when it has none. Routes Twilio calls are mounted under it too.
  const std::string& public_path() const { return public_path_; }

  // The URL Twilio must have requested to reach us: public_url + target when configured; otherwise
  // the scheme and host from X-Forwarded-Proto / X-Forwarded-Host when the peer is a trusted proxy,
  // else "http" and the Host header. Empty when no host is known.
  std::string signed_url(const request_view& request) const;

  // True when `peer` is inside one of the trusted_proxies networks.
  bool is_trusted_proxy(const boost::asio::ip::address& peer) const;

 private:
  // A shared key ready in both hashes, since each request's header picks one.
  struct shared_signer {
    std::string sid;
    signing_key sha1;
    signing_key sha256;
  };
  // The key that signed `request`, or the failure that says why none can check it.
  const signing_key* signer_for(const request_view& request, validation_result& failure) const;

  std::optional<signing_key> key_;  // from the auth token, when there is one
  std::vector<shared_signer> shared_keys_;
  std::string basic_expected_;  // base64 of "user:password", what a matching header carries; never logged
  std::string public_url_;  // without a trailing '/'
  std::string public_path_;
  std::vector<util::cidr> trusted_proxies_;
};

}  // namespace twiml_redirect::twilio
