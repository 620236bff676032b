#include "twiml_redirect/twilio/request_validator.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "support/form_encoding.hpp"
#include "support/twilio_vectors.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace {

using namespace twiml_redirect::twilio;
using boost::asio::ip::make_address;
using twiml_redirect::testing::form_encode;

constexpr const char* kToken = "12345";
constexpr const char* kForm = "application/x-www-form-urlencoded";

form_params voice_params() { return twiml_redirect::testing::voice_vector_params(); }

validator_settings settings_for(std::string public_url = {}, std::vector<std::string> proxies = {}) {
  return {.auth_token = kToken, .shared_keys = {}, .basic_user = {}, .basic_password = {}, .public_url = std::move(public_url), .trusted_proxies = std::move(proxies)};
}

// A form POST from a direct (unproxied) peer.
struct post_request {
  std::string target = "/twilio/voice";
  std::string host = "example.com";
  std::string body = form_encode(voice_params());
  std::string signature;
  std::string content_type = kForm;

  request_view view() const {
    request_view v;
    v.method = "POST";
    v.target = target;
    v.host = host;
    v.signature = signature;
    v.content_type = content_type;
    v.body = body;
    v.peer = make_address("203.0.113.5");
    return v;
  }
};

TEST(RequestValidator, AcceptsVoicePostVectorWithPublicUrl) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";  // vector V1
  const validation_result result = validator.validate(request.view());
  EXPECT_TRUE(result.ok) << result.reason;
  EXPECT_TRUE(result.reason.empty());
}

TEST(RequestValidator, UsesTheCallersDecodingOfTheBody) {
  // The router decodes a form body once and hands it over: same verdicts as decoding here.
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";  // vector V1
  const twiml_redirect::util::decoded_form decoded = twiml_redirect::util::decode_form(request.body);
  request_view view = request.view();
  view.decoded_body = &decoded;
  EXPECT_TRUE(validator.validate(view).ok);
  // It is the handed-over fields that are signed, not a second decoding of the raw body.
  const twiml_redirect::util::decoded_form other = twiml_redirect::util::decode_form("CallSid=CA1");
  view.decoded_body = &other;
  EXPECT_FALSE(validator.validate(view).ok);
  const twiml_redirect::util::decoded_form malformed = twiml_redirect::util::decode_form("a=%zz");
  view.decoded_body = &malformed;
  EXPECT_EQ(validator.validate(view).reason, "form body is not valid form encoding");
}

TEST(RequestValidator, UsesTheCallersDecodingOfTheQuery) {
  // The guard decodes the query once and hands it over: it is those fields that are checked.
  const request_validator validator(settings_for("https://example.com"));
  request_view view;
  view.method = "GET";
  view.target = "/redirect_call?a=1";
  view.peer = make_address("203.0.113.5");
  const std::string signature = compute_signature(kToken, "https://example.com/redirect_call?a=1", {});
  view.signature = signature;
  EXPECT_TRUE(validator.validate(view).ok);
  const twiml_redirect::util::decoded_form malformed = twiml_redirect::util::decode_form("a=%zz");
  view.decoded_query = &malformed;
  const validation_result result = validator.validate(view);
  EXPECT_FALSE(result.ok) << "the handed-over decoding was not used";
  EXPECT_NE(result.reason.find("malformed query"), std::string::npos) << result.reason;
  // A handed-over bodySHA256 makes it a body-hash request, although the raw target has none.
  const twiml_redirect::util::decoded_form with_hash = twiml_redirect::util::decode_form("bodySHA256=00");
  view.decoded_query = &with_hash;
  EXPECT_NE(validator.validate(view).reason.find("bodySHA256"), std::string::npos);
}

TEST(RequestValidator, PublicUrlWithPath) {
  // The caller has removed the path prefix from the target; the signed URL puts it back.
  const request_validator validator(settings_for("https://example.com/voice/"));
  EXPECT_EQ(validator.public_path(), "/voice");
  post_request request;
  request.target = "/redirect_call?x=1";
  EXPECT_EQ(validator.signed_url(request.view()), "https://example.com/voice/redirect_call?x=1");
  request.signature = compute_signature(kToken, "https://example.com/voice/redirect_call?x=1", voice_params());
  EXPECT_TRUE(validator.validate(request.view()).ok);
  request.signature = compute_signature(kToken, "https://example.com/redirect_call?x=1", voice_params());
  EXPECT_FALSE(validator.validate(request.view()).ok);
  EXPECT_EQ(request_validator(settings_for("https://example.com:8443")).public_path(), "");
  EXPECT_EQ(request_validator(settings_for("https://example.com/")).public_path(), "");
  EXPECT_EQ(request_validator(settings_for()).public_path(), "");
  EXPECT_EQ(request_validator(settings_for("http://[::1]:8080/a/b")).public_path(), "/a/b");
}

