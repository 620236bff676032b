#pragma once
// A small, strict XML reader for checking the TwiML the service emits: is it well-formed, and does
// it hold exactly one <Sip> at Response/Dial/Sip? Written for fuzz targets, which must decide this for
// every generated document without an XML library.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.hpp"

namespace twiml_fuzz {

struct twiml_verdict {
  bool well_formed = false;
  int sip_count = 0;
  std::string sip_text;  // the unescaped character data of the <Sip> element
  int number_count = 0;
  std::string number_text;  // the unescaped character data of the <Number> element
  std::string problem;   // why not well-formed
};

namespace detail {

inline bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

// The character of a numeric reference ("#xD", "#13"), for the ASCII ones the writer uses for tab,
// line feed and carriage return (which XML would otherwise normalize); nullopt for anything else.
inline std::optional<char> character_reference(std::string_view entity) {
  if (entity.size() < 2 || entity[0] != '#') return std::nullopt;
  const bool hex = entity[1] == 'x';
  const std::string_view digits = entity.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 2) return std::nullopt;
  unsigned value = 0;
  for (const char d : digits) {
    unsigned digit = 0;
    if (d >= '0' && d <= '9') digit = static_cast<unsigned>(d - '0');
    else if (hex && d >= 'A' && d <= 'F') digit = static_cast<unsigned>(d - 'A' + 10);
    else if (hex && d >= 'a' && d <= 'f') digit = static_cast<unsigned>(d - 'a' + 10);
    else return std::nullopt;
    value = value * (hex ? 16 : 10) + digit;
  }
  if (value >= 0x80) return std::nullopt;
  return static_cast<char>(value);
}

// Appends the character data `text` unescaped; false on a bare '&', an unknown entity or a '>' in
// "]]>", all of which make a document not well-formed.
inline bool unescape(std::string_view text, std::string& out, bool strict_chars, std::string& problem) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (strict_chars && byte < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      problem = "control character in text";
      return false;
    }
    if (c == '>' && i >= 2 && text.substr(i - 2, 3) == "]]>") {
      problem = "]]> in text";
      return false;
    }
    if (c != '&') {
      out.push_back(c);
      continue;
    }
    const std::size_t semicolon = text.find(';', i);
    if (semicolon == std::string_view::npos) {
      problem = "bare '&'";
      return false;
    }
    const std::string_view entity = text.substr(i + 1, semicolon - i - 1);
    if (entity == "amp") out.push_back('&');
    else if (entity == "lt") out.push_back('<');
    else if (entity == "gt") out.push_back('>');
    else if (entity == "quot") out.push_back('"');
    else if (entity == "apos") out.push_back('\'');
    else if (auto code = character_reference(entity)) out.push_back(*code);
    else {
      problem = "unknown entity &" + std::string(entity) + ";";
      return false;
    }
    i = semicolon;
  }
  return true;
}

// Checks the attributes after an element's name: ( ' ' name '="' escaped-value '"' )*, each value
// free of '<' and with only known entities.
inline bool check_attributes(std::string_view attributes, bool strict_chars, std::string& problem) {
  while (!attributes.empty()) {
    if (attributes.front() != ' ') return (problem = "attributes not separated by a space"), false;
    attributes.remove_prefix(1);
    const std::size_t equals = attributes.find("=\"");
    if (equals == 0 || equals == std::string_view::npos) return (problem = "attribute without =\""), false;
    const std::string_view name = attributes.substr(0, equals);
    if (!std::all_of(name.begin(), name.end(), is_name_char)) return (problem = "bad attribute name"), false;
    attributes.remove_prefix(equals + 2);
    const std::size_t quote = attributes.find('"');
    if (quote == std::string_view::npos) return (problem = "unterminated attribute value"), false;
    const std::string_view value = attributes.substr(0, quote);
    if (value.find('<') != std::string_view::npos) return (problem = "'<' in an attribute value"), false;
    std::string decoded;
    if (!unescape(value, decoded, strict_chars, problem)) return false;
    attributes.remove_prefix(quote + 1);
  }
  return true;
}

}  // namespace detail

