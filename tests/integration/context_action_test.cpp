// Provisioning the pre-call action that calls /call_context, against the fake Synthflow: created and
// attached as a before-call action, a rerun writes nothing, a new URL or token replaces it, and the
// token never shows in the table or the log.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/fake_synthflow.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "twiml_redirect/synthflow/actions.hpp"

namespace twiml_redirect::test {
namespace {

using nlohmann::json;
using strings = std::vector<std::string>;

constexpr const char* kContextToken = "ctx-TOKEN-secret-0042";

class ContextAction : public provisioning_fixture<> {
 protected:
  ContextAction() {
    config_.context.synthflow_action = true;
    config_.context.token = kContextToken;
    config_.twilio.public_url = "https://voice.example.com";
  }

  void TearDown() override {
    provisioning_fixture::TearDown();
    EXPECT_EQ((capture_.text() + output_).find(kContextToken), std::string::npos) << output_;
  }

  strings write_lines() const {
    strings lines;
    for (const auto& line : fake_.call_lines())
      if (line.rfind("GET ", 0) != 0) lines.push_back(line);
    return lines;
  }

  json actions() const { return fake_.state()["actions"]; }
};

TEST_F(ContextAction, CreatedInitializedAndAttachedBeforeTheCall) {
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"POST /custom-numbers", "POST /assistants", "POST /actions",
                                    "POST /actions/initialize", "POST /actions/attach"}));
  const json all = actions();
  ASSERT_EQ(all.size(), 1u);
  const json& action = all[0];
  EXPECT_EQ(action["http_mode"], "POST");
  EXPECT_EQ(action["url"], "https://voice.example.com/call_context");
  EXPECT_EQ(action["run_action_before_call_start"], true);
  EXPECT_EQ(action["custom_auth"]["value"], kContextToken);  // sent to Synthflow, and only there
  EXPECT_EQ(action["_initialized"], true);
  const json request_body = json::parse(action["json_body_stringified"].get<std::string>());
  EXPECT_EQ(request_body["external_id"], "<external_id>");
  ASSERT_EQ(action["_attached_to"].size(), 1u);
  const auto attach = fake_.writes().back();
  EXPECT_EQ(json::parse(attach.body)["items"][0]["attachment_type"], "before");
  EXPECT_NE(last_.find("action"), std::string::npos) << last_;
  EXPECT_NE(last_.find(action["action_id"].get<std::string>()), std::string::npos) << last_;
}

TEST_F(ContextAction, RerunWritesNothing) {
  ASSERT_EQ(provision(), 0) << last_;
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_TRUE(write_lines().empty()) << last_;
  EXPECT_NE(last_.find("unchanged"), std::string::npos) << last_;
}

TEST_F(ContextAction, NewTokenOrUrlReplacesTheAction) {
  ASSERT_EQ(provision(), 0) << last_;
  const std::string first = actions()[0]["action_id"];
  config_.context.token = "ctx-TOKEN-rotated-0043";
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"POST /actions", "POST /actions/initialize", "POST /actions/attach",
                                    "POST /actions/detach"}));
  EXPECT_NE(last_.find("updated"), std::string::npos) << last_;
  EXPECT_EQ(last_.find("ctx-TOKEN-rotated-0043"), std::string::npos) << last_;
  for (const json& action : actions()) {
    if (action["action_id"] == first) EXPECT_TRUE(action["_attached_to"].empty());
    else EXPECT_EQ(action["_attached_to"].size(), 1u);
  }
  config_.twilio.public_url = "https://other.example.com";
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines().size(), 4u) << last_;
}

TEST_F(ContextAction, DryRunOnlyReads) {
  ASSERT_EQ(provision(), 0) << last_;
  config_.context.token = "ctx-TOKEN-rotated-0044";
  fake_.clear_calls();
  ASSERT_EQ(provision(/*dry_run=*/true), 0) << last_;
  EXPECT_TRUE(write_lines().empty());
  EXPECT_NE(last_.find("would update"), std::string::npos) << last_;
}

TEST(ContextActionBody, CarriesTheCallIdInEveryForm) {
  const json body = synthflow::make_context_action_body({"https://voice.example.com/call_context", "t"});
  const json& custom = body.at("CUSTOM_ACTION");
  EXPECT_EQ(custom["name"], synthflow::kContextActionName);
  const json request = json::parse(custom["json_body_stringified"].get<std::string>());
  EXPECT_EQ(request["external_id"], "<external_id>");
  EXPECT_EQ(request["call_sid"], "{external_id}");
  EXPECT_EQ(request["twilio_call_sid"], "<twilio_call_sid>");
  EXPECT_NE(synthflow::context_action_fingerprint({"u", "a"}), synthflow::context_action_fingerprint({"u", "b"}));
  EXPECT_EQ(synthflow::context_action_fingerprint({"u", "a"}).size(), 16u);
}

}  // namespace
}  // namespace twiml_redirect::test
