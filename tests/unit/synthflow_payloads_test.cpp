// Synthflow JSON shapes both ways, without I/O: envelope variants, error bodies, request bodies and
// the drift rules that keep a rerun write-free.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "twiml_redirect/synthflow/payloads.hpp"

namespace twiml_redirect::synthflow {
namespace {

using nlohmann::json;
using strings = std::vector<std::string>;

config::number_config sample_number() {
  config::number_config n;
  n.phone_number = "+33782990580";
  n.friendly_name = "Paris line";
  n.trunk_username = "trunk";
  n.trunk_pwd = "pw";
  n.agent.emplace();
  n.agent->name = "Paris agent";
  n.agent->prompt = "Be kind.";
  n.agent->greeting_message = "Bonjour";
  n.agent->llm = "gpt-4.1";
  n.agent->language = "fr-FR";
  n.agent->voice_id = "v1";
  return n;
}

TEST(SynthflowPayloads, SlugDropsThePlus) {
  EXPECT_EQ(phone_slug("+33782990580"), "33782990580");
  EXPECT_EQ(phone_slug("33782990580"), "33782990580");
}

TEST(SynthflowPayloads, ErrorMessageShapes) {
  EXPECT_EQ(error_message_from_body(R"({"detail":"Not Found"})"), "Not Found");
  EXPECT_EQ(error_message_from_body(
                R"({"detail":{"status":"error","description":"bad voice","request_id":"r","category":"c"}})"),
            "bad voice");
  EXPECT_EQ(error_message_from_body(R"({"error":"not_found","message":"No route matched"})"),
            "not_found: No route matched");
  EXPECT_EQ(error_message_from_body(R"({"message":"Too many"})"), "Too many");
  EXPECT_EQ(error_message_from_body(R"({"detail":[{"loc":["body","name"],"msg":"field required"}]})"),
            "field required");
  EXPECT_EQ(error_message_from_body("<html>502</html>"), "");
  EXPECT_EQ(error_message_from_body("{}"), "");
  EXPECT_EQ(error_message_from_body(""), "");
  // Whole: the caller masks secrets before it cuts (util::redact_and_cut).
  EXPECT_EQ(error_message_from_body(json{{"detail", std::string(1000, 'x')}}.dump()).size(), 1000u);
}

TEST(SynthflowPayloads, NumberFlatAndWrapped) {
  const json flat{{"slug", "33782990580"}, {"phone_number", "+33782990580"}, {"friendly_name", "My"},
                  {"sip_term_uri", "sip:x.example"}, {"provider_name", "custom"},
                  {"assistants", {"id1", "id2"}}};
  for (const auto& body : {flat, json{{"status", "ok"}, {"response", flat}}}) {
    const auto n = parse_number(body);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->phone_number, "+33782990580");
    EXPECT_EQ(n->friendly_name, "My");
    EXPECT_EQ(n->sip_term_uri, "sip:x.example");
    ASSERT_TRUE(n->assistants);
    EXPECT_EQ(*n->assistants, (strings{"id1", "id2"}));
    EXPECT_FALSE(n->trunk_username);
  }
}

TEST(SynthflowPayloads, NumberMissingFieldsAreUnknownAndNullIsEmpty) {
  const auto n = parse_number(json{{"phone_number", "+1555"}, {"friendly_name", nullptr}});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->friendly_name, "");
  EXPECT_FALSE(n->sip_term_uri);
  EXPECT_FALSE(n->assistants);
  EXPECT_FALSE(parse_number(json{{"status", "ok"}}));
  EXPECT_FALSE(parse_number(json::array()));
}

TEST(SynthflowPayloads, NumberListAndPagination) {
  const json body{{"status", "ok"},
                  {"response",
                   {{"pagination", {{"total_records", 38}, {"limit", 20}, {"offset", 20}}},
                    {"phone_numbers", {{{"number", "+1716"}, {"sid", nullptr}}, {{"number", "+1717"}}}}}}};
  EXPECT_EQ(parse_number_list(body), (strings{"+1716", "+1717"}));
  const auto page = parse_pagination(body);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total_records, 38u);
  EXPECT_EQ(page->offset, 20u);
  EXPECT_FALSE(parse_pagination(json{{"status", "ok"}}));
}

