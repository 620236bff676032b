#include "twiml_redirect/twilio/twiml.hpp"

#include <gtest/gtest.h>

namespace twiml_redirect::twilio {
namespace {

TEST(Twiml, MatchesTwilioNodeBytesExactly) {
  // twilio-node: new VoiceResponse().dial().sip('sip:+14155550100@sipin.synthflow.ai:32681?X-EI=CA…')
  EXPECT_EQ(render_dial_sip("+14155550100", "sipin.synthflow.ai:32681", "CA0123456789abcdef0123456789abcdef"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>"
            "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef"
            "</Sip></Dial></Response>");
}

TEST(Twiml, ReferenceLengthIs135BytesForShortSid) {
  // twilio-webhooks.md §3.3: 135 bytes for X-EI=CA123, no trailing newline.
  EXPECT_EQ(render_dial_sip("+14155550100", "sipin.synthflow.ai:32681", "CA123").size(), 135u);
}

TEST(Twiml, EscapesMarkupCharacters) {
  EXPECT_EQ(render_dial_sip("<a>", "h&x", "\"'"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>sip:&lt;a&gt;@h&amp;x?X-EI=\"'"
            "</Sip></Dial></Response>");
}

TEST(Twiml, AppendXmlTextLeavesOtherBytesAlone) {
  std::string out = "x";
  append_xml_text(out, "a&b<c>d\xC3\xA9");
  EXPECT_EQ(out, "xa&amp;b&lt;c&gt;d\xC3\xA9");
}

TEST(Twiml, TextCarriageReturnIsACharacterReferenceOtherWhitespaceStays) {
  // As twilio-node writes it (tests/twiml_node compares): a raw CR would reach Twilio as LF.
  std::string out;
  append_xml_text(out, "a\r\nb\tc &amp;");
  EXPECT_EQ(out, "a&#xD;\nb\tc &amp;amp;");
}

TEST(Twiml, SipUri) {
  EXPECT_EQ(sip_uri("+12065551234", "sip.us.synthflow.ai:32681", "CAabc"), "sip:+12065551234@sip.us.synthflow.ai:32681?X-EI=CAabc");
}

}  // namespace
}  // namespace twiml_redirect::twilio
