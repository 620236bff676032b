// Vectors from twilio-node spec/validation.spec.js and twilio-python test_request_validator.py, plus
// ones recomputed with both libraries (see the reference notes on Twilio webhooks, sections 1.5 and 1.6).
#include "twiml_redirect/twilio/signature.hpp"

#include <gtest/gtest.h>

#include "support/twilio_vectors.hpp"

namespace {

using namespace twiml_redirect::twilio;

constexpr const char* kToken = "12345";
constexpr const char* kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";

form_params common_params() { return twiml_redirect::testing::library_vector_params(); }
form_params voice_params() { return twiml_redirect::testing::voice_vector_params(); }

TEST(SignatureString, AppendsSortedNamesAndValuesWithoutSeparators) {
  EXPECT_EQ(signing_string(kUrl, common_params()),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234"
            "From+14158675309To+18005551212");
}

TEST(SignatureString, SortsNamesBytewise) {
  // Vector V4: uppercase before lowercase, '.' before letters, a prefix before its extensions.
  const form_params params{{"b", "1"}, {"B", "2"}, {"a", "3"}, {"A", "4"}, {"A.B", "5"}, {"AB", "6"}};
  EXPECT_EQ(signing_string("https://example.com/twilio/voice", params),
            "https://example.com/twilio/voiceA4A.B5AB6B2a3b1");
  EXPECT_EQ(compute_signature(kToken, "https://example.com/twilio/voice", params), "SwkDhok7tvNtKbEcih6x2iCdljo=");
}

TEST(SignatureString, SortsNamesAsUnsignedBytes) {
  // A UTF-8 lead byte (0xC3) must sort after ASCII 'z', which a signed-char comparison would not do.
  const form_params params{{"\xC3\xA9", "1"}, {"z", "2"}};
  EXPECT_EQ(signing_string("u", params), "uz2\xC3\xA9" "1");
}

TEST(SignatureString, RepeatedNamesDeduplicateAndSortValues) {
  const form_params params{{"Digits", "5678"}, {"Sid", "CA123"}, {"Digits", "1234"}, {"SidAccount", "AC123"},
                           {"Digits", "1234"}};
  EXPECT_EQ(signing_string("u", params), "uDigits1234Digits5678SidCA123SidAccountAC123");
}

TEST(SignatureString, EmptyValueContributesItsName) {
  EXPECT_EQ(signing_string("u", {{"CalledCity", ""}, {"A", "1"}}), "uA1CalledCity");
}

TEST(ComputeSignature, LibraryVectors) {
  struct vector {
    const char* url;
    const char* signature;
  };
  // Vectors 1-7 of the libraries' test suites: same token and parameters, different URL spellings.
  for (const vector& v : {
           vector{kUrl, "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
           vector{"https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="},
           vector{"http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="},
           vector{"http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="},
           vector{"https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10="},
           vector{"https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs="},
           vector{"https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="},
       }) {
    EXPECT_EQ(compute_signature(kToken, v.url, common_params()), v.signature) << v.url;
  }
}

TEST(ComputeSignature, RepeatedParameterVectors) {
  // Vector 9: one name with two values, in either order.
  EXPECT_EQ(compute_signature(kToken, kUrl,
                              {{"MessagingBinding.Address", "+1325xxxxxxx"},
                               {"MessagingBinding.Address", "+1415xxxxxxx"}}),
            "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  EXPECT_EQ(compute_signature(kToken, kUrl,
                              {{"MessagingBinding.Address", "+1415xxxxxxx"},
                               {"MessagingBinding.Address", "+1325xxxxxxx"}}),
            "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  // Vector 10: duplicates dropped, values sorted, `Sid` before `SidAccount`.
  EXPECT_EQ(compute_signature(kToken, kUrl,
                              {{"Sid", "CA123"}, {"SidAccount", "AC123"}, {"Digits", "5678"}, {"Digits", "1234"},
                               {"Digits", "1234"}}),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

TEST(ComputeSignature, BodyHashVectorsSignTheUrlAlone) {
  // Vectors 11-13.
  EXPECT_EQ(compute_signature(
                kToken,
                "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
                "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
                {}),
            "a9nBmqA0ju/hNViExpshrM61xv4=");
  EXPECT_EQ(compute_signature(
                kToken,
                "https://mycompany.com/myapp.php?bodySHA256="
                "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
                {}),
            "y77kIzt2vzLz71DgmJGsen2scGs=");
  EXPECT_EQ(compute_signature(
                kToken,
                "https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256="
                "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                {}),
            "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
}

TEST(ComputeSignature, OlderDocsExample) {
  EXPECT_EQ(compute_signature(kToken, kUrl,
                              {{"CallSid", "CA1234567890ABCDE"},
                               {"Caller", "+12349013030"},
                               {"Digits", "1234"},
                               {"From", "+12349013030"},
                               {"To", "+18005551212"}}),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

TEST(ComputeSignature, NodeWebhookSpecVectors) {
  EXPECT_EQ(compute_signature("s3cr3t", "https://example.com/path?test=param", {}), "loLgTitFAoWx57yy5oEU4Hlddzw=");
  EXPECT_EQ(compute_signature("s3cr3t", "https://example.com:443/path?test=param", {}),
            "IdwMFypqvNxti3YgvWWmfcNL26M=");
  EXPECT_EQ(compute_signature("s3cr3t", "https://example.com/path?test=param'WithQuote", {}),
            "GfI7onHX/KQ2k1oVS3cUTVk4IEw=");
}

TEST(ComputeSignature, RawQuoteIsNotReencoded) {
  // We sign the target exactly as received; the un-normalised spelling of vector 8 gives this.
  EXPECT_EQ(compute_signature(kToken, "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing",
                              common_params()),
            "dsq4Ehbj6cs+KdTkpF5sSSplOWw=");
}

TEST(ComputeSignature, VoiceWebhookVectors) {
  // V1: empty value, UTF-8 value, a space.
  EXPECT_EQ(compute_signature(kToken, "https://example.com/twilio/voice", voice_params()),
            "57Jx/zFvW+iXPb33LhmhmDvKK0Q=");
  // V2: non-default port and an escaped query kept as is.
  EXPECT_EQ(compute_signature(kToken, "http://voice.example.com:8080/hook?tenant=a%20b", voice_params()),
            "xfsMrtDd+l3LLt3yspYEb+Kgovg=");
  // V3: GET, parameters in the query only.
  EXPECT_EQ(compute_signature(
                kToken, "https://example.com/twilio/voice?CallSid=CA0b33a4462bd42d3eeaa07f07653796e3&From=%2B447381234567",
                {}),
            "hM7GYKTkjZyUD2U4RGyTTBr18z0=");
}

TEST(BodySha256, MatchesLibraryVectors) {
  EXPECT_EQ(body_sha256_hex(R"({"property": "value", "boolean": true})"),
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");
  EXPECT_EQ(body_sha256_hex("{}"), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  EXPECT_EQ(body_sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "ab"));
  EXPECT_FALSE(constant_time_equals("", "a"));
  EXPECT_FALSE(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(CandidateUrls, AddsDefaultPortWhenAbsent) {
  EXPECT_EQ(candidate_urls("https://h.example/p?q=1"),
            (std::vector<std::string>{"https://h.example/p?q=1", "https://h.example:443/p?q=1"}));
  EXPECT_EQ(candidate_urls("http://h.example/p"), (std::vector<std::string>{"http://h.example/p", "http://h.example:80/p"}));
  EXPECT_EQ(candidate_urls("HTTPS://h.example"), (std::vector<std::string>{"HTTPS://h.example", "HTTPS://h.example:443"}));
}

TEST(CandidateUrls, RemovesAnExplicitPort) {
  EXPECT_EQ(candidate_urls("https://h.example:8443/p"),
            (std::vector<std::string>{"https://h.example:8443/p", "https://h.example/p"}));
  EXPECT_EQ(candidate_urls("http://h.example:80?x"), (std::vector<std::string>{"http://h.example:80?x", "http://h.example?x"}));
}

TEST(CandidateUrls, KeepsUserinfoAndIpv6Brackets) {
  EXPECT_EQ(candidate_urls("https://user:pass@h.example/p"),
            (std::vector<std::string>{"https://user:pass@h.example/p", "https://user:pass@h.example:443/p"}));
  EXPECT_EQ(candidate_urls("http://[::1]:8080/p"), (std::vector<std::string>{"http://[::1]:8080/p", "http://[::1]/p"}));
  EXPECT_EQ(candidate_urls("http://[::1]/p"), (std::vector<std::string>{"http://[::1]/p", "http://[::1]:80/p"}));
}

TEST(CandidateUrls, UnparsableUrlYieldsOnlyItself) {
  EXPECT_EQ(candidate_urls("/relative"), (std::vector<std::string>{"/relative"}));
  EXPECT_EQ(candidate_urls("https:///p"), (std::vector<std::string>{"https:///p"}));
  EXPECT_EQ(candidate_urls("http://[::1/p"), (std::vector<std::string>{"http://[::1/p"}));
}

TEST(SignatureMatches, AcceptsEitherPortSpelling) {
  // Vector 2 is the :443 spelling of vector 1's URL: both validate against the plain URL, and
  // vector 1 validates against a URL carrying a non-default port (stripped).
  EXPECT_TRUE(signature_matches(kToken, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", kUrl, common_params()));
  EXPECT_TRUE(signature_matches(kToken, "kvajT1Ptam85bY51eRf/AJRuM3w=", kUrl, common_params()));
  EXPECT_TRUE(signature_matches(kToken, "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                                "https://mycompany.com:1234/myapp.php?foo=1&bar=2", common_params()));
  EXPECT_TRUE(signature_matches(kToken, "0ZXoZLH/DfblKGATFgpif+LLRf4=", "http://mycompany.com/myapp.php?foo=1&bar=2",
                                common_params()));
  EXPECT_TRUE(signature_matches(kToken, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
                                "http://mycompany.com:1234/myapp.php?foo=1&bar=2", common_params()));
}

TEST(SignatureMatches, RejectsTampering) {
  const std::string good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  EXPECT_FALSE(signature_matches("54321", good, kUrl, common_params())) << "wrong token";
  EXPECT_FALSE(signature_matches(kToken, "RSOYDt4T1cUTdK1PDd93/VVr8B9=", kUrl, common_params())) << "wrong header";
  EXPECT_FALSE(signature_matches(kToken, good.substr(0, 27), kUrl, common_params())) << "truncated header";
  EXPECT_FALSE(signature_matches(kToken, good, "https://mycompany.com/myapp.php?foo=1&bar=3", common_params()))
      << "query changed";
  EXPECT_FALSE(signature_matches(kToken, good, "http://mycompany.com/myapp.php?foo=1&bar=2", common_params()))
      << "scheme changed";
  form_params changed = common_params();
  changed[2].second = "9999";
  EXPECT_FALSE(signature_matches(kToken, good, kUrl, changed)) << "parameter changed";
  form_params added = common_params();
  added.emplace_back("Extra", "1");
  EXPECT_FALSE(signature_matches(kToken, good, kUrl, added)) << "parameter added";
  form_params removed = common_params();
  removed.pop_back();
  EXPECT_FALSE(signature_matches(kToken, good, kUrl, removed)) << "parameter removed";
  form_params empty_added = common_params();
  empty_added.emplace_back("Empty", "");
  EXPECT_FALSE(signature_matches(kToken, good, kUrl, empty_added)) << "empty parameter added";
}

TEST(SignatureMatches, EmptyTokenOrHeaderNeverMatches) {
  EXPECT_FALSE(signature_matches("", compute_signature("", kUrl, {}), kUrl, {}));
  EXPECT_FALSE(signature_matches(kToken, "", kUrl, {}));
}

TEST(SigningKey, SameAnswersAsTheFreeFunctions) {
  const signing_key key(kToken);
  const std::string good = compute_signature(kToken, kUrl, common_params());
  EXPECT_EQ(key.sign(kUrl, signing_string({}, common_params())), good);
  EXPECT_TRUE(key.matches(good, kUrl, common_params()));
  EXPECT_FALSE(key.matches(good, kUrl, {}));
  EXPECT_FALSE(key.matches("", kUrl, common_params()));
  const signing_key copy = key;  // copies share the prepared key, as the router's copies do
  EXPECT_TRUE(copy.matches(good, kUrl, common_params()));
}

TEST(SigningKey, TokenLongerThanABlockIsHashedFirst) {
  // RFC 2104: a key longer than SHA-1's 64-byte block is replaced by its hash; one of exactly a
  // block is used as it is. Expected values from Python's hmac module:
  // base64(hmac.new(b"k" * n, b"http://x/y", sha1).digest()).
  EXPECT_EQ(compute_signature(std::string(100, 'k'), "http://x/y", {}), "1ZbTaTL3C3KxiWk4h94y6P8MaH4=");
  EXPECT_EQ(compute_signature(std::string(64, 'k'), "http://x/y", {}), "39k/IZTkEXCjgCoPNafUo82zfHI=");
}

}  // namespace
