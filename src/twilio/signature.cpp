#include "twiml_redirect/twilio/signature.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <map>
#include <set>

#include <boost/beast/core/string.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace twiml_redirect::twilio {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  // EVP_EncodeBlock writes 4 output bytes per 3 input bytes plus a NUL, without line breaks.
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// The parts of "scheme://authority/rest" that the port variants need; authority may carry
// "user[:pass]@" and a bracketed IPv6 host.
struct url_parts {
  std::string_view scheme;     // without "://"
  std::string_view userinfo;   // including the trailing '@', or empty
  std::string_view host;       // as written, brackets included
  std::string_view port;       // digits after ':', empty when absent
  bool has_port = false;
  std::string_view rest;       // from the first '/', '?' or '#' after the authority
};

bool split_url(std::string_view url, url_parts& parts) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  parts.scheme = url.substr(0, scheme_end);
  const std::size_t authority_begin = scheme_end + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
  parts.rest = url.substr(authority_end);

  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    parts.userinfo = authority.substr(0, at + 1);
    authority.remove_prefix(at + 1);
  }
  // A ':' after the host (after the closing bracket for IPv6) starts the port.
  const std::size_t host_end = authority.starts_with('[') ? authority.find(']') : 0;
  if (host_end == std::string_view::npos) return false;
  const std::size_t colon = authority.find(':', host_end);
  parts.host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    parts.has_port = true;
    parts.port = authority.substr(colon + 1);
  }
  return !parts.host.empty();
}

std::string join_url(const url_parts& parts, std::string_view port) {
  std::string out;
  out.reserve(parts.scheme.size() + 3 + parts.userinfo.size() + parts.host.size() + port.size() + 1 +
              parts.rest.size());
  out.append(parts.scheme).append("://").append(parts.userinfo).append(parts.host);
  if (!port.empty()) out.append(":").append(port);
  out.append(parts.rest);
  return out;
}

}  // namespace

std::string signing_string(std::string_view url, const form_params& params) {
  // std::string orders by unsigned char, which is Twilio's bytewise order; std::set both sorts
  // and removes the duplicate values the libraries drop.
  std::map<std::string_view, std::set<std::string_view>> sorted;
  std::size_t size = url.size();
  for (const auto& [name, value] : params) {
    if (sorted[name].insert(value).second) size += name.size() + value.size();
  }
  std::string out;
  out.reserve(size);
  out.append(url);
  for (const auto& [name, values] : sorted) {
    for (std::string_view value : values) out.append(name).append(value);
  }
  return out;
}

std::string compute_signature(std::string_view auth_token, std::string_view url, const form_params& params) {
  const std::string message = signing_string(url, params);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  // HMAC() takes an int key length; a token beyond INT_MAX bytes is a bug, not input.
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(std::min<std::size_t>(auth_token.size(), INT_MAX)),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(), &digest_size);
  return base64(digest.data(), digest_size);
}

std::string body_sha256_hex(std::string_view body) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  unsigned int digest_size = 0;
  EVP_Digest(body.data(), body.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest_size);
  for (unsigned int i = 0; i < digest_size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0F]);
  }
  return out;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string> candidate_urls(std::string_view url) {
  std::vector<std::string> out{std::string(url)};
  url_parts parts;
  if (!split_url(url, parts)) return out;
  if (parts.has_port) {
    out.push_back(join_url(parts, {}));
  } else {
    out.push_back(join_url(parts, boost::beast::iequals(parts.scheme, "https") ? "443" : "80"));
  }
  return out;
}

bool signature_matches(std::string_view auth_token, std::string_view signature_header, std::string_view url,
                       const form_params& params) {
  if (auth_token.empty() || signature_header.empty()) return false;
  bool matched = false;
  // Check every candidate even after a match, so timing does not reveal which spelling matched.
  for (const std::string& candidate : candidate_urls(url)) {
    matched |= constant_time_equals(compute_signature(auth_token, candidate, params), signature_header);
  }
  return matched;
}

}  // namespace twiml_redirect::twilio