TEST(RequestValidator, PublicUrlTrailingSlashIsIgnored) {
  const request_validator validator(settings_for("https://example.com/"));
  post_request request;
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";
  EXPECT_EQ(validator.signed_url(request.view()), "https://example.com/twilio/voice");
  EXPECT_TRUE(validator.validate(request.view()).ok);
}

TEST(RequestValidator, AcceptsDefaultPortSpelling) {
  // Twilio sometimes signs https://host:443/...; the configured URL has no port.
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.signature = compute_signature(kToken, "https://example.com:443/twilio/voice", voice_params());
  EXPECT_TRUE(validator.validate(request.view()).ok);
}

TEST(RequestValidator, PublicUrlWithNonDefaultPort) {
  // Vector V2: signed with the port and a percent-escaped query, which must stay escaped.
  const request_validator validator(settings_for("http://voice.example.com:8080"));
  post_request request;
  request.target = "/hook?tenant=a%20b";
  request.signature = "xfsMrtDd+l3LLt3yspYEb+Kgovg=";
  EXPECT_EQ(validator.signed_url(request.view()), "http://voice.example.com:8080/hook?tenant=a%20b");
  EXPECT_TRUE(validator.validate(request.view()).ok);
  // Twilio's port handling is inconsistent: a signature over the port-less URL is accepted too.
  request.signature = compute_signature(kToken, "http://voice.example.com/hook?tenant=a%20b", voice_params());
  EXPECT_TRUE(validator.validate(request.view()).ok);
  // But not one for another port.
  request.signature = compute_signature(kToken, "http://voice.example.com:8081/hook?tenant=a%20b", voice_params());
  EXPECT_FALSE(validator.validate(request.view()).ok);
}

TEST(RequestValidator, FormFieldsAreDecodedBeforeSigning) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  // Lower-case escapes, '+' as space, an unescaped '+' cannot stand for itself.
  request.body = "FromCity=S%c3%83O+PAULO&From=%2b447381234567";
  request.signature = compute_signature(kToken, "https://example.com/twilio/voice",
                                        {{"FromCity", "S\xC3\x83O PAULO"}, {"From", "+447381234567"}});
  EXPECT_TRUE(validator.validate(request.view()).ok);
}

TEST(RequestValidator, FormDecodingEdgeCases) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  // Empty segments are skipped, a name without '=' has an empty value, repeated names keep all values.
  request.body = "&A&B=&&D=1&D=2&";
  request.signature = compute_signature(kToken, "https://example.com/twilio/voice",
                                        {{"A", ""}, {"B", ""}, {"D", "1"}, {"D", "2"}});
  EXPECT_TRUE(validator.validate(request.view()).ok) << validator.validate(request.view()).reason;
}

TEST(RequestValidator, MalformedEscapesAreRejected) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.body = "B=%zz";
  request.signature = compute_signature(kToken, "https://example.com/twilio/voice", {{"B", "%zz"}});
  EXPECT_FALSE(validator.validate(request.view()).ok) << "body";
  request.body = "B=1";
  request.target = "/twilio/voice?x=%4";
  request.signature = compute_signature(kToken, "https://example.com/twilio/voice?x=%4", {{"B", "1"}});
  const validation_result result = validator.validate(request.view());
  EXPECT_FALSE(result.ok) << "query";
  EXPECT_NE(result.reason.find("malformed query"), std::string::npos) << result.reason;
}

TEST(RequestValidator, ContentTypeParametersAndCaseAreIgnored) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.content_type = "Application/X-WWW-Form-URLEncoded; charset=UTF-8";
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";
  EXPECT_TRUE(validator.validate(request.view()).ok);
}