TEST(SynthflowPayloads, AssistantsArrayObjectAndFlat) {
  const json one{{"model_id", "m1"}, {"name", "A"}, {"type", "inbound"}, {"phone_number", "+1"},
                 {"agent", {{"prompt", "p"}}}};
  const json pagination{{"total_records", 1}, {"limit", 20}, {"offset", 0}};
  const std::vector<json> bodies{
      {{"status", "ok"}, {"response", {{"pagination", pagination}, {"assistants", {one}}}}},
      {{"status", "success"}, {"response", {{"pagination", pagination}, {"assistants", one}}}},
      one,
  };
  for (const auto& body : bodies) {
    const auto list = parse_assistants(body);
    ASSERT_EQ(list.size(), 1u) << body.dump();
    EXPECT_EQ(list[0].model_id, "m1");
    EXPECT_EQ(list[0].type, "inbound");
    EXPECT_EQ(list[0].phone_number, "+1");
    ASSERT_TRUE(list[0].agent);
    EXPECT_EQ((*list[0].agent)["prompt"], "p");
  }
  EXPECT_TRUE(parse_assistants(json{{"response", {{"assistants", {{{"name", "no id"}}}}}}}).empty());
}

TEST(SynthflowPayloads, CreatedModelId) {
  EXPECT_EQ(parse_created_model_id(json{{"status", "ok"}, {"response", {{"model_id", "17x1"}}}}), "17x1");
  EXPECT_EQ(parse_created_model_id(json{{"model_id", "uuid"}}), "uuid");
  EXPECT_EQ(parse_created_model_id(json{{"status", "ok"}}), "");
}

TEST(SynthflowPayloads, CustomNumberBodyAlwaysNamesTheProviderAndItsTerminationUri) {
  auto n = sample_number();
  n.synthflow.termination_uri = "acme.pstn.twilio.com";
  auto body = make_custom_number_body(n, "ws1");
  EXPECT_EQ(body["workspace_id"], "ws1");
  EXPECT_EQ(body["phone_number"], "+33782990580");
  EXPECT_EQ(body["trunk_pwd"], "pw");
  EXPECT_EQ(body["provider_name"], "twilio") << "a number this service routes is a Twilio number";
  EXPECT_EQ(body["termination_uri"], "acme.pstn.twilio.com");
  n.synthflow.provider = "custom";
  n.synthflow.termination_uri = "pbx.example.com";
  body = make_custom_number_body(n, "ws1");
  EXPECT_EQ(body["provider_name"], "custom");
  EXPECT_EQ(body["termination_uri"], "pbx.example.com");
  n.synthflow.provider = "zoom";  // Synthflow fills in sip.zoom.com
  n.synthflow.termination_uri.clear();
  body = make_custom_number_body(n, "ws1");
  EXPECT_EQ(body["provider_name"], "zoom");
  EXPECT_FALSE(body.contains("termination_uri"));
}

TEST(SynthflowPayloads, NumberDriftComparesOnlyKnownManagedFields) {
  auto n = sample_number();
  number_state live;
  live.phone_number = n.phone_number;
  EXPECT_TRUE(number_drift(n, live).empty()) << "unknown fields are not drift";
  live.friendly_name = "Paris line";
  EXPECT_TRUE(number_drift(n, live).empty());
  live.friendly_name = "Other";
  EXPECT_EQ(number_drift(n, live), (strings{"friendly_name"}));
  n.friendly_name.clear();
  EXPECT_TRUE(number_drift(n, live).empty()) << "an empty config field is not managed";

  n.synthflow.provider = "custom";
  n.synthflow.termination_uri = "pbx.example.com";
  live.sip_term_uri = "sip:pbx.example.com";
  live.provider_name = "custom";
  EXPECT_TRUE(number_drift(n, live).empty()) << "the sip: prefix is not a difference";
  live.sip_term_uri = "sip:old.example.com";
  live.provider_name = "twilio";
  EXPECT_EQ(number_drift(n, live), (strings{"termination_uri", "provider_name"}));

  live.trunk_username = "someone-else";
  EXPECT_EQ(number_drift(n, live).back(), "trunk_username");
}

TEST(SynthflowPayloads, NumberPatchFixesDriftAndResendsTrunkCredentials) {
  auto n = sample_number();
  const auto body = make_number_patch_body(n, {"friendly_name"});
  EXPECT_EQ(body["friendly_name"], "Paris line");
  EXPECT_EQ(body["trunk_username"], "trunk");
  EXPECT_EQ(body["trunk_pwd"], "pw");
  EXPECT_FALSE(body.contains("termination_uri"));
  EXPECT_FALSE(body.contains("provider_name"));
}

