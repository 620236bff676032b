// The contract checker itself: it must refuse what the documents do not describe, or every
// contract assertion elsewhere could pass vacuously.
#include <gtest/gtest.h>

#include "support/contract.hpp"

namespace twiml_redirect::test {
namespace {

recorded_call call(std::string method, std::string target, std::string body, unsigned status, std::string answer) {
  recorded_call c;
  c.method = std::move(method);
  c.target = std::move(target);
  c.path = c.target.substr(0, c.target.find('?'));
  c.body = std::move(body);
  c.status = status;
  c.response_body = std::move(answer);
  c.headers["authorization"] = "Bearer test-api-key";
  c.headers["content-type"] = "application/json";
  return c;
}

TEST(ContractCheck, AcceptsADocumentedAttach) {
  const auto attach = call("POST", "/v2/actions/attach", R"({"model_id":"m1","actions":["a1"]})", 200,
                           R"({"status":"ok","response":{}})");
  EXPECT_TRUE(conforms_to_openapi({attach}, "synthflow"));
}

TEST(ContractCheck, RefusesAnUndocumentedPathAMissingBodyFieldAndAWrongAuthScheme) {
  auto unknown = call("GET", "/v2/no_such_thing", "", 200, "{}");
  EXPECT_FALSE(conforms_to_openapi({unknown}, "synthflow"));
  auto no_model = call("POST", "/v2/actions/attach", R"({"actions":["a1"]})", 200, R"({"status":"ok"})");
  const auto verdict = conforms_to_openapi({no_model}, "synthflow");
  EXPECT_FALSE(verdict);
  EXPECT_NE(std::string(verdict.message()).find("model_id"), std::string::npos) << verdict.message();
  auto basic = call("POST", "/v2/actions/attach", R"({"model_id":"m1"})", 200, R"({"status":"ok"})");
  basic.headers["authorization"] = "Basic dXNlcjpwYXNz";
  EXPECT_FALSE(conforms_to_openapi({basic}, "synthflow"));
}

TEST(ContractCheck, RefusesAnUndocumentedQueryParameterAndAMissingRequiredOne) {
  EXPECT_FALSE(conforms_to_openapi({call("GET", "/v2/numbers?limit=20", "", 200, "{}")}, "synthflow"));
  EXPECT_FALSE(
      conforms_to_openapi({call("GET", "/v2/numbers?workspace=w&color=red", "", 200, "{}")}, "synthflow"));
}

TEST(ContractCheck, RefusesAnAnswerOfAnUndocumentedShapeOrStatus) {
  // The reference lists attached actions as ID strings; objects are a guess it does not describe.
  auto objects = call("GET", "/v2/assistants/m1?include_actions=true", "", 200,
                      R"({"status":"ok","response":{"assistants":[{"model_id":"m1","actions":[{"name":"x"}]}]}})");
  EXPECT_FALSE(conforms_to_openapi({objects}, "synthflow"));
  EXPECT_FALSE(conforms_to_openapi({call("POST", "/v2/actions/attach", R"({"model_id":"m1"})", 418, "{}")},
                                   "synthflow"));
}

TEST(ContractCheck, SkipsTheAnswerOfAnInjectedFaultButNotItsRequest) {
  auto fault = call("POST", "/v2/actions/attach", R"({"model_id":"m1"})", 503, R"({"detail":"down"})");
  fault.injected = true;
  EXPECT_TRUE(conforms_to_openapi({fault}, "synthflow"));
  fault.body = "{}";
  EXPECT_FALSE(conforms_to_openapi({fault}, "synthflow"));
}

TEST(ContractCheck, ChecksTwilioFormBodiesAndBasicAuth) {
  recorded_call update;
  update.method = "POST";
  update.path = update.target =
      "/2010-04-01/Accounts/AC00000000000000000000000000000000/IncomingPhoneNumbers/"
      "PN00000000000000000000000000000000.json";
  update.body = "VoiceUrl=https%3A%2F%2Fvoice.example.com%2Fredirect_call&VoiceMethod=POST";
  update.headers["authorization"] = "Basic QUM6dG9rZW4=";
  update.headers["content-type"] = "application/x-www-form-urlencoded";
  update.status = 503;
  update.injected = true;
  EXPECT_TRUE(conforms_to_openapi({update}, "twilio"));
  update.body = "VoiceMethod=PATCH";  // not one of the documented methods
  EXPECT_FALSE(conforms_to_openapi({update}, "twilio"));
}

}  // namespace
}  // namespace twiml_redirect::test