TEST(RequestValidator, RejectsMissingSignature) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  const validation_result result = validator.validate(request.view());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, "missing X-Twilio-Signature header");
}

TEST(RequestValidator, RejectsWrongSignatureAndWrongToken) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0R=";
  EXPECT_FALSE(validator.validate(request.view()).ok);
  request.signature = compute_signature("54321", "https://example.com/twilio/voice", voice_params());
  const validation_result result = validator.validate(request.view());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.reason.find("https://example.com/twilio/voice"), std::string::npos) << result.reason;
  EXPECT_EQ(result.reason.find(kToken), std::string::npos) << "reason must not carry the token";
  EXPECT_EQ(result.reason.find(request.signature), std::string::npos);
}

TEST(RequestValidator, RejectsChangedOrAddedParameter) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";
  form_params changed = voice_params();
  changed[2].second = "CA0b33a4462bd42d3eeaa07f07653796e4";
  request.body = form_encode(changed);
  EXPECT_FALSE(validator.validate(request.view()).ok);
  form_params added = voice_params();
  added.emplace_back("Extra", "");
  request.body = form_encode(added);
  EXPECT_FALSE(validator.validate(request.view()).ok);
  request.body = form_encode(voice_params());
  request.target = "/twilio/voice?x=1";
  EXPECT_FALSE(validator.validate(request.view()).ok) << "query added";
}

TEST(RequestValidator, RejectsAllWithoutToken) {
  validator_settings config = settings_for("https://example.com");
  config.auth_token.clear();
  const request_validator validator(config);
  EXPECT_FALSE(validator.enabled());
  post_request request;
  request.signature = compute_signature("", "https://example.com/twilio/voice", voice_params());
  EXPECT_FALSE(validator.validate(request.view()).ok);
}

TEST(RequestValidator, GetSignsTheUrlAlone) {
  // Vector V3 behind a trusted TLS-terminating proxy.
  const request_validator validator(settings_for({}, {"10.0.0.0/8"}));
  request_view view;
  view.method = "GET";
  view.target = "/twilio/voice?CallSid=CA0b33a4462bd42d3eeaa07f07653796e3&From=%2B447381234567";
  view.host = "internal:3000";
  view.forwarded_proto = "https";
  view.forwarded_host = "example.com";
  view.signature = "hM7GYKTkjZyUD2U4RGyTTBr18z0=";
  view.peer = make_address("10.1.2.3");
  EXPECT_TRUE(validator.validate(view).ok) << validator.validate(view).reason;
  view.target = "/twilio/voice?CallSid=CA0b33a4462bd42d3eeaa07f07653796e3&From=%2B447381234568";
  EXPECT_FALSE(validator.validate(view).ok);
}

TEST(RequestValidator, GetWithUncoveredBodyIsRejected) {
  const request_validator validator(settings_for("https://example.com"));
  request_view view;
  view.method = "GET";
  view.target = "/twilio/voice";
  const std::string signature = compute_signature(kToken, "https://example.com/twilio/voice", {});
  view.signature = signature;
  view.peer = make_address("203.0.113.5");
  EXPECT_TRUE(validator.validate(view).ok);
  view.body = "CallSid=CAforged";
  view.content_type = "text/plain";
  EXPECT_FALSE(validator.validate(view).ok);
}

// A JSON POST from a direct peer; the caller keeps the strings alive.
request_view json_request(std::string_view target, std::string_view body, std::string_view signature) {
  request_view view;
  view.method = "POST";
  view.target = target;
  view.content_type = "application/json";
  view.body = body;
  view.signature = signature;
  view.peer = make_address("203.0.113.5");
  return view;
}

TEST(RequestValidator, JsonBodyWithBodySha256) {
  const request_validator validator(settings_for("https://mycompany.com"));
  const std::string target =
      "/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
  const std::string body = R"({"property": "value", "boolean": true})";
  request_view view = json_request(target, body, "a9nBmqA0ju/hNViExpshrM61xv4=");  // vector 11
  EXPECT_TRUE(validator.validate(view).ok) << validator.validate(view).reason;

  const std::string tampered = R"({"property": "value", "boolean": false})";
  view.body = tampered;
  const validation_result result = validator.validate(view);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.reason.find("bodySHA256"), std::string::npos);
}

