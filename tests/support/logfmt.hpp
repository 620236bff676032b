#pragma once
// A strict logfmt reader for tests, following go-logfmt: space-separated key=value pairs, a value
// either bare (no space, '"' or '=') or double-quoted with Go escapes (\" \\ \n \r \t \uXXXX).
// Anything else is an error, so a test fails when a log line would break a log shipper's parser.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace twiml_redirect::testing {

// The pairs of `text` (a whole line, or the key=value part of one), or nullopt when malformed.
inline std::optional<std::multimap<std::string, std::string>> parse_logfmt(std::string_view text) {
  std::multimap<std::string, std::string> pairs;
  std::size_t i = 0;
  const auto at_end = [&] { return i >= text.size(); };
  while (true) {
    while (!at_end() && text[i] == ' ') ++i;
    if (at_end()) return pairs;
    std::string key;
    while (!at_end() && text[i] != '=' && text[i] != ' ') {
      if (text[i] == '"' || static_cast<unsigned char>(text[i]) <= 0x20) return std::nullopt;
      key += text[i++];
    }
    if (key.empty()) return std::nullopt;
    std::string value;
    if (!at_end() && text[i] == '=') {
      ++i;
      if (!at_end() && text[i] == '"') {
        ++i;
        bool closed = false;
        while (!at_end()) {
          const char c = text[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;  // raw control byte
          if (c != '\\') {
            value += c;
            continue;
          }
          if (at_end()) return std::nullopt;
          const char e = text[i++];
          if (e == '"' || e == '\\') {
            value += e;
          } else if (e == 'n') {
            value += '\n';
          } else if (e == 'r') {
            value += '\r';
          } else if (e == 't') {
            value += '\t';
          } else if (e == 'u') {
            if (i + 4 > text.size()) return std::nullopt;
            const unsigned code = static_cast<unsigned>(std::stoul(std::string(text.substr(i, 4)), nullptr, 16));
            i += 4;
            if (code >= 0x80) return std::nullopt;  // the writer only escapes control bytes this way
            value += static_cast<char>(code);
          } else {
            return std::nullopt;
          }
        }
        if (!closed) return std::nullopt;
        if (!at_end() && text[i] != ' ') return std::nullopt;
      } else {
        while (!at_end() && text[i] != ' ') {
          if (text[i] == '"' || text[i] == '=') return std::nullopt;
          value += text[i++];
        }
      }
    }
    pairs.emplace(std::move(key), std::move(value));
  }
}

}  // namespace twiml_redirect::testing
