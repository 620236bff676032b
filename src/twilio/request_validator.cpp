#include "twiml_redirect/twilio/request_validator.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <stdexcept>

#include "twiml_redirect/twilio/signature.hpp"
#include "twiml_redirect/util/form_decoding.hpp"
#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::twilio {
namespace {

using util::iequals;
using util::trim;

constexpr std::size_t kMaxLoggedUrl = 200;

// The first element of a comma-separated header: the one the proxy nearest the client wrote.
std::string_view first_element(std::string_view header) { return trim(header.substr(0, header.find(','))); }

// `url` cut before its query, with control and non-ASCII bytes replaced, and bounded: safe to put in
// a log line although the Host header and the path come from the client.
std::string loggable_url(std::string_view url) {
  url = url.substr(0, url.find('?'));
  std::string out;
  for (char c : url.substr(0, kMaxLoggedUrl)) {
    out.push_back(c >= 0x21 && c <= 0x7E ? c : '?');
  }
  if (url.size() > kMaxLoggedUrl) out.append("...");
  return out;
}

validation_result reject(std::string_view failure, std::string reason) {
  return {.ok = false, .reason = std::move(reason), .failure = failure, .unsigned_fields_present = false};
}

// A value from a request header, made safe and short for a log line.
std::string loggable_token(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (char c : text.substr(0, kMax)) out.push_back(c >= 0x21 && c <= 0x7E && c != '"' ? c : '?');
  if (text.size() > kMax) out.append("...");
  return out;
}

bool added_after_signing(std::string_view name) {
  return std::find(kFieldsAddedAfterSigning.begin(), kFieldsAddedAfterSigning.end(), name) !=
         kFieldsAddedAfterSigning.end();
}

// The path of a URL: from the first '/' after "scheme://" (the URL has no query; config checks that).
std::string_view path_of_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::size_t path_start = url.find('/', scheme_end + 3);
  return path_start == std::string_view::npos ? std::string_view{} : url.substr(path_start);
}

}  // namespace

std::string_view query_of(std::string_view target) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  const std::string_view query = target.substr(question + 1);
  return query.substr(0, query.find('#'));
}

request_validator::request_validator(const validator_settings& settings)
    : public_url_(settings.public_url) {
  if (!settings.auth_token.empty()) key_.emplace(settings.auth_token);
  if (!settings.basic_user.empty() || !settings.basic_password.empty())
    basic_expected_ = base64_of(settings.basic_user + ":" + settings.basic_password);
  for (const shared_key& key : settings.shared_keys) {
    shared_keys_.push_back({key.sid, signing_key(key.secret, hmac_algorithm::sha1),
                            signing_key(key.secret, hmac_algorithm::sha256)});
  }
  while (public_url_.ends_with('/')) public_url_.pop_back();
  public_path_ = path_of_url(public_url_);
  for (const std::string& text : settings.trusted_proxies) {
    std::optional<util::cidr> network = util::parse_cidr(text);
    if (!network) throw std::invalid_argument("twilio.trusted_proxies: not a CIDR: " + text);
    trusted_proxies_.push_back(*network);
  }
}

bool request_validator::basic_matches(std::string_view authorization) const {
  authorization = trim(authorization);
  constexpr std::string_view kScheme = "Basic ";
  if (authorization.size() < kScheme.size() || !iequals(authorization.substr(0, kScheme.size()), kScheme)) return false;
  // Base64 of a given text is one string (standard alphabet, padded): compare the encodings.
  return constant_time_equals(trim(authorization.substr(kScheme.size())), basic_expected_);
}

bool request_validator::is_trusted_proxy(const boost::asio::ip::address& peer) const {
  return std::any_of(trusted_proxies_.begin(), trusted_proxies_.end(),
                     [&](const util::cidr& network) { return network.contains(peer); });
}

std::string request_validator::signed_url(const request_view& request) const {
  if (!public_url_.empty()) return public_url_ + std::string(request.target);

  std::string scheme = "http";
  std::string_view host = trim(request.host);
  // Forwarded headers are only as trustworthy as whoever wrote them: anyone can send them, so they
  // count only when the TCP peer is a proxy we were told to trust.
  if (is_trusted_proxy(request.peer)) {
    const std::string_view proto = first_element(request.forwarded_proto);
    if (iequals(proto, "https")) scheme = "https";
    const std::string_view forwarded_host = first_element(request.forwarded_host);
    if (!forwarded_host.empty()) host = forwarded_host;
  }
  if (host.empty()) return {};
  return scheme + "://" + std::string(host) + std::string(request.target);
}

