// Per-number routing through the real binary on loopback: each routing case, signed and unsigned,
// under a public URL's path prefix; SIGHUP reloads (good and bad files) while requests keep
// coming; `twiml` and `check-config` showing the routing of a configuration.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/child_process.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";
constexpr const char* kToken = "routing-test-token-9d2e";

// Two regions: a UK number with its own target and dial options over the defaults, and any other
// number on the US default.
const std::string kTwoRegions = R"({
  "server": {"host": "127.0.0.1", "port": 0, "threads": 2},
  "sip": {"target": "sip.us.synthflow.ai:32681"},
  "dial": {"timeout_s": 20, "record": "do-not-record"},
  "numbers": [
    {"phone_number": "+442071838750", "sip_target": "sip.eu.synthflow.ai:32681",
     "dial": {"timeout_s": 45, "answer_on_bridge": true}}
  ]
})";

// A GET to /redirect_call for an E.164 number, '+' encoded as Twilio encodes it.
std::string redirect_target(std::string_view called) {
  return "/redirect_call?Called=%2B" + std::string(called.substr(1)) + "&CallSid=" + std::string(kSid);
}

std::string dial(std::string_view attributes, std::string_view called, std::string_view target) {
  return std::string(kDeclaration) + "<Response><Dial" + std::string(attributes) + "><Sip>sip:" + std::string(called) +
         "@" + std::string(target) + "?X-EI=" + std::string(kSid) + "</Sip></Dial></Response>";
}

// The file at `path` replaced at once (a rename), as a deployment tool or an editor does: a reload
// never reads half a file.
void replace_file(const std::filesystem::path& path, const std::string& contents) {
  const std::filesystem::path next = path.string() + ".next";
  std::ofstream(next) << contents;
  std::filesystem::rename(next, path);
}

class RoutingBinary : public ::testing::Test {
 protected:
  void start(const std::string& config, std::map<std::string, std::string> env = {}) {
    config_ = std::make_unique<temp_file>("routing.json", config);
    child_ = std::make_unique<child_process>(TWIML_REDIRECT_BINARY,
                                             std::vector<std::string>{"--config", config_->path().string()},
                                             clean_env(std::move(env)));
    port_ = child_->wait_for_listening_port();
    ASSERT_NE(port_, 0) << child_->output();
  }

  void TearDown() override {
    if (!child_) return;
    child_->send_signal(SIGTERM);
    EXPECT_EQ(child_->wait_for_exit(10s), 0) << child_->output();
  }

  std::unique_ptr<temp_file> config_;
  std::unique_ptr<child_process> child_;
  std::uint16_t port_ = 0;
};

TEST_F(RoutingBinary, ConfiguredNumberGetsItsOwnTargetAndOptionsOthersTheDefault) {
  start(kTwoRegions);
  EXPECT_EQ(http_get(port_, redirect_target("+442071838750")).body(),
            dial(R"( timeout="45" answerOnBridge="true" record="do-not-record")", "+442071838750",
                 "sip.eu.synthflow.ai:32681"))
      << "the number's timeout and answerOnBridge over the default's, the default's record kept";
  EXPECT_EQ(http_get(port_, redirect_target("+14155550100")).body(),
            dial(R"( timeout="20" record="do-not-record")", "+14155550100", "sip.us.synthflow.ai:32681"));
  const std::string scrape = http_get(port_, "/metrics").body();
  EXPECT_EQ(metric_value(scrape, "twiml_redirect_routing_numbers"), 1.0) << scrape;
  EXPECT_EQ(metric_value(scrape, "twiml_redirect_calls_rejected_total"), 0.0) << scrape;
}

