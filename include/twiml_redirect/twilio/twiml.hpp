#pragma once
// TwiML documents, byte for byte as Twilio's own twilio-node VoiceResponse writes them: compact,
// no whitespace between elements, no trailing newline, attributes in the order they are given,
// an element without content written as <Name/>. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twiml_redirect::twilio {

// Appends `text` with '&', '<' and '>' escaped, as XML character data needs (quotes need no escape
// in element text, and twilio-node leaves them alone).
void append_xml_text(std::string& out, std::string_view text);

// Appends `value` escaped for a double-quoted attribute: '&', '<', '"', and tab, LF and CR as
// character references (XML would otherwise normalize them to spaces), as twilio-node does.
void append_xml_attribute(std::string& out, std::string_view value);

// An element's attributes, written in this order; twilio-node's camelCase names.
using attributes = std::vector<std::pair<std::string, std::string>>;

// Writes one TwiML document: <?xml ...?><Response>, the verbs, </Response> (or <Response/> when
// there are none).
class twiml_document {
 public:
  twiml_document();
  // <name attrs>text</name>, or <name attrs/> when text is empty.
  twiml_document& element(std::string_view name, const attributes& attrs = {}, std::string_view text = {});
  // <name attrs>: children follow, then close(name).
  twiml_document& open(std::string_view name, const attributes& attrs = {});
  twiml_document& close(std::string_view name);
  // The finished document; the writer is spent.
  std::string finish();

 private:
  void start_tag(std::string_view name, const attributes& attrs);  // "<name attrs", unfinished

  std::string out_;
  bool empty_ = true;
};

// <Dial> options. Unset ones (std::nullopt, or an empty URL) add no attribute.
struct dial_attributes {
  std::string action;  // where Twilio reports how the dial ended (failover); relative to the webhook
  std::optional<unsigned> timeout;
  std::optional<bool> answer_on_bridge;
  std::optional<unsigned> time_limit;
  std::optional<std::string> record;
  std::optional<std::string> ring_tone;
  std::string refer_url;  // where Twilio asks what to do with a SIP REFER (transfers)
};

// The attributes in the order <Dial> gets them: action, timeout, answerOnBridge, timeLimit, record,
// ringTone, referUrl.
attributes to_attributes(const dial_attributes& dial);

// The SIP URI Twilio dials: sip:{called}@{sip_target}?X-EI={call_sid}. X-EI is the SIP header that
// lets Synthflow tie its call to Twilio's CallSid.
std::string sip_uri(std::string_view called, std::string_view sip_target, std::string_view call_sid);

// Everything of a <Dial><Sip> answer before the URI: <?xml ...?><Response><Dial ...><Sip>. The same
// for every call of a route, so a route computes it once.
std::string dial_sip_prefix(const dial_attributes& dial);

// {prefix}{sip_uri, escaped}</Sip></Dial></Response>
std::string render_dial_sip(std::string_view prefix, std::string_view called, std::string_view sip_target,
                            std::string_view call_sid);

// <?xml ...?><Response><Dial><Sip>{sip_uri, escaped}</Sip></Dial></Response>: no attributes.
std::string render_dial_sip(std::string_view called, std::string_view sip_target, std::string_view call_sid);

}  // namespace twiml_redirect::twilio
