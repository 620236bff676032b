// The request-to-response logic without sockets: requests are built in memory.
#include "twiml_redirect/app/router.hpp"

#include <gtest/gtest.h>

#include "support/form_encoding.hpp"
#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;
using http::beast_http::verb;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kExpectedTwiml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>"
    "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef</Sip></Dial></Response>";

class RouterTest : public ::testing::Test {
 protected:
  http::response call(verb method, std::string target, std::string body = {},
                      std::string content_type = "application/x-www-form-urlencoded") {
    http::request req{method, target, 11};
    if (!body.empty()) {
      req.set(field::content_type, content_type);
      req.body() = std::move(body);
      req.prepare_payload();
    }
    context_ = {};
    return router_(req, context_);
  }

  readiness readiness_{"provisioning Synthflow"};
  util::metrics metrics_{router::paths()};
  router router_{"sipin.synthflow.ai:32681", readiness_, metrics_};
  http::request_context context_;
};

TEST_F(RouterTest, GetAnswersTwiml) {
  const auto res = call(verb::get, "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid));
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res[field::content_type], "text/xml");
  EXPECT_EQ(res.body(), kExpectedTwiml);
  EXPECT_EQ(context_.call_sid, kSid);
}

TEST_F(RouterTest, PostFormAnswersTwiml) {
  const auto res = call(verb::post, "/redirect_call",
                        "AccountSid=AC1&CallSid=" + std::string(kSid) + "&Called=%2B14155550100&CalledCity=&From=%2B1555");
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res.body(), kExpectedTwiml);
}

TEST(RedirectCallHandler, ReadsTheDecodedParameters) {
  // The handler reads what the guard decoded, never the raw body again.
  http::request req{verb::post, "/redirect_call", 11};
  req.set(field::content_type, "application/x-www-form-urlencoded");
  req.body() = "Called=%2B14155550100&CallSid=" + std::string(kSid);
  req.prepare_payload();
  twilio_request decoded(req, req.target());
  decoded.form = util::decode_form("Called=%2B14155550199&CallSid=" + std::string(kSid));
  http::request_context ctx;
  const auto res = handle_redirect_call(decoded, ctx, routing::route_table::dialing("sipin.synthflow.ai:32681"));
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_NE(res.body().find("sip:+14155550199@"), std::string::npos) << res.body();
}

TEST_F(RouterTest, PostFormWithCharsetParameter) {
  const auto res = call(verb::post, "/redirect_call", "CallSid=CA1&Called=%2B14155550100",
                        "application/x-www-form-urlencoded; charset=UTF-8");
  EXPECT_EQ(res.result(), status::ok) << res.body();
}

TEST_F(RouterTest, PostBodyWinsOverQuery) {
  const auto res = call(verb::post, "/redirect_call?Called=%2B19999999999&CallSid=CAquery",
                        "CallSid=" + std::string(kSid) + "&Called=%2B14155550100");
  EXPECT_EQ(res.body(), kExpectedTwiml);
}

TEST_F(RouterTest, PostMayCarryParametersInQueryOnly) {
  const auto res = call(verb::post, "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid));
  EXPECT_EQ(res.body(), kExpectedTwiml);
}

TEST_F(RouterTest, JsonBodyTakesParametersFromQuery) {
  const auto res = call(verb::post, "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid), "{}",
                        "application/json");
  EXPECT_EQ(res.result(), status::ok);
}

TEST_F(RouterTest, OtherBodyTypesAre415) {
  const auto res = call(verb::post, "/redirect_call", "Called=+1", "text/plain");
  EXPECT_EQ(res.result(), status::unsupported_media_type);
  EXPECT_EQ(res.body(), "Unsupported Content-Type: send application/x-www-form-urlencoded");
}

TEST_F(RouterTest, MissingCalled) {
  const auto res = call(verb::get, "/redirect_call?CallSid=CA1");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Missing \"Called\" parameter");
  EXPECT_EQ(res[field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(context_.call_sid, "CA1");  // still logged
}

TEST_F(RouterTest, MalformedCalled) {
  const auto res = call(verb::get, "/redirect_call?Called=14155550100&CallSid=CA1");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Invalid \"Called\" parameter: must start with '+' (E.164, e.g. +14155550100)");
}

TEST_F(RouterTest, UnencodedPlusBecomesSpaceAndIsRejected) {
  // A hand-typed "+1415…" in a query is a space by form rules; the message says what arrived.
  const auto res = call(verb::get, "/redirect_call?Called=+14155550100&CallSid=CA1");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Invalid \"Called\" parameter: must start with '+' (E.164, e.g. +14155550100)");
}

