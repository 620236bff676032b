#include "twiml_redirect/synthflow/http_client.hpp"
#include "twiml_redirect/version.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace twiml_redirect::synthflow {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

std::string_view to_string(transport_error error) {
  switch (error) {
    case transport_error::none: return "none";
    case transport_error::resolve: return "resolve";
    case transport_error::connect: return "connect";
    case transport_error::tls_handshake: return "tls_handshake";
    case transport_error::tls_verify: return "tls_verify";
    case transport_error::timeout: return "timeout";
    case transport_error::io: return "io";
    case transport_error::aborted: return "aborted";
  }
  return "unknown";
}

namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
// A peer that never answers our close_notify must not hold a finished answer hostage.
constexpr std::chrono::milliseconds kShutdownBudget{1000};

// The I/O objects of one exchange. They live on send()'s stack, not in the coroutine frame, so the
// deadline handler can always reach them safely while the io_context runs.
struct exchange_state {
  explicit exchange_state(net::io_context& ioc, ssl::context* tls)
      : resolver(ioc), guard(ioc) {
    if (tls) {
      secure.emplace(ioc, *tls);
    } else {
      plain.emplace(ioc);
    }
  }

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  tcp::resolver resolver;
  net::steady_timer guard;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  bool timed_out = false;
  std::string phase = "resolve";
};

// The text of a certificate failure, from OpenSSL's own verdict on the chain.
std::string verify_failure_text(SSL* ssl_handle) {
  const long verdict = SSL_get_verify_result(ssl_handle);
  return verdict != X509_V_OK ? X509_verify_cert_error_string(verdict) : "certificate refused";
}

class beast_http_client final : public http_client {
 public:
  beast_http_client(client_options options, std::unique_ptr<ssl::context> tls)
      : options_(std::move(options)), tls_(std::move(tls)) {
    const auto& t = options_.target;
    const bool default_port = t.port == (t.tls ? 443 : 80);
    const bool v6 = t.host.find(':') != std::string::npos;
    host_header_ = v6 ? "[" + t.host + "]" : t.host;
    if (!default_port) host_header_ += ":" + std::to_string(t.port);
    where_ = host_header_;
    if (default_port) where_ += ":" + std::to_string(t.port);
  }

