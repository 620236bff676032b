// SIP headers through the real binary: a signed webhook POST gets the tokens form of X-EI and the
// configured X- headers (one fixed, one from the webhook's parameters) in the exact TwiML bytes; a
// header that does not fit is counted in /metrics and logged by name only.
#include <signal.h>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kToken = "sip-headers-token-7";
constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
const std::string kLongValue(200, 'z');

const std::string kConfig = R"({"server":{"host":"127.0.0.1","port":0,"threads":1},
  "twilio":{"public_url":"https://voice.example.com"},
  "sip":{"x_ei":"tokens","headers":{"X-Tenant":"acme corp","X-Caller-City":"{FromCity}"}},
  "numbers":[{"phone_number":"+14155550100"},
             {"phone_number":"+14155550101","sip":{"headers":{"X-Too-Long":")" + kLongValue + R"("}}}]})";

twilio::form_params webhook(std::string_view called) {
  return {{"AccountSid", "AC00000000000000000000000000000000"}, {"CallSid", std::string(kSid)},
          {"CallStatus", "ringing"}, {"Called", std::string(called)}, {"From", "+447381234567"},
          {"FromCity", "SAN FRANCISCO"}, {"FromZip", ""}};
}

test_response signed_post(test_connection& connection, const twilio::form_params& params) {
  const std::string signature =
      twilio::compute_signature(kToken, "https://voice.example.com/redirect_call", params);
  return connection.request("POST", "/redirect_call", form_encode(params), "application/x-www-form-urlencoded",
                            "X-Twilio-Signature: " + signature + "\r\n");
}

TEST(SipHeadersBinary, SignedWebhookGetsTokensAndHeadersAndCountsWhatDidNotFit) {
  temp_file config("sip-headers.json", kConfig);
  child_process child(TWIML_REDIRECT_BINARY, {"--config", config.path().string()},
                      clean_env({{"TWILIO_AUTH_TOKEN", std::string(kToken)}, {"LOG_LEVEL", "debug"}}));
  const std::uint16_t port = child.wait_for_listening_port();
  ASSERT_NE(port, 0) << child.output();
  test_connection connection(port);

  const test_response answer = signed_post(connection, webhook("+14155550100"));
  EXPECT_EQ(answer.result_int(), 200u) << answer.body();
  EXPECT_EQ(answer.body(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>"
            "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=E.CA0123456789abcdef0123456789abcdef%3B"
            "&amp;X-Caller-City=SAN%20FRANCISCO&amp;X-Tenant=acme%20corp</Sip></Dial></Response>");

  const test_response trimmed = signed_post(connection, webhook("+14155550101"));
  EXPECT_EQ(trimmed.result_int(), 200u) << trimmed.body();
  EXPECT_EQ(trimmed.body().find("X-Too-Long"), std::string::npos) << trimmed.body();
  EXPECT_NE(trimmed.body().find("&amp;X-Tenant=acme%20corp</Sip>"), std::string::npos) << trimmed.body();
  EXPECT_EQ(metric_value(connection.request("GET", "/metrics").body(), "twiml_redirect_sip_headers_omitted_total"), 1.0);

  ASSERT_TRUE(child.wait_for_output("SIP header X-Too-Long left out", 5s)) << child.output();
  child.send_signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 0);
  const std::string log = child.output();
  // The effective configuration at startup shows the fixed values; the line about the call does not.
  const std::size_t line = log.find("SIP header X-Too-Long left out");
  const std::string omitted_line = log.substr(line, log.find('\n', line) - line);
  EXPECT_EQ(omitted_line.find("zzz"), std::string::npos) << omitted_line;
  EXPECT_EQ(log.find("SAN FRANCISCO"), std::string::npos) << "caller data was logged";
  EXPECT_EQ(log.find("SAN%20FRANCISCO"), std::string::npos) << "caller data was logged";
}

}  // namespace
}  // namespace twiml_redirect::testing