TEST_F(RouterTest, MissingCallSid) {
  const auto res = call(verb::get, "/redirect_call?Called=%2B14155550100");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Missing \"CallSid\" parameter");
}

TEST_F(RouterTest, MalformedCallSid) {
  const auto res = call(verb::get, "/redirect_call?Called=%2B14155550100&CallSid=CA1%26X-Evil%3D1");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Invalid \"CallSid\" parameter: may contain only letters, digits, '_' and '-'");
  EXPECT_EQ(context_.call_sid, "");  // an invalid value is not logged either
}

TEST_F(RouterTest, ConflictingRepeatsAreRejected) {
  const auto res = call(verb::get, "/redirect_call?Called=%2B14155550100&Called=%2B14155550101&CallSid=CA1");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "Parameter \"Called\" is given more than once with different values");
  const auto same = call(verb::get, "/redirect_call?Called=%2B14155550100&Called=%2B14155550100&CallSid=CA1");
  EXPECT_EQ(same.result(), status::ok);
}

TEST_F(RouterTest, MalformedEscapes) {
  const auto query = call(verb::get, "/redirect_call?Called=%2G&CallSid=CA1");
  EXPECT_EQ(query.result(), status::bad_request);
  EXPECT_EQ(query.body(), "Malformed query string: malformed percent-escape at offset 7");
  const auto body = call(verb::post, "/redirect_call", "Called=%");
  EXPECT_EQ(body.result(), status::bad_request);
  EXPECT_EQ(body.body(), "Malformed form body: malformed percent-escape at offset 7");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  const auto res = call(verb::put, "/redirect_call");
  EXPECT_EQ(res.result(), status::method_not_allowed);
  EXPECT_EQ(res[field::allow], "GET, POST");
  EXPECT_EQ(res.body(), "Method PUT is not allowed on /redirect_call; use GET, POST");
  EXPECT_EQ(call(verb::post, "/healthz").result(), status::method_not_allowed);
}

TEST_F(RouterTest, UnknownPathIs404) {
  const auto res = call(verb::get, "/redirect_call/extra?Called=%2B14155550100");
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(res.body(), "Not found: /redirect_call/extra");
}

TEST_F(RouterTest, HealthAndReadiness) {
  EXPECT_EQ(call(verb::get, "/healthz").body(), R"({"status":"ok"})");
  const auto not_ready = call(verb::get, "/readyz");
  EXPECT_EQ(not_ready.result(), status::service_unavailable);
  EXPECT_EQ(not_ready.body(), R"({"status":"not ready","reason":"provisioning Synthflow"})");
  EXPECT_EQ(not_ready[field::content_type], "application/json");
  readiness_.set_ready();
  const auto ready = call(verb::get, "/readyz");
  EXPECT_EQ(ready.result(), status::ok);
  EXPECT_EQ(ready.body(), R"({"status":"ready"})");
}

TEST_F(RouterTest, ReadinessReasonIsJsonEscaped) {
  readiness_.set_not_ready("Synthflow said \"no\"\n");
  EXPECT_EQ(call(verb::get, "/readyz").body(), R"({"status":"not ready","reason":"Synthflow said \"no\"\n"})");
}

// --- the route table, the guard and the public URL's path ----------------------------------------

using twiml_redirect::testing::form_encode;

constexpr const char* kToken = "router-test-token";
constexpr const char* kForm = "application/x-www-form-urlencoded";

TEST(MethodSet, AllowIsDerivedFromTheSet) {
  const method_set get_post{verb::get, verb::post};
  EXPECT_TRUE(get_post.contains(verb::get));
  EXPECT_TRUE(get_post.contains(verb::post));
  EXPECT_FALSE(get_post.contains(verb::head));
  EXPECT_FALSE(get_post.contains(verb::unknown));
  EXPECT_EQ(get_post.allow(), "GET, POST");
  // Written in one order whatever order the route declared them in.
  EXPECT_EQ((method_set{verb::head, verb::get}).allow(), "GET, HEAD");
  EXPECT_EQ((method_set{verb::options, verb::delete_, verb::get, verb::get}).allow(), "DELETE, GET, OPTIONS");
  EXPECT_EQ((method_set{}).allow(), "");
}

twilio::validator_settings signing(std::string public_url = {}) {
  return {.auth_token = kToken, .shared_keys = {}, .basic_user = {}, .basic_password = {}, .public_url = std::move(public_url), .trusted_proxies = {}};
}

