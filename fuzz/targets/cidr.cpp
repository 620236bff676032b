// parse_cidr on arbitrary text: never crashes, and what it accepts is canonical and self-consistent.
#include <boost/asio/ip/address.hpp>

#include "fuzz_target.hpp"
#include "twiml_redirect/util/cidr.hpp"

TWIML_FUZZ_TARGET(cidr) {
  using twiml_redirect::util::parse_cidr;
  const std::optional<twiml_redirect::util::cidr> network = parse_cidr(input);
  if (!network) return;
  TWIML_FUZZ_CHECK(network->prefix_length <= (network->network.is_v4() ? 32u : 128u));
  // The network address lies in its own network, and the canonical text parses back to the same value.
  TWIML_FUZZ_CHECK(network->contains(network->network));
  const std::optional<twiml_redirect::util::cidr> again = parse_cidr(network->to_string());
  TWIML_FUZZ_CHECK(again && *again == *network);
  // Whatever address the input spelled (before masking) is inside the network it produced.
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(input.substr(0, input.find('/'))), ec);
  TWIML_FUZZ_CHECK(!ec && network->contains(address));
}
