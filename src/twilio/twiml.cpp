#include "twiml_redirect/twilio/twiml.hpp"

#include <algorithm>

namespace twiml_redirect::twilio {
namespace {

constexpr std::string_view kDocumentStart =
    R"(<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>)";
constexpr std::string_view kDocumentEnd = "</Sip></Dial></Response>";

}  // namespace

void append_xml_text(std::string& out, std::string_view text) {
  // Whole runs of ordinary text at once: markup characters are rare, and one append per run costs
  // far less than one per byte.
  while (!text.empty()) {
    const std::size_t special = std::min({text.find('&'), text.find('<'), text.find('>'), text.size()});
    out.append(text.data(), special);
    if (special == text.size()) return;
    switch (text[special]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      default: out += "&gt;"; break;
    }
    text.remove_prefix(special + 1);
  }
}

std::string sip_uri(std::string_view called, std::string_view sip_target, std::string_view call_sid) {
  std::string uri;
  uri.reserve(4 + called.size() + 1 + sip_target.size() + 6 + call_sid.size());
  uri.append("sip:").append(called).append("@").append(sip_target).append("?X-EI=").append(call_sid);
  return uri;
}

std::string render_dial_sip(std::string_view called, std::string_view sip_target, std::string_view call_sid) {
  std::string document;
  // Escaping can only grow the text; reserving for the common no-escape case avoids regrowth.
  document.reserve(kDocumentStart.size() + 4 + called.size() + 1 + sip_target.size() + 6 + call_sid.size() +
                   kDocumentEnd.size());
  document.append(kDocumentStart);
  // The pieces of sip_uri(), escaped one by one: the same text without building the URI first.
  document.append("sip:");
  append_xml_text(document, called);
  document.append("@");
  append_xml_text(document, sip_target);
  document.append("?X-EI=");
  append_xml_text(document, call_sid);
  document.append(kDocumentEnd);
  return document;
}

}  // namespace twiml_redirect::twilio