TEST(RequestValidator, BodySha256WithDefaultPortVector) {
  // Vector 13: only the :443 spelling was signed; the body is "{}".
  const request_validator validator(settings_for("https://mycompany.com"));
  const std::string target =
      "/myapp.php?foo=1&bar=2&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  const request_view view = json_request(target, "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
  EXPECT_TRUE(validator.validate(view).ok);
}

TEST(RequestValidator, BodySha256WrongHashRejectedEvenWithValidUrlSignature) {
  const request_validator validator(settings_for("https://mycompany.com"));
  const std::string target = "/myapp.php?bodySHA256=" + std::string(64, '0');
  const std::string signature = compute_signature(kToken, "https://mycompany.com" + target, {});
  const request_view view = json_request(target, "{}", signature);
  EXPECT_FALSE(validator.validate(view).ok);
}

TEST(RequestValidator, UntrustedPeerForwardedHeadersAreIgnored) {
  const request_validator validator(settings_for({}, {"10.0.0.0/8"}));
  post_request request;
  request.host = "example.com";
  request_view view = request.view();
  view.peer = make_address("192.0.2.1");
  view.forwarded_proto = "https";
  view.forwarded_host = "evil.example";
  EXPECT_EQ(validator.signed_url(view), "http://example.com/twilio/voice");
  // A signature for the https URL does not validate, because the peer may not claim https.
  const std::string https_signature = compute_signature(kToken, "https://example.com/twilio/voice", voice_params());
  view.signature = https_signature;
  EXPECT_FALSE(validator.validate(view).ok);
  const std::string http_signature = compute_signature(kToken, "http://example.com/twilio/voice", voice_params());
  view.signature = http_signature;
  EXPECT_TRUE(validator.validate(view).ok);
}

TEST(RequestValidator, TrustedProxySelectsSchemeAndHost) {
  const request_validator validator(settings_for({}, {"10.0.0.0/8", "2001:db8::/32"}));
  request_view view;
  view.target = "/redirect_call";
  view.host = "backend:3000";
  view.forwarded_proto = "https";
  view.forwarded_host = "voice.example.com";
  view.peer = make_address("10.0.0.1");
  EXPECT_EQ(validator.signed_url(view), "https://voice.example.com/redirect_call");
  view.peer = make_address("2001:db8::7");
  EXPECT_EQ(validator.signed_url(view), "https://voice.example.com/redirect_call");
  // Only the first (client-side) element of a proxy chain counts, trimmed; the proto is case-insensitive.
  view.forwarded_proto = " HTTPS , http";
  view.forwarded_host = " voice.example.com , backend";
  EXPECT_EQ(validator.signed_url(view), "https://voice.example.com/redirect_call");
  // Without X-Forwarded-Host the Host header stays; an unknown proto falls back to http.
  view.forwarded_host = "";
  view.forwarded_proto = "gopher";
  EXPECT_EQ(validator.signed_url(view), "http://backend:3000/redirect_call");
}

TEST(RequestValidator, Ipv4MappedPeerIsTrusted) {
  const request_validator validator(settings_for({}, {"10.0.0.0/8"}));
  request_view view;
  view.target = "/redirect_call";
  view.host = "backend";
  view.forwarded_proto = "https";
  view.peer = make_address("::ffff:10.0.0.1");
  EXPECT_TRUE(validator.is_trusted_proxy(view.peer));
  EXPECT_EQ(validator.signed_url(view), "https://backend/redirect_call");
  view.peer = make_address("::ffff:192.0.2.1");
  EXPECT_FALSE(validator.is_trusted_proxy(view.peer));
  EXPECT_EQ(validator.signed_url(view), "http://backend/redirect_call");
}

TEST(RequestValidator, PublicUrlWinsOverForwardedHeaders) {
  const request_validator validator(settings_for("https://voice.example.com", {"10.0.0.0/8"}));
  request_view view;
  view.target = "/redirect_call?a=1";
  view.host = "backend";
  view.forwarded_proto = "http";
  view.forwarded_host = "other.example";
  view.peer = make_address("10.0.0.1");
  EXPECT_EQ(validator.signed_url(view), "https://voice.example.com/redirect_call?a=1");
}

