#include "twiml_redirect/twilio/signature.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <stdexcept>
#include <cstddef>
#include <utility>

#include "twiml_redirect/util/text.hpp"
#include <openssl/crypto.h>
#include <openssl/evp.h>
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
  return signing_string_of_views(url, field_views(params.begin(), params.end()));
}

std::string signing_string_of_views(std::string_view url, field_views sorted) {
  // Bytewise order of name, then value (std::string_view compares as unsigned char, Twilio's order),
  // with repeated name/value pairs dropped as the libraries drop them. Twilio sends its fields
  // sorted already, so the sort is usually skipped.
  if (!std::is_sorted(sorted.begin(), sorted.end())) std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::size_t size = url.size();
  for (const auto& [name, value] : sorted) size += name.size() + value.size();
  std::string out;
  out.reserve(size);
  out.append(url);
  for (const auto& [name, value] : sorted) out.append(name).append(value);
  return out;
}

// What HMAC (RFC 2104) hashes before any message: the key, padded to a block, XORed with ipad for the
// inner hash and opad for the outer one. Both states are computed once per key, because copying a
// state is far cheaper than redoing that set-up, as HMAC() does on every call.
struct signing_key::state {
  EVP_MD_CTX* inner = EVP_MD_CTX_new();
  EVP_MD_CTX* outer = EVP_MD_CTX_new();
  ~state() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
  }
};

signing_key::signing_key(std::string_view secret, hmac_algorithm algorithm) : state_(std::make_shared<state>()) {
  const EVP_MD* const hash = algorithm == hmac_algorithm::sha256 ? EVP_sha256() : EVP_sha1();
  constexpr std::size_t kBlock = 64;  // the block size of SHA-1 and of SHA-256 alike
  std::array<unsigned char, kBlock> key{};
  if (secret.size() > kBlock) {  // RFC 2104: a key longer than a block is hashed first
    unsigned int size = 0;
    EVP_Digest(secret.data(), secret.size(), key.data(), &size, hash, nullptr);
  } else {
    std::copy(secret.begin(), secret.end(), key.begin());
  }
  std::array<unsigned char, kBlock> inner_pad{};
  std::array<unsigned char, kBlock> outer_pad{};
  for (std::size_t i = 0; i < kBlock; ++i) {
    inner_pad[i] = static_cast<unsigned char>(key[i] ^ 0x36);
    outer_pad[i] = static_cast<unsigned char>(key[i] ^ 0x5c);
  }
  if (!state_->inner || !state_->outer || !EVP_DigestInit_ex(state_->inner, hash, nullptr) ||
      !EVP_DigestUpdate(state_->inner, inner_pad.data(), kBlock) || !EVP_DigestInit_ex(state_->outer, hash, nullptr) ||
      !EVP_DigestUpdate(state_->outer, outer_pad.data(), kBlock)) {
    throw std::runtime_error("OpenSSL cannot set up the HMAC");
  }
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(inner_pad.data(), inner_pad.size());
  OPENSSL_cleanse(outer_pad.data(), outer_pad.size());
}

std::string signing_key::sign(std::string_view message_start, std::string_view message_rest) const {
  // One working context per thread, reused: the key's states are shared and never written.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> work(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const bool ok = work && EVP_MD_CTX_copy_ex(work.get(), state_->inner) &&
                  EVP_DigestUpdate(work.get(), message_start.data(), message_start.size()) &&
                  EVP_DigestUpdate(work.get(), message_rest.data(), message_rest.size()) &&
                  EVP_DigestFinal_ex(work.get(), digest.data(), &size) && EVP_MD_CTX_copy_ex(work.get(), state_->outer) &&
                  EVP_DigestUpdate(work.get(), digest.data(), size) && EVP_DigestFinal_ex(work.get(), digest.data(), &size);
  if (!ok) throw std::runtime_error("OpenSSL failed to compute the HMAC");
  return base64(digest.data(), size);
}

std::string compute_signature(std::string_view auth_token, std::string_view url, const form_params& params) {
  return signing_key(auth_token).sign(url, signing_string({}, params));
}

std::string base64_of(std::string_view text) {
  return base64(reinterpret_cast<const unsigned char*>(text.data()), text.size());
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
    out.push_back(join_url(parts, util::iequals(parts.scheme, "https") ? "443" : "80"));
  }
  return out;
}

bool signing_key::matches(std::string_view signature_header, std::string_view url, const form_params& params) const {
  return matches_views(signature_header, url, field_views(params.begin(), params.end()));
}

bool signing_key::matches_views(std::string_view signature_header, std::string_view url, field_views fields_in) const {
  if (signature_header.empty()) return false;
  // The fields' part of the signed text is the same for every spelling of the URL: build it once.
  const std::string fields = signing_string_of_views({}, std::move(fields_in));
  // The URL as the request names it is what Twilio signed, unless the port is spelled the other way
  // (with or without the default one): so one HMAC for a genuine request, and the other spelling
  // only on a mismatch. Stopping at a match tells a sender only which spelling matched, which it
  // chose itself; each comparison stays constant-time, so nothing about the expected value leaks.
  if (constant_time_equals(sign(url, fields), signature_header)) return true;
  const std::vector<std::string> candidates = candidate_urls(url);
  return candidates.size() > 1 && constant_time_equals(sign(candidates[1], fields), signature_header);
}

bool signature_matches(std::string_view auth_token, std::string_view signature_header, std::string_view url,
                       const form_params& params) {
  return !auth_token.empty() && signing_key(auth_token).matches(signature_header, url, params);
}

}  // namespace twiml_redirect::twilio
