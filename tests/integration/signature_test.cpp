// X-Twilio-Signature enforcement on /redirect_call over real loopback sockets, in process and
// through the real binary (startup warning, exit code, the warn log of a rejection, a PUBLIC_URL
// with a path).
#include <signal.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "support/child_process.hpp"
#include "support/form_encoding.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"
#include "support/test_server.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
using twilio::compute_signature;
using twilio::form_params;

constexpr const char* kToken = "test-auth-token-5f1c";
constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";
const std::string kGetTarget = "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid);

form_params post_params() {
  return {{"AccountSid", "AC00000000000000000000000000000000"}, {"CallSid", std::string(kSid)},
          {"CallStatus", "ringing"},  {"Called", "+14155550100"},
          {"CalledCity", ""},         {"From", "+447381234567"}};
}

config::twilio_config signing(std::string public_url = {}, std::vector<std::string> proxies = {}) {
  config::twilio_config twilio;
  twilio.auth_token = kToken;
  twilio.public_url = std::move(public_url);
  twilio.trusted_proxies = std::move(proxies);
  return twilio;
}

std::string signature_header(const std::string& signature) { return "X-Twilio-Signature: " + signature + "\r\n"; }

void expect_dial(const test_response& res) {
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_NE(res.body().find("<Sip>sip:+14155550100@"), std::string::npos) << res.body();
}

void expect_forbidden(const test_response& res) {
  EXPECT_EQ(res.result_int(), 403u);
  EXPECT_EQ(res.body(), "Twilio request validation failed");
  EXPECT_EQ(res[boost::beast::http::field::content_type].substr(0, 10), "text/plain");
}

// The test client sends "Host: 127.0.0.1", so without a public URL Twilio would have signed this.
const std::string kDirectBase = "http://127.0.0.1";

TEST(Signature, SignedGetAndPostAreAccepted) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing());
  test_connection connection(server.port());
  expect_dial(connection.request("GET", kGetTarget, {}, kForm,
                                 signature_header(compute_signature(kToken, kDirectBase + kGetTarget, {}))));
  expect_dial(connection.request(
      "POST", "/redirect_call", form_encode(post_params()), "application/x-www-form-urlencoded; charset=UTF-8",
      signature_header(compute_signature(kToken, kDirectBase + "/redirect_call", post_params()))));
}

TEST(Signature, UnsignedTamperedAndWrongTokenAreForbidden) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing());
  test_connection connection(server.port());  // a 403 keeps the connection usable
  expect_forbidden(connection.request("GET", kGetTarget));
  expect_forbidden(connection.request("POST", "/redirect_call", form_encode(post_params())));

  const std::string post_signature = compute_signature(kToken, kDirectBase + "/redirect_call", post_params());
  form_params tampered = post_params();
  tampered[3].second = "+14155550199";  // another Called number
  expect_forbidden(connection.request("POST", "/redirect_call", form_encode(tampered), kForm,
                                      signature_header(post_signature)));
  form_params added = post_params();
  added.emplace_back("Extra", "1");
  expect_forbidden(
      connection.request("POST", "/redirect_call", form_encode(added), kForm, signature_header(post_signature)));
  expect_forbidden(connection.request(
      "GET", kGetTarget + "&x=1", {}, kForm,
      signature_header(compute_signature(kToken, kDirectBase + kGetTarget, {}))));
  expect_forbidden(connection.request(
      "GET", kGetTarget, {}, kForm, signature_header(compute_signature("other-token", kDirectBase + kGetTarget, {}))));
  expect_forbidden(connection.request("GET", kGetTarget, {}, kForm, signature_header("")));
  // The connection survived every rejection.
  expect_dial(connection.request("GET", kGetTarget, {}, kForm,
                                 signature_header(compute_signature(kToken, kDirectBase + kGetTarget, {}))));
}

TEST(Signature, OnlyRedirectCallIsGuarded) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing());
  EXPECT_EQ(http_get(server.port(), "/healthz").result_int(), 200u);
  EXPECT_EQ(http_get(server.port(), "/nope").result_int(), 404u);
}

