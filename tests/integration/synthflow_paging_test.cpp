// Paging always ends: a Synthflow that answers full pages forever (here: the same full page again
// and again) makes the listing fail with a clear error instead of growing memory until killed.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/contract.hpp"
#include "support/fake_synthflow.hpp"
#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/outbound/stop_signal.hpp"
#include "twiml_redirect/synthflow/api.hpp"

namespace twiml_redirect::test {
namespace {

using nlohmann::json;

// A full page of `size` agents, claiming far more behind it.
std::string endless_page(std::size_t size) {
  json agents = json::array();
  for (std::size_t i = 0; i < size; ++i)
    agents.push_back({{"model_id", "m" + std::to_string(i)}, {"type", "inbound"}, {"name", "a"}});
  return json{{"status", "ok"},
              {"response", {{"pagination", {{"total_records", 100000000}, {"limit", size}, {"offset", 0}}},
                            {"assistants", agents}}}}
      .dump();
}

class SynthflowPaging : public ::testing::Test {
 protected:
  SynthflowPaging() {
    outbound::client_options options;
    options.target = {false, "127.0.0.1", fake_.port(), ""};
    auto client = outbound::make_http_client(options);
    if (!client) throw std::runtime_error(client.error());
    client_ = std::move(*client);
  }

  synthflow::synthflow_api api() {
    synthflow::api_settings settings;
    settings.base_path = "/v2";
    settings.workspace_id = "1710107690998x536152705164378100";
    settings.api_key = "paging-test-key";
    settings.retry = {1, std::chrono::milliseconds(1), std::chrono::milliseconds(1)};
    settings.page_size = 10;
    return synthflow::synthflow_api(*client_, settings, stop_);
  }

  // The requests, and the fake's own answers, against Synthflow's published OpenAPI (the endless
  // pages are injected, and conform in shape too).
  void TearDown() override { EXPECT_TRUE(conforms_to_openapi(fake_.calls(), "synthflow")); }

  fake_synthflow fake_;
  std::unique_ptr<outbound::http_client> client_;
  outbound::stop_signal stop_;
};

TEST_F(SynthflowPaging, APageThatRepeatsStopsTheListingWithAClearError) {
  fake_fault repeat;
  repeat.method = "GET";
  repeat.path_prefix = "/assistants/";
  repeat.times = 1000;
  repeat.status = 200;
  repeat.body = endless_page(10);
  fake_.add_fault(repeat);
  auto listed = api().list_assistants();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().operation, "GET /assistants/");
  EXPECT_NE(listed.error().message.find("answered the previous page again: stopped paging"), std::string::npos)
      << listed.error().describe();
  EXPECT_FALSE(listed.error().transient);
  EXPECT_EQ(fake_.calls().size(), 2u);  // the first page, and its repeat
}

TEST_F(SynthflowPaging, NumberListingStopsOnARepeatedPageToo) {
  json numbers = json::array();
  for (int i = 0; i < 10; ++i) numbers.push_back({{"phone_number", "+1555000000" + std::to_string(i)}});
  fake_fault repeat;
  repeat.method = "GET";
  repeat.path_prefix = "/numbers";
  repeat.times = 1000;
  repeat.status = 200;
  repeat.body = json{{"status", "ok"},
                     {"response", {{"pagination", {{"total_records", 100000000}, {"limit", 10}, {"offset", 0}}},
                                   {"phone_numbers", numbers}}}}
                    .dump();
  fake_.add_fault(repeat);
  auto listed = api().number_listed("+14155550100");
  ASSERT_FALSE(listed);
  EXPECT_NE(listed.error().message.find("stopped paging"), std::string::npos) << listed.error().describe();
}

}  // namespace
}  // namespace twiml_redirect::test
