#include "twiml_redirect/util/url.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

namespace twiml_redirect::util {

boost::system::result<http_url, std::string> parse_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return std::string("is not an absolute URL: ") + parsed.error().message();
  const auto& u = *parsed;
  http_url out;
  if (u.scheme() == "https") {
    out.tls = true;
    out.port = 443;
  } else if (u.scheme() == "http") {
    out.tls = false;
    out.port = 80;
  } else {
    return std::string("must start with https:// (or http:// for local tests)");
  }
  if (u.has_userinfo()) return std::string("must not carry credentials (user:password@); secrets come from the environment");
  if (u.has_query() || u.has_fragment()) return std::string("must not have a query or fragment");
  if (u.host_type() == boost::urls::host_type::none || u.host_address().empty()) return std::string("has no host");
  out.host = u.host_address();
  if (u.has_port()) {
    // port_number() wraps ports above 65535 (99999 reads as 34463), so range-check the digits.
    const std::string_view digits = u.port();
    unsigned long port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
      return std::string("has an invalid port (1 to 65535)");
    out.port = static_cast<std::uint16_t>(port);
  }
  out.base_path = std::string(u.encoded_path());
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

std::string host_and_port(const http_url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

}  // namespace twiml_redirect::util
