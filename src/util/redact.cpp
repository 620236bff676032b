#include "twiml_redirect/util/redact.hpp"

#include <algorithm>
#include <string_view>

#include "twiml_redirect/util/utf8.hpp"

namespace twiml_redirect::util {

std::string redact(std::string text, std::vector<std::string> secrets) {
  static constexpr std::string_view kMark = "<redacted>";
  std::stable_sort(secrets.begin(), secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), kMark);
      pos += kMark.size();
    }
  }
  return text;
}

std::string redact_and_cut(std::string text, std::vector<std::string> secrets, std::size_t max_bytes) {
  text = redact(std::move(text), std::move(secrets));
  if (text.size() > max_bytes) text = std::string(util::utf8_prefix(text, max_bytes)) + "...";
  return text;
}

}  // namespace twiml_redirect::util
