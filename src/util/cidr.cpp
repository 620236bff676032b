#include "twiml_redirect/util/cidr.hpp"

#include <array>
#include <charconv>
#include <cstddef>

namespace twiml_redirect::util {
namespace {

namespace ip = boost::asio::ip;

// Clears every bit of `bytes` past the first `prefix` bits.
template <std::size_t N>
std::array<unsigned char, N> masked(std::array<unsigned char, N> bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned first_bit = static_cast<unsigned>(i) * 8;
    if (prefix >= first_bit + 8) continue;
    const unsigned keep = prefix > first_bit ? prefix - first_bit : 0;
    bytes[i] &= static_cast<unsigned char>(0xFF00U >> keep);
  }
  return bytes;
}

ip::address masked_address(const ip::address& address, unsigned prefix) {
  if (address.is_v4()) return ip::address_v4(masked(address.to_v4().to_bytes(), prefix));
  return ip::address_v6(masked(address.to_v6().to_bytes(), prefix));
}

}  // namespace

ip::address unmap_v4(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool cidr::contains(const ip::address& peer) const {
  if (network.is_v4()) {
    const ip::address candidate = unmap_v4(peer);
    return candidate.is_v4() && masked_address(candidate, prefix_length) == network;
  }
  // An IPv6 network short enough to span ::ffff:0:0/96 (e.g. ::/0) covers IPv4 peers in their mapped form.
  const ip::address candidate =
      peer.is_v4() ? ip::address(ip::make_address_v6(ip::v4_mapped, peer.to_v4())) : peer;
  return masked_address(candidate, prefix_length) == network;
}

std::string cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix_length); }

std::optional<cidr> parse_cidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  // Only address characters: Asio would accept a zone id ("%eth0"), which a trusted-proxy range has no
  // use for, and it reads a C string, so "10.0.0.1<NUL>junk" would pass as 10.0.0.1.
  if (address_text.empty() ||
      address_text.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos) {
    return std::nullopt;
  }

  boost::system::error_code ec;
  ip::address address = ip::make_address(std::string(address_text), ec);
  if (ec) return std::nullopt;
  const unsigned max_prefix = address.is_v4() ? 32 : 128;

  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view prefix_text = text.substr(slash + 1);
    // from_chars stops quietly at trailing junk ("8x"); require 1-3 digits, all consumed.
    if (prefix_text.empty() || prefix_text.size() > 3) return std::nullopt;
    const char* end = prefix_text.data() + prefix_text.size();
    auto [stop, error] = std::from_chars(prefix_text.data(), end, prefix);
    if (error != std::errc{} || stop != end || prefix > max_prefix) return std::nullopt;
  }

  // Store ::ffff:a.b.c.d/96+n as a.b.c.d/n so it matches IPv4 peers after unmap_v4.
  if (address.is_v6() && address.to_v6().is_v4_mapped() && prefix >= 96) {
    address = unmap_v4(address);
    prefix -= 96;
  }
  return cidr{masked_address(address, prefix), prefix};
}

}  // namespace twiml_redirect::util