// Signature failures of every reason, added up.
std::uint64_t signature_failures(const util::metrics& metrics) {
  const std::string text = metrics.render();
  const std::string name = "\ntwiml_redirect_signature_failures_total{";
  std::uint64_t total = 0;
  for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    const std::size_t value = text.find("} ", at);
    if (value == std::string::npos) return ~std::uint64_t{0};
    total += std::stoull(text.substr(value + 2));
  }
  return total;
}

// A table as a test builds it: two Twilio-called routes (the real /redirect_call and a
// /dial_action that reports what it was given) and a plain one.
class GuardedRoutesTest : public ::testing::Test {
 protected:
  router make_router(twilio::validator_settings settings) {
    std::vector<route> routes;
    routes.push_back({"/redirect_call", {verb::get, verb::post},
                      twilio_handler([](const twilio_request& req, http::request_context& ctx) {
                        static const auto routes = routing::route_table::dialing("sipin.synthflow.ai:32681");
                        return handle_redirect_call(req, ctx, routes);
                      })});
    routes.push_back({"/dial_action", {verb::post},
                      twilio_handler([this](const twilio_request& req, http::request_context&) {
                        ++dial_action_calls_;
                        const util::decoded_form* body = req.body_params();
                        const util::form_param* dial_status =
                            body ? util::find_param(body->params, "DialCallStatus") : nullptr;
                        const util::form_param* tenant = util::find_param(req.query.params, "tenant");
                        return text_response(status::ok, (dial_status ? dial_status->value : "-") + " " +
                                                              (tenant ? tenant->value : "-"));
                      })});
    routes.push_back({"/plain", {verb::get},
                      http::request_handler([](const http::request&, http::request_context&) {
                        return text_response(status::ok, "plain");
                      })});
    return router(std::move(routes), metrics_, twilio::request_validator(settings));
  }

  http::response post(const router& r, std::string target, const twilio::form_params& params,
                      std::string_view signature) {
    http::request req{verb::post, target, 11};
    req.set(field::host, "127.0.0.1:3000");
    req.set(field::content_type, kForm);
    if (!signature.empty()) req.set("X-Twilio-Signature", signature);
    req.body() = form_encode(params);
    req.prepare_payload();
    http::request_context ctx;
    ctx.peer = boost::asio::ip::make_address("203.0.113.5");
    return r(req, ctx);
  }

  static twilio::form_params call_params() { return {{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}}; }
  static twilio::form_params dial_params() { return {{"CallSid", std::string(kSid)}, {"DialCallStatus", "no-answer"}}; }

  util::metrics metrics_{{}};
  int dial_action_calls_ = 0;
};

TEST_F(GuardedRoutesTest, EveryTwilioCalledRouteIsGuarded) {
  const router r = make_router(signing());
  const std::string base = "http://127.0.0.1:3000";
  // Unsigned and wrongly signed requests are refused on both routes, counted, and never reach a handler.
  for (const char* path : {"/redirect_call", "/dial_action"}) {
    const auto unsigned_res = post(r, path, dial_params(), {});
    EXPECT_EQ(unsigned_res.result(), status::forbidden) << path;
    EXPECT_EQ(unsigned_res.body(), "Twilio request validation failed");
    const std::string other_route = std::string(path) == "/dial_action" ? "/redirect_call" : "/dial_action";
    EXPECT_EQ(post(r, path, dial_params(), twilio::compute_signature(kToken, base + other_route, dial_params())).result(),
              status::forbidden)
        << path;
  }
  EXPECT_EQ(signature_failures(metrics_), 4u);
  EXPECT_EQ(dial_action_calls_, 0);

  // Signed ones get through, with their parameters decoded.
  const auto call = post(r, "/redirect_call", call_params(),
                         twilio::compute_signature(kToken, base + "/redirect_call", call_params()));
  EXPECT_EQ(call.result(), status::ok) << call.body();
  EXPECT_EQ(call.body(), kExpectedTwiml);
  const auto dial = post(r, "/dial_action?tenant=a%20b", dial_params(),
                         twilio::compute_signature(kToken, base + "/dial_action?tenant=a%20b", dial_params()));
  EXPECT_EQ(dial.result(), status::ok) << dial.body();
  EXPECT_EQ(dial.body(), "no-answer a b");
  EXPECT_EQ(dial_action_calls_, 1);
  EXPECT_EQ(signature_failures(metrics_), 4u);

  // The plain route is not guarded, and the table's methods hold for every route.
  http::request get{verb::get, "/plain", 11};
  http::request_context ctx;
  EXPECT_EQ(r(get, ctx).body(), "plain");
  http::request put{verb::put, "/dial_action", 11};
  const auto not_allowed = r(put, ctx);
  EXPECT_EQ(not_allowed.result(), status::method_not_allowed);
  EXPECT_EQ(not_allowed[field::allow], "POST");
  EXPECT_EQ(not_allowed.body(), "Method PUT is not allowed on /dial_action; use POST");
  EXPECT_EQ(signature_failures(metrics_), 4u) << "a 405 is not a signature failure";
}

