// The routing table in force and its replacement (a reload), what check-config shows of it, which
// changed keys a reload cannot apply, and how a rejected call is answered and counted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/routing/live_routes.hpp"
#include "twiml_redirect/routing/route_table.hpp"

namespace twiml_redirect::routing {
namespace {

config::service_config parse(std::string_view json) {
  return config::parse_config(json, [](const std::string&) { return std::optional<std::string>(); });
}

std::shared_ptr<const route_table> table_dialing(std::string_view target) {
  return std::make_shared<const route_table>(route_table::dialing(target));
}

TEST(LiveRoutes, CurrentIsTheLastTableReplaced) {
  live_routes live(table_dialing("first.example.com"));
  EXPECT_EQ(live.current()->default_route().sip_target, "first.example.com");
  live.replace(table_dialing("second.example.com"));
  EXPECT_EQ(live.current()->default_route().sip_target, "second.example.com");
  EXPECT_EQ(live.snapshot()->default_route().sip_target, "second.example.com");
}

TEST(LiveRoutes, ARequestInFlightKeepsItsTableAcrossAReplace) {
  live_routes live(table_dialing("first.example.com"));
  std::shared_ptr<const route_table> in_flight = live.current();
  std::weak_ptr<const route_table> first = live.snapshot();
  live.replace(table_dialing("second.example.com"));
  // Only this thread's reference holds the old table now; the request can still read it.
  ASSERT_FALSE(first.expired());
  EXPECT_EQ(in_flight->default_route().sip_target, "first.example.com");
  EXPECT_EQ(live.current()->default_route().sip_target, "second.example.com");
  // A later reading on the same thread does not invalidate the earlier one (it used to dangle).
  EXPECT_EQ(in_flight->default_route().sip_target, "first.example.com");
  ASSERT_FALSE(first.expired()) << "freed while a request still held it";
  in_flight.reset();
  EXPECT_TRUE(first.expired()) << "the old table outlived the last request that used it";
}

TEST(LiveRoutes, TwoHoldersOnOneThreadDoNotShareTheirTables) {
  // The per-thread cache is one slot for every holder: switching holders must never hand one
  // holder's table to the other.
  live_routes a(table_dialing("a.example.com"));
  live_routes b(table_dialing("b.example.com"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.current()->default_route().sip_target, "a.example.com");
    EXPECT_EQ(b.current()->default_route().sip_target, "b.example.com");
  }
  auto replaced = std::make_unique<live_routes>(table_dialing("old.example.com"));
  EXPECT_EQ(replaced->current()->default_route().sip_target, "old.example.com");
  replaced = std::make_unique<live_routes>(table_dialing("new.example.com"));  // may reuse the address
  EXPECT_EQ(replaced->current()->default_route().sip_target, "new.example.com");
}

TEST(LiveRoutes, ReadersOnOtherThreadsSeeOneWholeTableAtATime) {
  // Each table's routes agree with each other (the default's target equals the number's); a reader
  // that saw two tables mixed, or a freed one, would find them different (or crash under ASan).
  const auto table_for = [](int generation) {
    const std::string target = "gen" + std::to_string(generation) + ".example.com";
    return std::make_shared<const route_table>(parse(R"({"sip":{"target":")" + target +
                                                     R"("},"numbers":[{"phone_number":"+14155550100","sip_target":")" +
                                                     target + R"("}]})"));
  };
  live_routes live(table_for(0));
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const std::shared_ptr<const route_table> table = live.current();
        const call_route* number = table->find("+14155550100");
        if (!number || number->sip_target != table->default_route().sip_target) ++mismatches;
        ++reads;
      }
    });
  }
  for (int generation = 1; generation <= 200; ++generation) live.replace(table_for(generation));
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(live.current()->default_route().sip_target, "gen200.example.com");
}

TEST(DescribeRoutes, ShowsEachNumbersEffectiveSettingsSorted) {
  const auto config = parse(R"({
    "sip": {"target": "sip.us.example.com"},
    "dial": {"timeout_s": 20, "answer_on_bridge": false},
    "failover": [{"dial_number": "+14155550199"}],
    "transfer": {"allow": ["sip:*@pbx.example.com"]},
    "numbers": [
      {"phone_number": "+442071838750", "sip_target": "sip.eu.example.com", "dial": {"answer_on_bridge": true},
       "failover": [{"say": "Sorry", "voice": "Polly.Amy"}]},
      {"phone_number": "+14155550100", "transfer": {"allow": []}}
    ]})");
  const auto shown = nlohmann::json::parse(describe_routes(route_table(config)));
  ASSERT_EQ(shown["numbers"].size(), 2u);
  const auto& us = shown["numbers"][0];
  EXPECT_EQ(us["phone_number"], "+14155550100");
  EXPECT_EQ(us["sip_target"], "sip.us.example.com");
  EXPECT_EQ(us["dial"], nlohmann::json::parse(R"({"action":"dial_action?step=0","timeout":"20","answerOnBridge":"false"})"));
  EXPECT_EQ(us["transfer_allow"], nlohmann::json::array());
  const auto& uk = shown["numbers"][1];
  EXPECT_EQ(uk["phone_number"], "+442071838750");
  EXPECT_EQ(uk["sip_target"], "sip.eu.example.com");
  EXPECT_EQ(uk["dial"]["answerOnBridge"], "true") << "the number's own value wins";
  EXPECT_EQ(uk["dial"]["timeout"], "20") << "the default fills what the number leaves unset";
  EXPECT_EQ(uk["dial"]["referUrl"], "refer");
  EXPECT_EQ(uk["failover"], nlohmann::json::parse(R"([{"say":"Sorry","voice":"Polly.Amy"}])"));
  EXPECT_EQ(shown["unknown_numbers"]["policy"], "default");
  EXPECT_EQ(shown["unknown_numbers"]["route"]["sip_target"], "sip.us.example.com");
}

