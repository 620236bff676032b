#include "twiml_redirect/twilio/refer_target.hpp"
#include "twiml_redirect/twilio/transfer.hpp"

#include <gtest/gtest.h>

namespace twiml_redirect::twilio {
namespace {

refer_target parsed(std::string_view text) {
  auto result = parse_refer_target(text);
  if (const auto* problem = std::get_if<std::string>(&result)) ADD_FAILURE() << text << ": " << *problem;
  return std::get<refer_target>(result);
}

std::string problem_of(std::string_view text) {
  auto result = parse_refer_target(text);
  if (!std::holds_alternative<std::string>(result)) {
    ADD_FAILURE() << text << " parsed as " << describe(std::get<refer_target>(result));
    return {};
  }
  return std::get<std::string>(result);
}

TEST(ReferTarget, TelWithAndWithoutBrackets) {
  EXPECT_EQ(describe(parsed("<tel:+14155550199>")), "tel:+14155550199");
  EXPECT_EQ(describe(parsed("tel:+14155550199")), "tel:+14155550199");
  EXPECT_EQ(describe(parsed("  <TEL:+14155550199>  ")), "tel:+14155550199");
}

TEST(ReferTarget, TelVisualSeparatorsAndParametersDropped) {
  EXPECT_EQ(describe(parsed("<tel:+1-415-555-0199>")), "tel:+14155550199");
  EXPECT_EQ(describe(parsed("tel:+1 (415) 555.0199;phone-context=example.com")), "tel:+14155550199");
}

TEST(ReferTarget, TelMustBeGlobalE164) {
  EXPECT_NE(problem_of("<tel:4155550199>").find("global"), std::string::npos);
  EXPECT_NE(problem_of("<tel:+0123456>").find("must not start with 0"), std::string::npos);
  EXPECT_NE(problem_of("<tel:+1415555019912345678>").find("2 to 15 digits"), std::string::npos);
  EXPECT_NE(problem_of("<tel:+1415abc>").find("only digits"), std::string::npos);
  EXPECT_NE(problem_of("<tel:+>").find("2 to 15 digits"), std::string::npos);
}

TEST(ReferTarget, SipDropsParametersAndHeaders) {
  const refer_target target = parsed("<sip:desk@PBX.example.com:5080;transport=tls?X-Evil=1&User-to-User=x>");
  const auto& sip = std::get<refer_sip>(target);
  EXPECT_EQ(sip.user, "desk");
  EXPECT_EQ(sip.host, "PBX.example.com");
  EXPECT_EQ(sip.port, "5080");
  EXPECT_EQ(sip.uri(), "sip:desk@PBX.example.com:5080");
  EXPECT_FALSE(sip.user_is_phone_number());
}

TEST(ReferTarget, SipSchemeInAnyCaseAndDisplayName) {
  EXPECT_EQ(describe(parsed("\"Front desk\" <SIP:desk@pbx.example.com>")), "sip:desk@pbx.example.com");
  EXPECT_EQ(describe(parsed("Sip:+14155550199@sip.example.com")), "sip:+14155550199@sip.example.com");
  EXPECT_TRUE(std::get<refer_sip>(parsed("sip:+14155550199@sip.example.com")).user_is_phone_number());
}

TEST(ReferTarget, HostileOrMalformedAreRefusedWithoutEchoingThem) {
  const std::string problem = problem_of("<sip:de<sk>@pbx.example.com>");
  EXPECT_EQ(problem.find("de<sk"), std::string::npos) << problem;
  EXPECT_NE(problem_of("<sip:desk@pbx.example.com").find("closing '>'"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk%40x@pbx.example.com").find("user"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk@pbx.exa mple.com").find("host"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk@pbx.example.com:0").find("port"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk@pbx.example.com:99999").find("port"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk@").find("host"), std::string::npos);
  EXPECT_NE(problem_of("sip:@pbx.example.com").find("empty user"), std::string::npos);
  EXPECT_NE(problem_of("sip:*@pbx.example.com").find("not *"), std::string::npos);
  EXPECT_NE(problem_of("sip:pbx.example.com").find("user@host"), std::string::npos);
  EXPECT_NE(problem_of("sips:desk@pbx.example.com").find("scheme"), std::string::npos);
  EXPECT_NE(problem_of("http://evil.example.com").find("scheme"), std::string::npos);
  EXPECT_NE(problem_of("+14155550199").find("scheme"), std::string::npos);
  EXPECT_NE(problem_of("").find("empty"), std::string::npos);
  EXPECT_NE(problem_of("<>").find("empty"), std::string::npos);
  EXPECT_NE(problem_of(std::string("sip:desk\0x@pbx.example.com", 26)).find("user"), std::string::npos);
}

// Valid RFC 3261 / RFC 3966 forms that real REFERs carry.
TEST(ReferTarget, NameAddrWithParametersAfterTheBracket) {
  EXPECT_EQ(describe(parsed("<sip:desk@pbx.example.com>;tag=a6c85cf")), "sip:desk@pbx.example.com");
  EXPECT_EQ(describe(parsed("\"Desk\" <sip:desk@pbx.example.com> ;x=1;y")), "sip:desk@pbx.example.com");
  EXPECT_NE(problem_of("<sip:desk@pbx.example.com> trailing words").find("after '>'"), std::string::npos);
}

TEST(ReferTarget, QuotedDisplayNameMayHoldBracketsAndEscapedQuotes) {
  EXPECT_EQ(describe(parsed("\"Sales <main line>\" <sip:sales@pbx.example.com>")), "sip:sales@pbx.example.com");
  EXPECT_EQ(describe(parsed("\"The \\\"desk\\\"\" <tel:+14155550199>")), "tel:+14155550199");
  EXPECT_NE(problem_of("\"Unclosed <sip:a@pbx.example.com>").find("closing quote"), std::string::npos);
  EXPECT_NE(problem_of("\"Name only\"").find("no <uri>"), std::string::npos);
}

TEST(ReferTarget, PercentEscapedUserIsDecoded) {
  const refer_target target = parsed("<sip:%2B14155550199@sip.example.com>");
  EXPECT_EQ(std::get<refer_sip>(target).user, "+14155550199");
  EXPECT_TRUE(std::get<refer_sip>(target).user_is_phone_number());
  EXPECT_EQ(describe(parsed("sip:front%2Ddesk@pbx.example.com")), "sip:front-desk@pbx.example.com");
  EXPECT_NE(problem_of("sip:desk%4@pbx.example.com").find("two hex digits"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk%@pbx.example.com").find("two hex digits"), std::string::npos);
  // Decoded, it must still be a user we can dial: no '@', no control characters.
  EXPECT_NE(problem_of("sip:desk%40evil.example.com@pbx.example.com").find("user"), std::string::npos);
  EXPECT_NE(problem_of("sip:desk%0D%0A@pbx.example.com").find("user"), std::string::npos);
}

TEST(ReferTarget, LocalTelNumberWithACountryCodeContextIsNormalised) {
  EXPECT_EQ(describe(parsed("<tel:415-555-0199;phone-context=+1>")), "tel:+14155550199");
  EXPECT_EQ(describe(parsed("tel:2071234567;Phone-Context=+44")), "tel:+442071234567");
  // A domain context, or none, leaves the number ambiguous: refused.
  EXPECT_NE(problem_of("<tel:5550199;phone-context=example.com>").find("phone-context=+<country code>"),
            std::string::npos);
  EXPECT_NE(problem_of("<tel:4155550199>").find("global"), std::string::npos);
  EXPECT_NE(problem_of("tel:4155550199;phone-context=+").find("country code"), std::string::npos);
}

TEST(ReferTarget, LengthLimitIs256) {
  const std::string user(256 - std::string_view("sip:@h.example").size(), 'a');
  const std::string at_limit = "sip:" + user + "@h.example";
  ASSERT_EQ(at_limit.size(), 256u);
  EXPECT_EQ(describe(parsed(at_limit)), at_limit);
  EXPECT_NE(problem_of(at_limit + "m").find("at most 256"), std::string::npos);
}

TEST(TransferPattern, NumbersExactPrefixesMarkedShortOnesNamed) {
  EXPECT_EQ(check_transfer_pattern("+14155550199"), std::nullopt);
  EXPECT_EQ(check_transfer_pattern("+1415555*"), std::nullopt);
  EXPECT_EQ(check_transfer_pattern("+1*"), std::nullopt);  // refused later unless allow_short_prefixes
  EXPECT_TRUE(is_short_prefix("+1*"));
  EXPECT_TRUE(is_short_prefix("+4420*"));
  EXPECT_FALSE(is_short_prefix("+44207*"));
  EXPECT_FALSE(is_short_prefix("+14155550199"));
  EXPECT_EQ(check_transfer_pattern("+1415"),
            "\"+1415\" is too short to be a whole number: write \"+1415*\" to allow the numbers that start with it");
  EXPECT_EQ(check_transfer_pattern("+1"),
            "\"+1\" is too short to be a whole number: write \"+1*\" to allow the numbers that start with it");
  EXPECT_NE(check_transfer_pattern("+*"), std::nullopt);
  EXPECT_NE(check_transfer_pattern("+14*15"), std::nullopt);
}

TEST(TransferMatch, NumberPrefixes) {
  const std::vector<std::string> allow = {"+14155*", "+442071234567"};
  EXPECT_EQ(match_transfer(parsed("tel:+14155550199"), allow), transfer_dial::number);
  EXPECT_EQ(match_transfer(parsed("tel:+442071234567"), allow), transfer_dial::number);
  // A whole number matches itself only; a longer one needs a prefix entry ('*').
  EXPECT_EQ(match_transfer(parsed("tel:+4420712345678"), allow), transfer_dial::refused);
  EXPECT_EQ(match_transfer(parsed("tel:+4420712345678"), {"+442071234567*"}), transfer_dial::number);
  EXPECT_EQ(match_transfer(parsed("tel:+14165550199"), allow), transfer_dial::refused);
  EXPECT_EQ(match_transfer(parsed("tel:+1900555"), allow), transfer_dial::refused);
  EXPECT_EQ(match_transfer(parsed("tel:+14155550199"), {}), transfer_dial::refused);
}

TEST(TransferMatch, SipUserWhoseUserIsANumberMatchesNumberPatterns) {
  EXPECT_EQ(match_transfer(parsed("<sip:+14155550199@sip.example.com>"), {"+14155*"}), transfer_dial::number);
  EXPECT_EQ(match_transfer(parsed("<sip:+14155550199@sip.example.com>"), {"+1416"}), transfer_dial::refused);
  // A SIP pattern that names the host wins: the operator allowed that host, not the PSTN.
  EXPECT_EQ(match_transfer(parsed("<sip:+14155550199@pbx.example.com>"), {"+14155*", "sip:*@pbx.example.com"}),
            transfer_dial::sip);
}

TEST(TransferMatch, SipExactUserHostCaseAndPort) {
  const std::vector<std::string> allow = {"sip:desk@pbx.example.com", "sip:ops@Ops.Example.com:5080"};
  EXPECT_EQ(match_transfer(parsed("sip:desk@pbx.example.com"), allow), transfer_dial::sip);
  EXPECT_EQ(match_transfer(parsed("sip:desk@PBX.EXAMPLE.COM"), allow), transfer_dial::sip);
  EXPECT_EQ(match_transfer(parsed("sip:desk@pbx.example.com:5070"), allow), transfer_dial::sip);  // no port in pattern
  EXPECT_EQ(match_transfer(parsed("sip:Desk@pbx.example.com"), allow), transfer_dial::refused);   // user is exact
  EXPECT_EQ(match_transfer(parsed("sip:desk@pbx.example.com.evil.io"), allow), transfer_dial::refused);
  EXPECT_EQ(match_transfer(parsed("sip:desk@evil.io"), allow), transfer_dial::refused);
  EXPECT_EQ(match_transfer(parsed("sip:ops@ops.example.com:5080"), allow), transfer_dial::sip);
  EXPECT_EQ(match_transfer(parsed("sip:ops@ops.example.com:05080"), allow), transfer_dial::sip);
  EXPECT_EQ(match_transfer(parsed("sip:ops@ops.example.com:5081"), allow), transfer_dial::refused);
  EXPECT_EQ(match_transfer(parsed("sip:ops@ops.example.com"), allow), transfer_dial::refused);  // pattern's port given
  EXPECT_EQ(match_transfer(parsed("tel:+14155550199"), allow), transfer_dial::refused);
}

TEST(TransferMatch, SipAnyUserAtHost) {
  const std::vector<std::string> allow = {"sip:*@pbx.example.com"};
  EXPECT_EQ(match_transfer(parsed("sip:anyone@pbx.example.com"), allow), transfer_dial::sip);
  EXPECT_EQ(match_transfer(parsed("sip:anyone@other.example.com"), allow), transfer_dial::refused);
}

TEST(ReferTarget, CountryCodeByTheItuAssignments) {
  EXPECT_EQ(country_code_of("+14155550100"), "1");
  EXPECT_EQ(country_code_of("+74951234567"), "7");
  EXPECT_EQ(country_code_of("+442071838750"), "44");
  EXPECT_EQ(country_code_of("+4930123456"), "49");
  EXPECT_EQ(country_code_of("+353161234567"), "353");
  EXPECT_EQ(country_code_of("+2125221234"), "212");
  EXPECT_EQ(country_code_of("+8613800138000"), "86");
  EXPECT_EQ(country_code_of("+85212345678"), "852");
  EXPECT_EQ(country_code_of("14155550100"), "");
  EXPECT_EQ(country_code_of("+1a"), "");
  EXPECT_EQ(describe_refused(refer_target{refer_phone{"+442071838750"}}), "tel:+44 (12 digits)");
  EXPECT_EQ(describe_refused(refer_target{refer_sip{"alice", "pbx.example.com", ""}}),
            "sip:(5 characters)@pbx.example.com");
}

}  // namespace
}  // namespace twiml_redirect::twilio
