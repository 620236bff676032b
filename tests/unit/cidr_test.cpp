#include "twiml_redirect/util/cidr.hpp"

#include <gtest/gtest.h>

namespace {

using twiml_redirect::util::parse_cidr;
using boost::asio::ip::make_address;

TEST(Cidr, ParsesIpv4NetworkAndClearsHostBits) {
  auto network = parse_cidr("10.1.2.3/8");
  ASSERT_TRUE(network);
  EXPECT_EQ(network->to_string(), "10.0.0.0/8");
  EXPECT_EQ(network->prefix_length, 8u);
}

TEST(Cidr, ParsesIpv6Network) {
  auto network = parse_cidr("2001:db8::1/32");
  ASSERT_TRUE(network);
  EXPECT_EQ(network->to_string(), "2001:db8::/32");
}

TEST(Cidr, BareAddressIsSingleHost) {
  auto v4 = parse_cidr("192.168.1.7");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "192.168.1.7/32");
  auto v6 = parse_cidr("::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->to_string(), "::1/128");
}

TEST(Cidr, RejectsMalformedInput) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8x", "10.0.0.0/0008", "10.0.0.0/8/8", " 10.0.0.0/8", "10.0.0.0/8 ",
                          "10.0.0", "10.0.0.256/8", "fe80::1%eth0/64", "example.com/8", "10.0.0.0 /8"}) {
    EXPECT_FALSE(parse_cidr(bad)) << '"' << bad << '"';
  }
}

TEST(Cidr, RejectsEmbeddedNul) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(parse_cidr("10.0.0.1\0junk/8"sv));
  EXPECT_FALSE(parse_cidr("10.0.0.1/8\0"sv));
}

TEST(Cidr, PrefixBoundaries) {
  EXPECT_TRUE(parse_cidr("0.0.0.0/0"));
  EXPECT_TRUE(parse_cidr("1.2.3.4/32"));
  EXPECT_TRUE(parse_cidr("::/0"));
  EXPECT_TRUE(parse_cidr("::1/128"));
}

TEST(Cidr, ContainsIpv4) {
  auto network = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(network);
  EXPECT_TRUE(network->contains(make_address("10.0.0.1")));
  EXPECT_TRUE(network->contains(make_address("10.255.255.255")));
  EXPECT_FALSE(network->contains(make_address("11.0.0.0")));
  EXPECT_FALSE(network->contains(make_address("9.255.255.255")));
  EXPECT_FALSE(network->contains(make_address("::1")));
}

TEST(Cidr, OddPrefixesSplitInsideAByte) {
  auto network = parse_cidr("172.16.0.0/12");
  ASSERT_TRUE(network);
  EXPECT_TRUE(network->contains(make_address("172.31.255.1")));
  EXPECT_FALSE(network->contains(make_address("172.32.0.1")));
  auto v6 = parse_cidr("fd00::/7");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(make_address("fc12::1")));
  EXPECT_TRUE(v6->contains(make_address("fdff::1")));
  EXPECT_FALSE(v6->contains(make_address("fe00::1")));
}

TEST(Cidr, ZeroPrefixMatchesEveryAddressOfItsFamily) {
  auto any_v4 = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(any_v4);
  EXPECT_TRUE(any_v4->contains(make_address("203.0.113.9")));
  EXPECT_FALSE(any_v4->contains(make_address("2001:db8::1")));
}

TEST(Cidr, Ipv4MappedPeerMatchesIpv4Network) {
  auto network = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(network);
  EXPECT_TRUE(network->contains(make_address("::ffff:10.0.0.1")));
  EXPECT_FALSE(network->contains(make_address("::ffff:11.0.0.1")));
}

TEST(Cidr, Ipv4MappedNetworkIsStoredAsIpv4) {
  auto network = parse_cidr("::ffff:10.0.0.0/104");
  ASSERT_TRUE(network);
  EXPECT_EQ(network->to_string(), "10.0.0.0/8");
  EXPECT_TRUE(network->contains(make_address("10.9.9.9")));
  EXPECT_TRUE(network->contains(make_address("::ffff:10.9.9.9")));
}

TEST(Cidr, ShortIpv6NetworkCoversMappedIpv4) {
  // Found by fuzzing: ::ffff:10.0.0.0/4 is the IPv6 network ::/4, which contains every IPv4-mapped
  // address, so it must match IPv4 peers in either spelling.
  auto network = parse_cidr("::ffff:10.0.0.0/004");
  ASSERT_TRUE(network);
  EXPECT_EQ(network->to_string(), "::/4");
  EXPECT_TRUE(network->contains(make_address("10.0.0.0")));
  EXPECT_TRUE(network->contains(make_address("::ffff:192.0.2.1")));
  auto any = parse_cidr("::/0");
  ASSERT_TRUE(any);
  EXPECT_TRUE(any->contains(make_address("203.0.113.9")));
  auto doc = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(doc);
  EXPECT_FALSE(doc->contains(make_address("10.0.0.1")));
}

TEST(Cidr, Ipv6LoopbackDoesNotMatchIpv4Loopback) {
  auto network = parse_cidr("127.0.0.0/8");
  ASSERT_TRUE(network);
  EXPECT_FALSE(network->contains(make_address("::1")));
  EXPECT_TRUE(network->contains(make_address("127.0.0.1")));
}

}  // namespace
