#pragma once
// One HTTP/1.1 request at a time to the Synthflow API over verified HTTPS (or plain HTTP for local
// testing), with a single deadline covering resolve, connect, TLS handshake, write and the answer.
// Behind an interface so the fake-Synthflow tests and a future pooled client can share callers.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>
#include <boost/system/result.hpp>

#include "twiml_redirect/util/url.hpp"

namespace twiml_redirect::synthflow {

// Where the API lives, split out of config's api_url by util::parse_http_url.
using endpoint = util::http_url;

struct http_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;        // origin-form path and query, base path included
  std::string body;          // JSON; sent with Content-Type: application/json when non-empty
  std::string bearer_token;  // sent as Authorization; never logged
};

struct http_response {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // raw Retry-After header, empty when absent
};

// Why no HTTP answer arrived.
enum class transport_error {
  none,
  resolve,        // host name lookup failed
  connect,        // no TCP connection
  tls_handshake,  // handshake failed for a reason other than the certificate
  tls_verify,     // the peer's certificate or host name is not trusted
  timeout,        // the deadline passed in any phase
  io,             // connection broken or answer malformed
  aborted,        // abort() was called
};

// Stable lower-case name of a transport error, for messages and tests.
std::string_view to_string(transport_error error);

struct http_result {
  transport_error error = transport_error::none;
  std::string error_message;  // set when error != none; names host:port and phase, never secrets
  bool request_sent = false;  // the request started going out, so the server may have acted on it
  http_response response;     // valid when error == none

  bool ok() const { return error == transport_error::none; }
};

struct client_options {
  endpoint target;
  std::chrono::milliseconds timeout{10'000};  // the whole exchange, from resolve to last byte
  std::string ca_file;                        // extra trusted CA bundle (PEM); empty: system only
  std::size_t body_limit = 4 * 1024 * 1024;   // larger answers are a transport error
};

// Sends requests one at a time; send() may be called from one thread, abort() from any.
class http_client {
 public:
  virtual ~http_client() = default;
  // Blocks until the answer, the deadline or abort(); never throws for network failures.
  virtual http_result send(const http_request& request) = 0;
  // Ends the request in flight and makes every later send() fail with transport_error::aborted.
  virtual void abort() = 0;
};

// A Beast client: one connection per request (requests are few, at startup), TLS 1.2+ with peer
// verification against the system store (SSL_CERT_FILE/SSL_CERT_DIR honoured) plus ca_file, SNI and
// host-name verification. Fails when ca_file cannot be loaded.
boost::system::result<std::unique_ptr<http_client>, std::string> make_http_client(
    const client_options& options);

}  // namespace twiml_redirect::synthflow