  http_result send(const http_request& request) override {
    http_result result;
    net::io_context ioc(1);
    exchange_state state(ioc, tls_.get());
    {
      std::lock_guard lock(mutex_);
      if (aborted_) {
        result.error = transport_error::aborted;
        result.error_message = "request to " + where_ + " cancelled";
        return result;
      }
      running_ = &ioc;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    arm_guard(state, deadline);
    net::co_spawn(ioc, exchange(state, request, result, deadline), [&](std::exception_ptr error) {
      if (error && result.ok()) {
        result.error = transport_error::io;
        result.error_message = "request to " + where_ + " failed: internal error";
      }
    });
    ioc.run();
    std::lock_guard lock(mutex_);
    running_ = nullptr;
    if (aborted_) {
      result = http_result{transport_error::aborted, "request to " + where_ + " cancelled",
                           result.request_sent, {}};
    }
    return result;
  }

  void abort() override {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    if (running_) running_->stop();
  }

 private:
  // One timer bounds every phase: when it fires it cancels the lookup and closes the socket, and
  // the phase that was waiting fails with operation_aborted, which we report as a timeout.
  static void arm_guard(exchange_state& state, std::chrono::steady_clock::time_point when) {
    state.guard.expires_at(when);
    state.guard.async_wait([&state](error_code ec) {
      if (ec) return;  // re-armed or finished
      state.timed_out = true;
      state.resolver.cancel();
      error_code ignored;
      state.tcp().socket().close(ignored);
    });
  }

  void fail(exchange_state& state, http_result& result, transport_error kind,
            const std::string& what) const {
    if (state.timed_out) {
      result.error = transport_error::timeout;
      result.error_message = "no answer from " + where_ + " within " +
                             std::to_string(options_.timeout.count()) + " ms (during " +
                             state.phase + ")";
    } else {
      result.error = kind;
      result.error_message = what;
    }
  }

  net::awaitable<void> exchange(exchange_state& state, const http_request& request,
                                http_result& result, std::chrono::steady_clock::time_point deadline) {
    // Whatever way this coroutine ends, the deadline timer must not keep the io_context alive.
    struct cancel_guard_on_exit {
      net::steady_timer& guard;
      ~cancel_guard_on_exit() { guard.cancel(); }
    } cancel_guard{state.guard};
    const auto& target = options_.target;
    auto [resolve_ec, addresses] = co_await state.resolver.async_resolve(
        target.host, std::to_string(target.port), kUseTuple);
    if (resolve_ec) {
      fail(state, result, transport_error::resolve,
           "cannot resolve " + target.host + ": " + resolve_ec.message());
      co_return;
    }

    state.phase = "connect";
    auto [connect_ec, peer] = co_await state.tcp().async_connect(addresses, kUseTuple);
    if (connect_ec) {
      fail(state, result, transport_error::connect,
           "cannot connect to " + where_ + ": " + connect_ec.message());
      co_return;
    }

    if (state.secure) {
      state.phase = "TLS handshake";
      SSL* handle = state.secure->native_handle();
      // SNI is for names only (RFC 6066 forbids IP literals); verification covers both kinds.
      if (!is_ip_literal(target.host) && !SSL_set_tlsext_host_name(handle, target.host.c_str())) {
        fail(state, result, transport_error::tls_handshake, "cannot set TLS SNI for " + target.host);
        co_return;
      }
      state.secure->set_verify_mode(ssl::verify_peer);
      // Host-name (or IP) verification inside OpenSSL's chain check, the same test as asio's
      // ssl::host_name_verification, but a mismatch then has its own verdict ("hostname mismatch")
      // instead of an unspecified callback refusal.
      X509_VERIFY_PARAM* param = SSL_get0_param(handle);
      const bool pinned = is_ip_literal(target.host)
                              ? X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str()) == 1
                              : SSL_set1_host(handle, target.host.c_str()) == 1;
      if (!pinned) {
        fail(state, result, transport_error::tls_handshake, "cannot set TLS host check for " + target.host);
        co_return;
      }
      auto [handshake_ec] = co_await state.secure->async_handshake(ssl::stream_base::client, kUseTuple);
      if (handshake_ec) {
        if (handshake_ec.category() == net::error::get_ssl_category() &&
            ERR_GET_REASON(static_cast<unsigned long>(handshake_ec.value())) ==
                SSL_R_CERTIFICATE_VERIFY_FAILED) {
          fail(state, result, transport_error::tls_verify,
               "TLS certificate of " + where_ + " is not trusted: " + verify_failure_text(handle));
        } else {
          fail(state, result, transport_error::tls_handshake,
               "TLS handshake with " + where_ + " failed: " + handshake_ec.message());
        }
        co_return;
      }
    }

    http::request<http::string_body> req{request.method, request.target, 11};
    req.set(http::field::host, host_header_);
    req.set(http::field::user_agent, "twiml-redirect/" TWIML_REDIRECT_VERSION_TEXT);
    req.set(http::field::accept, "application/json");
    if (!request.bearer_token.empty()) req.set(http::field::authorization, "Bearer " + request.bearer_token);
    if (!request.body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = request.body;
    }
    // One request per connection: provisioning makes a handful of calls, minutes apart at worst.
    req.keep_alive(false);
    req.prepare_payload();

    state.phase = "write";
    result.request_sent = true;
    auto [write_ec, written] = state.secure ? co_await http::async_write(*state.secure, req, kUseTuple)
                                            : co_await http::async_write(*state.plain, req, kUseTuple);
    if (write_ec) {
      fail(state, result, transport_error::io,
           "sending the request to " + where_ + " failed: " + write_ec.message());
      co_return;
    }

    state.phase = "answer";
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.body_limit);
    auto [read_ec, read] = state.secure ? co_await http::async_read(*state.secure, buffer, parser, kUseTuple)
                                        : co_await http::async_read(*state.plain, buffer, parser, kUseTuple);
    if (read_ec) {
      const bool cut = read_ec == http::error::end_of_stream || read_ec == http::error::partial_message ||
                       read_ec == net::error::eof || read_ec == net::ssl::error::stream_truncated;
      fail(state, result, transport_error::io,
           cut ? "connection to " + where_ + " closed before a complete answer"
               : "reading the answer from " + where_ + " failed: " + read_ec.message());
      co_return;
    }
    auto response = parser.release();
    result.response.status = response.result_int();
    result.response.body = std::move(response.body());
    result.response.retry_after = std::string(response[http::field::retry_after]);

    if (state.secure) {
      // A polite close_notify, bounded: the answer is complete already, so failures here
      // (stream_truncated from peers that just close) do not matter.
      state.phase = "TLS shutdown";
      arm_guard(state, std::min(deadline, std::chrono::steady_clock::now() + kShutdownBudget));
      co_await state.secure->async_shutdown(kUseTuple);
    }
    error_code ignored;
    state.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    state.tcp().socket().close(ignored);
  }

  static bool is_ip_literal(const std::string& host) {
    error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
  }

  client_options options_;
  std::unique_ptr<ssl::context> tls_;
  std::string host_header_;
  std::string where_;  // host:port for messages
  std::mutex mutex_;
  net::io_context* running_ = nullptr;
  bool aborted_ = false;
};

}  // namespace

boost::system::result<std::unique_ptr<http_client>, std::string> make_http_client(
    const client_options& options) {
  std::unique_ptr<ssl::context> tls;
  if (options.target.tls) {
    // tls_client, then a floor of 1.2: asio's tlsv12_client would also forbid TLS 1.3.
    tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    error_code ec;
    // The system store; OpenSSL itself lets SSL_CERT_FILE / SSL_CERT_DIR replace its defaults.
    tls->set_default_verify_paths(ec);
    if (ec) return std::string("cannot load the system CA store: ") + ec.message();
    if (!options.ca_file.empty()) {
      tls->load_verify_file(options.ca_file, ec);
      if (ec) return "cannot load synthflow.ca_file " + options.ca_file + ": " + ec.message();
    }
    tls->set_verify_mode(ssl::verify_peer);
  }
  return std::unique_ptr<http_client>(std::make_unique<beast_http_client>(options, std::move(tls)));
}

}  // namespace twiml_redirect::synthflow
