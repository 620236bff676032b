#include "twiml_redirect/app/router.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <spdlog/spdlog.h>

#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;
using http::beast_http::verb;

}  // namespace

struct router::route {
  std::string_view path;
  std::array<verb, 2> methods;
  std::string_view allow;  // the Allow header of a 405
  http::response (router::*handle)(const http::request&, http::request_context&) const;
};

// Twilio calls the webhook with POST by default and GET when the number is set up that way.
// Probes may use HEAD on the health endpoints.
const router::route router::kRoutes[] = {
    {"/redirect_call", {verb::get, verb::post}, "GET, POST", &router::redirect_call},
    {"/healthz", {verb::get, verb::head}, "GET, HEAD", &router::healthz},
    {"/readyz", {verb::get, verb::head}, "GET, HEAD", &router::readyz},
    {"/metrics", {verb::get, verb::head}, "GET, HEAD", &router::metrics},
};

router::router(std::string sip_target, const readiness& readiness, util::metrics& metrics,
               twilio::request_validator validator)
    : sip_target_(std::move(sip_target)), readiness_(readiness), metrics_(metrics), validator_(std::move(validator)) {}

std::vector<std::string> router::paths() {
  std::vector<std::string> out;
  for (const route& r : kRoutes) out.emplace_back(r.path);
  return out;
}

http::response router::operator()(const http::request& req, http::request_context& ctx) const {
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  for (const route& r : kRoutes) {
    if (r.path != path) continue;
    if (std::find(r.methods.begin(), r.methods.end(), req.method()) == r.methods.end()) {
      http::response res = text_response(status::method_not_allowed,
                                         "Method " + std::string(req.method_string()) + " is not allowed on " +
                                             std::string(path) + "; use " + std::string(r.allow));
      res.set(field::allow, r.allow);
      return res;
    }
    return (this->*r.handle)(req, ctx);
  }
  return text_response(status::not_found, "Not found: " + std::string(path));
}

http::response router::redirect_call(const http::request& req, http::request_context& ctx) const {
  // A form body is decoded once, here, for both the signature check and the handler: decoding
  // Twilio's 25 fields is the largest part of answering a POST.
  std::optional<util::decoded_form> form_body;
  if (req.method() == verb::post && util::is_form_media_type(req[field::content_type])) {
    form_body = util::decode_form(req.body());
  }
  const util::decoded_form* decoded_body = form_body ? &*form_body : nullptr;
  // Checked before the parameters are even read: an unauthenticated request learns nothing about
  // what the handler would have accepted.
  if (validator_.enabled()) {
    const twilio::validation_result verdict = validator_.validate(twilio::request_view{
        .method = req.method_string(),
        .target = req.target(),
        .host = req[field::host],
        .forwarded_proto = req["X-Forwarded-Proto"],
        .forwarded_host = req["X-Forwarded-Host"],
        .signature = req["X-Twilio-Signature"],
        .content_type = req[field::content_type],
        .body = req.body(),
        .decoded_body = decoded_body,
        .peer = ctx.peer,
    });
    if (!verdict.ok) {
      metrics_.count_signature_failure();
      spdlog::warn("rejected /redirect_call from {}: {}", ctx.peer.to_string(), verdict.reason);
      return text_response(status::forbidden, "Twilio request validation failed");
    }
  }
  return handle_redirect_call(req, ctx, sip_target_, decoded_body);
}

http::response router::healthz(const http::request&, http::request_context&) const {
  return json_response(status::ok, R"({"status":"ok"})");
}

http::response router::readyz(const http::request&, http::request_context&) const {
  const readiness::state state = readiness_.get();
  if (state.ready) return json_response(status::ok, R"({"status":"ready"})");
  std::string body = R"({"status":"not ready","reason":")";
  util::append_json_escaped(body, state.reason);
  body += "\"}";
  return json_response(status::service_unavailable, std::move(body));
}

http::response router::metrics(const http::request&, http::request_context&) const {
  return metrics_response(metrics_.render());
}

}  // namespace twiml_redirect::app
