#pragma once
// One HTTP/1.1 request at a time to one API over verified HTTPS (or plain HTTP for local
// services), with a single deadline covering resolve, connect, TLS handshake, write and the answer.
// Two forms: async_send() is a coroutine on the caller's executor (a handler can await it without
// blocking a worker); send() blocks, running that coroutine on a private io_context. Behind an
// interface so tests and a future pooled client can share callers.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "twiml_redirect/outbound/request.hpp"
#include "twiml_redirect/util/url.hpp"

namespace twiml_redirect::outbound {

// Where the API lives, split out of a configured URL by util::parse_http_url.
using endpoint = util::http_url;

// Why no HTTP answer arrived.
enum class transport_error {
  none,
  resolve,        // host name lookup failed
  connect,        // no TCP connection
  tls_handshake,  // handshake failed for a reason other than the certificate
  tls_verify,     // the peer's certificate or host name is not trusted
  timeout,        // the deadline passed in any phase
  io,             // connection broken or answer malformed
  aborted,        // abort() was called, or the awaiting coroutine was cancelled
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
  std::string ca_file_setting = "ca_file";    // how messages name ca_file, e.g. "synthflow.ca_file"
  std::size_t body_limit = 4 * 1024 * 1024;   // larger answers are a transport error
};

// Sends requests; abort() may be called from any thread. Each exchange owns its connection, so
// several may run at once, but the executor async_send() runs on must not run the coroutine on two
// threads at once (a strand, or an io_context run by one thread), as for any Asio I/O object.
// The client must outlive every exchange it started.
class http_client {
 public:
  virtual ~http_client() = default;

  // Runs the exchange on the awaiting coroutine's executor; never throws for network failures.
  // Ends with transport_error::aborted when abort() is called or a cancellation through the
  // awaiting coroutine's slot interrupts an operation (one that arrives between operations throws
  // operation_aborted at the next, as Asio coroutines do by default). Either way it completes only
  // after the operations it started have: nothing it owns is used after it returns.
  virtual boost::asio::awaitable<http_result> async_send(http_request request) = 0;

  // Blocks until the answer, the deadline or abort(): async_send() on a private io_context, run on
  // the calling thread until the coroutine has finished.
  virtual http_result send(const http_request& request) = 0;

  // Ends every exchange in flight and makes every later one fail with transport_error::aborted.
  virtual void abort() = 0;
};

// A Beast client: one connection per request, TLS 1.2+ with peer verification against the system
// store (SSL_CERT_FILE/SSL_CERT_DIR honoured) plus ca_file, SNI and host-name verification. Fails
// when ca_file cannot be loaded.
boost::system::result<std::unique_ptr<http_client>, std::string> make_http_client(
    const client_options& options);

}  // namespace twiml_redirect::outbound
