// SIP headers on the dialed URI: escaping, the X-EI forms, "{Param}" values, the 255-character
// limit, the per-number merge, and the /redirect_call answer with them.
#include "twiml_redirect/twilio/sip_uri.hpp"

#include <gtest/gtest.h>

#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/twilio/twiml.hpp"

namespace twiml_redirect::twilio {
namespace {

constexpr std::string_view kCalled = "+14155550100";
constexpr std::string_view kTarget = "sipin.synthflow.ai:32681";
constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
const std::string kBase = "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef";

std::string escaped(std::string_view value) {
  std::string out;
  append_sip_header_value(out, value);
  return out;
}

util::decoded_form form(std::vector<util::form_param> params) { return {std::move(params), {}}; }

sip_uri_result build(const sip_uri_template& uri, const call_parameters& params = {}) {
  return uri.build(kCalled, kTarget, kSid, params);
}

TEST(SipHeaderValue, KeepsAlphanumericsAndRfc3261UnreservedMarks) {
  EXPECT_EQ(escaped("Az09-_.!~*'()"), "Az09-_.!~*'()");
}

TEST(SipHeaderValue, EscapesEverythingElseAsUpperCaseHex) {
  EXPECT_EQ(escaped("0A1B2C3D;encoding=hex"), "0A1B2C3D%3Bencoding%3Dhex");  // Twilio's example (error 32110)
  EXPECT_EQ(escaped("a b&c?d:e@f+g/h%i,j\"k<l>m#n[o]p$q"),
            "a%20b%26c%3Fd%3Ae%40f%2Bg%2Fh%25i%2Cj%22k%3Cl%3Em%23n%5Bo%5Dp%24q");
  EXPECT_EQ(escaped("Z\xC3\xBCrich"), "Z%C3%BCrich");  // UTF-8, byte by byte
  EXPECT_EQ(escaped(std::string_view("\x00\xff", 2)), "%00%FF");
}

TEST(SipHeaderNames, FollowTwilioAndSynthflowRules) {
  for (const char* good : {"X-Tenant", "X-Caller-City", "X-a_b-9", "X-Twili", "X-EIX"})
    EXPECT_EQ(check_sip_header_name(good), std::nullopt) << good;
  for (const char* bad : {"X-", "Tenant", "x-tenant", "X-Bad name", "X-ä", "X-Twilio-Foo", "X-TWILIO", "x-twilioX",
                          "X-EI", "X-ei", "X-a;b=c", "X-a\r\nVia"})
    EXPECT_NE(check_sip_header_name(bad), std::nullopt) << bad;
  EXPECT_EQ(check_sip_header_name("X-Twilio-Foo"), "must not start with X-Twilio (Twilio omits such headers)");
}

TEST(SipHeaderValues, FixedTextOrOneParameter) {
  for (const char* good : {"acme", "a b;c=d", "", "{FromCity}", "{Caller_Name2}", "Z\xC3\xBCrich"})
    EXPECT_EQ(check_sip_header_value(good), std::nullopt) << good;
  for (const char* bad : {"{FromCity", "FromCity}", "City: {FromCity}", "{From City}", "{}", "{{From}}", "a\nb", "a\tb"})
    EXPECT_NE(check_sip_header_value(bad), std::nullopt) << bad;
  EXPECT_NE(check_sip_header_value(std::string(kMaxSipUriLength + 1, 'a')), std::nullopt);
}

TEST(SipUriTemplate, PlainIsTodaysUri) {
  const sip_uri_template plain;
  EXPECT_TRUE(plain.is_plain());
  EXPECT_EQ(build(plain).uri, kBase);
  EXPECT_EQ(build(plain).uri, sip_uri(kCalled, kTarget, kSid));
  EXPECT_TRUE(sip_uri_template(x_ei_form::call_sid, {}).is_plain());
  EXPECT_FALSE(sip_uri_template(x_ei_form::tokens, {}).is_plain());
  EXPECT_FALSE(sip_uri_template(x_ei_form::call_sid, {{"X-A", "1"}}).is_plain());
}

TEST(SipUriTemplate, TokensFormIsSynthflowsExternalIdTokenEscaped) {
  // Synthflow reads X-EI with (S|E|O).([^\;]+); and the ';' must be escaped inside the URI.
  EXPECT_EQ(build(sip_uri_template(x_ei_form::tokens, {})).uri,
            "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=E.CA0123456789abcdef0123456789abcdef%3B");
}

TEST(SipUriTemplate, HeadersFollowXEiInNameOrderWithEscapedValues) {
  const sip_uri_template uri(x_ei_form::call_sid, {{"X-Tenant", "acme corp"}, {"X-Line", "a;b"}, {"X-B", "1"}});
  EXPECT_EQ(build(uri).uri, kBase + "&X-B=1&X-Line=a%3Bb&X-Tenant=acme%20corp");
  EXPECT_TRUE(build(uri).omitted.empty());
}

TEST(SipUriTemplate, ParameterValuesComeFromTheBodyThenTheQuery) {
  const sip_uri_template uri(x_ei_form::call_sid, {{"X-City", "{FromCity}"}, {"X-State", "{FromState}"}});
  const util::decoded_form body = form({{"FromCity", "SAN FRANCISCO"}});
  const util::decoded_form query = form({{"FromCity", "ignored"}, {"FromState", "CA"}});
  EXPECT_EQ(build(uri, {&body, &query}).uri, kBase + "&X-City=SAN%20FRANCISCO&X-State=CA");
  EXPECT_EQ(build(uri, {nullptr, &query}).uri, kBase + "&X-City=ignored&X-State=CA");
}

TEST(SipUriTemplate, ParameterNotSentOrEmptyLeavesTheHeaderOut) {
  const sip_uri_template uri(x_ei_form::call_sid, {{"X-A", "fixed"}, {"X-City", "{FromCity}"}, {"X-Zip", "{FromZip}"}});
  const util::decoded_form body = form({{"FromCity", ""}});  // Twilio sends the geo fields even when empty
  const sip_uri_result result = build(uri, {&body, nullptr});
  EXPECT_EQ(result.uri, kBase + "&X-A=fixed");
  EXPECT_TRUE(result.omitted.empty()) << "nothing was cut: there was nothing to send";
}

TEST(SipUriTemplate, CallerTextCannotAddHeadersOrParameters) {
  const sip_uri_template uri(x_ei_form::call_sid, {{"X-Name", "{CallerName}"}});
  const util::decoded_form body = form({{"CallerName", "Eve&X-EI=CAevil;transport=tcp?x=<b>"}});
  EXPECT_EQ(build(uri, {&body, nullptr}).uri, kBase + "&X-Name=Eve%26X-EI%3DCAevil%3Btransport%3Dtcp%3Fx%3D%3Cb%3E");
}

TEST(SipUriTemplate, ValuesWithLineBreaksOrNulAreLeftOutWholeAndReported) {
  const sip_uri_template uri(x_ei_form::call_sid, {{"X-City", "{FromCity}"}, {"X-Name", "{CallerName}"}});
  for (const std::string& bad : {std::string("Eve\r\nX-Evil: 1"), std::string("Eve\nBob"), std::string("Eve\0Bob", 7)}) {
    const util::decoded_form body = form({{"CallerName", bad}, {"FromCity", "PARIS"}});
    const sip_uri_result result = build(uri, {&body, nullptr});
    EXPECT_EQ(result.uri, kBase + "&X-City=PARIS");
    ASSERT_EQ(result.omitted.size(), 1u);
    EXPECT_EQ(result.omitted[0], "X-Name");
  }
}

TEST(SipUriTemplate, EmptyFixedValueIsNotSent) {
  EXPECT_EQ(build(sip_uri_template(x_ei_form::call_sid, {{"X-A", ""}, {"X-B", "2"}})).uri, kBase + "&X-B=2");
}

TEST(SipUriTemplate, AHeaderThatDoesNotFitIsLeftOutWholeAndLaterOnesMayFit) {
  // kBase is 81 characters; room for 173 more up to 254.
  ASSERT_EQ(kBase.size(), 81u);
  const std::string long_value(150, 'x');
  const sip_uri_template uri(x_ei_form::call_sid,
                             {{"X-A", long_value}, {"X-B", long_value}, {"X-C", "{FromCity}"}, {"X-D", "short"}});
  const util::decoded_form body = form({{"FromCity", std::string(30, 'y')}});
  const sip_uri_result result = build(uri, {&body, nullptr});
  EXPECT_EQ(result.uri, kBase + "&X-A=" + long_value + "&X-D=short");
  EXPECT_LE(result.uri.size(), kMaxSipUriLength);
  EXPECT_EQ(result.omitted, (std::vector<std::string_view>{"X-B", "X-C"}));
}

TEST(SipUriTemplate, TheLimitIsUnder255Characters) {
  // A header that ends the URI at exactly 254 characters fits; one more character does not.
  const std::size_t room = kMaxSipUriLength - kBase.size() - std::string_view("&X-A=").size();
  const std::string fits(room, 'v');
  EXPECT_EQ(build(sip_uri_template(x_ei_form::call_sid, {{"X-A", fits}})).uri.size(), 254u);
  const sip_uri_result over = build(sip_uri_template(x_ei_form::call_sid, {{"X-A", fits + "v"}}));
  EXPECT_EQ(over.uri, kBase);
  EXPECT_EQ(over.omitted.size(), 1u);
  // The escaped length counts: three characters per escaped byte.
  EXPECT_TRUE(build(sip_uri_template(x_ei_form::call_sid, {{"X-A", std::string(room / 3, ' ')}})).omitted.empty());
  EXPECT_EQ(build(sip_uri_template(x_ei_form::call_sid, {{"X-A", std::string(room / 3 + 1, ' ')}})).omitted.size(), 1u);
}

TEST(SipUriTemplate, XEiIsAlwaysWritten) {
  const std::string long_target(300, 'h');
  // `omitted` names point into the template, which must outlive the result.
  const sip_uri_template uri_template(x_ei_form::tokens, {{"X-A", "1"}});
  const sip_uri_result result = uri_template.build(kCalled, long_target, kSid, {});
  EXPECT_TRUE(result.uri.ends_with("?X-EI=E.CA0123456789abcdef0123456789abcdef%3B"));
  EXPECT_EQ(result.omitted, (std::vector<std::string_view>{"X-A"}));
}

TEST(SipUriTemplate, InTwimlTheSeparatorIsEscaped) {
  const sip_uri_result result = build(sip_uri_template(x_ei_form::tokens, {{"X-A", "1"}, {"X-B", "2"}}));
  EXPECT_EQ(render_dial_sip_uri(dial_sip_prefix({}), result.uri),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>"
            "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=E.CA0123456789abcdef0123456789abcdef%3B&amp;X-A=1&amp;X-B=2"
            "</Sip></Dial></Response>");
}

}  // namespace
}  // namespace twiml_redirect::twilio