TEST_F(GuardedRoutesTest, WithoutTokenTheGuardStillDecodesAndRefusesBadEncodings) {
  const router r = make_router({});
  EXPECT_EQ(post(r, "/dial_action", dial_params(), {}).body(), "no-answer -");
  http::request req{verb::post, "/dial_action?x=%zz", 11};
  req.set(field::content_type, kForm);
  req.body() = "DialCallStatus=completed";
  req.prepare_payload();
  http::request_context ctx;
  EXPECT_EQ(r(req, ctx).result(), status::bad_request);
  req.target("/dial_action");
  req.set(field::content_type, "text/plain");
  EXPECT_EQ(r(req, ctx).result(), status::unsupported_media_type);
  req.set(field::content_type, kForm);
  req.body() = "DialCallStatus=%";
  req.prepare_payload();
  EXPECT_EQ(r(req, ctx).body(), "Malformed form body: malformed percent-escape at offset 15");
  EXPECT_EQ(dial_action_calls_, 1);
  EXPECT_EQ(signature_failures(metrics_), 0u);
}

TEST(TwilioGuard, ChecksTheDecodingItHandsToTheHandler) {
  // The signature is checked over the guard's one decoding of the query and the body, the very
  // objects the handler then reads: replacing them changes the verdict although the raw request
  // stays the same, so nothing decodes the raw request a second time.
  util::metrics metrics{{}};
  const twilio_guard guard(twilio::request_validator(signing("https://example.com")), metrics);
  http::request req{verb::post, "/redirect_call?a=1", 11};
  req.set(field::content_type, kForm);
  req.body() = "Called=%2B14155550100";
  req.prepare_payload();
  const twilio::form_params handed_over_body{{"Called", "+14155550199"}};
  req.set("X-Twilio-Signature",
          twilio::compute_signature(kToken, "https://example.com/redirect_call?a=1", handed_over_body));
  http::request_context ctx;

  twilio_request decoded(req, req.target());
  ASSERT_TRUE(decoded.form.has_value());
  EXPECT_EQ(decoded.form->params.size(), 1u);
  EXPECT_EQ(decoded.query.params.size(), 1u);
  EXPECT_EQ(decoded.body_params(), &*decoded.form);
  EXPECT_TRUE(guard.check(decoded, "/redirect_call", ctx).has_value()) << "signed over other fields";

  decoded.form = util::decode_form(form_encode(handed_over_body));
  EXPECT_FALSE(guard.check(decoded, "/redirect_call", ctx).has_value());
  decoded.query = util::decode_form("a=%zz");
  const auto refusal = guard.check(decoded, "/redirect_call", ctx);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->result(), status::forbidden);
  EXPECT_EQ(signature_failures(metrics), 2u);
}

TEST(TwilioRequest, BodyParamsOnlyForAFormPost) {
  http::request req{verb::get, "/redirect_call?a=1#frag", 11};
  req.set(field::content_type, kForm);
  req.body() = "b=2";
  const twilio_request get(req, req.target());
  ASSERT_TRUE(get.form.has_value()) << "decoded for the signature, which covers a form body on any method";
  EXPECT_EQ(get.body_params(), nullptr) << "but not call parameters on a GET";
  ASSERT_EQ(get.query.params.size(), 1u);
  EXPECT_EQ(get.query.params[0].value, "1") << "the fragment is not part of the query";
  req.method(verb::post);
  req.set(field::content_type, "application/json");
  const twilio_request json(req, req.target());
  EXPECT_FALSE(json.form.has_value());
  EXPECT_EQ(json.body_params(), nullptr);
}

// PUBLIC_URL with a path: a proxy may forward /voice/redirect_call as is, or strip /voice.
class PrefixTest : public GuardedRoutesTest {
 protected:
  const std::string signed_url_ = "https://example.com/voice/redirect_call";
};