TEST(RequestValidator, NoHostMeansNoUrl) {
  const request_validator validator(settings_for());
  post_request request;
  request.host = "";
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";
  const validation_result result = validator.validate(request.view());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.reason.find("Host"), std::string::npos);
}

TEST(RequestValidator, ReasonIsSafeToLog) {
  const request_validator validator(settings_for());
  post_request request;
  request.host = "evil\r\nX-Injected: 1";
  request.target = "/p?From=%2B447381234567";
  request.signature = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  const validation_result result = validator.validate(request.view());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason.find('\r'), std::string::npos);
  EXPECT_EQ(result.reason.find('\n'), std::string::npos);
  EXPECT_EQ(result.reason.find("447381234567"), std::string::npos) << "the query stays out of logs";
}

// Shared keys. The expected signatures were computed outside this project, with Python's hmac over
// the same URL and fields (voice_vector_params at https://example.com/twilio/voice):
//   base64(hmac.new(secret, url + "".join(k + v for k, v in sorted(fields)), sha256).digest())
constexpr const char* kKeyOne = "KS00000000000000000000000000000001";
constexpr const char* kKeyTwo = "KS00000000000000000000000000000002";
constexpr const char* kOneSha256 = "IVpnCvl0CMXR7sJ+TfVfsvHMmi8bU7dzm5OKjaRq++4=";  // shared-secret-one
constexpr const char* kTwoSha256 = "q9ue3khUIE7WKartKO3Gjkt7+LwzVgIroaEmWMB7UY0=";  // shared-secret-two
constexpr const char* kOneSha1 = "eKH8Vzp+00DoJe+SP9HhNM+OAXM=";                  // shared-secret-one, SHA-1
constexpr const char* kTokenSha256 = "jHxHONRcaCX53TDHJCpK++GFeBOX6QLJfDpcEh5h+MQ=";  // the auth token, SHA-256

validator_settings with_shared_keys() {
  validator_settings settings = settings_for("https://example.com");
  settings.shared_keys = {{kKeyOne, "shared-secret-one"}, {kKeyTwo, "shared-secret-two"}};
  return settings;
}

validation_result validate_shared(const request_validator& validator, std::string signature, std::string settings) {
  post_request request;
  request.signature = std::move(signature);
  request_view view = request.view();
  view.signature_settings = settings;
  return validator.validate(view);
}

TEST(RequestValidatorSharedKeys, EitherConfiguredKeySignsWithSha256) {
  const request_validator validator(with_shared_keys());
  const std::string one = std::string("key=") + kKeyOne + ",algorithm=HMAC_SHA256";
  const std::string two = std::string("key=") + kKeyTwo + ",algorithm=HMAC_SHA256";
  EXPECT_TRUE(validate_shared(validator, kOneSha256, one).ok);
  EXPECT_TRUE(validate_shared(validator, kTwoSha256, two).ok);
  // Spaces after the comma, the pairs in the other order, the algorithm in lower case.
  EXPECT_TRUE(validate_shared(validator, kOneSha256, std::string("algorithm=hmac_sha256, key=") + kKeyOne).ok);
  // Each key checks with its own secret only.
  const validation_result crossed = validate_shared(validator, kTwoSha256, one);
  EXPECT_FALSE(crossed.ok);
  EXPECT_EQ(crossed.failure, "bad_signature");
}

TEST(RequestValidatorSharedKeys, Sha1WhenTheHeaderSaysSo) {
  const request_validator validator(with_shared_keys());
  EXPECT_TRUE(validate_shared(validator, kOneSha1, std::string("key=") + kKeyOne + ",algorithm=HMAC_SHA1").ok);
  EXPECT_FALSE(validate_shared(validator, kOneSha256, std::string("key=") + kKeyOne + ",algorithm=HMAC_SHA1").ok);
}

TEST(RequestValidatorSharedKeys, WithoutTheHeaderTheAuthTokenAndSha1Apply) {
  const request_validator validator(with_shared_keys());
  EXPECT_TRUE(validate_shared(validator, "57Jx/zFvW+iXPb33LhmhmDvKK0Q=", {}).ok);  // vector V1
  // The auth token never signs with SHA-256, and a shared key's signature is no auth token's.
  EXPECT_EQ(validate_shared(validator, kTokenSha256, {}).failure, "bad_signature");
  EXPECT_EQ(validate_shared(validator, kOneSha256, {}).failure, "bad_signature");
}

