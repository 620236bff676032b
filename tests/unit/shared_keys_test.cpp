#include "twiml_redirect/twilio/shared_keys.hpp"

#include <gtest/gtest.h>

namespace {

using namespace twiml_redirect::twilio;

TEST(SharedKeys, ParsesSeveralKeysForRotation) {
  const shared_keys_parse parsed = parse_shared_keys(" KSaaa:secret-one , KSbbb:sec:ret:two");
  ASSERT_TRUE(parsed.error.empty()) << parsed.error;
  ASSERT_EQ(parsed.keys.size(), 2u);
  EXPECT_EQ(parsed.keys[0].sid, "KSaaa");
  EXPECT_EQ(parsed.keys[0].secret, "secret-one");
  EXPECT_EQ(parsed.keys[1].sid, "KSbbb");
  EXPECT_EQ(parsed.keys[1].secret, "sec:ret:two");  // everything after the first ':'
  EXPECT_TRUE(parse_shared_keys("").keys.empty());
  EXPECT_TRUE(parse_shared_keys("").error.empty());
}

TEST(SharedKeys, ErrorsNameTheEntryAndNeverTheSecret) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"KSaaa:topsecret,", "entry 2 is empty (write SID:secret entries separated by single commas)"},
      {"topsecret", "entry 1 has no ':' (write SID:secret, e.g. KSxxx:secret)"},
      {"KS a:topsecret", "entry 1: the key SID before ':' must be letters and digits (KS...)"},
      {":topsecret", "entry 1: the key SID before ':' must be letters and digits (KS...)"},
      {"KSaaa:", "entry 1 (KSaaa) has an empty secret"},
      {"KSaaa:topsecret,KSaaa:topsecret2", "entry 2 repeats key KSaaa"},
  };
  for (const auto& c : cases) {
    const shared_keys_parse parsed = parse_shared_keys(c.text);
    EXPECT_EQ(parsed.error, c.error) << c.text;
    EXPECT_TRUE(parsed.keys.empty()) << c.text;
    EXPECT_EQ(parsed.error.find("topsecret"), std::string::npos) << c.text;
  }
}

TEST(SharedKeys, SettingsHeader) {
  const auto settings = parse_signature_settings("key=KSabc,algorithm=HMAC_SHA256");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->key, "KSabc");
  EXPECT_EQ(settings->algorithm, "HMAC_SHA256");
  const auto spaced = parse_signature_settings(" algorithm = HMAC_SHA1 , Key=KSabc ");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->key, "KSabc");
  EXPECT_EQ(spaced->algorithm, "HMAC_SHA1");
  EXPECT_FALSE(parse_signature_settings("algorithm=HMAC_SHA256"));  // no key
  EXPECT_FALSE(parse_signature_settings("KSabc"));
  EXPECT_FALSE(parse_signature_settings("key="));
}

TEST(SharedKeys, Algorithms) {
  EXPECT_EQ(hmac_algorithm_named("HMAC_SHA1"), hmac_algorithm::sha1);
  EXPECT_EQ(hmac_algorithm_named("HMAC_SHA256"), hmac_algorithm::sha256);
  EXPECT_EQ(hmac_algorithm_named("hmac_sha256"), hmac_algorithm::sha256);
  EXPECT_FALSE(hmac_algorithm_named("HMAC_SHA512"));
  EXPECT_FALSE(hmac_algorithm_named("SHA256"));
  EXPECT_FALSE(hmac_algorithm_named(""));
}

}  // namespace