TEST(Signature, TrustedProxyForwardedProtoAndHostAreBelieved) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing({}, {"127.0.0.0/8"}));
  test_connection connection(server.port());
  const std::string proxy_headers = "X-Forwarded-Proto: https\r\nX-Forwarded-Host: voice.example.com\r\n";
  expect_dial(connection.request(
      "GET", kGetTarget, {}, kForm,
      proxy_headers + signature_header(compute_signature(kToken, "https://voice.example.com" + kGetTarget, {}))));
  // Proto alone: the Host header stays.
  expect_dial(connection.request(
      "GET", kGetTarget, {}, kForm,
      "X-Forwarded-Proto: https\r\n" + signature_header(compute_signature(kToken, "https://127.0.0.1" + kGetTarget, {}))));
}

TEST(Signature, UntrustedPeerForwardedHeadersAreIgnored) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing({}, {"10.0.0.0/8"}));
  test_connection connection(server.port());
  const std::string proxy_headers = "X-Forwarded-Proto: https\r\nX-Forwarded-Host: voice.example.com\r\n";
  expect_forbidden(connection.request(
      "GET", kGetTarget, {}, kForm,
      proxy_headers + signature_header(compute_signature(kToken, "https://voice.example.com" + kGetTarget, {}))));
  // What the server really rebuilds for this peer is the direct URL.
  expect_dial(connection.request("GET", kGetTarget, {}, kForm,
                                 proxy_headers + signature_header(compute_signature(kToken, kDirectBase + kGetTarget, {}))));
}

TEST(Signature, Ipv4MappedPeerOnDualStackListenerIsTrusted) {
  config::server_config server_config = test_server_config();
  server_config.host = "::";  // an IPv4 client shows up as ::ffff:127.0.0.1
  try {
    test_server server(server_config, "sipin.synthflow.ai:32681", signing({}, {"127.0.0.0/8"}));
    test_connection connection(server.port());
    expect_dial(connection.request(
        "GET", kGetTarget, {}, kForm,
        "X-Forwarded-Proto: https\r\n" + signature_header(compute_signature(kToken, "https://127.0.0.1" + kGetTarget, {}))));
  } catch (const boost::system::system_error& error) {
    GTEST_SKIP() << "no IPv6 on this host: " << error.what();
  }
}

TEST(Signature, PublicUrlWithNonDefaultPort) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing("https://voice.example.com:8443"));
  test_connection connection(server.port());
  const std::string base = "https://voice.example.com:8443";
  expect_dial(connection.request("POST", "/redirect_call", form_encode(post_params()), kForm,
                                 signature_header(compute_signature(kToken, base + "/redirect_call", post_params()))));
  expect_dial(connection.request("GET", kGetTarget, {}, kForm,
                                 signature_header(compute_signature(kToken, base + kGetTarget, {}))));
  // Twilio sometimes drops the port before signing; that spelling is accepted too.
  expect_dial(connection.request(
      "GET", kGetTarget, {}, kForm, signature_header(compute_signature(kToken, "https://voice.example.com" + kGetTarget, {}))));
  // The public URL wins over what the client claims.
  expect_forbidden(connection.request("GET", kGetTarget, {}, kForm,
                                      signature_header(compute_signature(kToken, kDirectBase + kGetTarget, {}))));
  expect_forbidden(connection.request(
      "GET", kGetTarget, {}, kForm,
      signature_header(compute_signature(kToken, "https://voice.example.com:9443" + kGetTarget, {}))));
}

TEST(Signature, JsonBodyWithBodySha256) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing());
  test_connection connection(server.port());
  const std::string body = R"({"event":"call"})";
  const std::string target = kGetTarget + "&bodySHA256=" + twilio::body_sha256_hex(body);
  const std::string signature = signature_header(compute_signature(kToken, kDirectBase + target, {}));
  expect_dial(connection.request("POST", target, body, "application/json", signature));
  expect_forbidden(connection.request("POST", target, R"({"event":"cal1"})", "application/json", signature));
}

TEST(Signature, PublicUrlWithPathAnswersOnBothMounts) {
  test_server server(test_server_config(), "sipin.synthflow.ai:32681", signing("https://voice.example.com/voice"));
  test_connection connection(server.port());
  const std::string signature =
      signature_header(compute_signature(kToken, "https://voice.example.com/voice/redirect_call", post_params()));
  expect_dial(connection.request("POST", "/voice/redirect_call", form_encode(post_params()), kForm, signature));
  expect_dial(connection.request("POST", "/redirect_call", form_encode(post_params()), kForm, signature));
  expect_forbidden(connection.request(
      "POST", "/voice/redirect_call", form_encode(post_params()), kForm,
      signature_header(compute_signature(kToken, "https://voice.example.com/redirect_call", post_params()))));
  EXPECT_EQ(http_get(server.port(), "/healthz").result_int(), 200u);
  EXPECT_EQ(http_get(server.port(), "/voice/healthz").result_int(), 404u);
}

