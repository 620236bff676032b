#include "twiml_redirect/twilio/twiml.hpp"

#include <algorithm>

namespace twiml_redirect::twilio {
namespace {

constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";
constexpr std::string_view kDialSipEnd = "</Sip></Dial></Response>";

// Appends `text`, replacing each character for which `escape` returns an entity. Whole runs of
// ordinary text go at once: markup characters are rare, and one append per run costs far less than
// one per byte.
template <typename Escape>
void append_escaped(std::string& out, std::string_view text, std::string_view specials, Escape escape) {
  while (!text.empty()) {
    const std::size_t special = std::min(text.find_first_of(specials), text.size());
    out.append(text.data(), special);
    if (special == text.size()) return;
    out += escape(text[special]);
    text.remove_prefix(special + 1);
  }
}

}  // namespace

void append_xml_text(std::string& out, std::string_view text) {
  append_escaped(out, text, "&<>", [](char c) -> std::string_view {
    switch (c) {
      case '&': return "&amp;";
      case '<': return "&lt;";
      default: return "&gt;";
    }
  });
}

void append_xml_attribute(std::string& out, std::string_view value) {
  append_escaped(out, value, std::string_view("&<\"\t\n\r", 6), [](char c) -> std::string_view {
    switch (c) {
      case '&': return "&amp;";
      case '<': return "&lt;";
      case '"': return "&quot;";
      case '\t': return "&#x9;";
      case '\n': return "&#xA;";
      default: return "&#xD;";
    }
  });
}

twiml_document::twiml_document() {
  out_.reserve(256);
  out_.append(kDeclaration).append("<Response>");
}

void twiml_document::start_tag(std::string_view name, const attributes& attrs) {
  empty_ = false;
  out_.append("<").append(name);
  for (const auto& [key, value] : attrs) {
    out_.append(" ").append(key).append("=\"");
    append_xml_attribute(out_, value);
    out_.append("\"");
  }
}

twiml_document& twiml_document::open(std::string_view name, const attributes& attrs) {
  start_tag(name, attrs);
  out_.append(">");
  return *this;
}

twiml_document& twiml_document::element(std::string_view name, const attributes& attrs, std::string_view text) {
  start_tag(name, attrs);
  if (text.empty()) {
    out_.append("/>");
    return *this;
  }
  out_.append(">");
  append_xml_text(out_, text);
  return close(name);
}

twiml_document& twiml_document::close(std::string_view name) {
  out_.append("</").append(name).append(">");
  return *this;
}

std::string twiml_document::finish() {
  if (empty_) return std::string(kDeclaration) + "<Response/>";
  out_.append("</Response>");
  return std::move(out_);
}

attributes to_attributes(const dial_attributes& dial) {
  attributes attrs;
  if (!dial.action.empty()) attrs.emplace_back("action", dial.action);
  if (dial.timeout) attrs.emplace_back("timeout", std::to_string(*dial.timeout));
  if (dial.answer_on_bridge) attrs.emplace_back("answerOnBridge", *dial.answer_on_bridge ? "true" : "false");
  if (dial.time_limit) attrs.emplace_back("timeLimit", std::to_string(*dial.time_limit));
  if (dial.record) attrs.emplace_back("record", *dial.record);
  if (dial.ring_tone) attrs.emplace_back("ringTone", *dial.ring_tone);
  if (!dial.refer_url.empty()) attrs.emplace_back("referUrl", dial.refer_url);
  return attrs;
}

std::string sip_uri(std::string_view called, std::string_view sip_target, std::string_view call_sid) {
  std::string uri;
  uri.reserve(4 + called.size() + 1 + sip_target.size() + 6 + call_sid.size());
  uri.append("sip:").append(called).append("@").append(sip_target).append("?X-EI=").append(call_sid);
  return uri;
}

std::string dial_sip_prefix(const dial_attributes& dial) {
  std::string document = twiml_document().open("Dial", to_attributes(dial)).open("Sip").finish();
  document.resize(document.size() - std::string_view("</Response>").size());
  return document;
}

std::string render_dial_sip(std::string_view prefix, std::string_view called, std::string_view sip_target,
                            std::string_view call_sid) {
  std::string document;
  // Escaping can only grow the text; reserving for the common no-escape case avoids regrowth.
  document.reserve(prefix.size() + 4 + called.size() + 1 + sip_target.size() + 6 + call_sid.size() +
                   kDialSipEnd.size());
  document.append(prefix);
  // The pieces of sip_uri(), escaped one by one: the same text without building the URI first.
  document.append("sip:");
  append_xml_text(document, called);
  document.append("@");
  append_xml_text(document, sip_target);
  document.append("?X-EI=");
  append_xml_text(document, call_sid);
  document.append(kDialSipEnd);
  return document;
}

std::string render_dial_sip(std::string_view called, std::string_view sip_target, std::string_view call_sid) {
  static const std::string prefix = dial_sip_prefix({});
  return render_dial_sip(prefix, called, sip_target, call_sid);
}

}  // namespace twiml_redirect::twilio
