// Provisioning the pre-call action that calls /call_context, against the fake Synthflow (which
// answers as the published reference does: an agent lists its actions as bare ids): created,
// initialized with the probe and attached as a before-call action, a rerun writes nothing, a new URL
// or token is one PUT, duplicates become one, a replica racing us leaves one, and the token never
// shows in the table or the log.

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/contract.hpp"
#include "support/fake_synthflow.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "twiml_redirect/app/provisioning.hpp"
#include "twiml_redirect/context/call_record.hpp"
#include "twiml_redirect/synthflow/actions.hpp"

namespace twiml_redirect::test {
namespace {

using nlohmann::json;
using strings = std::vector<std::string>;

constexpr const char* kContextToken = "ctx-TOKEN-secret-0042-0123456789abcdef";

class ContextAction : public provisioning_fixture<> {
 protected:
  ContextAction() {
    config_.context.synthflow_action = true;
    config_.context.token = kContextToken;
    config_.twilio.public_url = "https://voice.example.com";
  }

  void TearDown() override {
    provisioning_fixture::TearDown();
    // Every request sent and every answer the fake gave, against Synthflow's published OpenAPI.
    EXPECT_TRUE(conforms_to_openapi(fake_.calls(), "synthflow"));
    EXPECT_EQ((capture_.text() + output_).find(kContextToken), std::string::npos) << output_;
  }

  strings write_lines() const {
    strings lines;
    for (const auto& line : fake_.call_lines())
      if (line.rfind("GET ", 0) != 0) lines.push_back(line);
    return lines;
  }

  json actions() const { return fake_.state()["actions"]; }

  // The action body this configuration makes (what an earlier run or another replica created).
  json current_body() const {
    return synthflow::make_context_action_body({"https://voice.example.com/call_context", kContextToken,
                                                std::string(context::kInitializeProbe)})["CUSTOM_ACTION"];
  }

  // Lines of the writes, with the action ids cut off ("PUT /actions/").
  strings write_kinds() const {
    strings kinds;
    for (std::string line : write_lines()) {
      if (const auto at = line.find("/actions/act_"); at != std::string::npos) line = line.substr(0, at + 9);
      kinds.push_back(line);
    }
    return kinds;
  }

  std::string agent_id() const { return fake_.state()["assistants"][0]["model_id"]; }
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
  // One documented form of the attach body: items, which alone can say "before".
  const json attach = json::parse(fake_.writes().back().body);
  EXPECT_EQ(attach["items"][0]["attachment_type"], "before");
  EXPECT_FALSE(attach.contains("actions")) << attach;
  // Initialize gets the probe for every call id placeholder, so /call_context can answer it.
  const json variables = action["_initialize_variables"];
  ASSERT_EQ(variables.size(), 3u) << variables;
  for (const json& variable : variables) EXPECT_EQ(variable["value"], context::kInitializeProbe) << variable;
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

TEST_F(ContextAction, NewTokenOrUrlUpdatesTheActionInPlace) {
  ASSERT_EQ(provision(), 0) << last_;
  const std::string first = actions()[0]["action_id"];
  config_.context.token = "ctx-TOKEN-rotated-0043";
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_kinds(), (strings{"PUT /actions/", "POST /actions/initialize"})) << last_;
  EXPECT_NE(last_.find("updated"), std::string::npos) << last_;
  EXPECT_NE(last_.find("url_or_token"), std::string::npos) << last_;
  EXPECT_EQ(last_.find("ctx-TOKEN-rotated-0043"), std::string::npos) << last_;
  ASSERT_EQ(actions().size(), 1u);
  EXPECT_EQ(actions()[0]["action_id"], first);
  EXPECT_EQ(actions()[0]["custom_auth"]["value"], "ctx-TOKEN-rotated-0043");
  EXPECT_EQ(actions()[0]["_attached_to"].size(), 1u);
  config_.twilio.public_url = "https://other.example.com";
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_kinds(), (strings{"PUT /actions/", "POST /actions/initialize"})) << last_;
  EXPECT_EQ(actions()[0]["url"], "https://other.example.com/call_context");
  config_.context.token = kContextToken;  // TearDown looks for the fixture's token
}

TEST_F(ContextAction, DuplicatesAreDetachedAndDeletedButOne) {
  ASSERT_EQ(provision(), 0) << last_;
  const std::string kept = actions()[0]["action_id"];
  // Two more, as versions that made one per start left them: one current, one for an old token.
  json stale = current_body();
  stale["description"] = "made by an older version (config 0000000000000000)";
  fake_.seed_action(current_body(), agent_id());
  fake_.seed_action(stale, agent_id());
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_kinds(), (strings{"POST /actions/detach", "DELETE /actions/", "POST /actions/detach",
                                    "DELETE /actions/"}))
      << last_;
  EXPECT_NE(last_.find("duplicate"), std::string::npos) << last_;
  ASSERT_EQ(actions().size(), 1u) << actions();
  EXPECT_EQ(actions()[0]["action_id"], kept);  // the current one with the smallest id
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_TRUE(write_lines().empty()) << last_;
}

