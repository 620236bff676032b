#include "twiml_redirect/outbound/http_client.hpp"

#include "twiml_redirect/util/redact.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace twiml_redirect::outbound {

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

// The I/O objects of one exchange, shared by its coroutine, its deadline handler and abort()'s
// posted handler: whichever runs last frees them, so no handler can reach a destroyed object.
struct exchange_state {
  exchange_state(const net::any_io_executor& executor, ssl::context* tls) : resolver(executor), guard(executor) {
    if (tls) {
      secure.emplace(executor, *tls);
    } else {
      plain.emplace(executor);
    }
  }

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Ends the pending lookup or socket operation: it completes with operation_aborted, and any
  // later one fails on the closed socket. Runs on the exchange's executor only.
  void interrupt() {
    resolver.cancel();
    error_code ignored;
    tcp().socket().close(ignored);
  }

  bool interrupted() const { return timed_out || aborted; }

  tcp::resolver resolver;
  net::steady_timer guard;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  bool timed_out = false;
  bool aborted = false;
  bool finished = false;
  std::string phase = "resolve";
};

// The text of a certificate failure, from OpenSSL's own verdict on the chain.
std::string verify_failure_text(SSL* ssl_handle) {
  const long verdict = SSL_get_verify_result(ssl_handle);
  return verdict != X509_V_OK ? X509_verify_cert_error_string(verdict) : "certificate refused";
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

class beast_http_client final : public http_client {
 public:
  beast_http_client(client_options options, std::unique_ptr<ssl::context> tls)
      : options_(std::move(options)), tls_(std::move(tls)) {
    const auto& t = options_.target;
    where_ = util::host_and_port(t);
    const bool default_port = t.port == (t.tls ? 443 : 80);
    host_header_ = default_port ? where_.substr(0, where_.rfind(':')) : where_;
  }

  net::awaitable<http_result> async_send(http_request request) override {
    http_result result;
    const auto executor = co_await net::this_coro::executor;
    auto state = std::make_shared<exchange_state>(executor, tls_.get());
    {
      std::lock_guard lock(mutex_);
      if (aborted_) co_return cancelled(result);
      running_.push_back(state);
    }
    // Whatever way the exchange ends: unlisted, so abort() no longer reaches it, and its deadline
    // timer cancelled, so the timer's handler (which holds `state`) completes and lets it go.
    struct on_exit {
      beast_http_client& self;
      std::shared_ptr<exchange_state>& state;
      ~on_exit() {
        state->finished = true;
        state->guard.cancel();
        std::lock_guard lock(self.mutex_);
        std::erase_if(self.running_, [&](const auto& weak) { return weak.expired() || weak.lock() == state; });
      }
    } unlist{*this, state};

    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    arm_guard(state, deadline);
    co_await exchange(state, build_message(request, host_header_), result, deadline);
    if (state->aborted || (!result.ok() && (co_await net::this_coro::cancellation_state).cancelled() !=
                                               net::cancellation_type::none)) {
      cancelled(result);
    }
    // A message never carries the credentials, even when a peer echoed them into an error.
    if (!result.ok()) result.error_message = util::redact(std::move(result.error_message), request_secrets(request));
    co_return result;
  }

  http_result send(const http_request& request) override {
    // Declared before the io_context: if the context ever destroyed an unfinished coroutine, the
    // frame's references to it would still be valid.
    std::optional<http_result> outcome;
    net::io_context ioc(1);
    net::co_spawn(ioc, async_send(request), [&](std::exception_ptr error, http_result result) {
      if (error) {
        result = http_result{};
        result.error = transport_error::io;
        result.error_message = "request to " + where_ + " failed: internal error";
      }
      outcome = std::move(result);
    });
    // No stop(): run() returns once the coroutine and every handler it started have completed
    // (abort() cancels the operations instead), so nothing is destroyed while still in use.
    ioc.run();
    if (!outcome) {
      // Only reachable if the exchange never completed, which would be a bug in this file.
      outcome.emplace();
      outcome->error = transport_error::io;
      outcome->error_message = "request to " + where_ + " failed: internal error";
    }
    return std::move(*outcome);
  }

  void abort() override {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    for (const auto& weak : running_) {
      // I/O objects are not thread-safe: the interruption runs on the exchange's own executor.
      if (auto state = weak.lock()) {
        net::post(state->guard.get_executor(), [state] {
          if (state->finished) return;
          state->aborted = true;
          state->interrupt();
        });
      }
    }
  }

 private:
  http_result& cancelled(http_result& result) const {
    result.error = transport_error::aborted;
    result.error_message = "request to " + where_ + " cancelled";
    result.response = {};
    return result;
  }

  // One timer bounds every phase: when it fires it interrupts whatever is pending, and that phase
  // fails with operation_aborted, which fail() reports as a timeout.
  static void arm_guard(const std::shared_ptr<exchange_state>& state, std::chrono::steady_clock::time_point when) {
    state->guard.expires_at(when);
    state->guard.async_wait([state](error_code ec) {
      if (ec || state->finished) return;  // re-armed or finished
      state->timed_out = true;
      state->interrupt();
    });
  }

  void fail(exchange_state& state, http_result& result, transport_error kind, const std::string& what) const {
    if (state.aborted) {
      cancelled(result);
    } else if (state.timed_out) {
      result.error = transport_error::timeout;
      result.error_message = "no answer from " + where_ + " within " + std::to_string(options_.timeout.count()) +
                             " ms (during " + state.phase + ")";
    } else {
      result.error = kind;
      result.error_message = what;
    }
  }

  net::awaitable<void> exchange(std::shared_ptr<exchange_state> shared, http::request<http::string_body> req,
                                http_result& result, std::chrono::steady_clock::time_point deadline) {
    exchange_state& state = *shared;
    const auto& target = options_.target;
    auto [resolve_ec, addresses] =
        co_await state.resolver.async_resolve(target.host, std::to_string(target.port), kUseTuple);
    if (resolve_ec || state.interrupted()) {
      fail(state, result, transport_error::resolve, "cannot resolve " + target.host + ": " + resolve_ec.message());
      co_return;
    }

    state.phase = "connect";
    auto [connect_ec, peer] = co_await state.tcp().async_connect(addresses, kUseTuple);
    if (connect_ec || state.interrupted()) {
      fail(state, result, transport_error::connect, "cannot connect to " + where_ + ": " + connect_ec.message());
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
      const bool pinned = is_ip_literal(target.host) ? X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str()) == 1
                                                     : SSL_set1_host(handle, target.host.c_str()) == 1;
      if (!pinned) {
        fail(state, result, transport_error::tls_handshake, "cannot set TLS host check for " + target.host);
        co_return;
      }
      auto [handshake_ec] = co_await state.secure->async_handshake(ssl::stream_base::client, kUseTuple);
      if (handshake_ec || state.interrupted()) {
        if (handshake_ec.category() == net::error::get_ssl_category() &&
            ERR_GET_REASON(static_cast<unsigned long>(handshake_ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
          fail(state, result, transport_error::tls_verify,
               "TLS certificate of " + where_ + " is not trusted: " + verify_failure_text(handle));
        } else {
          fail(state, result, transport_error::tls_handshake,
               "TLS handshake with " + where_ + " failed: " + handshake_ec.message());
        }
        co_return;
      }
    }

    state.phase = "write";
    result.request_sent = true;
    auto [write_ec, written] = state.secure ? co_await http::async_write(*state.secure, req, kUseTuple)
                                            : co_await http::async_write(*state.plain, req, kUseTuple);
    if (write_ec || state.interrupted()) {
      fail(state, result, transport_error::io, "sending the request to " + where_ + " failed: " + write_ec.message());
      co_return;
    }

    state.phase = "answer";
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.body_limit);
    auto [read_ec, read] = state.secure ? co_await http::async_read(*state.secure, buffer, parser, kUseTuple)
                                        : co_await http::async_read(*state.plain, buffer, parser, kUseTuple);
    if (read_ec || state.interrupted()) {
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
    for (const auto& field : response) {
      result.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }

    if (state.secure) {
      // A polite close_notify, bounded: the answer is complete already, so failures here
      // (stream_truncated from peers that just close) do not matter.
      state.phase = "TLS shutdown";
      arm_guard(shared, std::min(deadline, std::chrono::steady_clock::now() + kShutdownBudget));
      co_await state.secure->async_shutdown(kUseTuple);
    }
    error_code ignored;
    state.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    state.tcp().socket().close(ignored);
  }

  client_options options_;
  std::unique_ptr<ssl::context> tls_;
  std::string host_header_;
  std::string where_;  // host:port for messages
  std::mutex mutex_;   // guards running_ and aborted_
  std::vector<std::weak_ptr<exchange_state>> running_;
  bool aborted_ = false;
};

}  // namespace

boost::system::result<std::unique_ptr<http_client>, std::string> make_http_client(const client_options& options) {
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
      if (ec) return "cannot load " + options.ca_file_setting + " " + options.ca_file + ": " + ec.message();
    }
    tls->set_verify_mode(ssl::verify_peer);
  }
  return std::unique_ptr<http_client>(std::make_unique<beast_http_client>(options, std::move(tls)));
}

}  // namespace twiml_redirect::outbound
