// The call record: webhook parameters in, the flat JSON answer out, every documented key present;
// the packed form; and the call id a /call_context request names.

#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "twiml_redirect/context/call_record.hpp"

namespace twiml_redirect::context {
namespace {

using json = nlohmann::json;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";

call_record record_of(const std::map<std::string, std::string, std::less<>>& params) {
  return call_record::from_parameters([&params](std::string_view name) -> const std::string* {
    const auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  });
}

TEST(CallRecord, AnswerHasEveryDocumentedKeyEmptyWhenNotSent) {
  const call_record record = record_of({{"CallSid", std::string(kSid)}, {"Called", "+14155550100"}, {"From", "+15005550006"}});
  const json answer = json::parse(record.to_json());
  const std::vector<std::string> documented = {"call_sid",     "called_number", "caller_number", "caller_name",
                                               "caller_city",  "caller_state",  "caller_zip",    "caller_country",
                                               "forwarded_from", "stir_verstat"};
  ASSERT_EQ(answer.size(), documented.size()) << answer.dump();
  for (const std::string& key : documented) ASSERT_TRUE(answer.at(key).is_string()) << key;
  EXPECT_EQ(answer["call_sid"], kSid);
  EXPECT_EQ(answer["called_number"], "+14155550100");
  EXPECT_EQ(answer["caller_number"], "+15005550006");
  EXPECT_EQ(answer["caller_name"], "");
  EXPECT_EQ(answer["stir_verstat"], "");
}

TEST(CallRecord, MapsEachParameterToItsVariable) {
  const call_record record = record_of({{"CallSid", std::string(kSid)}, {"Called", "+14155550100"},
                                        {"From", "+15005550006"}, {"CallerName", "Ada \"the\" Lovelace"},
                                        {"FromCity", "SAN FRANCISCO"}, {"FromState", "CA"}, {"FromZip", "94105"},
                                        {"FromCountry", "US"}, {"ForwardedFrom", "+14155550199"},
                                        {"StirVerstat", "TN-Validation-Passed-A"}, {"AccountSid", "AC1"}});
  const json answer = json::parse(record.to_json({{"business_name", "Acme"}}));
  EXPECT_EQ(answer["caller_name"], "Ada \"the\" Lovelace");
  EXPECT_EQ(answer["caller_city"], "SAN FRANCISCO");
  EXPECT_EQ(answer["caller_state"], "CA");
  EXPECT_EQ(answer["caller_zip"], "94105");
  EXPECT_EQ(answer["caller_country"], "US");
  EXPECT_EQ(answer["forwarded_from"], "+14155550199");
  EXPECT_EQ(answer["stir_verstat"], "TN-Validation-Passed-A");
  EXPECT_EQ(answer["business_name"], "Acme");
  EXPECT_FALSE(answer.contains("AccountSid"));
}

TEST(CallRecord, OverlongValueIsKeptEmptyNotCut) {
  const call_record record = record_of({{"CallSid", std::string(kSid)}, {"CallerName", std::string(256, 'x')},
                                        {"FromCity", std::string(255, 'y')}});
  EXPECT_EQ(record.values[3], "");
  EXPECT_EQ(record.values[4], std::string(255, 'y'));
}

TEST(CallRecord, InvalidUtf8StillGivesValidJson) {
  const call_record record = record_of({{"CallSid", std::string(kSid)}, {"CallerName", "Jos\xe9"}});
  const json answer = json::parse(record.to_json());
  EXPECT_EQ(answer["caller_name"], "Jos\xef\xbf\xbd");
}

TEST(CallRecord, PackAndJsonRoundTrip) {
  const call_record record = record_of({{"CallSid", std::string(kSid)}, {"Called", "+14155550100"},
                                        {"CallerName", std::string(255, 'n')}, {"FromZip", "94105"}});
  EXPECT_EQ(call_record::unpack(record.pack()).values, record.values);
  const auto parsed = call_record::from_json(record.to_json());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->values, record.values);
  EXPECT_FALSE(call_record::from_json("[]"));
  EXPECT_FALSE(call_record::from_json(R"({"call_sid":7})"));
  EXPECT_FALSE(call_record::from_json(R"({"caller_name":"x"})"));  // names no call
}

TEST(CallId, AcceptsTheCallSidAndXEiTokenForms) {
  EXPECT_EQ(parse_call_id(kSid), kSid);
  EXPECT_EQ(parse_call_id("E." + std::string(kSid) + ";"), kSid);
  EXPECT_EQ(parse_call_id("E." + std::string(kSid)), kSid);
  EXPECT_EQ(parse_call_id("S.abc123;E." + std::string(kSid) + ";O.+15551234567;"), kSid);
  EXPECT_FALSE(parse_call_id(""));
  EXPECT_FALSE(parse_call_id("S.abc123;"));
  EXPECT_FALSE(parse_call_id("E.;"));
  EXPECT_FALSE(parse_call_id("CA12 34"));
  EXPECT_FALSE(parse_call_id("E.CA1\r\nX: y;"));
}

// The first candidate a request names (the one looked up first).
std::string first_candidate(const named_call& named) { return named.candidates.empty() ? "" : named.candidates.front(); }

TEST(CallId, FindsTheFirstFieldThatNamesACall) {
  const std::string sid(kSid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"call_sid":")" + sid + "\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"twilio_call_sid":")" + sid + "\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"external_id":"E.)" + sid + ";\"}", nullptr)), sid);
  // Synthflow may send twilio_call_sid null, empty or None on a direct SIP call, or leave a
  // placeholder unfilled: the next field counts.
  EXPECT_EQ(first_candidate(find_named_call(R"({"twilio_call_sid":null,"external_id":"E.)" + sid + ";\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"twilio_call_sid":"None","external_id":")" + sid + "\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"twilio_call_sid":"null","external_id":")" + sid + "\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"call_sid":"","external_id":")" + sid + "\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call(R"({"call_sid":"<external_id>","twilio_call_sid":")" + sid + "\"}", nullptr)), sid);
  EXPECT_EQ(first_candidate(find_named_call("", &sid)), sid);
  EXPECT_EQ(first_candidate(find_named_call("{}", &sid)), sid);
}