namespace twiml_redirect::routing {
namespace {

config::service_config configured(std::string_view json) { return config::parse_config(json, [](const std::string&) {
  return std::optional<std::string>{}; }); }

TEST(SipHeadersRoute, NumberHeadersMergeOverTheTopLevelNameByName) {
  const route_table table(configured(R"({
    "sip":{"x_ei":"tokens","headers":{"X-Tenant":"acme","X-Region":"us","X-City":"{FromCity}"}},
    "numbers":[{"phone_number":"+14155550100","sip":{"headers":{"X-Region":"eu","X-City":"","X-Line":"sales"}}},
               {"phone_number":"+14155550101","sip":{"x_ei":"call_sid"}}]})"));
  const util::decoded_form body{{{"FromCity", "Oslo"}}, {}};
  const twilio::call_parameters params{&body, nullptr};
  const call_route& first = *table.find("+14155550100");
  EXPECT_EQ(build_sip_uri(first, first.sip_target, "+14155550100", "CA1", params).uri,
            "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=E.CA1%3B&X-Line=sales&X-Region=eu&X-Tenant=acme");
  const call_route& second = *table.find("+14155550101");
  EXPECT_EQ(build_sip_uri(second, "sip.eu.synthflow.ai:32681", "+14155550101", "CA1", params).uri,
            "sip:+14155550101@sip.eu.synthflow.ai:32681?X-EI=CA1&X-City=Oslo&X-Region=us&X-Tenant=acme");
  const call_route& unknown = *table.find("+14155550199");
  EXPECT_EQ(build_sip_uri(unknown, unknown.sip_target, "+14155550199", "CA1", {}).uri,
            "sip:+14155550199@sipin.synthflow.ai:32681?X-EI=E.CA1%3B&X-Region=us&X-Tenant=acme");
}

TEST(SipHeadersRoute, DefaultsAreTodaysPlainUri) {
  const route_table table(configured("{}"));
  EXPECT_TRUE(table.find("+14155550100")->sip_headers.is_plain());
  EXPECT_TRUE(route_table::dialing("sipin.synthflow.ai:32681").find("+1")->sip_headers.is_plain());
}

}  // namespace
}  // namespace twiml_redirect::routing

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::verb;

