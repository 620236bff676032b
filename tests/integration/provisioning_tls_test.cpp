// HTTPS to the fake: a certificate from an unknown CA is refused with a clear TLS error and never
// retried; trusting its CA through synthflow.ca_file or SSL_CERT_FILE makes the same run succeed.

#include <cstdlib>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/fake_synthflow.hpp"
#include "support/synthflow_test_helpers.hpp"
#include "twiml_redirect/app/provisioning.hpp"

namespace twiml_redirect::test {
namespace {

class ProvisioningTls : public provisioning_fixture<> {
 protected:
  ProvisioningTls() : provisioning_fixture(fake_options(true)) {}
};

TEST_F(ProvisioningTls, TrustedPrivateCaWorks) {
  ASSERT_EQ(fake_.api_url().rfind("https://", 0), 0u);
  ASSERT_EQ(provision(), 0) << output_;
  EXPECT_EQ(fake_.writes().size(), 2u);
}

TEST_F(ProvisioningTls, HostNameWithSniIsVerified) {
  config_.synthflow.api_url = "https://localhost:" + std::to_string(fake_.port()) + "/v2";
  ASSERT_EQ(provision(), 0) << output_;
}

TEST_F(ProvisioningTls, UntrustedCertificateFailsWithAClearTlsError) {
  config_.synthflow.ca_file.clear();
  EXPECT_EQ(provision(), 1);
  EXPECT_TRUE(fake_.calls().empty());  // no request went over an unverified channel
  EXPECT_NE(output_.find("TLS certificate of 127.0.0.1:" + std::to_string(fake_.port()) + " is not trusted"),
            std::string::npos)
      << output_;
  // OpenSSL's own verdict follows; which one depends on whether the server sends its CA.
  EXPECT_NE(output_.find("is not trusted: self-signed certificate in certificate chain"), std::string::npos)
      << output_;
  EXPECT_EQ(capture_.text().find("retry"), std::string::npos) << "a TLS refusal must not be retried";
}

TEST(ProvisioningTlsHostName, CertificateForAnotherAddressIsRefused) {
  // The test certificate names 127.0.0.1, ::1 and localhost; 127.0.0.2 is loopback too but unnamed.
  log_capture capture;
  auto options = fake_options(true);
  options.host = "127.0.0.2";
  fake_synthflow fake(options);
  auto config = test_config(fake);
  std::ostringstream out;
  EXPECT_EQ(app::run_provision_command(config, false, out), 1);
  EXPECT_NE(out.str().find("not trusted"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("IP address mismatch"), std::string::npos) << out.str();
  EXPECT_TRUE(fake.calls().empty());
  expect_no_secrets(capture.text() + out.str());
}

TEST_F(ProvisioningTls, SslCertFileEnvironmentVariableAddsTheCa) {
  config_.synthflow.ca_file.clear();
  ::setenv("SSL_CERT_FILE", fake_.ca_file().c_str(), 1);
  const int code = provision();
  ::unsetenv("SSL_CERT_FILE");
  EXPECT_EQ(code, 0) << output_;
}

TEST_F(ProvisioningTls, UnreadableCaFileIsASetupError) {
  config_.synthflow.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(provision(), 1);
  EXPECT_NE(output_.find("cannot load synthflow.ca_file /nonexistent/ca.pem"), std::string::npos) << output_;
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(ProvisioningTls, PlainHttpToTheTlsPortFails) {
  config_.synthflow.api_url = "http://127.0.0.1:" + std::to_string(fake_.port()) + "/v2";
  config_.synthflow.max_attempts = 1;
  config_.synthflow.request_timeout = std::chrono::milliseconds(1000);
  EXPECT_EQ(provision(), 1);
}

}  // namespace
}  // namespace twiml_redirect::test