TEST(RequestValidatorSharedKeys, EachRefusalHasItsOwnReason) {
  const request_validator validator(with_shared_keys());
  const validation_result unknown =
      validate_shared(validator, kOneSha256, "key=KS0000000000000000000000000000000f,algorithm=HMAC_SHA256");
  EXPECT_EQ(unknown.failure, "unknown_key");
  EXPECT_NE(unknown.reason.find("KS0000000000000000000000000000000f"), std::string::npos) << unknown.reason;
  EXPECT_EQ(unknown.reason.find("shared-secret"), std::string::npos) << unknown.reason;

  const validation_result algorithm =
      validate_shared(validator, kOneSha256, std::string("key=") + kKeyOne + ",algorithm=HMAC_MD5");
  EXPECT_EQ(algorithm.failure, "unsupported_algorithm");
  EXPECT_NE(algorithm.reason.find("HMAC_MD5"), std::string::npos) << algorithm.reason;
  EXPECT_EQ(validate_shared(validator, kOneSha256, std::string("key=") + kKeyOne).failure, "unsupported_algorithm");

  EXPECT_EQ(validate_shared(validator, kOneSha256, "HMAC_SHA256").failure, "malformed_settings");
  EXPECT_EQ(validate_shared(validator, kOneSha256, "algorithm=HMAC_SHA256").failure, "malformed_settings");
  EXPECT_EQ(validate_shared(validator, "", std::string("key=") + kKeyOne + ",algorithm=HMAC_SHA256").failure,
            "missing_signature");
}

TEST(RequestValidatorSharedKeys, NoSharedKeysConfiguredIsAnUnknownKey) {
  const request_validator validator(settings_for("https://example.com"));
  const validation_result result =
      validate_shared(validator, kOneSha256, std::string("key=") + kKeyOne + ",algorithm=HMAC_SHA256");
  EXPECT_EQ(result.failure, "unknown_key");
  EXPECT_NE(result.reason.find("TWILIO_SHARED_KEYS is not set"), std::string::npos) << result.reason;
}

TEST(RequestValidatorSharedKeys, SharedKeysAloneEnableTheCheck) {
  validator_settings settings = with_shared_keys();
  settings.auth_token.clear();
  const request_validator validator(settings);
  EXPECT_TRUE(validator.enabled());
  EXPECT_TRUE(validate_shared(validator, kOneSha256, std::string("key=") + kKeyOne + ",algorithm=HMAC_SHA256").ok);
  EXPECT_EQ(validate_shared(validator, "57Jx/zFvW+iXPb33LhmhmDvKK0Q=", {}).failure, "no_auth_token");
}

// CallToken and StirVerstat: said to be added after signing. The signature covers the other fields.
TEST(RequestValidatorUnsignedFields, AcceptedOnlyWhenTheRestIsSigned) {
  const request_validator validator(settings_for("https://example.com"));
  post_request request;
  form_params fields = voice_params();
  fields.emplace_back("CallToken", "%7B%22parentCallInfoToken%22%3A%22eyJ%22%7D");
  fields.emplace_back("StirVerstat", "TN-Validation-Passed-A");
  request.body = form_encode(fields);
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";  // vector V1: the fields without those two
  const validation_result result = validator.validate(request.view());
  EXPECT_TRUE(result.ok) << result.reason;
  EXPECT_TRUE(result.unsigned_fields_present);

  // Signed with them: accepted as it is, nothing to drop.
  request.signature = compute_signature(kToken, "https://example.com/twilio/voice", fields);
  const validation_result signed_all = validator.validate(request.view());
  EXPECT_TRUE(signed_all.ok);
  EXPECT_FALSE(signed_all.unsigned_fields_present);

  // Any other field that is not signed still fails the check.
  fields.emplace_back("Called", "+19005550100");
  request.body = form_encode(fields);
  request.signature = "57Jx/zFvW+iXPb33LhmhmDvKK0Q=";
  EXPECT_EQ(validator.validate(request.view()).failure, "bad_signature");
}

TEST(RequestValidator, InvalidTrustedProxyThrows) {
  EXPECT_THROW(request_validator(settings_for({}, {"10.0.0.0/33"})), std::invalid_argument);
}

}  // namespace
