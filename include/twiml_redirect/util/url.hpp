#pragma once
// Absolute http(s) URLs of services the process talks to (api_url settings): one parser, used both
// by config validation and by the outbound HTTP client, so a URL check-config accepts is one the
// client can use. Pure: no name resolution.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace twiml_redirect::util {

// Where an HTTP service lives: "https://api.synthflow.ai/v2" is {tls, "api.synthflow.ai", 443, "/v2"}.
struct http_url {
  bool tls = true;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 443;
  std::string base_path;  // "/v2"; no trailing slash, may be empty
};

// Parses an absolute http:// or https:// URL with a host, an optional non-zero port and an optional
// path; no credentials, query or fragment. The error says what is wrong, without echoing the URL
// (it may carry credentials).
boost::system::result<http_url, std::string> parse_http_url(std::string_view url);

// Where a Redis server lives: "redis://app@cache:6380/2" is {6380, 2, "app", "cache"}. (The port
// comes first so that a std::string cannot initialize one, which would make result<> ambiguous.)
struct redis_url {
  std::uint16_t port = 6379;
  unsigned db = 0;
  std::string user;  // empty: the default user (or none, before Redis 6)
  std::string host;  // without brackets for IPv6 literals
};

// Parses redis://[user@]host[:port][/db]. A password in the URL is refused (it comes from the
// environment), and so is rediss:// (no TLS client for Redis here). Errors do not echo the URL.
boost::system::result<redis_url, std::string> parse_redis_url(std::string_view url);

// True for "localhost", 127.0.0.0/8 and ::1: plain HTTP there never leaves the machine.
bool is_loopback_host(std::string_view host);

// "host:port" with IPv6 literals in brackets: how messages name a peer.
std::string host_and_port(const http_url& url);

}  // namespace twiml_redirect::util
