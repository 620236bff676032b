#include "twiml_redirect/app/router.hpp"

#include <boost/beast/http/verb.hpp>

#include "twiml_redirect/app/call_callbacks.hpp"
#include "twiml_redirect/app/call_context.hpp"
#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;
using http::beast_http::verb;

// The service's table. Twilio calls the webhook with POST by default and GET when the number is
// set up that way; probes may use HEAD on the health endpoints. Handlers capture what they need
// (never the router, which the server may move).
std::vector<route> service_routes(std::shared_ptr<const routing::live_routes> routes, const readiness& ready,
                                  util::metrics& metrics, const call_context* context = nullptr) {
  const callback_metrics counters(metrics);
  const auto health = std::make_shared<const health_metrics>(metrics, routes, context ? context->sharing() : nullptr);
  std::vector<route> table = {
      {"/redirect_call", {verb::get, verb::post},
       twilio_handler([routes, &metrics, context, health](const twilio_request& req, http::request_context& ctx) {
         ctx.keeps_call_events = context && context->serves_lookups();
         http::response res = handle_redirect_call(req, ctx, *routes->current(), &metrics, health.get());
         if (context && res.result() == status::ok) context->record(req, std::move(ctx.call_event));
         return res;
       })},
      // Twilio requests the action and the referUrl with the method <Dial> names (POST by default).
      {std::string(routing::kDialActionPath), {verb::get, verb::post},
       twilio_handler([routes, counters, health, context](const twilio_request& req, http::request_context& ctx) {
         ctx.keeps_call_events = context && context->serves_lookups();
         http::response res = handle_dial_action(req, ctx, *routes->current(), counters, health.get());
         if (context) context->note(ctx.call_sid, std::move(ctx.call_event));
         return res;
       })},
      {std::string(routing::kReferPath), {verb::get, verb::post},
       twilio_handler([routes, counters, context](const twilio_request& req, http::request_context& ctx) {
         ctx.keeps_call_events = context && context->serves_lookups();
         http::response res = handle_refer(req, ctx, *routes->current(), counters);
         if (context) context->note(ctx.call_sid, std::move(ctx.call_event));
         return res;
       })},
      {"/healthz", {verb::get, verb::head},
       http::request_handler([](const http::request&, http::request_context&) {
         return json_response(status::ok, R"({"status":"ok"})");
       })},
      {"/readyz", {verb::get, verb::head},
       http::request_handler([&ready](const http::request&, http::request_context&) {
         const readiness::state state = ready.get();
         if (state.ready) return json_response(status::ok, R"({"status":"ready"})");
         std::string body = R"({"status":"not ready","reason":")";
         util::append_json_escaped(body, state.reason);
         body += "\"}";
         return json_response(status::service_unavailable, std::move(body));
       })},
      {"/metrics", {verb::get, verb::head},
       http::request_handler([&metrics](const http::request&, http::request_context&) {
         return metrics_response(metrics.render());
       })},
  };
  if (context && context->serves_lookups()) {
    table.push_back({"/call_context", {verb::post},
                      http::request_handler([context](const http::request& req, http::request_context& ctx) {
                        return context->lookup(req, ctx);
                      })});
    table.push_back({std::string(kCallsPath), {verb::get},
                      http::request_handler([context](const http::request& req, http::request_context& ctx) {
                        return context->call_events(req, ctx);
                      })});
  }
  return table;
}

bool is_twilio_called(const route& r) { return std::holds_alternative<twilio_handler>(r.handle); }

}  // namespace

std::string method_set::allow() const {
  std::string out;
  for (unsigned v = 0; v < 64; ++v) {
    const auto verb = static_cast<http::beast_http::verb>(v);
    if (!contains(verb)) continue;
    if (!out.empty()) out += ", ";
    out += http::beast_http::to_string(verb);
  }
  return out;
}

router::router(std::shared_ptr<const routing::live_routes> routes, const readiness& readiness, util::metrics& metrics,
               twilio::request_validator validator, const call_context* context)
    : router(service_routes(std::move(routes), readiness, metrics, context), metrics, std::move(validator)) {}

router::router(std::string_view sip_target, const readiness& readiness, util::metrics& metrics,
               twilio::request_validator validator)
    : router(std::make_shared<const routing::live_routes>(
                 std::make_shared<const routing::route_table>(routing::route_table::dialing(sip_target))),
             readiness, metrics, std::move(validator)) {}

router::router(std::vector<route> routes, util::metrics& metrics, twilio::request_validator validator)
    : routes_(std::move(routes)), guard_(std::move(validator), metrics) {}

std::vector<std::string> router::paths(std::string_view twilio_prefix) {
  // Only the paths are read: the handlers, which would use these, are never called.
  static const readiness unused_readiness;
  static util::metrics unused_metrics(std::vector<std::string>{});
  std::vector<std::string> out;
  const std::vector<route> routes = service_routes(nullptr, unused_readiness, unused_metrics);
  for (const route& r : routes) out.push_back(r.path);
  out.push_back("/call_context");  // served only with a token, but always a label of its own
  out.push_back(std::string(kCallsPath));
  if (!twilio_prefix.empty()) {
    for (const route& r : routes)
      if (is_twilio_called(r)) out.push_back(std::string(twilio_prefix) + r.path);
  }
  return out;
}

http::response router::operator()(const http::request& req, http::request_context& ctx) const {
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  // A proxy may forward Twilio's requests with the public URL's path in front, or strip it.
  const std::string_view prefix = guard_.mount_prefix();
  const bool prefixed = !prefix.empty() && path.starts_with(prefix);
  for (const route& r : routes_) {
    const bool twilio_called = is_twilio_called(r);
    std::string_view route_target = target;
    // A path ending in '/' ("/calls/") takes every path under it.
    const bool under = r.path.ends_with('/') && path.size() > r.path.size() && path.starts_with(r.path);
    if (path != r.path && !under) {
      if (!twilio_called || !prefixed || path.substr(prefix.size()) != r.path) continue;
      route_target.remove_prefix(prefix.size());
    }
    if (!r.methods.contains(req.method())) {
      const std::string allow = r.methods.allow();
      http::response res = text_response(status::method_not_allowed, "Method " + std::string(req.method_string()) +
                                                                         " is not allowed on " + std::string(path) +
                                                                         "; use " + allow);
      res.set(field::allow, allow);
      return res;
    }
    if (twilio_called) return guard_(req, route_target, r.path, ctx, std::get<twilio_handler>(r.handle));
    return std::get<http::request_handler>(r.handle)(req, ctx);
  }
  return text_response(status::not_found, "Not found: " + std::string(path));
}

}  // namespace twiml_redirect::app