TEST(SipHeadersRedirectCall, AnswersTheHeadersAndCountsWhatDidNotFit) {
  const routing::route_table table(config::parse_config(
      R"({"sip":{"x_ei":"tokens","headers":{"X-Caller-City":"{FromCity}","X-Tenant":"acme",
                                            "X-Too-Long":")" + std::string(200, 'z') + R"("}}})",
      [](const std::string&) { return std::optional<std::string>{}; }));
  http::request req{verb::post, "/redirect_call", 11};
  req.set(field::content_type, "application/x-www-form-urlencoded");
  req.body() = "CallSid=CA0123456789abcdef0123456789abcdef&Called=%2B14155550100&FromCity=SAN+FRANCISCO";
  const twilio_request decoded(req, req.target());
  http::request_context ctx;
  util::metrics metrics(std::vector<std::string>{});
  const http::response res = handle_redirect_call(decoded, ctx, table, &metrics);
  EXPECT_EQ(res.body(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>"
            "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=E.CA0123456789abcdef0123456789abcdef%3B"
            "&amp;X-Caller-City=SAN%20FRANCISCO&amp;X-Tenant=acme</Sip></Dial></Response>");
  EXPECT_NE(metrics.render().find("\ntwiml_redirect_sip_headers_omitted_total 1\n"), std::string::npos);
  handle_redirect_call(decoded, ctx, table, &metrics);
  EXPECT_NE(metrics.render().find("\ntwiml_redirect_sip_headers_omitted_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace twiml_redirect::app