TEST_F(RoutingBinary, NoNumbersAndNoDialBlockAnswerTodaysBytes) {
  start(R"({"server":{"host":"127.0.0.1","port":0,"threads":2}})");
  EXPECT_EQ(http_get(port_, redirect_target("+14155550100")).body(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>sip:+14155550100@sipin.synthflow.ai:32681"
            "?X-EI=CA0123456789abcdef0123456789abcdef</Sip></Dial></Response>");
}

TEST_F(RoutingBinary, UnknownNumberIsRejectedCountedAndLoggedWithoutTheNumber) {
  start(R"({"server":{"host":"127.0.0.1","port":0,"threads":2},"routing":{"unknown_numbers":"reject"},
            "numbers":[{"phone_number":"+442071838750"}]})");
  const auto rejected = http_get(port_, redirect_target("+14155550177") + "&From=%2B15557654321");
  EXPECT_EQ(rejected.result_int(), 200u);
  EXPECT_EQ(rejected.body(), std::string(kDeclaration) + R"(<Response><Reject reason="rejected"/></Response>)");
  EXPECT_EQ(http_get(port_, redirect_target("+442071838750")).body(),
            dial("", "+442071838750", "sipin.synthflow.ai:32681"));
  EXPECT_EQ(metric_value(http_get(port_, "/metrics").body(), "twiml_redirect_calls_rejected_total"), 1.0);
  ASSERT_TRUE(child_->wait_for_output("call " + std::string(kSid) + " rejected", 5s)) << child_->output();
  ASSERT_TRUE(child_->wait_for_output("path=/metrics", 5s)) << child_->output();  // every access line is out
  EXPECT_EQ(child_->output().find("14155550177"), std::string::npos) << "the called number was logged";
  EXPECT_EQ(child_->output().find("15557654321"), std::string::npos) << "the caller's number was logged";
}

TEST_F(RoutingBinary, SignedAndUnsignedUnderAPublicUrlPathPrefix) {
  start(kTwoRegions, {{"TWILIO_AUTH_TOKEN", kToken}, {"PUBLIC_URL", "https://voice.example.com/voice"}});
  const twilio::form_params params = {{"CallSid", std::string(kSid)}, {"Called", "+442071838750"},
                                      {"From", "+15557654321"}};
  const std::string expected = dial(R"( timeout="45" answerOnBridge="true" record="do-not-record")", "+442071838750",
                                    "sip.eu.synthflow.ai:32681");
  // Twilio signs the public URL; a proxy may forward the path with its prefix or without.
  const std::string signature =
      "X-Twilio-Signature: " + twilio::compute_signature(kToken, "https://voice.example.com/voice/redirect_call", params) +
      "\r\n";
  for (const std::string path : {"/voice/redirect_call", "/redirect_call"}) {
    test_connection connection(port_);
    const auto signed_post = connection.request("POST", path, form_encode(params),
                                                "application/x-www-form-urlencoded", signature);
    EXPECT_EQ(signed_post.result_int(), 200u) << path;
    EXPECT_EQ(signed_post.body(), expected) << path;
    EXPECT_EQ(connection.request("POST", path, form_encode(params)).result_int(), 403u) << path << " unsigned";
  }
  const std::string get_target = redirect_target("+14155550100");
  test_connection connection(port_);
  const auto signed_get = connection.request(
      "GET", "/voice" + get_target, {}, {},
      "X-Twilio-Signature: " + twilio::compute_signature(kToken, "https://voice.example.com/voice" + get_target, {}) +
          "\r\n");
  EXPECT_EQ(signed_get.body(), dial(R"( timeout="20" record="do-not-record")", "+14155550100", "sip.us.synthflow.ai:32681"));
}

TEST_F(RoutingBinary, UnsignedWithoutATokenRoutesLikeSigned) {
  start(kTwoRegions, {{"PUBLIC_URL", "https://voice.example.com/voice"}});
  EXPECT_EQ(http_get(port_, "/voice" + redirect_target("+442071838750")).body(),
            dial(R"( timeout="45" answerOnBridge="true" record="do-not-record")", "+442071838750",
                 "sip.eu.synthflow.ai:32681"));
}