// Another replica attaches its own action between our create and our attach: both read again, agree
// on the same one (current fingerprint, smallest id), and the other is deleted.
TEST_F(ContextAction, AReplicaRacingUsLeavesOneAction) {
  fake_.rival_on_next_attach(current_body(), "act_0");  // sorts before any id the fake makes
  ASSERT_EQ(provision(), 0) << last_;
  const json all = actions();
  ASSERT_EQ(all.size(), 1u) << all;
  EXPECT_EQ(all[0]["action_id"], "act_0");
  EXPECT_EQ(all[0]["_attached_to"].size(), 1u);
  EXPECT_NE(last_.find("duplicate"), std::string::npos) << last_;
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_TRUE(write_lines().empty()) << last_;
}

// Two provisioning runs at the same moment (two pods starting), however they interleave.
TEST_F(ContextAction, TwoConcurrentRunsLeaveOneAction) {
  config_.context.synthflow_action = false;
  ASSERT_EQ(provision(), 0) << last_;  // the number and the agent, so that only the action races
  config_.context.synthflow_action = true;
  std::ostringstream first_out;
  std::ostringstream second_out;
  int first = -1;
  int second = -1;
  std::thread other([&] { second = app::run_provision_command(config_, false, second_out); });
  first = app::run_provision_command(config_, false, first_out);
  other.join();
  output_ += first_out.str() + second_out.str();
  EXPECT_EQ(first, 0) << first_out.str();
  EXPECT_EQ(second, 0) << second_out.str();
  const json all = actions();
  ASSERT_EQ(all.size(), 1u) << all << first_out.str() << second_out.str();
  EXPECT_EQ(all[0]["_attached_to"].size(), 1u);
}

// Synthflow's Initialize calls PUBLIC_URL, which on a first deployment reaches no ready instance
// yet: a failed Initialize is a row marked failed and a warning, never a failed provisioning (serve
// would stop, a crash loop). serve retries it once ready.
TEST_F(ContextAction, AFailedInitializeIsAWarningNotAFailure) {
  fake_fault refused;
  refused.method = "POST";
  refused.path_prefix = "/actions/initialize";
  refused.status = 400;
  refused.body = R"({"detail":"The action URL answered 503"})";
  fake_.add_fault(refused);
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_NE(last_.find("initialize"), std::string::npos) << last_;
  EXPECT_NE(last_.find("failed"), std::string::npos) << last_;
  EXPECT_NE(last_.find("warning: POST /actions/initialize failed: HTTP 400"), std::string::npos) << last_;
  ASSERT_EQ(actions().size(), 1u);
  EXPECT_EQ(actions()[0]["_attached_to"].size(), 1u);  // attached all the same
}

// An agent answer without its actions array (a shape the reference does not describe) leaves the
// attached actions unknown: a row error naming the operation and the field, and nothing created.
TEST_F(ContextAction, AnAgentAnswerWithoutActionsIsAnErrorNotADuplicate) {
  ASSERT_EQ(provision(), 0) << last_;
  json agent = fake_.state()["assistants"][0];
  for (auto it = agent.begin(); it != agent.end();) it = it.key().front() == '_' ? agent.erase(it) : std::next(it);
  agent.erase("actions");
  fake_fault odd;
  odd.method = "GET";
  odd.path_prefix = "/assistants/";
  odd.times = 100;
  odd.status = 200;
  odd.body = json{{"status", "ok"}, {"response", {{"assistants", json::array({agent})}}}}.dump();
  fake_.add_fault(odd);
  fake_.clear_calls();
  EXPECT_NE(provision(), 0) << last_;
  EXPECT_TRUE(write_lines().empty()) << last_;
  EXPECT_NE(output_.find("GET /assistants/{model_id}?include_actions=true"), std::string::npos) << output_;
  EXPECT_NE(output_.find("actions array"), std::string::npos) << output_;
  EXPECT_EQ(actions().size(), 1u);
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
  const json body = synthflow::make_context_action_body({"https://voice.example.com/call_context", "t", "probe"});
  const json& custom = body.at("CUSTOM_ACTION");
  EXPECT_EQ(custom["name"], synthflow::kContextActionName);
  const json request = json::parse(custom["json_body_stringified"].get<std::string>());
  EXPECT_EQ(request["external_id"], "<external_id>");
  EXPECT_EQ(request["call_sid"], "{external_id}");
  EXPECT_EQ(request["twilio_call_sid"], "<twilio_call_sid>");
  EXPECT_NE(synthflow::context_action_fingerprint({"u", "a", "p"}), synthflow::context_action_fingerprint({"u", "b", "p"}));
  EXPECT_EQ(synthflow::context_action_fingerprint({"u", "a", "p"}).size(), 16u);
}

}  // namespace
}  // namespace twiml_redirect::test
