// Building outbound requests without sockets: form encoding, bodies and their media types, the
// Authorization header for Bearer and Basic, extra headers, and keeping credentials out of messages.

#include <string>

#include <gtest/gtest.h>

#include "twiml_redirect/util/redact.hpp"
#include "twiml_redirect/outbound/request.hpp"

namespace twiml_redirect::outbound {
namespace {

namespace http = boost::beast::http;

TEST(OutboundRequest, FormEncodingKeepsOrderAndEscapesReservedBytes) {
  EXPECT_EQ(form_encode({}), "");
  EXPECT_EQ(form_encode({{"PhoneNumber", "+15550001111"}}), "PhoneNumber=%2B15550001111");
  EXPECT_EQ(form_encode({{"a", "x y"}, {"b", "1&2=3"}, {"a", "again"}}), "a=x+y&b=1%262%3D3&a=again");
  EXPECT_EQ(form_encode({{"VoiceUrl", "https://h.example/redirect_call?x=1"}}),
            "VoiceUrl=https%3A%2F%2Fh.example%2Fredirect_call%3Fx%3D1");
  EXPECT_EQ(form_encode({{"keep", "AZaz09*-._"}, {"empty", ""}}), "keep=AZaz09*-._&empty=");
  // UTF-8 bytes are escaped one by one, upper-case hex; "~" is not in the form set.
  EXPECT_EQ(form_encode({{"n", "caf\xC3\xA9~"}}), "n=caf%C3%A9%7E");
}

TEST(OutboundRequest, BodiesCarryTheirMediaType) {
  const auto form = form_body({{"FriendlyName", "Front desk"}});
  EXPECT_EQ(form.content, "FriendlyName=Front+desk");
  EXPECT_EQ(form.content_type, "application/x-www-form-urlencoded");
  const auto json = json_body(R"({"a":1})");
  EXPECT_EQ(json.content, R"({"a":1})");
  EXPECT_EQ(json.content_type, "application/json");
}

TEST(OutboundRequest, AuthorizationValues) {
  EXPECT_FALSE(authorization_value(std::monostate{}));
  EXPECT_EQ(authorization_value(bearer_auth{"sk-123"}), "Bearer sk-123");
  // RFC 7617's example: Aladdin / open sesame.
  EXPECT_EQ(authorization_value(basic_auth{"Aladdin", "open sesame"}), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(authorization_value(basic_auth{"AC1", "s"}), "Basic QUMxOnM=");
}

TEST(OutboundRequest, MessageHasDefaultsThenTheRequestsHeaders) {
  http_request request;
  request.method = http::verb::post;
  request.target = "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json";
  request.auth = basic_auth{"AC1", "token"};
  request.body = form_body({{"VoiceUrl", "https://x.example/"}});
  request.headers.push_back({"Accept", "application/json"});
  request.headers.push_back({"User-Agent", "custom/1"});
  const auto message = build_message(request, "api.twilio.com");
  EXPECT_EQ(message.method(), http::verb::post);
  EXPECT_EQ(message.target(), "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json");
  EXPECT_EQ(message[http::field::host], "api.twilio.com");
  EXPECT_EQ(message[http::field::authorization], "Basic QUMxOnRva2Vu");
  EXPECT_EQ(message[http::field::content_type], "application/x-www-form-urlencoded");
  EXPECT_EQ(message[http::field::content_length], std::to_string(message.body().size()));
  EXPECT_EQ(message.body(), "VoiceUrl=https%3A%2F%2Fx.example%2F");
  EXPECT_EQ(message[http::field::accept], "application/json");
  EXPECT_EQ(message[http::field::user_agent], "custom/1");  // the request's own header wins
  EXPECT_EQ(message.count(http::field::user_agent), 1u);
  EXPECT_FALSE(message.keep_alive());
}

TEST(OutboundRequest, MessageWithoutBodyOrAuthHasNeither) {
  http_request request;
  request.target = "/healthz";
  const auto message = build_message(request, "127.0.0.1:3000");
  EXPECT_EQ(message.method(), http::verb::get);
  EXPECT_EQ(message[http::field::host], "127.0.0.1:3000");
  EXPECT_EQ(message.count(http::field::authorization), 0u);
  EXPECT_EQ(message.count(http::field::content_type), 0u);
  EXPECT_NE(message[http::field::user_agent].find("twiml-redirect/"), std::string::npos);
}

TEST(OutboundRequest, ResponseHeaderLookupIgnoresCase) {
  http_response response;
  response.headers = {{"Retry-After", "3"}, {"retry-after", "9"}, {"X-Other", "x"}};
  EXPECT_EQ(response.header("retry-AFTER"), "3");
  EXPECT_EQ(response.header("Missing"), "");
}

TEST(OutboundRedact, EverySecretOccurrence) {
  EXPECT_EQ(util::redact("key abc and abc again", {"abc"}), "key <redacted> and <redacted> again");
  EXPECT_EQ(util::redact("nothing", {"", "zzz"}), "nothing");
  EXPECT_EQ(util::redact("aaaa", {"aa"}), "<redacted><redacted>");
  // The longer secret first, whatever the order given: no half of it is left readable.
  EXPECT_EQ(util::redact("pw=secret-long", {"secret", "secret-long"}), "pw=<redacted>");
}

// A secret anywhere around the cut, from wholly before it to wholly after it: never a single
// character of it in the text (cutting first leaked all but the last character).
TEST(OutboundRedact, MasksBeforeCuttingWhereverTheSecretFalls) {
  const std::string secret = "sk_live_0123456789abcdefghijklmnopq";  // 33 characters
  for (std::size_t offset = util::kMaxErrorText - secret.size() - 2; offset <= util::kMaxErrorText + 2; ++offset) {
    const std::string text = std::string(offset, 'x') + secret + std::string(400, 'y');
    const std::string out = util::redact_and_cut(text, {secret});
    EXPECT_EQ(out.find("sk_live"), std::string::npos) << offset << ": " << out;
    EXPECT_EQ(out.find("0123"), std::string::npos) << offset << ": " << out;
    EXPECT_TRUE(out.ends_with("...")) << offset;
    EXPECT_LE(out.size(), util::kMaxErrorText + 3) << offset;
  }
  EXPECT_EQ(util::redact_and_cut("short", {"none"}), "short");
}

TEST(OutboundRedact, CutsBetweenUtf8Characters) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "\xC3\xA9";  // 400 bytes of two-byte characters
  const std::string out = util::redact_and_cut(text, {});
  ASSERT_TRUE(out.ends_with("...")) << out;
  const std::string kept = out.substr(0, out.size() - 3);
  EXPECT_LE(kept.size(), util::kMaxErrorText);
  EXPECT_EQ(kept.size() % 2, 0u) << "a character was cut in half";
}

TEST(OutboundRedact, BasicCredentialsInEveryForm) {
  http_request request;
  request.auth = basic_auth{"ACsid", "auth-TOKEN-42"};
  request.headers.push_back({"X-Api-Key", "hdr-KEY-7", true});
  request.headers.push_back({"Accept", "application/json"});
  const auto secrets = request_secrets(request);
  const auto encoded = authorization_value(request.auth)->substr(6);  // after "Basic "
  const std::string text = "401 for ACsid:auth-TOKEN-42; token auth-TOKEN-42; header Basic " + encoded +
                           "; key hdr-KEY-7; accept application/json";
  EXPECT_EQ(util::redact(text, secrets),
            "401 for <redacted>; token <redacted>; header Basic <redacted>; key <redacted>; accept "
            "application/json");
  // The account SID names the account; it is not a credential and stays readable.
  EXPECT_NE(util::redact("account ACsid", secrets).find("ACsid"), std::string::npos);
}

TEST(OutboundRedact, BearerToken) {
  http_request request;
  request.auth = bearer_auth{"sk-live-1"};
  EXPECT_EQ(util::redact("Bearer sk-live-1 refused", request_secrets(request)), "Bearer <redacted> refused");
  EXPECT_TRUE(request_secrets(http_request{}).empty());
}

}  // namespace
}  // namespace twiml_redirect::outbound