TEST(SynthflowPayloads, ProviderDriftIsPatchedWithItsTerminationUri) {
  auto n = sample_number();
  n.synthflow.termination_uri = "acme.pstn.twilio.com";
  number_state live;
  live.phone_number = n.phone_number;
  live.provider_name = "custom";  // imported by an earlier version, which always said custom
  live.sip_term_uri = "sip:acme.pstn.twilio.com";
  ASSERT_EQ(number_drift(n, live), (strings{"provider_name"}));
  const auto body = make_number_patch_body(n, number_drift(n, live));
  EXPECT_EQ(body["provider_name"], "twilio");
  EXPECT_EQ(body["termination_uri"], "acme.pstn.twilio.com") << "Synthflow refuses a provider without its domain";
}

TEST(SynthflowPayloads, AgentSettingsSkipEmptyFieldsAndMergeExtra) {
  auto n = sample_number();
  n.agent->voice_id.clear();
  n.agent->extra = R"({"timezone":"Europe/Paris","prompt":"ignored: core fields win"})";
  const auto settings = desired_agent_settings(*n.agent);
  EXPECT_EQ(settings["prompt"], "Be kind.");
  EXPECT_EQ(settings["timezone"], "Europe/Paris");
  EXPECT_FALSE(settings.contains("voice_id"));
}

TEST(SynthflowPayloads, AssistantBodies) {
  const auto n = sample_number();
  const auto create = make_assistant_create_body(n);
  EXPECT_EQ(create["type"], "inbound");
  EXPECT_EQ(create["phone_number"], "+33782990580");
  EXPECT_EQ(create["name"], "Paris agent");
  EXPECT_EQ(create["voice_engine_version"], "2.0");
  EXPECT_EQ(create["agent"]["llm"], "gpt-4.1");
  const auto update = make_assistant_update_body(n);
  EXPECT_FALSE(update.contains("type")) << "type is not in the update schema";
  EXPECT_EQ(update["agent"], create["agent"]);
}

TEST(SynthflowPayloads, AssistantDrift) {
  const auto n = sample_number();
  assistant_state live;
  live.model_id = "m";
  live.name = "Paris agent";
  live.type = "inbound";
  EXPECT_TRUE(assistant_drift(n, live).empty()) << "no agent object: settings unknown";
  live.agent = desired_agent_settings(*n.agent);
  live.phone_number = n.phone_number;
  EXPECT_TRUE(assistant_drift(n, live).empty());
  (*live.agent)["prompt"] = "Be rude.";
  (*live.agent)["unmanaged"] = 1;
  live.name = "Renamed";
  EXPECT_EQ(assistant_drift(n, live), (strings{"name", "agent.prompt"}));
  live.voice_engine_version = "1.0";
  live.phone_number = "+1555";
  EXPECT_EQ(assistant_drift(n, live), (strings{"name", "phone_number", "voice_engine_version", "agent.prompt"}));
}

// GET /assistants/{id}?include_actions=true lists action ids; an answer without the agent or
// without its actions array is unknown, never "none attached" (that would create a duplicate).
TEST(SynthflowPayloads, AgentActionsAreIdsAndAnOddShapeIsUnknownNotEmpty) {
  const auto documented = json::parse(
      R"({"status":"ok","response":{"assistants":[{"model_id":"m1","actions":["a1","a2"]}]}})");
  const auto ids = parse_agent_actions(documented, "m1");
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[1].action_id, "a2");
  const auto none = parse_agent_actions(
      json::parse(R"({"status":"ok","response":{"assistants":[{"model_id":"m1","actions":[]}]}})"), "m1");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  for (const char* odd : {R"({"status":"ok","response":{"assistants":[{"model_id":"m1"}]}})",
                          R"({"status":"ok","response":{"assistants":[{"model_id":"m1","actions":{"a1":1}}]}})",
                          R"({"status":"ok","response":{"assistants":[{"model_id":"other","actions":[]}]}})",
                          R"({"status":"ok","response":"m1"})", R"([])"}) {
    EXPECT_FALSE(parse_agent_actions(json::parse(odd), "m1")) << odd;
  }
}

}  // namespace
}  // namespace twiml_redirect::synthflow