TEST_F(PrefixTest, BothMountsAcceptTheSignatureOverThePrefixedUrl) {
  const router r = make_router(signing("https://example.com/voice"));
  const std::string signature = twilio::compute_signature(kToken, signed_url_, call_params());
  EXPECT_EQ(post(r, "/voice/redirect_call", call_params(), signature).body(), kExpectedTwiml);
  EXPECT_EQ(post(r, "/redirect_call", call_params(), signature).body(), kExpectedTwiml);
  // The query follows the route's path in the signed URL on both mounts.
  const std::string query_signature =
      twilio::compute_signature(kToken, "https://example.com/voice/dial_action?tenant=t1", dial_params());
  EXPECT_EQ(post(r, "/voice/dial_action?tenant=t1", dial_params(), query_signature).body(), "no-answer t1");
  EXPECT_EQ(post(r, "/dial_action?tenant=t1", dial_params(), query_signature).body(), "no-answer t1");
  EXPECT_EQ(signature_failures(metrics_), 0u);
}

TEST_F(PrefixTest, SignatureOverTheUnprefixedUrlIsRefused) {
  const router r = make_router(signing("https://example.com/voice"));
  const std::string unprefixed = twilio::compute_signature(kToken, "https://example.com/redirect_call", call_params());
  EXPECT_EQ(post(r, "/voice/redirect_call", call_params(), unprefixed).result(), status::forbidden);
  EXPECT_EQ(post(r, "/redirect_call", call_params(), unprefixed).result(), status::forbidden);
  // Nor one over the prefix twice (what a naive public_url + raw target would sign).
  const std::string doubled =
      twilio::compute_signature(kToken, "https://example.com/voice/voice/redirect_call", call_params());
  EXPECT_EQ(post(r, "/voice/redirect_call", call_params(), doubled).result(), status::forbidden);
  EXPECT_EQ(signature_failures(metrics_), 3u);
}

TEST_F(PrefixTest, OnlyTwilioCalledRoutesAreMountedUnderThePrefix) {
  const router r = make_router(signing("https://example.com/voice/"));
  http::request req{verb::get, "/voice/plain", 11};
  http::request_context ctx;
  EXPECT_EQ(r(req, ctx).result(), status::not_found);
  req.target("/plain");
  EXPECT_EQ(r(req, ctx).result(), status::ok);
  req.target("/voiceredirect_call");
  EXPECT_EQ(r(req, ctx).result(), status::not_found);
  req.target("/voice/voice/redirect_call");
  EXPECT_EQ(r(req, ctx).result(), status::not_found);
  req.target("/voice/redirect_call");
  req.method(verb::put);
  const auto res = r(req, ctx);
  EXPECT_EQ(res.result(), status::method_not_allowed);
  EXPECT_EQ(res[field::allow], "GET, POST");
  EXPECT_EQ(res.body(), "Method PUT is not allowed on /voice/redirect_call; use GET, POST");
}

TEST(RouterPaths, ServiceRoutesAndTheirPrefixedMounts) {
  EXPECT_EQ(router::paths(), (std::vector<std::string>{"/redirect_call", "/dial_action", "/refer", "/healthz", "/readyz",
                                                       "/metrics", "/call_context", "/calls/"}));
  EXPECT_EQ(router::paths("/voice"),
            (std::vector<std::string>{"/redirect_call", "/dial_action", "/refer", "/healthz", "/readyz", "/metrics",
                                      "/call_context", "/calls/", "/voice/redirect_call", "/voice/dial_action", "/voice/refer"}));
}

TEST(ServiceRouter, PrefixedPublicUrl) {
  // The service's own table, as serve builds it: health stays at the root.
  readiness ready{"x"};
  util::metrics metrics{router::paths("/voice")};
  const router r("sipin.synthflow.ai:32681", ready, metrics,
                 twilio::request_validator({.auth_token = {}, .shared_keys = {}, .basic_user = {}, .basic_password = {}, .public_url = "https://example.com/voice", .trusted_proxies = {}}));
  http::request req{verb::get, "/voice/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid), 11};
  http::request_context ctx;
  EXPECT_EQ(r(req, ctx).body(), kExpectedTwiml);
  req.target("/voice/healthz");
  EXPECT_EQ(r(req, ctx).result(), status::not_found);
  req.target("/healthz");
  EXPECT_EQ(r(req, ctx).result(), status::ok);
}

}  // namespace
}  // namespace twiml_redirect::app
