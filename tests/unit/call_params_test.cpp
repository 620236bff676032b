#include "twiml_redirect/twilio/call_params.hpp"

#include <gtest/gtest.h>

namespace twiml_redirect::twilio {
namespace {

TEST(CheckCalled, AcceptsE164) {
  for (const char* ok : {"+14155550100", "+12", "+123456789012345", "+447381234567"}) EXPECT_EQ(check_called(ok), std::nullopt) << ok;
}

TEST(CheckCalled, NamesWhatIsWrong) {
  EXPECT_EQ(check_called(""), "is empty");
  EXPECT_EQ(check_called("14155550100"), "must start with '+' (E.164, e.g. +14155550100)");
  EXPECT_EQ(check_called("+1415555010a"), "must contain only digits after '+'");
  EXPECT_EQ(check_called("+1"), "must have 2 to 15 digits after '+', has 1");
  EXPECT_EQ(check_called("+"), "must have 2 to 15 digits after '+', has 0");
  EXPECT_EQ(check_called("+1234567890123456"), "must have 2 to 15 digits after '+', has 16");
  EXPECT_EQ(check_called("+04155550100"), "must not start with 0 after '+' (no country code starts with 0)");
  EXPECT_NE(check_called("+1 415"), std::nullopt);
  EXPECT_NE(check_called(std::string("+1415\0", 6)), std::nullopt);
}

TEST(CheckCallSid, AcceptsTwilioSidsAndOtherIds) {
  for (const char* ok : {"CA0123456789abcdef0123456789abcdef", "CA123", "a", "call_id-42"}) EXPECT_EQ(check_call_sid(ok), std::nullopt) << ok;
  EXPECT_EQ(check_call_sid(std::string(64, 'a')), std::nullopt);
}

TEST(CheckCallSid, RejectsWhatCouldSmuggleSipSyntax) {
  EXPECT_EQ(check_call_sid(""), "is empty");
  EXPECT_EQ(check_call_sid(std::string(65, 'a')), "is 65 characters long, at most 64 are allowed");
  for (const char* bad : {"CA1&X-Other=1", "CA1;transport=tcp", "CA 1", "CA<1>", "CA1?", "CA%41", "CA1\r\n"})
    EXPECT_EQ(check_call_sid(bad), "may contain only letters, digits, '_' and '-'") << bad;
}

TEST(CheckSipTarget, AcceptsHostAndOptionalPort) {
  for (const char* ok : {"sipin.synthflow.ai:32681", "sip.eu.synthflow.ai:32681", "sip.synthflow.ai", "10.0.0.1:5060"})
    EXPECT_EQ(check_sip_target(ok), std::nullopt) << ok;
}

TEST(CheckSipTarget, RejectsBadHostsAndPorts) {
  EXPECT_EQ(check_sip_target(""), "is empty");
  EXPECT_EQ(check_sip_target(":5060"), "has no host");
  EXPECT_EQ(check_sip_target("sip.synthflow.ai:0"), "port must be a number from 1 to 65535");
  EXPECT_EQ(check_sip_target("sip.synthflow.ai:70000"), "port must be a number from 1 to 65535");
  EXPECT_EQ(check_sip_target("sip.synthflow.ai:"), "port must be a number from 1 to 65535");
  EXPECT_EQ(check_sip_target("sip.synthflow.ai:12a"), "port must be a number from 1 to 65535");
  EXPECT_EQ(check_sip_target("evil.com?X-A=1"), "host may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(check_sip_target(std::string(151, 'a')), "is longer than 150 characters");
}

TEST(CheckSipTarget, HostsAreRfc3261HostsWithTheExactProblem) {
  EXPECT_EQ(check_sip_target("-bad.example.com"), "host label 1 \"-bad\" starts or ends with '-'");
  EXPECT_EQ(check_sip_target("bad-.example.com:5060"), "host label 1 \"bad-\" starts or ends with '-'");
  EXPECT_EQ(check_sip_target("a..b.com"), "host has an empty label (two dots in a row, or a leading dot)");
  EXPECT_EQ(check_sip_target(".a.com"), "host has an empty label (two dots in a row, or a leading dot)");
  EXPECT_EQ(check_sip_target(std::string(64, 'a') + ".com"), "host label 1 is longer than 63 characters");
  EXPECT_EQ(check_sip_target("sip.synthflow.ai."), std::nullopt);  // fully qualified
  EXPECT_EQ(check_sip_target("my-pbx.example.com"), std::nullopt);
  // A scheme in front is a common slip: say what to write instead of a port error.
  EXPECT_EQ(check_sip_target("sip:sip.us.synthflow.ai:32681"),
            "write the host without the scheme (\"sip:\"): host or host:port, e.g. sip.us.synthflow.ai:32681");
  EXPECT_EQ(check_sip_target("https://sip.us.synthflow.ai"),
            "write the host without the scheme (\"https://\"): host or host:port, e.g. sip.us.synthflow.ai:32681");
  EXPECT_EQ(check_sip_target("SIPS:pbx.example.com"),
            "write the host without the scheme (\"sips:\"): host or host:port, e.g. sip.us.synthflow.ai:32681");
}

}  // namespace
}  // namespace twiml_redirect::twilio
