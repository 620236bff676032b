// The reconcile algorithm against a fake Synthflow on loopback: which calls it makes, in which order,
// for an empty workspace, a rerun, drift and partial state, under every envelope variant the docs
// disagree on.

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/contract.hpp"
#include "support/fake_synthflow.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "twiml_redirect/app/provisioning.hpp"

namespace twiml_redirect::test {
namespace {

using nlohmann::json;
using strings = std::vector<std::string>;

struct variant {
  const char* label;
  bool wrap_number;
  bool assistant_as_object;
  unsigned unknown_number_status;
  bool gateway_errors;
};

// Names the variant in test listings instead of dumping its bytes.
void PrintTo(const variant& v, std::ostream* os) { *os << v.label; }

class ProvisioningFlow : public provisioning_fixture<::testing::TestWithParam<variant>> {
 protected:
  ProvisioningFlow() : provisioning_fixture(options()) {}

  static fake_synthflow_options options() {
    auto o = fake_options();
    o.wrap_number = GetParam().wrap_number;
    o.assistant_as_object = GetParam().assistant_as_object;
    o.unknown_number_status = GetParam().unknown_number_status;
    o.gateway_errors = GetParam().gateway_errors;
    return o;
  }

  // The documented variant's requests and answers, against Synthflow's published OpenAPI; the other
  // variants are shapes older docs show, which the document does not describe on purpose.
  void TearDown() override {
    provisioning_fixture::TearDown();
    if (std::string(GetParam().label) == "documented") {
      EXPECT_TRUE(conforms_to_openapi(fake_.calls(), "synthflow"));
    }
  }

  strings write_lines() const {
    strings lines;
    for (const auto& line : fake_.call_lines()) {
      if (line.rfind("GET ", 0) != 0) lines.push_back(line);
    }
    return lines;
  }

  std::string agent_id() const {
    const auto number = fake_.number("+15550001111");
    return number.is_null() || number["assistants"].empty() ? "" : number["assistants"][0].get<std::string>();
  }
};

TEST_P(ProvisioningFlow, EmptyWorkspaceCreatesNumberThenAgentWithPhoneNumber) {
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"POST /custom-numbers", "POST /assistants"}));

  const auto writes = fake_.writes();
  ASSERT_EQ(writes.size(), 2u);
  const auto number_body = json::parse(writes[0].body);
  EXPECT_EQ(number_body["phone_number"], "+15550001111");
  EXPECT_EQ(number_body["workspace_id"], fake_.options().workspace_id);
  EXPECT_EQ(number_body["trunk_pwd"], kTestTrunkPassword);
  const auto agent_body = json::parse(writes[1].body);
  EXPECT_EQ(agent_body["type"], "inbound");
  EXPECT_EQ(agent_body["phone_number"], "+15550001111");
  EXPECT_EQ(agent_body["agent"]["prompt"], config_.numbers[0].agent->prompt);

  const auto id = agent_id();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(fake_.assistant(id)["name"], "Front desk");
  EXPECT_NE(last_.find("created"), std::string::npos);
  EXPECT_NE(last_.find(id), std::string::npos) << last_;
  EXPECT_NE(last_.find("15550001111"), std::string::npos);
}

TEST_P(ProvisioningFlow, SecondRunOnlyReads) {
  ASSERT_EQ(provision(), 0) << last_;
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_TRUE(write_lines().empty());
  EXPECT_EQ(fake_.call_lines(), (strings{"GET /numbers/15550001111", "GET /assistants/" + agent_id()}));
  EXPECT_EQ(last_.find("created"), std::string::npos) << last_;
  EXPECT_EQ(last_.find("updated"), std::string::npos) << last_;
  EXPECT_NE(last_.find("unchanged"), std::string::npos) << last_;
}

TEST_P(ProvisioningFlow, NewPromptIsOnePut) {
  ASSERT_EQ(provision(), 0) << last_;
  fake_.clear_calls();
  config_.numbers[0].agent->prompt = "You are the night shift receptionist.";
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"PUT /assistants/" + agent_id()}));
  EXPECT_EQ(fake_.assistant(agent_id())["agent"]["prompt"], "You are the night shift receptionist.");
  EXPECT_NE(last_.find("updated"), std::string::npos) << last_;
  EXPECT_NE(last_.find("agent.prompt"), std::string::npos) << last_;
}

TEST_P(ProvisioningFlow, NumberWithoutAgentGetsOnlyAnAgentPost) {
  fake_.seed_number("+15550001111", "Front desk line");
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"POST /assistants"}));
  EXPECT_FALSE(agent_id().empty());
}