TEST(CallId, EveryFieldHoldingACallSidIsACandidateInFieldOrder) {
  const std::string sid(kSid);
  const std::string other = "CAffffffffffffffffffffffffffffffff";
  const named_call named = find_named_call(
      R"({"external_id":"E.)" + sid + R"(;","twilio_call_sid":")" + other + R"(","call_sid":")" + sid + "\"}", nullptr);
  EXPECT_EQ(named.candidates, (std::vector<std::string>{sid, other}));  // call_sid, twilio_call_sid; the repeat once
  EXPECT_EQ(named.fields, (std::vector<std::string>{"call_sid", "twilio_call_sid", "external_id"}));
  // A field that is not a CallSid is absent when another one is.
  const named_call mixed = find_named_call(R"({"twilio_call_sid":"not a sid","external_id":")" + sid + "\"}", nullptr);
  EXPECT_TRUE(mixed.error.empty()) << mixed.error;
  EXPECT_EQ(mixed.candidates, (std::vector<std::string>{sid}));
}

TEST(CallId, InitializeProbeAndSynthflowCallId) {
  const named_call probe = find_named_call(
      R"({"external_id":"twiml-redirect-initialize-probe","twilio_call_sid":"twiml-redirect-initialize-probe"})", nullptr);
  EXPECT_TRUE(probe.probe);
  EXPECT_TRUE(probe.error.empty());
  EXPECT_TRUE(probe.candidates.empty());
  const std::string sid(kSid);
  const named_call with_id = find_named_call(R"({"call_sid":")" + sid + R"(","synthflow_call_id":"a1b2-c3_d4"})", nullptr);
  EXPECT_EQ(with_id.synthflow_call_id, "a1b2-c3_d4");
  // Unfilled, or not something a log line may carry: left out.
  EXPECT_EQ(find_named_call(R"({"call_sid":")" + sid + R"(","synthflow_call_id":"{call_id}"})", nullptr).synthflow_call_id, "");
  EXPECT_EQ(find_named_call(R"({"call_sid":")" + sid + R"(","synthflow_call_id":"a b\nc"})", nullptr).synthflow_call_id, "");
}

TEST(CallId, NamesTheFieldThatIsWrong) {
  const named_call malformed = find_named_call(R"({"external_id":"S.abc;"})", nullptr);
  EXPECT_TRUE(malformed.candidates.empty());
  EXPECT_NE(malformed.error.find("\"external_id\""), std::string::npos) << malformed.error;
  const named_call not_a_string = find_named_call(R"({"call_sid":42})", nullptr);
  EXPECT_NE(not_a_string.error.find("\"call_sid\""), std::string::npos) << not_a_string.error;
  const std::string bad_query = "x y";
  EXPECT_NE(find_named_call("", &bad_query).error.find("call_sid (query)"), std::string::npos);
  EXPECT_NE(find_named_call("{}", nullptr).error.find("Missing call id"), std::string::npos);
  EXPECT_NE(find_named_call("not json", nullptr).error.find("JSON object"), std::string::npos);
}

}  // namespace
}  // namespace twiml_redirect::context
