#pragma once
// IP network ranges ("10.0.0.0/8", "2001:db8::/32") for deciding whether a peer is a trusted proxy.
// Pure: parsing and matching only, no name resolution.

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace twiml_redirect::util {

// A network: an address with every bit past prefix_length cleared, and the prefix length.
// IPv4-mapped IPv6 networks (::ffff:a.b.c.d/96+n) are stored as their IPv4 form (a.b.c.d/n),
// so one comparison rule covers both spellings.
struct cidr {
  boost::asio::ip::address network;
  unsigned prefix_length = 0;

  // True when `peer` lies inside this network. An IPv4-mapped IPv6 peer (::ffff:10.0.0.1, what a
  // dual-stack socket reports for an IPv4 client) is compared as the IPv4 address it carries.
  bool contains(const boost::asio::ip::address& peer) const;

  // The canonical text form, e.g. "10.0.0.0/8"; for logs and config dumps.
  std::string to_string() const;

  friend bool operator==(const cidr&, const cidr&) = default;
};

// Parses "address/prefix" or a bare address (a single host: /32 or /128). Host bits past the prefix
// are cleared ("10.1.2.3/8" means 10.0.0.0/8). Returns std::nullopt for anything else: empty input,
// surrounding whitespace, zone ids ("fe80::1%eth0"), a prefix that is not 0-32 / 0-128 decimal digits.
std::optional<cidr> parse_cidr(std::string_view text);

// `address` unchanged, unless it is an IPv4-mapped IPv6 address: then the IPv4 address it carries.
boost::asio::ip::address unmap_v4(const boost::asio::ip::address& address);

}  // namespace twiml_redirect::util
