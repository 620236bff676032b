// The real binary as a subprocess: command line, exit codes, signals, logs.
#include <signal.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/child_process.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"
#include "twiml_redirect/version.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
const std::string kLoopbackConfig = R"({"server":{"host":"127.0.0.1","port":0,"threads":2,"drain_timeout_ms":5000}})";

TEST(Binary, HelpAndVersion) {
  const auto help = run_binary({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("Usage: twiml-redirect"), std::string::npos);
  const auto version = run_binary({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("twiml-redirect " TWIML_REDIRECT_VERSION_TEXT), std::string::npos);
}

TEST(Binary, UsageErrorsExit2) {
  EXPECT_EQ(run_binary({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_binary({"serve", "--bogus"}).exit_code, 2);
  EXPECT_EQ(run_binary({"serve", "--config"}).exit_code, 2);
  EXPECT_EQ(run_binary({"serve", "--dry-run"}).exit_code, 2);
}

TEST(Binary, BadConfigExits2NamingTheKey) {
  temp_file config("bad.json", R"({"server":{"port":"3000"}})");
  const auto result = run_binary({"serve", "--config", config.path().string()}, clean_env());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("server.port: must be an integer from 0 to 65535"), std::string::npos) << result.output;
}

TEST(Binary, BadEnvExits2NamingTheVariable) {
  temp_file config("ok.json", kLoopbackConfig);
  const auto result = run_binary({"serve", "--config", config.path().string()}, clean_env({{"LOG_FORMAT", "xml"}}));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("LOG_FORMAT (environment, log.format)"), std::string::npos) << result.output;
}

TEST(Binary, MissingConfigFileExits2) {
  const auto result = run_binary({"check-config", "--config", "/nonexistent.json"}, clean_env());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("/nonexistent.json: cannot be opened"), std::string::npos);
}

TEST(Binary, CheckConfigPrintsEffectiveConfigWithoutSecrets) {
  const auto result = run_binary({"check-config", "--config", TWIML_SOURCE_DIR "/config/twiml-redirect.json"},
                                 clean_env({{"TWILIO_AUTH_TOKEN", "tok-SECRET-1"}, {"SYNTHFLOW_API_KEY", "key-SECRET-2"},
                                            {"PORT", "4321"}}));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("\"port\": 4321"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("SECRET"), std::string::npos);
  EXPECT_NE(result.output.find("<redacted>"), std::string::npos);
}

TEST(Binary, ServesAndLogsAccessWithoutCallerNumber) {
  temp_file config("ok.json", kLoopbackConfig);
  child_process child(TWIML_REDIRECT_BINARY, {"--config", config.path().string()}, clean_env());
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  const auto res = http_get(port, "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid) + "&From=%2B15557654321");
  EXPECT_EQ(res.result_int(), 200u);
  ASSERT_TRUE(child.wait_for_output("call_sid=" + std::string(kSid), 5s)) << child.output();
  const std::string log = child.output();
  EXPECT_NE(log.find("access method=GET path=/redirect_call status=200"), std::string::npos) << log;
  EXPECT_NE(log.find("peer=127.0.0.1"), std::string::npos) << log;
  EXPECT_EQ(log.find("15557654321"), std::string::npos) << "the caller's number was logged";
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
}

TEST(Binary, JsonLogFormatWritesOneObjectPerLine) {
  temp_file config("ok.json", kLoopbackConfig);
  child_process child(TWIML_REDIRECT_BINARY, {"--config", config.path().string()}, clean_env({{"LOG_FORMAT", "json"}}));
  ASSERT_NE(child.wait_for_listening_port(), 0) << child.output();
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
  std::istringstream lines(child.output());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
  EXPECT_GE(count, 3);
}

TEST(Binary, SigtermFinishesInFlightRequestThenExits0) {
  temp_file config("ok.json", kLoopbackConfig);
  child_process child(TWIML_REDIRECT_BINARY, {"--config", config.path().string()}, clean_env());
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  test_connection connection(port);
  const std::string body = "Called=%2B14155550100&CallSid=" + std::string(kSid);
  connection.send("POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10));
  // Signal only once the binary holds the request: its header read, so it is in flight. The scrape
  // itself is in flight while /metrics renders, hence 2.
  ASSERT_TRUE(wait_until(
      [&] { return metric_value(http_get(port, "/metrics").body(), "twiml_redirect_http_requests_in_flight") == 2.0; },
      10s, "the POST to be in flight"))
      << child.output();
  child.send_signal(SIGTERM);
  ASSERT_TRUE(child.wait_for_output("draining", 5s)) << child.output();
  // Draining, with the body still missing: shutdown cannot have finished, so no "stopped" yet.
  EXPECT_TRUE(child.running()) << "exited before answering the in-flight request";
  EXPECT_EQ(child.output().find("stopped"), std::string::npos) << child.output();
  connection.send(body.substr(10));
  const auto res = connection.read_response();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_NE(res.body().find("X-EI=" + std::string(kSid)), std::string::npos);
  EXPECT_EQ(child.wait_for_exit(5s), 0) << child.output();
  // Shutdown returned only after the request was answered and logged.
  const std::string log = child.output();
  const auto answered = log.find("access method=POST path=/redirect_call status=200");
  ASSERT_NE(answered, std::string::npos) << log;
  EXPECT_NE(log.find("stopped", answered), std::string::npos) << "stopped before the answer: " << log;
}

TEST(Binary, SigintAlsoExits0) {
  temp_file config("ok.json", kLoopbackConfig);
  child_process child(TWIML_REDIRECT_BINARY, {"--config", config.path().string()}, clean_env());
  ASSERT_NE(child.wait_for_listening_port(), 0);
  child.send_signal(SIGINT);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
}

TEST(Binary, PortInUseExits1) {
  temp_file config("ok.json", kLoopbackConfig);
  child_process first(TWIML_REDIRECT_BINARY, {"--config", config.path().string()}, clean_env());
  const std::uint16_t port = first.wait_for_listening_port();
  ASSERT_NE(port, 0);
  // Another process's SO_REUSEPORT socket would share the port; a plain bind must still fail... so
  // occupy a port without SO_REUSEPORT and point the binary at it.
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor blocker(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto taken = blocker.local_endpoint().port();
  const auto result = run_binary({"--config", config.path().string()}, clean_env({{"PORT", std::to_string(taken)}}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("cannot listen"), std::string::npos) << result.output;
}

TEST(Binary, HealthcheckSubcommand) {
  temp_file config("ok.json", kLoopbackConfig);
  child_process child(TWIML_REDIRECT_BINARY, {"--config", config.path().string()}, clean_env());
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(run_binary({"healthcheck", "--config", config.path().string()}, clean_env({{"PORT", std::to_string(port)}})).exit_code, 0);
  child.send_signal(SIGTERM);
  ASSERT_EQ(child.wait_for_exit(5s), 0);
  const auto down = run_binary({"healthcheck", "--config", config.path().string()}, clean_env({{"PORT", std::to_string(port)}}));
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.output.find("healthcheck:"), std::string::npos);
}

TEST(Binary, TwimlCommandPrintsWhatTheWebhookAnswers) {
  temp_file config("ok.json", kLoopbackConfig);
  const auto printed = run_binary({"twiml", "--config", config.path().string(), "--called", "+14155550100",
                                   "--call-sid", std::string(kSid)},
                                  clean_env({{"SIP_TARGET", "sip.eu.synthflow.ai:32681"}}));
  EXPECT_EQ(printed.exit_code, 0) << printed.output;
  // The same bytes a running instance answers to that call (checked against one below).
  const std::string expected =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>sip:+14155550100@sip.eu.synthflow.ai:32681"
      "?X-EI=CA0123456789abcdef0123456789abcdef</Sip></Dial></Response>";
  EXPECT_EQ(printed.output, expected + "\n");

  child_process serving(TWIML_REDIRECT_BINARY, {"--config", config.path().string()},
                        clean_env({{"SIP_TARGET", "sip.eu.synthflow.ai:32681"}}));
  const std::uint16_t port = serving.wait_for_listening_port();
  ASSERT_NE(port, 0) << serving.output();
  EXPECT_EQ(http_get(port, "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid)).body(), expected);
  serving.send_signal(SIGTERM);
  EXPECT_EQ(serving.wait_for_exit(5s), 0);
}

TEST(Binary, TwimlCommandRefusesWhatTwilioWouldNotSend) {
  temp_file config("ok.json", kLoopbackConfig);
  const auto bad_number = run_binary({"twiml", "--config", config.path().string(), "--called", "14155550100"}, clean_env());
  EXPECT_EQ(bad_number.exit_code, 2);
  EXPECT_NE(bad_number.output.find("Invalid \"Called\" parameter"), std::string::npos) << bad_number.output;
  const auto bad_sid = run_binary({"twiml", "--config", config.path().string(), "--called=+14155550100",
                                   "--call-sid=CA1;X-Evil=1"}, clean_env());
  EXPECT_EQ(bad_sid.exit_code, 2);
  EXPECT_NE(bad_sid.output.find("Invalid \"CallSid\" parameter"), std::string::npos) << bad_sid.output;
  EXPECT_EQ(run_binary({"twiml", "--config", config.path().string()}, clean_env()).exit_code, 2);  // no --called
  EXPECT_EQ(run_binary({"serve", "--called", "+14155550100"}, clean_env()).exit_code, 2);
  const auto default_sid = run_binary({"twiml", "--config", config.path().string(), "--called", "+14155550100"}, clean_env());
  EXPECT_EQ(default_sid.exit_code, 0) << default_sid.output;
  EXPECT_NE(default_sid.output.find("?X-EI=CA00000000000000000000000000000000</Sip>"), std::string::npos)
      << default_sid.output;
}

}  // namespace
}  // namespace twiml_redirect::testing