// --- the real binary ---------------------------------------------------------------------------

const std::string kLoopbackConfig = R"({"server":{"host":"127.0.0.1","port":0,"threads":1}})";

std::map<std::string, std::string> binary_env(std::string token) {
  return {{"PORT", ""}, {"HOST", ""}, {"PUBLIC_URL", ""}, {"TWILIO_AUTH_TOKEN", std::move(token)},
          {"LOG_FORMAT", "text"}, {"LOG_LEVEL", "info"}};
}

TEST(SignatureBinary, WithoutTokenWarnsAndAcceptsUnsigned) {
  temp_file config("config.json", kLoopbackConfig);
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, binary_env(""));
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  EXPECT_NE(binary.output().find("TWILIO_AUTH_TOKEN is not set"), std::string::npos) << binary.output();
  expect_dial(http_get(port, kGetTarget));
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0);
}

TEST(SignatureBinary, WithTokenRejectsAndLogsTheReasonButNotTheToken) {
  temp_file config("config.json", kLoopbackConfig);
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, binary_env(kToken));
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  EXPECT_EQ(binary.output().find("TWILIO_AUTH_TOKEN is not set"), std::string::npos);

  const std::string base = "http://127.0.0.1";  // the client's Host header
  test_connection connection(port);
  expect_forbidden(connection.request("GET", kGetTarget, {}, kForm, signature_header("bm90IGEgc2lnbmF0dXJlIQ==")));
  expect_forbidden(connection.request("GET", kGetTarget));
  expect_dial(connection.request("GET", kGetTarget, {}, kForm,
                                 signature_header(compute_signature(kToken, base + kGetTarget, {}))));
  // The first rejection is logged with its reason; the second, within the same second, only counted
  // (a flood of forgeries makes one line a second, tests/integration/hardening_test.cpp).
  ASSERT_TRUE(binary.wait_for_output("does not match", 5s)) << binary.output();
  const std::string metrics = connection.request("GET", "/metrics").body();
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_signature_failures_total{reason="bad_signature"})"), 1.0);
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_signature_failures_total{reason="missing_signature"})"), 1.0);
  const std::string output = binary.output();
  EXPECT_EQ(output.find(kToken), std::string::npos) << "the token leaked into the log";
  EXPECT_EQ(output.find("bm90IGEgc2lnbmF0dXJlIQ=="), std::string::npos) << "a signature leaked into the log";
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0);
}

