#include "twiml_redirect/outbound/request.hpp"

#include <algorithm>

#include <openssl/evp.h>

#include "twiml_redirect/util/text.hpp"
#include "twiml_redirect/version.hpp"

namespace twiml_redirect::outbound {

namespace http = boost::beast::http;

namespace {

std::string base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

void append_form_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const unsigned char c : text) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '*' || c == '-' || c == '.' || c == '_';
    if (kept) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

}  // namespace

std::string form_encode(const form_fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    append_form_encoded(out, name);
    out += '=';
    append_form_encoded(out, value);
  }
  return out;
}

request_body json_body(std::string json) { return {std::move(json), std::string(kJsonType)}; }

request_body form_body(const form_fields& fields) { return {form_encode(fields), std::string(kFormType)}; }

std::string_view http_response::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (util::iequals(field, name)) return value;
  }
  return {};
}

std::optional<std::string> authorization_value(const credentials& auth) {
  if (const auto* bearer = std::get_if<bearer_auth>(&auth)) return "Bearer " + bearer->token;
  if (const auto* basic = std::get_if<basic_auth>(&auth)) {
    return "Basic " + base64(basic->user + ":" + basic->password);
  }
  return std::nullopt;
}

std::vector<std::string> request_secrets(const http_request& request) {
  std::vector<std::string> secrets;
  if (const auto* bearer = std::get_if<bearer_auth>(&request.auth)) {
    secrets.push_back(bearer->token);
  } else if (const auto* basic = std::get_if<basic_auth>(&request.auth)) {
    secrets.push_back(basic->password);
    // The pair and its encoding: a server or proxy that echoes the header must not leak it either.
    secrets.push_back(basic->user + ":" + basic->password);
    secrets.push_back(base64(basic->user + ":" + basic->password));
  }
  for (const auto& field : request.headers) {
    if (field.secret) secrets.push_back(field.value);
  }
  // Longest first: a secret that contains another must be replaced whole, not in pieces.
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return secrets;
}

http::request<http::string_body> build_message(const http_request& request, std::string_view host_header) {
  http::request<http::string_body> message{request.method, request.target, 11};
  message.set(http::field::host, host_header);
  message.set(http::field::user_agent, "twiml-redirect/" TWIML_REDIRECT_VERSION_TEXT);
  if (auto authorization = authorization_value(request.auth)) {
    message.set(http::field::authorization, *authorization);
  }
  if (request.body) {
    message.set(http::field::content_type, request.body->content_type);
    message.body() = request.body->content;
  }
  for (const auto& field : request.headers) message.set(field.name, field.value);
  // One request per connection: callers make a handful of calls, minutes apart at worst.
  message.keep_alive(false);
  message.prepare_payload();
  return message;
}

}  // namespace twiml_redirect::outbound
