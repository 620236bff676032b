// The request-to-response logic without sockets: requests are built in memory.
#include "twiml_redirect/app/router.hpp"

#include <gtest/gtest.h>

#include "twiml_redirect/app/redirect_call.hpp"

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

TEST(RedirectCallHandler, UsesTheCallersDecodingOfTheBody) {
  // The router decodes a form body once, for the signature check and for the handler.
  http::request req{verb::post, "/redirect_call", 11};
  req.set(field::content_type, "application/x-www-form-urlencoded");
  req.body() = "Called=%2B14155550100&CallSid=" + std::string(kSid);
  req.prepare_payload();
  const util::decoded_form decoded = util::decode_form("Called=%2B14155550199&CallSid=" + std::string(kSid));
  http::request_context ctx;
  const auto res = handle_redirect_call(req, ctx, "sipin.synthflow.ai:32681", &decoded);
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_NE(res.body().find("sip:+14155550199@"), std::string::npos) << res.body();
  const util::decoded_form malformed = util::decode_form("Called=%zz");
  EXPECT_EQ(handle_redirect_call(req, ctx, "sipin.synthflow.ai:32681", &malformed).result(), status::bad_request);
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

}  // namespace
}  // namespace twiml_redirect::app