// Shared keys through the real binary: two keys configured (a rotation), either one signs with
// HMAC-SHA256; an unknown key, a wrong secret and an unknown algorithm are refused, each counted under
// its own reason, and the log names the key SID but never a secret. The expected signatures were
// computed outside this project (Python's hmac, SHA-256, over http://127.0.0.1/redirect_call and
// post_params() sorted by name).
TEST(SignatureBinary, SharedKeysSignWithSha256AndRotate) {
  temp_file config("config.json", kLoopbackConfig);
  auto env = binary_env(kToken);
  env["TWILIO_SHARED_KEYS"] = "KS000000000000000000000000000000a1:rotating-secret-old,"
                              "KS000000000000000000000000000000b2:rotating-secret-new";
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env);
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  test_connection connection(port);
  const std::string body = form_encode(post_params());
  const auto post = [&](std::string_view signature, std::string_view settings) {
    return connection.request("POST", "/redirect_call", body, kForm,
                              signature_header(std::string(signature)) + "X-Twilio-Webhooks-Signature-Settings: " +
                                  std::string(settings) + "\r\n");
  };
  constexpr std::string_view kOld = "Fl2WOc4dDvNeblE2HPByLLZQo4Y1efj8xsNoAXmMpQw=";  // rotating-secret-old
  constexpr std::string_view kNew = "7ef/Rnr6rO7aKRTG/CluJcvSPkaa+p3r4H8Ngnq77zg=";  // rotating-secret-new

  expect_forbidden(post(kOld, "key=KS000000000000000000000000000000c3,algorithm=HMAC_SHA256"));
  ASSERT_TRUE(binary.wait_for_output("signed with shared key KS000000000000000000000000000000c3", 5s))
      << binary.output();
  expect_dial(post(kOld, "key=KS000000000000000000000000000000a1,algorithm=HMAC_SHA256"));
  expect_dial(post(kNew, "key=KS000000000000000000000000000000b2,algorithm=HMAC_SHA256"));
  expect_forbidden(post(kOld, "key=KS000000000000000000000000000000b2,algorithm=HMAC_SHA256"));  // wrong secret
  expect_forbidden(post(kOld, "key=KS000000000000000000000000000000a1,algorithm=HMAC_SHA512"));
  // No settings header: the auth token and HMAC-SHA1, as before.
  expect_dial(connection.request("POST", "/redirect_call", body, kForm,
                                 signature_header(compute_signature(kToken, kDirectBase + "/redirect_call", post_params()))));

  const std::string metrics = connection.request("GET", "/metrics").body();
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_signature_failures_total{reason="unknown_key"})"), 1.0) << metrics;
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_signature_failures_total{reason="bad_signature"})"), 1.0);
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_signature_failures_total{reason="unsupported_algorithm"})"), 1.0);
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0);
  const std::string output = binary.output();
  EXPECT_EQ(output.find("rotating-secret"), std::string::npos) << "a shared secret leaked into the log";
}

TEST(SignatureBinary, MalformedSharedKeysRefuseToStartWithoutPrintingThem) {
  temp_file config("config.json", kLoopbackConfig);
  auto env = binary_env(kToken);
  env["TWILIO_SHARED_KEYS"] = "KSa1:rotating-secret-old,rotating-secret-new";
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env);
  EXPECT_NE(binary.wait_for_exit(10s), 0);
  const std::string output = binary.output();
  EXPECT_NE(output.find("entry 2 has no ':'"), std::string::npos) << output;
  EXPECT_EQ(output.find("rotating-secret"), std::string::npos) << output;
}

// CallToken and StirVerstat, said to be added by Twilio after signing: a request whose signature
// matches only without them is accepted, and they are dropped before the handler reads anything,
// so a SIP header built from {StirVerstat} is left out rather than filled with an unsigned value.
TEST(SignatureBinary, FieldsAddedAfterSigningAreDroppedAndCounted) {
  temp_file config("config.json", R"({"server":{"host":"127.0.0.1","port":0,"threads":1},
                                      "sip":{"headers":{"X-Stir":"{StirVerstat}"}}})");
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, binary_env(kToken));
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  test_connection connection(port);
  form_params sent = post_params();
  sent.emplace_back("StirVerstat", "TN-Validation-Passed-A");
  sent.emplace_back("CallToken", "%7B%22parentCallInfoToken%22%7D");
  const std::string signed_without = compute_signature(kToken, kDirectBase + "/redirect_call", post_params());
  const test_response accepted =
      connection.request("POST", "/redirect_call", form_encode(sent), kForm, signature_header(signed_without));
  expect_dial(accepted);
  EXPECT_EQ(accepted.body().find("X-Stir"), std::string::npos) << accepted.body();
  // Signed with them, they are the caller's data like any other field.
  const test_response signed_with = connection.request(
      "POST", "/redirect_call", form_encode(sent), kForm,
      signature_header(compute_signature(kToken, kDirectBase + "/redirect_call", sent)));
  expect_dial(signed_with);
  EXPECT_NE(signed_with.body().find("X-Stir=TN-Validation-Passed-A"), std::string::npos) << signed_with.body();
  const std::string metrics = connection.request("GET", "/metrics").body();
  EXPECT_EQ(metric_value(metrics, "twiml_redirect_signature_unsigned_params_total"), 1.0) << metrics;
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0);
}