TEST(DescribeRoutes, SaysWhenUnknownNumbersAreRejected) {
  const auto shown = nlohmann::json::parse(describe_routes(route_table(parse(R"({"routing":{"unknown_numbers":"reject"}})"))));
  EXPECT_EQ(shown["numbers"], nlohmann::json::array());
  EXPECT_EQ(shown["unknown_numbers"]["policy"], "reject");
  EXPECT_FALSE(shown["unknown_numbers"].contains("route"));
}

TEST(KeysNeedingRestart, CallHandlingReloadsEverythingElseIsNamed) {
  const auto running = parse(R"({"server":{"port":3000,"threads":2},"numbers":[{"phone_number":"+14155550100"}]})");
  // Only call handling changed: nothing to warn about.
  EXPECT_EQ(config::keys_needing_restart(running, parse(R"({"server":{"port":3000,"threads":2},
      "sip":{"target":"other.example.com"},"routing":{"unknown_numbers":"reject"},"dial":{"timeout_s":30},
      "failover":[{"say":"x"}],"transfer":{"allow":["+1415555*"]},
      "numbers":[{"phone_number":"+14155550100","sip_target":"a.example.com","dial":{"record":"true"}}]})")),
            std::vector<std::string>{});
  EXPECT_EQ(config::keys_needing_restart(running, parse(R"({"server":{"port":3001,"threads":4,"body_limit_bytes":4096},
      "log":{"level":"debug"},"twilio":{"public_url":"https://example.com/voice"},
      "numbers":[{"phone_number":"+14155550100"}]})")),
            (std::vector<std::string>{"log.level", "server.body_limit_bytes", "server.port", "server.threads",
                                      "twilio.public_url"}));
}

TEST(KeysNeedingRestart, NumbersProvisioningSettingsAreNamedTheirRoutingIsNot) {
  const auto running = parse(R"({"numbers":[{"phone_number":"+14155550100"}]})");
  EXPECT_EQ(config::keys_needing_restart(
                running, parse(R"({"numbers":[{"phone_number":"+14155550100","agent":{"name":"Ava","prompt":"p"}}]})")),
            std::vector<std::string>{"numbers[+14155550100] (provisioning: agent, trunk, Twilio settings)"});
  EXPECT_EQ(config::keys_needing_restart(running, parse(R"({"numbers":[{"phone_number":"+14155550100"},
                                                                     {"phone_number":"+14155550101"}]})")),
            std::vector<std::string>{})
      << "a bare number is routed at once, and provisioning has nothing to do for it";
  EXPECT_EQ(config::keys_needing_restart(running, parse(R"({"numbers":[{"phone_number":"+14155550100",
      "variables":{"business_name":"Acme"},"sip":{"headers":{"X-Line":"desk"}},"ai_share":1}]})")),
            std::vector<std::string>{})
      << "variables and SIP headers are reloaded with the routes";
  const auto managed = parse(R"({"twilio":{"account_sid":"AC0123456789abcdef0123456789abcdef",
      "public_url":"https://voice.example.com"},"numbers":[{"phone_number":"+14155550101"}]})");
  auto with_new = managed;
  with_new.numbers.push_back(with_new.numbers[0]);
  with_new.numbers[1].phone_number = "+14155550102";
  EXPECT_EQ(config::keys_needing_restart(managed, with_new),
            std::vector<std::string>{"numbers[+14155550102] (provisioning: agent, trunk, Twilio settings)"})
      << "with Twilio managed, a new number's VoiceUrl is set only by provisioning";
}

}  // namespace
}  // namespace twiml_redirect::routing

namespace twiml_redirect::app {
namespace {

TEST(RejectedCalls, AreAnsweredRejectAndCountedWithoutTheNumber) {
  readiness ready("test");
  util::metrics metrics(router::paths());
  const auto config = config::parse_config(R"({"routing":{"unknown_numbers":"reject"},
      "numbers":[{"phone_number":"+14155550100"}]})", [](const std::string&) { return std::optional<std::string>(); });
  const router r(std::make_shared<routing::live_routes>(std::make_shared<const routing::route_table>(config)), ready,
                 metrics);
  const auto call = [&](std::string_view called) {
    http::request req{http::beast_http::verb::get,
                      "/redirect_call?Called=" + std::string(called) + "&CallSid=CA0123456789abcdef0123456789abcdef", 11};
    http::request_context ctx;
    return r(req, ctx);
  };
  EXPECT_EQ(call("%2B14155550199").body(), reject_twiml());
  EXPECT_NE(call("%2B14155550100").body().find("<Sip>sip:+14155550100@"), std::string::npos);
  const std::string scrape = metrics.render();
  EXPECT_NE(scrape.find("\ntwiml_redirect_calls_rejected_total 1\n"), std::string::npos) << scrape;
  EXPECT_EQ(scrape.find("14155550199"), std::string::npos) << "a number in a metric";
}

}  // namespace
}  // namespace twiml_redirect::app
