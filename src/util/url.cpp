#include "twiml_redirect/util/url.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

namespace twiml_redirect::util {

namespace {

// A port from its text: Boost.URL's port_number() wraps values above 65535 instead of failing.
std::optional<std::uint16_t> parse_port(std::string_view port) {
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::nullopt;
  const unsigned long value = std::stoul(std::string(port));
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// What to fix in a URL Boost.URL refused, in words: its own errors ("mismatch", "leftover") say
// where its grammar stopped, not what is wrong. `schemes` is what the URL must start with.
std::string why_not_a_url(std::string_view url, std::string_view schemes) {
  if (url.empty()) return "is empty";
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return "must not contain spaces or control characters";
  const std::size_t separator = url.find("://");
  if (separator == std::string_view::npos)
    return "must start with " + std::string(schemes) + " followed by the host (no scheme found)";
  const std::string_view rest = url.substr(separator + 3);
  if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') return "has no host";
  return "has a character a URL cannot hold in its host, port or path (escape it as %XX)";
}

}  // namespace

boost::system::result<http_url, std::string> parse_http_url(std::string_view url) {
  // parse_uri, not parse_absolute_uri: a fragment gets the same answer as a query, below.
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return why_not_a_url(url, "https:// (or http:// for local tests)");
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
    const auto port = parse_port(u.port());
    if (!port) return std::string("has an invalid port (1 to 65535)");
    out.port = *port;
  }
  out.base_path = std::string(u.encoded_path());
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  return out;
}

boost::system::result<redis_url, std::string> parse_redis_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return why_not_a_url(url, "redis://");
  const auto& u = *parsed;
  if (u.scheme() == "rediss") return std::string("must start with redis:// (TLS to Redis is not supported)");
  if (u.scheme() != "redis") return std::string("must start with redis://");
  if (u.has_password())
    return std::string("must not carry a password (user:password@); set CALL_CONTEXT_REDIS_PASSWORD instead");
  if (u.has_query() || u.has_fragment()) return std::string("must not have a query or fragment");
  if (u.host_type() == boost::urls::host_type::none || u.host_address().empty()) return std::string("has no host");
  redis_url out;
  out.user = u.has_userinfo() ? std::string(u.encoded_user()) : std::string();
  out.host = u.host_address();
  if (u.has_port()) {
    const auto port = parse_port(u.port());
    if (!port) return std::string("has an invalid port (1 to 65535)");
    out.port = *port;
  }
  std::string_view path = u.encoded_path();
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) {
    const bool digits = path.size() <= 5 && std::all_of(path.begin(), path.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return std::string("has an invalid database number after the host (/0, /1, ...)");
    out.db = static_cast<unsigned>(std::stoul(std::string(path)));
  }
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