// Checks `document` as TwiML: the exact XML declaration twilio-node writes, then one root element,
// elements with plain names and double-quoted attributes, text properly escaped, nothing after
// the root. With strict_chars, control characters in text are errors too (XML 1.0 forbids them).
inline twiml_verdict check_twiml(std::string_view document, bool strict_chars) {
  constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  twiml_verdict verdict;
  auto fail = [&](std::string problem) {
    verdict.well_formed = false;
    if (verdict.problem.empty()) verdict.problem = std::move(problem);
    return verdict;
  };
  if (!document.starts_with(kDeclaration)) return fail("missing XML declaration");
  std::string_view rest = document.substr(kDeclaration.size());
  std::vector<std::string_view> open;
  bool root_closed = false;
  while (!rest.empty()) {
    if (rest.front() != '<') {
      const std::size_t lt = rest.find('<');
      const std::string_view text = rest.substr(0, lt);
      if (open.empty()) return fail("text outside the root element");
      std::string decoded;
      if (!detail::unescape(text, decoded, strict_chars, verdict.problem)) return fail({});
      if (open.back() == "Sip") verdict.sip_text += decoded;
      if (open.back() == "Number") verdict.number_text += decoded;
      rest.remove_prefix(text.size());
      continue;
    }
    // The tag ends at the first '>' outside an attribute value ('>' may stay unescaped in one).
    std::size_t gt = 0;
    for (bool quoted = false; gt < rest.size() && (quoted || rest[gt] != '>'); ++gt)
      if (rest[gt] == '"') quoted = !quoted;
    if (gt == rest.size()) gt = std::string_view::npos;
    if (gt == std::string_view::npos) return fail("unterminated tag");
    std::string_view tag = rest.substr(1, gt - 1);
    rest.remove_prefix(gt + 1);
    const bool closing = tag.starts_with('/');
    const bool empty_element = !closing && tag.ends_with('/');
    if (closing) tag.remove_prefix(1);
    if (empty_element) tag.remove_suffix(1);
    if (!closing) {
      const std::size_t space = std::min(tag.find(' '), tag.size());
      if (!detail::check_attributes(tag.substr(space), strict_chars, verdict.problem)) return fail({});
      tag = tag.substr(0, space);
    }
    if (tag.empty() || !std::all_of(tag.begin(), tag.end(), detail::is_name_char)) {
      return fail("bad tag <" + std::string(tag) + ">");
    }
    if (closing) {
      if (open.empty() || open.back() != tag) return fail("mismatched </" + std::string(tag) + ">");
      open.pop_back();
      if (open.empty()) root_closed = true;
      continue;
    }
    if (root_closed) return fail("second root element");
    if (tag == "Number") ++verdict.number_count;
    if (tag == "Sip") {
      ++verdict.sip_count;
      if (open.size() != 2 || open[0] != "Response" || open[1] != "Dial") return fail("<Sip> outside Response/Dial");
    }
    if (!empty_element) open.push_back(tag);
    else if (open.empty()) root_closed = true;
  }
  if (!open.empty() || !root_closed) return fail("unclosed element");
  verdict.well_formed = true;
  return verdict;
}

// A handler's answer to fuzzed input: true for a 200 with TwiML, to be checked further; anything else
// must be a plain-text 400 or 415 (never a 5xx, never TwiML with an error status).
template <typename Response, typename Field>
bool is_twiml_answer(const Response& res, Field content_type) {
  if (res.result_int() != 200) {
    TWIML_FUZZ_CHECK(res.result_int() == 400 || res.result_int() == 415);
    TWIML_FUZZ_CHECK(res[content_type].starts_with("text/plain"));
    return false;
  }
  TWIML_FUZZ_CHECK(res[content_type] == "text/xml");
  return true;
}

}  // namespace twiml_fuzz
