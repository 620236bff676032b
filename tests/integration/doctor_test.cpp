// `twiml-redirect doctor` against the fakes of Synthflow and Twilio, the real service on loopback
// and a local SIP responder: a correct set-up (made by `provision` itself) raises no false alarm,
// and each planted misconfiguration is reported by its own check id with its fix. sip.options is
// also checked against a TCP-only responder (UDP first, then TCP).

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <nlohmann/json.hpp>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/child_process.hpp"
#include "support/contract.hpp"
#include "support/fake_twilio.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "support/test_server.hpp"
#include "twiml_redirect/app/doctor.hpp"
#include "twiml_redirect/outbound/sip_options.hpp"

namespace twiml_redirect::test {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kContextToken = "ctx-TOKEN-secret-doctor-77-0123456789";

// Answers every SIP request with "SIP/2.0 200 OK" over UDP and/or TCP on one loopback port.
class sip_responder {
 public:
  explicit sip_responder(bool udp = true, bool tcp = true) : acceptor_(io_), socket_(io_) {
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    if (!tcp) acceptor_.close();  // the port stays known, nobody listens
    if (tcp) accept();
    if (udp) {
      socket_.open(asio::ip::udp::v4());
      socket_.bind({asio::ip::make_address("127.0.0.1"), port_});
      receive();
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~sip_responder() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static std::string answer_to(std::string_view request) {
    std::string via;
    const std::size_t at = request.find("Via: ");
    if (at != std::string_view::npos) via = std::string(request.substr(at, request.find("\r\n", at) - at + 2));
    return "SIP/2.0 200 OK\r\n" + via + "Content-Length: 0\r\n\r\n";
  }

  void receive() {
    socket_.async_receive_from(asio::buffer(datagram_), peer_, [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      reply_ = answer_to(std::string_view(datagram_.data(), n));
      socket_.send_to(asio::buffer(reply_), peer_, 0, ec);
      receive();
    });
  }

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket peer) {
      if (ec) return;
      auto connection = std::make_shared<asio::ip::tcp::socket>(std::move(peer));
      auto buffer = std::make_shared<asio::streambuf>();
      asio::async_read_until(*connection, *buffer, "\r\n\r\n", [connection, buffer](boost::system::error_code e, std::size_t) {
        if (e) return;
        const auto data = buffer->data();
        auto reply = std::make_shared<std::string>(answer_to(std::string(asio::buffers_begin(data), asio::buffers_end(data))));
        asio::async_write(*connection, asio::buffer(*reply), [connection, reply](boost::system::error_code, std::size_t) {});
      });
      accept();
    });
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint peer_;
  std::array<char, 4096> datagram_{};
  std::string reply_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// The rows of one check id.
std::vector<app::check_row> rows_of(const std::vector<app::check_row>& rows, std::string_view id) {
  std::vector<app::check_row> out;
  for (const auto& r : rows)
    if (r.id == id) out.push_back(r);
  return out;
}

std::string report(const std::vector<app::check_row>& rows) { return app::format_table(rows); }

// A correct set-up: one number with an agent and the pre-call action, provisioned into the fakes by
// `provision`, Twilio's number pointed at the running service, the SIP target answering OPTIONS.
class Doctor : public provisioning_fixture<> {
 protected:
  Doctor() : service_(testing::test_server_config(), "sip.example.com", signing()) {
    twilio_.seed_number(number());
    config_.synthflow.max_attempts = 2;
    config_.twilio.account_sid = twilio_.options().account_sid;
    config_.twilio.auth_token = twilio_.options().auth_token;
    config_.twilio.api_url = twilio_.api_url();
    config_.twilio.manage_numbers = config::number_management::on;
    config_.twilio.require_signature = true;
    config_.twilio.public_url = "http://127.0.0.1:" + std::to_string(service_.port());
    config_.twilio.max_attempts = 2;
    config_.twilio.initial_backoff = 10ms;
    config_.context.synthflow_action = true;
    config_.context.token = kContextToken;
    config_.sip.target = sip_.target();
  }

  static config::twilio_config signing() {
    config::twilio_config twilio;
    twilio.auth_token = fake_twilio_options().auth_token;
    return twilio;
  }

  std::string number() const { return config_.numbers.front().phone_number; }

  void SetUp() override { ASSERT_EQ(provision(), 0) << last_; }

