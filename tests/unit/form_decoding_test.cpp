#include "twiml_redirect/util/form_decoding.hpp"

#include <gtest/gtest.h>

namespace twiml_redirect::util {
namespace {

std::vector<std::pair<std::string, std::string>> pairs(const decoded_form& form) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : form.params) out.emplace_back(p.name, p.value);
  return out;
}

using pair_list = std::vector<std::pair<std::string, std::string>>;

TEST(FormDecoding, SplitsPairsAndDecodes) {
  const auto form = decode_form("Called=%2B14155550100&CallSid=CA123&FromCity=S%C3%83O+PAULO");
  ASSERT_TRUE(form.ok()) << form.error;
  EXPECT_EQ(pairs(form), (pair_list{{"Called", "+14155550100"}, {"CallSid", "CA123"}, {"FromCity", "S\xC3\x83O PAULO"}}));
}

TEST(FormDecoding, PlusIsSpaceButEncodedPlusIsPlus) {
  const auto form = decode_form("a=1+2&b=1%2B2");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(pairs(form), (pair_list{{"a", "1 2"}, {"b", "1+2"}}));
}

TEST(FormDecoding, EmptyValuesAndMissingEqualsAreEmptyStrings) {
  const auto form = decode_form("CalledCity=&flag&x=");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(pairs(form), (pair_list{{"CalledCity", ""}, {"flag", ""}, {"x", ""}}));
}

TEST(FormDecoding, ValueMayContainEquals) {
  const auto form = decode_form("a=b=c");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(pairs(form), (pair_list{{"a", "b=c"}}));
}

TEST(FormDecoding, EmptyPairsAreSkipped) {
  const auto form = decode_form("&&a=1&&b=2&");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(pairs(form), (pair_list{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(decode_form("").params.empty());
}

TEST(FormDecoding, RepeatedKeysAreKeptInOrder) {
  const auto form = decode_form("Digits=5678&Digits=1234&Digits=1234");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(pairs(form), (pair_list{{"Digits", "5678"}, {"Digits", "1234"}, {"Digits", "1234"}}));
}

TEST(FormDecoding, LowerAndUpperHexDigits) {
  const auto form = decode_form("a=%3a%3A");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form.params.at(0).value, "::");
}

TEST(FormDecoding, DecodesNulBytes) {
  const auto form = decode_form("a=x%00y");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form.params.at(0).value, std::string("x\0y", 3));
}

TEST(FormDecoding, BadEscapesAreErrorsWithTheirOffset) {
  for (const std::string_view bad : {"a=%", "a=%4", "a=%zz", "a=%4g", "ok=1&b%=2"}) {
    const auto form = decode_form(bad);
    EXPECT_FALSE(form.ok()) << bad;
    EXPECT_TRUE(form.params.empty()) << bad;
  }
  EXPECT_EQ(decode_form("ok=1&b=%zz").error, "malformed percent-escape at offset 7");
}

TEST(FormDecoding, PercentDecodeWithoutPlusAsSpace) {
  std::string out;
  ASSERT_TRUE(percent_decode("a+b%20c", false, out));
  EXPECT_EQ(out, "a+b c");
}

TEST(FormDecoding, FindParamReturnsFirstMatch) {
  const auto form = decode_form("a=1&b=2&a=3");
  ASSERT_NE(find_param(form.params, "a"), nullptr);
  EXPECT_EQ(find_param(form.params, "a")->value, "1");
  EXPECT_EQ(find_param(form.params, "c"), nullptr);
}

}  // namespace
}  // namespace twiml_redirect::util