// HTTP Basic credentials (twilio.webhook_user / TWILIO_WEBHOOK_PASSWORD): Twilio's first request
// carries none and gets the 401 challenge it needs; its retry carries the URL's credentials and must
// also be signed. Wrong credentials are refused the same way and never logged.
TEST(SignatureBinary, BasicCredentialsAreChallengedThenCheckedWithTheSignature) {
  temp_file config("config.json", R"({"server":{"host":"127.0.0.1","port":0,"threads":1},
                                      "twilio":{"webhook_user":"twilio-hook"}})");
  auto env = binary_env(kToken);
  env["TWILIO_WEBHOOK_PASSWORD"] = "hook-pass-9f3e";
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, env);
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  test_connection connection(port);
  const std::string body = form_encode(post_params());
  const std::string signature =
      signature_header(compute_signature(kToken, kDirectBase + "/redirect_call", post_params()));
  // base64("twilio-hook:hook-pass-9f3e") and base64("twilio-hook:wrong"), computed with coreutils' base64.
  const std::string good = "Authorization: Basic dHdpbGlvLWhvb2s6aG9vay1wYXNzLTlmM2U=\r\n";
  const std::string wrong = "Authorization: Basic dHdpbGlvLWhvb2s6d3Jvbmc=\r\n";

  const test_response first = connection.request("POST", "/redirect_call", body, kForm, signature);
  EXPECT_EQ(first.result_int(), 401u);
  EXPECT_EQ(first[boost::beast::http::field::www_authenticate], R"(Basic realm="twiml-redirect")");
  expect_dial(connection.request("POST", "/redirect_call", body, kForm, signature + good));
  EXPECT_EQ(connection.request("POST", "/redirect_call", body, kForm, signature + wrong).result_int(), 401u);
  // The credentials do not replace the signature.
  expect_forbidden(connection.request("POST", "/redirect_call", body, kForm, good));
  EXPECT_EQ(connection.request("GET", "/healthz").result_int(), 200u);  // health needs no credentials

  const std::string metrics = connection.request("GET", "/metrics").body();
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_webhook_basic_auth_failures_total{reason="missing"})"), 1.0) << metrics;
  EXPECT_EQ(metric_value(metrics, R"(twiml_redirect_webhook_basic_auth_failures_total{reason="wrong"})"), 1.0);
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0);
  EXPECT_EQ(binary.output().find("hook-pass-9f3e"), std::string::npos) << binary.output();
  EXPECT_NE(binary.output().find("wrong HTTP Basic credentials"), std::string::npos) << binary.output();
}

TEST(SignatureBinary, BasicCredentialsNeedBothHalves) {
  temp_file config("config.json", R"({"server":{"host":"127.0.0.1","port":0,"threads":1},
                                      "twilio":{"webhook_user":"twilio-hook"}})");
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, binary_env(kToken));
  EXPECT_EQ(binary.wait_for_exit(10s), 2);
  EXPECT_NE(binary.output().find("TWILIO_WEBHOOK_PASSWORD (environment): is required with twilio.webhook_user"),
            std::string::npos)
      << binary.output();
}

// `sign` prints the header a real server with the same token accepts, and another token's is refused.
TEST(SignatureBinary, SignPrintsTheHeaderTheServerAccepts) {
  temp_file config("config.json", kLoopbackConfig);
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, binary_env(kToken));
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();
  std::vector<std::string> args{"sign", "--url", kDirectBase + "/redirect_call"};
  for (const auto& [name, value] : post_params()) args.push_back(name + "=" + value);
  const run_result signed_by_us = run_binary(args, binary_env(kToken));
  ASSERT_EQ(signed_by_us.exit_code, 0) << signed_by_us.output;
  EXPECT_EQ(signed_by_us.output,
            "X-Twilio-Signature: " + compute_signature(kToken, kDirectBase + "/redirect_call", post_params()) + "\n");
  // The printed line, as a request header (CRLF-terminated).
  const auto as_header = [](const std::string& line) { return line.substr(0, line.find('\n')) + "\r\n"; };
  test_connection connection(port);
  expect_dial(connection.request("POST", "/redirect_call", form_encode(post_params()), kForm,
                                 as_header(signed_by_us.output)));
  const run_result other_token = run_binary(args, binary_env("another-token"));
  expect_forbidden(connection.request("POST", "/redirect_call", form_encode(post_params()), kForm,
                                      as_header(other_token.output)));
  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0);
}