  void TearDown() override {
    provisioning_fixture::TearDown();
    for (const std::string& secret : {std::string(kContextToken), twilio_.options().auth_token, twilio_.options().api_secret})
      EXPECT_EQ(output_.find(secret), std::string::npos) << output_;
  }

  std::vector<app::check_row> doctor() {
    app::doctor_inputs inputs{config_};
    inputs.monitor_url = twilio_.api_url();  // the fake serves Monitor's Alerts too
    std::vector<app::check_row> rows = app::run_checks(app::doctor_checks(), inputs);
    output_ += app::format_table(rows) + app::format_json(rows);
    return rows;
  }

  // Runs every check and expects `id` to fail for `number` with a fix containing `fix`.
  void expect_fault(std::string_view id, std::string_view fix) {
    const auto rows = doctor();
    bool found = false;
    for (const auto& r : rows_of(rows, id))
      if (r.result == app::check_result::fail && r.fix.find(fix) != std::string::npos) found = true;
    EXPECT_TRUE(found) << id << " should fail with a fix naming \"" << fix << "\":\n" << report(rows);
    EXPECT_EQ(app::doctor_exit_code(rows), 1);
  }

  fake_twilio twilio_;
  sip_responder sip_;
  testing::test_server service_;
};

TEST_F(Doctor, CorrectSetUpRaisesNoFalseAlarm) {
  const auto rows = doctor();
  EXPECT_EQ(app::doctor_exit_code(rows), 0) << report(rows);
  for (std::string_view id : {"config", "synthflow.auth", "synthflow.number", "synthflow.agent", "synthflow.action",
                              "twilio.auth", "twilio.number", "twilio.webhook", "public_url", "sip.dns", "sip.options",
                              "twilio.alerts", "twilio.calls"}) {
    const auto mine = rows_of(rows, id);
    ASSERT_FALSE(mine.empty()) << id;
    for (const auto& r : mine) EXPECT_EQ(r.result, app::check_result::pass) << id << ": " << r.detail;
  }
  // The fakes are on 127.0.0.1: not Synthflow's hosts, so the region is not judged (a warning
  // that says so, as for any private set-up), never a fail.
  for (const auto& r : rows_of(rows, "synthflow.region")) EXPECT_EQ(r.result, app::check_result::warn) << r.detail;
  EXPECT_NE(report(rows).find("answered over UDP: SIP/2.0 200 OK"), std::string::npos) << report(rows);
  std::cout << "[ figures ] doctor on a correct set-up:\n" << report(rows) << app::format_json(rows) << "\n";
}

// Five faults planted at once: each is reported by its own check id with its fix, and the rest of
// the set-up still passes. The table is printed for the closing note's evidence.
TEST_F(Doctor, FivePlantedFaultsAreEachNamed) {
  config_.numbers.front().agent->name = "Another agent";
  config_.context.token = "ctx-another-token-99-0123456789abcdef";
  twilio_.change_number(number(), {{"voice_url", "https://old.example.com/voice"}});
  config::twilio_config other;
  other.auth_token = "another-server-token";
  testing::test_server elsewhere(testing::test_server_config(), "sip.example.com", other);
  config_.twilio.public_url = "http://127.0.0.1:" + std::to_string(elsewhere.port());
  const std::uint16_t closed = [] {
    sip_responder gone(false, false);
    return gone.port();
  }();
  config_.sip.target = "127.0.0.1:" + std::to_string(closed);
  const auto rows = doctor();
  EXPECT_EQ(app::doctor_exit_code(rows), 1);
  for (std::string_view id : {"synthflow.agent", "synthflow.action", "twilio.webhook", "public_url", "sip.options"}) {
    const auto mine = rows_of(rows, id);
    ASSERT_FALSE(mine.empty()) << id;
    EXPECT_EQ(mine.front().result, app::check_result::fail) << id << "\n" << report(rows);
    EXPECT_FALSE(mine.front().fix.empty()) << id;
  }
  for (std::string_view id : {"synthflow.auth", "synthflow.number", "twilio.auth", "twilio.number", "sip.dns"})
    for (const auto& r : rows_of(rows, id)) EXPECT_EQ(r.result, app::check_result::pass) << id << ": " << r.detail;
  std::cout << "[ figures ] doctor with five planted faults:\n" << report(rows);
}

TEST_F(Doctor, ConfigProblem) {
  config_.synthflow.workspace_id.clear();
  expect_fault("config", "environment");
}

TEST_F(Doctor, RejectedSynthflowKey) {
  config_.synthflow.api_key = "sk-wrong-key";
  expect_fault("synthflow.auth", "SYNTHFLOW_API_KEY");
}

TEST_F(Doctor, NumberNotImportedInSynthflow) {
  config::number_config extra;
  extra.phone_number = "+15550002222";
  config_.numbers.push_back(extra);
  twilio_.seed_number(extra.phone_number);
  expect_fault("synthflow.number", "import it in Synthflow");
}

TEST_F(Doctor, AgentRenamedSinceProvisioning) {
  config_.numbers.front().agent->name = "Another agent";
  expect_fault("synthflow.agent", "provision");
}

TEST_F(Doctor, ActionMadeForAnotherToken) {
  config_.context.token = "ctx-another-token-99";
  expect_fault("synthflow.action", "provision");
}

TEST_F(Doctor, RejectedTwilioCredentials) {
  config_.twilio.api_key = "SK00000000000000000000000000000000";
  config_.twilio.api_secret = "not-the-secret";
  expect_fault("twilio.auth", "TWILIO_API_KEY");
}

TEST_F(Doctor, NumberOnATrunk) {
  twilio_.change_number(number(), {{"trunk_sid", "TK0123456789abcdef0123456789abcdef"}});
  expect_fault("twilio.number", "trunk");
}

TEST_F(Doctor, WebhookPointsElsewhere) {
  twilio_.change_number(number(), {{"voice_url", "https://old.example.com/voice"}});
  expect_fault("twilio.webhook", "provision");
}

TEST_F(Doctor, PublicUrlRefusesTheSignature) {
  config::twilio_config other;
  other.auth_token = "another-server-token";
  testing::test_server elsewhere(testing::test_server_config(), "sip.example.com", other);
  config_.twilio.public_url = "http://127.0.0.1:" + std::to_string(elsewhere.port());
  expect_fault("public_url", "TWILIO_AUTH_TOKEN");
}

TEST_F(Doctor, SipHostDoesNotResolve) {
  config_.sip.target = "sip-host.invalid:32681";
  expect_fault("sip.dns", "sip.target");
}

TEST_F(Doctor, SipHostDoesNotAnswer) {
  const std::uint16_t closed = [] {
    sip_responder gone(false, false);
    return gone.port();
  }();
  config_.sip.target = "127.0.0.1:" + std::to_string(closed);
  expect_fault("sip.options", "sip.target");
}

TEST_F(Doctor, AlertsAndCallsOfTheseNumbersAreGrouped) {
  const std::string webhook = config_.twilio.public_url + "/redirect_call";
  twilio_.add_alert({{"error_code", "11200"}, {"alert_text", "HTTP retrieval failure"}, {"request_url", webhook}});
  twilio_.add_alert({{"error_code", "11200"}, {"alert_text", "HTTP retrieval failure"}, {"request_url", webhook}});
  twilio_.add_alert({{"error_code", "32102"}, {"alert_text", "another app"}, {"request_url", "https://other.example.com/x"}});
  twilio_.add_call({{"to", number()}, {"status", "completed"}, {"duration", "60"}});
  twilio_.add_call({{"to", number()}, {"status", "failed"}, {"duration", "0"}});
  twilio_.add_call({{"to", "+19995550000"}, {"status", "busy"}});
  const auto rows = doctor();
  const auto alerts = rows_of(rows, "twilio.alerts");
  ASSERT_EQ(alerts.size(), 1u) << report(rows);
  EXPECT_EQ(alerts[0].result, app::check_result::warn);
  EXPECT_EQ(alerts[0].detail, "error 11200 x2: HTTP retrieval failure");
  const auto calls = rows_of(rows, "twilio.calls");
  ASSERT_EQ(calls.size(), 1u) << report(rows);
  EXPECT_EQ(calls[0].result, app::check_result::warn);
  EXPECT_EQ(calls[0].detail, "last 2 call(s): 1 completed, 1 failed, 30 s on average");

  // The requests doctor sends and the fake's answers, as Twilio's published documents describe them.
  std::vector<recorded_call> monitor, call_list, numbers;
  for (const recorded_call& call : twilio_.server().calls()) {
    if (call.path == "/v1/Alerts") monitor.push_back(call);
    else if (call.path.ends_with("/Calls.json")) call_list.push_back(call);
    else numbers.push_back(call);
  }
  EXPECT_TRUE(conforms_to_openapi(monitor, "twilio-monitor"));
  EXPECT_TRUE(conforms_to_openapi(call_list, "twilio-calls"));
  EXPECT_TRUE(conforms_to_openapi(numbers, "twilio"));
}

TEST(DoctorRegion, AnotherRegionsSipHostFails) {
  config::service_config config;
  config.synthflow.api_url = "https://api.us.synthflow.ai/v2";
  config.sip.target = "sip.us.synthflow.ai:32681";
  config::number_config uk;
  uk.phone_number = "+442071838750";
  uk.sip_target = "sip.eu.synthflow.ai:32681";
  config.numbers.push_back(uk);
  std::vector<app::doctor_check> region;
  for (auto& check : app::doctor_checks())
    if (check.id == "synthflow.region") region.push_back(check);
  const auto rows = app::run_checks(region, app::doctor_inputs{config});
  ASSERT_EQ(rows.size(), 2u) << report(rows);
  EXPECT_EQ(rows[0].result, app::check_result::pass) << report(rows);
  EXPECT_EQ(rows[1].result, app::check_result::fail) << report(rows);
  EXPECT_EQ(rows[1].number, "+442071838750");
  EXPECT_NE(rows[1].fix.find("sip.us.synthflow.ai:32681"), std::string::npos) << rows[1].fix;
}

TEST(SipOptions, UdpFirstThenTcp) {
  sip_responder both;
  const auto udp = outbound::sip_options_ping("127.0.0.1", both.port(), 2s);
  EXPECT_TRUE(udp.answered) << udp.error;
  EXPECT_EQ(udp.transport, "UDP");
  EXPECT_EQ(udp.status_line, "SIP/2.0 200 OK");

  sip_responder tcp_only(/*udp=*/false, /*tcp=*/true);
  const auto tcp = outbound::sip_options_ping("127.0.0.1", tcp_only.port(), 2s);
  EXPECT_TRUE(tcp.answered) << tcp.error;
  EXPECT_EQ(tcp.transport, "TCP");
  EXPECT_EQ(tcp.status_line, "SIP/2.0 200 OK");
}

TEST(SipOptions, SilentUdpHostTimesOutThenTcpRefusal) {
  // A UDP socket that never answers: the ping waits its deadline, then TCP is refused.
  asio::io_context io;
  asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto result = outbound::sip_options_ping("127.0.0.1", silent.local_endpoint().port(), 300ms);
  EXPECT_FALSE(result.answered);
  EXPECT_NE(result.error.find("UDP: no answer within 300 ms"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("TCP: "), std::string::npos) << result.error;
}

TEST(DoctorBinary, ExitCodesAndJson) {
  // No credentials at all: every API check skips with its reason, the config warns; nothing fails.
  const testing::temp_file config("doctor.json", R"({"sip": {"target": "sip.us.synthflow.ai:32681"},
    "synthflow": {"api_url": "https://api.us.synthflow.ai/v2"}, "numbers": [{"phone_number": "+14155550100"}]})");
  // sip.dns and sip.options would leave the machine: point the target at a closed local port.
  const testing::temp_file local("doctor-local.json", R"({"sip": {"target": "127.0.0.1:9"},
    "numbers": [{"phone_number": "+14155550100"}]})");
  const auto json = testing::run_binary({"doctor", "--json", "--config", local.path().string()}, testing::clean_env());
  EXPECT_EQ(json.exit_code, 1) << json.output;  // sip.options fails: nothing answers on port 9
  const std::size_t start = json.output.find("{\n");
  ASSERT_NE(start, std::string::npos) << json.output;
  const auto doc = nlohmann::json::parse(json.output.substr(start, json.output.rfind('}') - start + 1));
  bool skipped_synthflow = false, failed_options = false;
  for (const auto& check : doc["checks"]) {
    EXPECT_TRUE(check.contains("id") && check.contains("number") && check.contains("result") && check.contains("detail") &&
                check.contains("fix"));
    if (check["id"] == "synthflow.auth" && check["result"] == "skip") skipped_synthflow = true;
    if (check["id"] == "sip.options" && check["result"] == "fail") failed_options = !check["fix"].is_null();
  }
  EXPECT_TRUE(skipped_synthflow) << json.output;
  EXPECT_TRUE(failed_options) << json.output;
  EXPECT_EQ(testing::run_binary({"doctor", "--brief", "--config", config.path().string()}, testing::clean_env()).exit_code, 2);
  EXPECT_EQ(testing::run_binary({"doctor", "--config", "/nonexistent.json"}, testing::clean_env()).exit_code, 2);
}

}  // namespace
}  // namespace twiml_redirect::test