// SIGHUP while clients keep calling: a good file's routing is in force once the reload is logged,
// a bad file is refused and changes nothing, a changed port is named as needing a restart, and no
// request fails at any point.
TEST_F(RoutingBinary, SighupReloadsAGoodFileRefusesABadOneAndDropsNoRequest) {
  start(kTwoRegions);
  std::atomic<bool> stop{false};
  std::atomic<long> answered{0};
  std::atomic<long> failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      const std::string target = redirect_target(t % 2 == 0 ? "+442071838750" : "+14155550100");
      try {
        test_connection connection(port_);
        while (!stop.load()) {
          const auto res = connection.request("GET", target);
          const bool dialled = res.result_int() == 200 && res.body().find("<Sip>sip:+") != std::string::npos;
          ++(dialled ? answered : failed);
        }
      } catch (const std::exception&) {
        ++failed;  // a dropped connection or a timeout
      }
    });
  }
  const auto uk_target = [&] {
    const std::string body = http_get(port_, redirect_target("+442071838750")).body();
    const auto at = body.find('@');
    return at == std::string::npos ? body : body.substr(at + 1, body.find('?', at) - at - 1);
  };
  ASSERT_TRUE(wait_until([&] { return answered.load() > 200; }, 10s, "the clients to get going"));

  // A good file: the UK number moves to another region; the port change cannot apply.
  std::string moved = kTwoRegions;
  moved.replace(moved.find("sip.eu.synthflow.ai"), 19, "sip.ie.synthflow.ai");
  moved.replace(moved.find(R"("port": 0)"), 9, R"("port": 1)");
  replace_file(config_->path(), moved);
  child_->send_signal(SIGHUP);
  ASSERT_TRUE(child_->wait_for_output("config reloaded", 10s)) << child_->output();
  EXPECT_EQ(uk_target(), "sip.ie.synthflow.ai:32681");
  EXPECT_NE(child_->output().find("changes to server.port take effect only after a restart"), std::string::npos)
      << child_->output();
  // Load on the new table: a few hundred more answers, however fast this machine is.
  const long after_good_reload = answered.load();
  ASSERT_TRUE(wait_until([&] { return answered.load() > after_good_reload + 300; }, 10s, "answers on the new table"));

  // A bad file: refused with the problem named; the table of the last good file stays.
  replace_file(config_->path(), R"({"numbers":[{"phone_number":"+442071838750","dial":{"timeout_s":2}}]})");
  child_->send_signal(SIGHUP);
  ASSERT_TRUE(child_->wait_for_output("config reload refused", 10s)) << child_->output();
  EXPECT_NE(child_->output().find("numbers[0].dial.timeout_s"), std::string::npos) << child_->output();
  EXPECT_EQ(uk_target(), "sip.ie.synthflow.ai:32681");
  const long after_refusal = answered.load();
  ASSERT_TRUE(wait_until([&] { return answered.load() > after_refusal + 300; }, 10s, "answers after the refusal"));

  stop = true;
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failed.load(), 0) << "requests failed across the reloads";
  EXPECT_GT(answered.load(), 800);  // 200 before the reloads, then 300 after each
  const std::string scrape = http_get(port_, "/metrics").body();
  EXPECT_EQ(metric_value(scrape, R"(twiml_redirect_config_reloads_total{result="ok"})"), 1.0) << scrape;
  EXPECT_EQ(metric_value(scrape, R"(twiml_redirect_config_reloads_total{result="failed"})"), 1.0) << scrape;
  std::cout << "answered " << answered.load() << " requests across two reloads\n";
}

