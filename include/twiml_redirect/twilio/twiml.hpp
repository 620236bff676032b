#pragma once
// TwiML documents, byte for byte as Twilio's own twilio-node VoiceResponse writes them: compact,
// no whitespace between elements, no trailing newline. Pure: no I/O.

#include <string>
#include <string_view>

namespace twiml_redirect::twilio {

// Appends `text` with '&', '<' and '>' escaped, as XML character data needs (quotes need no escape
// in element text, and twilio-node leaves them alone).
void append_xml_text(std::string& out, std::string_view text);

// The SIP URI Twilio dials: sip:{called}@{sip_target}?X-EI={call_sid}. X-EI is the SIP header that
// lets Synthflow tie its call to Twilio's CallSid.
std::string sip_uri(std::string_view called, std::string_view sip_target, std::string_view call_sid);

// <?xml ...?><Response><Dial><Sip>{sip_uri, escaped}</Sip></Dial></Response>
std::string render_dial_sip(std::string_view called, std::string_view sip_target, std::string_view call_sid);

}  // namespace twiml_redirect::twilio