TEST_P(ProvisioningFlow, RenamedNumberIsOnePatchCarryingTheTrunkCredentials) {
  fake_.seed_number("+15550001111", "Old name");
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"PATCH /numbers/15550001111", "POST /assistants"}));
  const auto patch = json::parse(fake_.writes()[0].body);
  EXPECT_EQ(patch["friendly_name"], "Front desk line");
  EXPECT_EQ(patch["trunk_pwd"], kTestTrunkPassword);
  EXPECT_EQ(fake_.number("+15550001111")["friendly_name"], "Front desk line");
}

// Earlier versions imported every number as provider "custom" with no termination URI; the
// reference's PATCH needs the SIP domain with a provider change, so both travel in one PATCH.
TEST_P(ProvisioningFlow, NumberImportedAsCustomIsMovedToItsProviderWithItsDomain) {
  fake_.seed_number("+15550001111", "Front desk line", "custom", "");
  ASSERT_EQ(provision(), 0) << last_;
  ASSERT_EQ(write_lines(), (strings{"PATCH /numbers/15550001111", "POST /assistants"}));
  const auto patch = json::parse(fake_.writes()[0].body);
  EXPECT_EQ(patch["provider_name"], "twilio");
  EXPECT_EQ(patch["termination_uri"], "acme.pstn.twilio.com");
  EXPECT_EQ(fake_.number("+15550001111")["provider_name"], "twilio");
  EXPECT_NE(output_.find("provider_name"), std::string::npos) << output_;
}

// The import names the provider and its domain (the reference answers 400 otherwise), and a
// number configured without one is refused by the fake exactly as the reference says.
TEST_P(ProvisioningFlow, ImportSendsTheProviderAndTerminationUriTheReferenceRequires) {
  ASSERT_EQ(provision(), 0) << last_;
  const auto create = json::parse(fake_.writes()[0].body);
  EXPECT_EQ(create["provider_name"], "twilio");
  EXPECT_EQ(create["termination_uri"], "acme.pstn.twilio.com");

  fake_.clear_calls();
  config_.numbers[0].phone_number = "+15550002222";
  config_.numbers[0].synthflow.termination_uri.clear();
  EXPECT_NE(provision(), 0);
  EXPECT_NE(output_.find("termination_uri is required"), std::string::npos) << output_;
}

TEST_P(ProvisioningFlow, ExistingInboundAgentIsAdoptedNotDuplicated) {
  fake_.seed_number("+15550001111", "Front desk line");
  const auto id = fake_.seed_assistant({{"type", "inbound"},
                                        {"name", "Front desk"},
                                        {"phone_number", "+15550001111"},
                                        {"agent", {{"prompt", "old prompt"}, {"llm", "gpt-4.1"}}}});
  fake_.seed_assistant({{"type", "outbound"}, {"name", "Sales"}, {"phone_number", "+15550001111"},
                        {"agent", json::object()}});
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"PUT /assistants/" + id}));
  EXPECT_EQ(fake_.assistant(id)["agent"]["prompt"], config_.numbers[0].agent->prompt);
}

TEST_P(ProvisioningFlow, DryRunOnlyReadsAndSaysWhatItWouldDo) {
  ASSERT_EQ(provision(true), 0) << last_;
  EXPECT_TRUE(write_lines().empty());
  EXPECT_NE(last_.find("would create"), std::string::npos) << last_;

  ASSERT_EQ(provision(), 0) << last_;
  config_.numbers[0].agent->greeting_message = "Good evening!";
  fake_.clear_calls();
  ASSERT_EQ(provision(true), 0) << last_;
  EXPECT_TRUE(write_lines().empty());
  EXPECT_NE(last_.find("would update"), std::string::npos) << last_;
  EXPECT_NE(last_.find("agent.greeting_message"), std::string::npos) << last_;
}

TEST_P(ProvisioningFlow, TwoNumbersEachGetTheirOwnAgentNumberFirst) {
  auto second = config_.numbers[0];
  second.phone_number = "+15550002222";
  second.friendly_name = "Billing line";
  second.agent->name = "Billing";
  config_.numbers.push_back(second);
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_EQ(write_lines(), (strings{"POST /custom-numbers", "POST /assistants", "POST /custom-numbers",
                                    "POST /assistants"}));
  fake_.clear_calls();
  ASSERT_EQ(provision(), 0) << last_;
  EXPECT_TRUE(write_lines().empty());
}

INSTANTIATE_TEST_SUITE_P(
    EnvelopeVariants, ProvisioningFlow,
    // "documented": an unknown number is a 400, the only error GET /numbers/{slug} documents.
    ::testing::Values(variant{"documented", false, false, 400, false},
                      variant{"wrapped_number_object_assistant", true, true, 404, false},
                      variant{"unknown_slug_404", false, false, 404, false},
                      variant{"gateway_errors", true, false, 400, true}),
    [](const ::testing::TestParamInfo<variant>& info) { return std::string(info.param.label); });

}  // namespace
}  // namespace twiml_redirect::test
