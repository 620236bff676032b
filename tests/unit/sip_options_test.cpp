// The SIP OPTIONS request doctor sends, and how it reads a status line.

#include <gtest/gtest.h>

#include "twiml_redirect/outbound/sip_options.hpp"

namespace twiml_redirect::outbound {
namespace {

TEST(SipOptionsRequest, HasTheHeadersRfc3261Requires) {
  const std::string request =
      build_options_request({"sip.us.synthflow.ai", 32681, "UDP", "192.0.2.7", 40000, "abc@twiml-redirect"});
  EXPECT_TRUE(request.starts_with("OPTIONS sip:sip.us.synthflow.ai:32681 SIP/2.0\r\n")) << request;
  EXPECT_NE(request.find("\r\nVia: SIP/2.0/UDP 192.0.2.7:40000;branch=z9hG4bK"), std::string::npos) << request;
  for (std::string_view header : {"\r\nMax-Forwards: 70\r\n", "\r\nTo: <sip:sip.us.synthflow.ai:32681>\r\n",
                                  "\r\nFrom: <sip:doctor@twiml-redirect.invalid>;tag=", "\r\nCall-ID: abc@twiml-redirect\r\n",
                                  "\r\nCSeq: 1 OPTIONS\r\n", "\r\nContent-Length: 0\r\n\r\n"})
    EXPECT_NE(request.find(header), std::string::npos) << header;
  EXPECT_TRUE(request.ends_with("\r\n\r\n"));
  const std::string v6 = build_options_request({"::1", 5060, "TCP", "::1", 1, "x"});
  EXPECT_TRUE(v6.starts_with("OPTIONS sip:[::1]:5060 SIP/2.0\r\n")) << v6;
  EXPECT_NE(v6.find("Via: SIP/2.0/TCP [::1]:1;"), std::string::npos) << v6;
}

TEST(SipOptionsRequest, StatusLine) {
  EXPECT_EQ(sip_status_line("SIP/2.0 200 OK\r\nVia: x\r\n\r\n").value_or(""), "SIP/2.0 200 OK");
  EXPECT_EQ(sip_status_line("SIP/2.0 404 Not Found\r\n").value_or(""), "SIP/2.0 404 Not Found");
  EXPECT_EQ(sip_status_line("SIP/2.0 483").value_or(""), "SIP/2.0 483");
  EXPECT_FALSE(sip_status_line("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(sip_status_line("SIP/2.0 20x OK\r\n"));
  EXPECT_FALSE(sip_status_line("SIP/2.0 2000 OK\r\n"));
  EXPECT_FALSE(sip_status_line(""));
}

}  // namespace
}  // namespace twiml_redirect::outbound
