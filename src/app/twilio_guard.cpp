#include "twiml_redirect/app/twilio_guard.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;
using http::beast_http::verb;

}  // namespace

twilio_request::twilio_request(const http::request& req, std::string_view route_target)
    : http(req), target(route_target), query(util::decode_form(twilio::query_of(route_target))) {
  // Decoded whatever the method, since the signature covers a form body even on a GET; decoding
  // Twilio's 25 fields is the largest part of answering a POST, so it happens here only.
  if (util::is_form_media_type(req[field::content_type])) form = util::decode_form(req.body());
}

const util::decoded_form* twilio_request::body_params() const {
  return form && http.method() == verb::post ? &*form : nullptr;
}

namespace {

// The single value of `name` in `form`. Sets `error` when the name repeats with different values,
// since a signature check would see every value while the handler would use only one of them.
const std::string* single_value(const util::decoded_form& form, std::string_view name, std::string& error) {
  const std::string* found = nullptr;
  for (const util::form_param& param : form.params) {
    if (param.name != name) continue;
    if (found && *found != param.value) {
      error = "Parameter \"" + std::string(name) + "\" is given more than once with different values";
      return nullptr;
    }
    found = &param.value;
  }
  return found;
}

}  // namespace

const std::string* twilio_request::param(std::string_view name, std::string& error) const {
  if (const util::decoded_form* body = body_params()) {
    if (const std::string* value = single_value(*body, name, error)) return value;
    if (!error.empty()) return nullptr;
  }
  return single_value(query, name, error);
}

const std::string* twilio_request::query_param(std::string_view name, std::string& error) const {
  return single_value(query, name, error);
}

twilio_guard::twilio_guard(twilio::request_validator validator, util::metrics& metrics)
    : validator_(std::move(validator)),
      signature_failures_(metrics.counter(
          "twiml_redirect_signature_failures_total",
          "Webhook requests refused because their signature did not verify, by reason: missing_signature, "
          "bad_signature, unknown_key (a shared key TWILIO_SHARED_KEYS does not hold), unsupported_algorithm, "
          "malformed_settings, no_auth_token, bad_body_hash, malformed_request.",
          {{"reason", std::vector<std::string>(twilio::kSignatureFailureReasons.begin(),
                                               twilio::kSignatureFailureReasons.end())}})),
      unsigned_fields_dropped_(metrics.counter(
          "twiml_redirect_signature_unsigned_params_total",
          "Webhooks whose signature matched only without CallToken and StirVerstat: accepted, with those "
          "fields dropped unread. Nonzero means Twilio adds them after signing.",
          {})),
      basic_failures_(metrics.counter(
          "twiml_redirect_webhook_basic_auth_failures_total",
          "Requests to Twilio-called routes without the configured HTTP Basic credentials (twilio.webhook_user), "
          "answered 401 with a challenge: missing (Twilio's first try, before it answers the challenge) or wrong.",
          {{"reason", {"missing", "wrong"}}})) {}

std::optional<http::response> twilio_guard::check(twilio_request& req, std::string_view route,
                                                  const http::request_context& ctx) const {
  const http::request& raw = req.http;
  // Basic first: Twilio sends its first request without credentials and answers only a 401 with a
  // challenge, so the challenge must come before any other refusal.
  if (validator_.requires_basic()) {
    const std::string_view authorization = raw[field::authorization];
    if (!validator_.basic_matches(authorization)) {
      basic_failures_.increment({authorization.empty() ? "missing" : "wrong"});
      if (!authorization.empty())
        if (const auto refused = rejection_log_->note())
          spdlog::warn("rejected {} from {}: wrong HTTP Basic credentials ({} rejected since the last such line)", route,
                       ctx.peer.to_string(), refused);
      http::response challenge = text_response(status::unauthorized, "HTTP Basic credentials required");
      challenge.set(field::www_authenticate, "Basic realm=\"twiml-redirect\"");
      return challenge;
    }
  }
  // Checked before the parameters are even looked at: an unauthenticated request learns nothing
  // about what the handler would have accepted, not even whether its encoding was valid.
  if (validator_.enabled()) {
    const twilio::validation_result verdict = validator_.validate(twilio::request_view{
        .method = raw.method_string(),
        .target = req.target,
        .host = raw[field::host],
        .forwarded_proto = raw["X-Forwarded-Proto"],
        .forwarded_host = raw["X-Forwarded-Host"],
        .signature = raw["X-Twilio-Signature"],
        .signature_settings = raw["X-Twilio-Webhooks-Signature-Settings"],
        .content_type = raw[field::content_type],
        .body = raw.body(),
        .decoded_query = &req.query,
        .decoded_body = req.form ? &*req.form : nullptr,
        .peer = ctx.peer,
    });
    if (verdict.unsigned_fields_present && req.form) {
      // Authentic apart from these: drop them, so no unsigned value is ever used or recorded.
      std::erase_if(req.form->params, [](const util::form_param& param) {
        return std::find(twilio::kFieldsAddedAfterSigning.begin(), twilio::kFieldsAddedAfterSigning.end(),
                         param.name) != twilio::kFieldsAddedAfterSigning.end();
      });
      unsigned_fields_dropped_.increment({});
    }
    if (!verdict.ok) {
      signature_failures_.increment({verdict.failure});
      // The reason names no token, signature or query (request_validator promises that). A flood of
      // forged requests makes one line a second, each counting the ones it stands for.
      if (const auto rejected = rejection_log_->note())
        spdlog::warn("rejected {} from {}: {} ({} rejected since the last such line)", route, ctx.peer.to_string(),
                     verdict.reason, rejected);
      return text_response(status::forbidden, "Twilio request validation failed");
    }
  }
  if (!req.query.ok()) return text_response(status::bad_request, "Malformed query string: " + req.query.error);
  if (raw.method() == verb::post && !raw.body().empty()) {
    if (req.form) {
      if (!req.form->ok()) return text_response(status::bad_request, "Malformed form body: " + req.form->error);
    } else if (!util::iequals(util::media_type_of(raw[field::content_type]), "application/json")) {
      // JSON bodies are accepted (Twilio signs them with bodySHA256); their parameters are in the query.
      return text_response(status::unsupported_media_type,
                           "Unsupported Content-Type: send application/x-www-form-urlencoded");
    }
  }
  return std::nullopt;
}

http::response twilio_guard::operator()(const http::request& req, std::string_view target, std::string_view route,
                                        http::request_context& ctx, const twilio_handler& handle) const {
  twilio_request decoded(req, target);
  if (std::optional<http::response> refusal = check(decoded, route, ctx)) return std::move(*refusal);
  return handle(decoded, ctx);
}

}  // namespace twiml_redirect::app