const signing_key* request_validator::signer_for(const request_view& request, validation_result& failure) const {
  if (request.signature_settings.empty()) {
    if (!key_) failure = reject("no_auth_token", "signed with the auth token, and TWILIO_AUTH_TOKEN is not set");
    return key_ ? &*key_ : nullptr;
  }
  const std::optional<signature_settings> settings = parse_signature_settings(request.signature_settings);
  if (!settings) {
    failure = reject("malformed_settings", "X-Twilio-Webhooks-Signature-Settings is not key=<KeySid>,algorithm=<name>");
    return nullptr;
  }
  const std::optional<hmac_algorithm> algorithm = hmac_algorithm_named(settings->algorithm);
  if (!algorithm) {
    failure = reject("unsupported_algorithm", "X-Twilio-Webhooks-Signature-Settings names algorithm \"" +
                                                  loggable_token(settings->algorithm) +
                                                  "\"; only HMAC_SHA1 and HMAC_SHA256 are accepted");
    return nullptr;
  }
  for (const shared_signer& key : shared_keys_) {
    if (key.sid == settings->key) return *algorithm == hmac_algorithm::sha256 ? &key.sha256 : &key.sha1;
  }
  failure = reject("unknown_key", "signed with shared key " + loggable_token(settings->key) +
                                      (shared_keys_.empty() ? ", and TWILIO_SHARED_KEYS is not set"
                                                            : ", which TWILIO_SHARED_KEYS does not hold"));
  return nullptr;
}

validation_result request_validator::validate(const request_view& request) const {
  if (!enabled()) return reject("no_auth_token", "no Twilio auth token or shared key configured");
  if (request.signature.empty()) return reject("missing_signature", "missing X-Twilio-Signature header");
  validation_result failure;
  const signing_key* const key = signer_for(request, failure);
  if (!key) return failure;

  const std::string url = signed_url(request);
  if (url.empty()) return reject("malformed_request", "no Host header to rebuild the signed URL from");

  // Which bytes the signature covers depends on how the request carries its data:
  //  - bodySHA256 in the query (JSON bodies): the URL alone, and the body through its hash;
  //  - a form POST: the URL followed by the decoded form fields;
  //  - anything else (GET): the URL alone, so a body it does not cover must not be there.
  util::decoded_form own_query;  // the query's fields, when the caller did not decode them
  const util::decoded_form& query =
      request.decoded_query ? *request.decoded_query : (own_query = util::decode_form(query_of(request.target)));
  if (!query.ok()) return reject("malformed_request", "malformed query string: " + query.error);
  field_views fields;
  util::decoded_form own_body;  // the body's fields, when the caller did not decode them
  // The first bodySHA256, as URLSearchParams.get() in Twilio's own validator takes it.
  if (const util::form_param* body_hash = util::find_param(query.params, "bodySHA256")) {
    if (!constant_time_equals(body_sha256_hex(request.body), body_hash->value)) {
      return reject("bad_body_hash", "body does not match bodySHA256 for " + loggable_url(url));
    }
  } else if (util::is_form_media_type(request.content_type)) {
    const util::decoded_form* form = request.decoded_body;
    if (!form) form = &(own_body = util::decode_form(request.body));
    // A malformed escape: Twilio never sends one, and guessing would sign bytes the handler reads differently.
    if (!form->ok()) return reject("malformed_request", "form body is not valid form encoding");
    fields.reserve(form->params.size());
    for (const util::form_param& param : form->params) fields.emplace_back(param.name, param.value);
  } else if (!request.body.empty()) {
    return reject("malformed_request", "request body is neither form-encoded nor covered by bodySHA256");
  }

  const std::size_t field_count = fields.size();
  const std::string_view signature = trim(request.signature);
  // Without the fields said to be added after signing: kept aside before the first check consumes
  // `fields`, and only when there are such fields (rare, so the common path copies nothing).
  std::optional<field_views> signed_part;
  if (std::any_of(fields.begin(), fields.end(), [](const auto& field) { return added_after_signing(field.first); })) {
    signed_part.emplace();
    for (const auto& field : fields)
      if (!added_after_signing(field.first)) signed_part->push_back(field);
  }
  if (key->matches_views(signature, url, std::move(fields))) return {.ok = true, .reason = {}, .failure = {}, .unsigned_fields_present = false};
  // Accepted only when the rest is signed; those fields then go unread (the caller drops them).
  if (signed_part && key->matches_views(signature, url, std::move(*signed_part)))
    return {.ok = true, .reason = {}, .failure = {}, .unsigned_fields_present = true};
  return reject("bad_signature", "X-Twilio-Signature does not match " + loggable_url(url) +
                                     (field_count == 0 ? std::string{} : " with " + std::to_string(field_count) + " form fields") +
                                     (request.signature_settings.empty() ? std::string{} : " (shared key)"));
}

}  // namespace twiml_redirect::twilio