TEST(SignatureBinary, SignRefusesWhatItCannotSign) {
  const run_result no_token = run_binary({"sign", "--url", "https://voice.example.com/redirect_call"}, binary_env(""));
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_NE(no_token.output.find("TWILIO_AUTH_TOKEN"), std::string::npos) << no_token.output;
  const run_result bad_field =
      run_binary({"sign", "--url", "https://voice.example.com/redirect_call", "Called"}, binary_env(kToken));
  EXPECT_EQ(bad_field.exit_code, 2);
  EXPECT_NE(bad_field.output.find("'Called' is not NAME=VALUE"), std::string::npos) << bad_field.output;
  const run_result no_url = run_binary({"sign", "Called=+1"}, binary_env(kToken));
  EXPECT_EQ(no_url.exit_code, 2);
  EXPECT_NE(no_url.output.find("sign needs --url URL"), std::string::npos) << no_url.output;
}

TEST(SignatureBinary, RequireSignatureWithoutTokenExits2) {
  temp_file config("config.json",
                   R"({"server":{"host":"127.0.0.1","port":0},"twilio":{"require_signature":true}})");
  const run_result result = run_binary({"serve", "--config", config.path().string()}, binary_env(""));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("twilio.require_signature"), std::string::npos) << result.output;
}

TEST(SignatureBinary, InvalidTrustedProxyExits2) {
  temp_file config("config.json",
                   R"({"server":{"host":"127.0.0.1","port":0},"twilio":{"trusted_proxies":["10.0.0.0/40"]}})");
  const run_result result = run_binary({"serve", "--config", config.path().string()}, binary_env(kToken));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("twilio.trusted_proxies[0]"), std::string::npos) << result.output;
}

// A port nobody listens on right now, for a PUBLIC_URL that names the binary's own address.
std::uint16_t unused_port() {
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor probe(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

TEST(SignatureBinary, PublicUrlWithPathAcceptsBothMountsAndRejectsTampering) {
  temp_file config("config.json", kLoopbackConfig);
  // The port is chosen before the binary starts, since PUBLIC_URL must name it; should another
  // process take it in between, the binary exits with "cannot listen" and the next port is tried.
  std::unique_ptr<child_process> binary;
  std::uint16_t chosen = 0;
  std::uint16_t port = 0;
  std::string public_url;
  for (int attempt = 0; attempt < 3 && port == 0; ++attempt) {
    chosen = unused_port();
    public_url = "http://127.0.0.1:" + std::to_string(chosen) + "/voice";
    std::map<std::string, std::string> env = binary_env(kToken);
    env["PORT"] = std::to_string(chosen);
    env["PUBLIC_URL"] = public_url;
    binary = std::make_unique<child_process>(TWIML_REDIRECT_BINARY,
                                             std::vector<std::string>{"serve", "--config", config.path().string()}, env);
    port = binary->wait_for_listening_port();
  }
  ASSERT_NE(port, 0) << binary->output();
  ASSERT_EQ(port, chosen);

  const std::string signature =
      signature_header(compute_signature(kToken, public_url + "/redirect_call", post_params()));
  test_connection connection(port);
  // A proxy that forwards the path as is, and one that strips the prefix: the same signed URL.
  expect_dial(connection.request("POST", "/voice/redirect_call", form_encode(post_params()), kForm, signature));
  expect_dial(connection.request("POST", "/redirect_call", form_encode(post_params()), kForm, signature));
  form_params tampered = post_params();
  tampered[3].second = "+14155550199";  // another Called number
  expect_forbidden(connection.request("POST", "/voice/redirect_call", form_encode(tampered), kForm, signature));
  EXPECT_EQ(connection.request("GET", "/healthz").result_int(), 200u);

  ASSERT_TRUE(binary->wait_for_output("rejected /redirect_call", 5s)) << binary->output();
  const test_response metrics = connection.request("GET", "/metrics");
  EXPECT_NE(metrics.body().find("twiml_redirect_signature_failures_total{reason=\"bad_signature\"} 1\n"), std::string::npos) << metrics.body();
  binary->send_signal(SIGTERM);
  EXPECT_EQ(binary->wait_for_exit(10s), 0);
  const std::string output = binary->output();
  EXPECT_EQ(output.find(kToken), std::string::npos) << "the token leaked into the log";
  EXPECT_EQ(output.find("14155550199"), std::string::npos) << "a called number leaked into the log";
  EXPECT_EQ(output.find("447381234567"), std::string::npos) << "a caller number leaked into the log";
}

}  // namespace
}  // namespace twiml_redirect::testing
