#include "twiml_redirect/twilio/twiml.hpp"

namespace twiml_redirect::twilio {
namespace {

constexpr std::string_view kDocumentStart =
    R"(<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>)";
constexpr std::string_view kDocumentEnd = "</Sip></Dial></Response>";

}  // namespace

void append_xml_text(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
}

std::string sip_uri(std::string_view called, std::string_view sip_target, std::string_view call_sid) {
  std::string uri;
  uri.reserve(4 + called.size() + 1 + sip_target.size() + 6 + call_sid.size());
  uri.append("sip:").append(called).append("@").append(sip_target).append("?X-EI=").append(call_sid);
  return uri;
}

std::string render_dial_sip(std::string_view called, std::string_view sip_target, std::string_view call_sid) {
  const std::string uri = sip_uri(called, sip_target, call_sid);
  std::string document;
  // Escaping can only grow the text; reserving for the common no-escape case avoids regrowth.
  document.reserve(kDocumentStart.size() + uri.size() + kDocumentEnd.size());
  document.append(kDocumentStart);
  append_xml_text(document, uri);
  document.append(kDocumentEnd);
  return document;
}

}  // namespace twiml_redirect::twilio
