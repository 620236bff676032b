// Logs and labels stay valid UTF-8 whatever bytes arrive, and cuts never split a character.
#include "twiml_redirect/util/utf8.hpp"

#include <gtest/gtest.h>

namespace twiml_redirect::util {
namespace {

TEST(Utf8, SequenceLengths) {
  EXPECT_EQ(utf8_sequence_length("a"), 1u);
  EXPECT_EQ(utf8_sequence_length("\xC3\xA9"), 2u);          // é
  EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC"), 3u);      // €
  EXPECT_EQ(utf8_sequence_length("\xF0\x9F\x93\x9E"), 4u);  // 📞
  EXPECT_EQ(utf8_sequence_length("\x80"), 0u);              // stray continuation
  EXPECT_EQ(utf8_sequence_length("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(utf8_sequence_length("\xE0\x80\xAF"), 0u);      // overlong
  EXPECT_EQ(utf8_sequence_length("\xED\xA0\x80"), 0u);      // surrogate
  EXPECT_EQ(utf8_sequence_length("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xE2\x82"), 0u);          // cut
  EXPECT_EQ(utf8_sequence_length("\xFF"), 0u);
}

TEST(Utf8, PrefixNeverSplitsACharacter) {
  const std::string text = "ab\xE2\x82\xAC" "cd";  // a b € c d
  EXPECT_EQ(utf8_prefix(text, 2), "ab");
  EXPECT_EQ(utf8_prefix(text, 3), "ab");
  EXPECT_EQ(utf8_prefix(text, 4), "ab");
  EXPECT_EQ(utf8_prefix(text, 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(utf8_prefix(text, 100), text);
  EXPECT_EQ(utf8_prefix("\xE2\x82\xAC", 0), "");
}

TEST(Utf8, ValidityOfWholeTexts) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("ok \xC3\xA9 \xF0\x9F\x93\x9E"));
  EXPECT_FALSE(is_valid_utf8("ok \xFF"));
  EXPECT_FALSE(is_valid_utf8("cut \xE2\x82"));
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(valid_utf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(valid_utf8("/\xFF\xFE/"), "/\xEF\xBF\xBD\xEF\xBF\xBD/");
  EXPECT_EQ(valid_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // Every output is itself valid: re-validating changes nothing.
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::string once = valid_utf8(all_bytes);
  EXPECT_EQ(valid_utf8(once), once);
}

}  // namespace
}  // namespace twiml_redirect::util