TEST(RoutingCommands, TwimlPrintsTheRoutedAnswerForConfiguredUnknownAndRejected) {
  temp_file regions("regions.json", kTwoRegions);
  const auto configured = run_binary({"twiml", "--config", regions.path().string(), "--called", "+442071838750",
                                      "--call-sid", std::string(kSid)},
                                     clean_env());
  EXPECT_EQ(configured.exit_code, 0) << configured.output;
  EXPECT_EQ(configured.output, dial(R"( timeout="45" answerOnBridge="true" record="do-not-record")", "+442071838750",
                                    "sip.eu.synthflow.ai:32681") + "\n");
  const auto by_default = run_binary({"twiml", "--config", regions.path().string(), "--called", "+14155550100",
                                      "--call-sid", std::string(kSid)},
                                     clean_env());
  EXPECT_EQ(by_default.exit_code, 0) << by_default.output;
  EXPECT_EQ(by_default.output,
            dial(R"( timeout="20" record="do-not-record")", "+14155550100", "sip.us.synthflow.ai:32681") + "\n");

  temp_file rejecting("reject.json", R"({"routing":{"unknown_numbers":"reject"},"numbers":[{"phone_number":"+442071838750"}]})");
  const auto rejected = run_binary({"twiml", "--config", rejecting.path().string(), "--called", "+14155550100"}, clean_env());
  EXPECT_EQ(rejected.exit_code, 0) << rejected.output;
  // The output is stdout and stderr together: the TwiML line, after the handler's log line (stderr).
  EXPECT_TRUE(rejected.output.ends_with("\n" + std::string(kDeclaration) +
                                        "<Response><Reject reason=\"rejected\"/></Response>\n"))
      << rejected.output;
  EXPECT_NE(rejected.output.find("call CA00000000000000000000000000000000 rejected"), std::string::npos)
      << rejected.output;
}

TEST(RoutingCommands, CheckConfigShowsEachNumbersEffectiveSettings) {
  temp_file regions("regions.json", kTwoRegions);
  const auto result = run_binary({"check-config", "--config", regions.path().string()}, clean_env());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto shown = nlohmann::json::parse(result.output);
  ASSERT_EQ(shown["routes"]["numbers"].size(), 1u) << result.output;
  const auto& uk = shown["routes"]["numbers"][0];
  EXPECT_EQ(uk["phone_number"], "+442071838750");
  EXPECT_EQ(uk["sip_target"], "sip.eu.synthflow.ai:32681");
  EXPECT_EQ(uk["dial"], nlohmann::json::parse(R"({"timeout":"45","answerOnBridge":"true","record":"do-not-record"})"));
  EXPECT_EQ(shown["routes"]["unknown_numbers"]["policy"], "default");
  EXPECT_EQ(shown["routes"]["unknown_numbers"]["route"]["sip_target"], "sip.us.synthflow.ai:32681");
  EXPECT_EQ(shown["server"]["port"], 0) << "the keys are still shown as before";
}

}  // namespace
}  // namespace twiml_redirect::testing

namespace twiml_redirect::testing {
namespace {

// The shipped examples are valid, and route the way their comments and docs/routing.md say.
TEST(RoutingExamples, ShippedConfigsAreValidAndRouteAsDocumented) {
  const auto env = clean_env({{"TWILIO_AUTH_TOKEN", "example-token"}});
  for (const char* name : {"example-with-number.json", "example-two-regions.json"}) {
    const auto checked = run_binary({"check-config", "--config", std::string(TWIML_SOURCE_DIR "/config/") + name}, env);
    EXPECT_EQ(checked.exit_code, 0) << name << ": " << checked.output;
  }
  const std::string regions = TWIML_SOURCE_DIR "/config/example-two-regions.json";
  const auto uk = run_binary({"twiml", "--config", regions, "--called", "+442071838750"}, env);
  EXPECT_EQ(uk.exit_code, 0) << uk.output;
  EXPECT_NE(uk.output.find(R"(<Dial action="dial_action?step=0" timeout="15" answerOnBridge="true" ringTone="uk" )"
                           R"(referUrl="refer"><Sip>sip:+442071838750@sip.eu.synthflow.ai:32681)"),
            std::string::npos)
      << uk.output;
  const auto us = run_binary({"twiml", "--config", regions, "--called", "+14155550101"}, env);
  EXPECT_NE(us.output.find(R"(<Dial action="dial_action?step=0" timeout="15" answerOnBridge="true" )"
                           R"(record="record-from-answer-dual" referUrl="refer"><Sip>sip:+14155550101@sip.us.synthflow.ai:32681)"),
            std::string::npos)
      << us.output;
  const auto unknown = run_binary({"twiml", "--config", regions, "--called", "+14155550177"}, env);
  EXPECT_NE(unknown.output.find(R"(<Reject reason="rejected"/>)"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace twiml_redirect::testing
