#include "twiml_redirect/util/form_decoding.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <random>

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

TEST(FormDecoding, FormMediaType) {
  EXPECT_TRUE(is_form_media_type("application/x-www-form-urlencoded"));
  EXPECT_TRUE(is_form_media_type("application/x-www-form-urlencoded; charset=UTF-8"));
  EXPECT_TRUE(is_form_media_type(" Application/X-WWW-Form-URLEncoded\t;charset=utf-8"));
  EXPECT_FALSE(is_form_media_type("application/json"));
  EXPECT_FALSE(is_form_media_type("application/x-www-form-urlencodedx"));
  EXPECT_FALSE(is_form_media_type(""));
}

TEST(FormDecoding, FindParamReturnsFirstMatch) {
  const auto form = decode_form("a=1&b=2&a=3");
  ASSERT_NE(find_param(form.params, "a"), nullptr);
  EXPECT_EQ(find_param(form.params, "a")->value, "1");
  EXPECT_EQ(find_param(form.params, "c"), nullptr);
}

// The definition, written the slow and obvious way: split on '&', drop empty pairs, split each at
// its first '=', decode byte by byte. The fast decoder must agree with it on every input.
decoded_form reference_decode(std::string_view encoded) {
  decoded_form result;
  const auto decode = [](std::string_view text, std::string& out) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out.push_back(' ');
      } else if (text[i] != '%') {
        out.push_back(text[i]);
      } else if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        return i;  // where the malformed escape starts
      }
    }
    return std::nullopt;
  };
  std::size_t start = 0;
  while (start <= encoded.size()) {
    const std::size_t end = std::min(encoded.find('&', start), encoded.size());
    const std::string_view pair = encoded.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t equals = pair.find('=');
      form_param param;
      auto bad = decode(pair.substr(0, equals), param.name);
      if (!bad && equals != std::string_view::npos) {
        bad = decode(pair.substr(equals + 1), param.value);
        if (bad) *bad += equals + 1;
      }
      if (bad) return {{}, "malformed percent-escape at offset " + std::to_string(start + *bad)};
      result.params.push_back(std::move(param));
    }
    start = end + 1;
  }
  return result;
}

TEST(FormDecoding, AgreesWithTheObviousDecoderOnRandomInput) {
  std::mt19937 random(20240501);  // fixed: a failure must reproduce
  constexpr std::string_view kAlphabet = "ab=&%+2BfzG0 ";
  for (int round = 0; round < 20000; ++round) {
    std::string input(random() % 24, ' ');
    for (char& c : input) c = kAlphabet[random() % kAlphabet.size()];
    const decoded_form fast = decode_form(input);
    const decoded_form slow = reference_decode(input);
    ASSERT_EQ(fast.error, slow.error) << input;
    ASSERT_EQ(pairs(fast), pairs(slow)) << input;
  }
}

}  // namespace
}  // namespace twiml_redirect::util
