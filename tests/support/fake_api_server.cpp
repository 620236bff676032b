#include "support/fake_api_server.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "support/test_tls.hpp"

namespace twiml_redirect::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

json exchange_json(const recorded_call& call) {
  const auto q = call.target.find('?');
  json query = json::object();
  if (q != std::string::npos) {
    for (auto& [name, value] : parse_query(std::string_view(call.target).substr(q + 1))) query[name] = value;
  }
  return {{"method", call.method},         {"path", call.path},     {"query", query},
          {"headers", call.headers},       {"body", call.body},     {"status", call.status},
          {"response_body", call.response_body}, {"injected", call.injected}};
}

fake_fault fake_fault::from_json(const json& spec) {
  fake_fault fault;
  fault.method = spec.value("method", "");
  fault.path_prefix = spec.value("path", "");
  fault.times = spec.value("times", 1u);
  const auto kind = spec.value("kind", "status");
  if (kind == "hang") fault.what = kind::hang;
  else if (kind == "truncated_json") fault.what = kind::truncated_json;
  else if (kind == "close") fault.what = kind::close;
  else if (kind == "status") fault.what = kind::status;
  else throw std::invalid_argument("unknown fault kind " + kind);
  fault.status = spec.value("status", 503u);
  fault.body = spec.value("body", fault.body);
  fault.retry_after = spec.value("retry_after", "");
  return fault;
}

struct fake_api_server::impl {
  struct reply {
    enum class action { answer, hang, close } what = action::answer;
    unsigned status = 200;
    std::string body;
    std::string retry_after;
  };

  impl(fake_server_options opts, handler api_handler, std::function<json()> state_handler)
      : options(std::move(opts)), api(std::move(api_handler)), state(std::move(state_handler)), acceptor(ioc) {
    if (options.tls) {
      if (options.cert_dir.empty()) options.cert_dir = make_temp_dir(options.name + "-pki");
      pki = make_test_pki(options.cert_dir);
      tls.emplace(ssl::context::tls_server);
      tls->use_certificate_chain_file(pki.server_cert.string());
      tls->use_private_key_file(pki.server_key.string(), ssl::context::pem);
    }
    const tcp::endpoint where(net::ip::make_address(options.host), options.port);
    acceptor.open(where.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(where);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    net::co_spawn(ioc, accept_loop(), net::detached);
    thread = std::thread([this] { ioc.run(); });
  }

  void stop() {
    std::lock_guard lock(stop_mutex);
    if (!thread.joinable()) return;
    ioc.stop();
    thread.join();
    // Closed only now, from this thread: after stop() nothing listens and connects are refused.
    beast::error_code ignored;
    acceptor.close(ignored);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
      if (ec == net::error::operation_aborted) co_return;
      if (ec) continue;
      if (tls) {
        net::co_spawn(ioc, tls_session(beast::tcp_stream(std::move(socket))), net::detached);
      } else {
        net::co_spawn(ioc, plain_session(beast::tcp_stream(std::move(socket))), net::detached);
      }
    }
  }

  net::awaitable<void> plain_session(beast::tcp_stream stream) {
    const bool closed_cleanly = co_await serve(stream);
    if (closed_cleanly) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  net::awaitable<void> tls_session(beast::tcp_stream stream) {
    beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls);
    beast::get_lowest_layer(secure).expires_after(std::chrono::seconds(30));
    auto [ec] = co_await secure.async_handshake(ssl::stream_base::server, kUseTuple);
    if (ec) co_return;  // e.g. the client refused our certificate
    if (co_await serve(secure)) {
      beast::get_lowest_layer(secure).expires_after(std::chrono::seconds(2));
      co_await secure.async_shutdown(kUseTuple);
    }
  }

  // Serves requests until the client closes; true when the connection should be shut down politely.
  template <class Stream>
  net::awaitable<bool> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kUseTuple);
      if (read_ec) co_return false;
      auto request = parser.release();
      auto answer = handle(request);
      if (answer.what == reply::action::hang) {
        // Never answer; the client's deadline must end this. Stopping the fake frees us.
        beast::get_lowest_layer(stream).expires_never();
        net::steady_timer forever(co_await net::this_coro::executor);
        forever.expires_after(std::chrono::hours(1));
        co_await forever.async_wait(kUseTuple);
        co_return false;
      }
      if (answer.what == reply::action::close) co_return false;
      http::response<http::string_body> response{static_cast<http::status>(answer.status), request.version()};
      response.set(http::field::server, options.name);
      response.set(http::field::content_type, "application/json");
      if (!answer.retry_after.empty()) response.set(http::field::retry_after, answer.retry_after);
      response.body() = std::move(answer.body);
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      const bool keep_alive = response.keep_alive();
      auto [write_ec, written] = co_await http::async_write(stream, response, kUseTuple);
      if (write_ec) co_return false;
      if (!keep_alive) co_return true;
    }
  }

  static reply ok(const json& body) { return {reply::action::answer, 200, body.dump(), {}}; }

  reply handle_inspection(const std::string& method, const std::string& path, const std::string& raw_body) {
    if (path == "/__calls" && method == "GET") {
      std::lock_guard lock(mutex);
      json list = json::array();
      for (const auto& call : calls) {
        list.push_back({{"method", call.method}, {"path", call.path}, {"target", call.target}});
      }
      return ok(list);
    }
    if (path == "/__calls" && method == "DELETE") {
      std::lock_guard lock(mutex);
      calls.clear();
      return ok({{"status", "ok"}});
    }
    if (path == "/__state" && method == "GET") return ok(state ? state() : json::object());
    if (path == "/__faults" && method == "POST") {
      try {
        auto fault = fake_fault::from_json(json::parse(raw_body));
        std::lock_guard lock(mutex);
        faults.push_back(std::move(fault));
      } catch (const std::exception& e) {
        return {reply::action::answer, 400, json{{"detail", std::string("bad fault: ") + e.what()}}.dump(), {}};
      }
      return ok({{"status", "ok"}});
    }
    return {reply::action::answer, 404, json{{"detail", "Not Found"}}.dump(), {}};
  }

  reply handle(const http::request<http::string_body>& request) {
    const std::string method(request.method_string());
    const std::string target(request.target());
    const auto q = target.find('?');
    const std::string path = target.substr(0, q);
    if (path.rfind("/__", 0) == 0) return handle_inspection(method, path, request.body());

    fake_request seen;
    seen.method = method;
    seen.under_base = path.rfind(options.base_path, 0) == 0;
    seen.path = seen.under_base ? path.substr(options.base_path.size()) : path;
    seen.query = parse_query(q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1));
    seen.body = request.body();
    seen.authorization = std::string(request[http::field::authorization]);
    seen.content_type = std::string(request[http::field::content_type]);

    recorded_call call;
    call.method = method;
    call.path = path;
    call.target = target;
    call.body = request.body();
    call.at = std::chrono::steady_clock::now();
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      call.headers[name] = std::string(field.value());
    }
    // Recorded with its answer; a fault that never answers is recorded at once.
    auto record = [this, &call](unsigned status, const std::string& body, bool injected) {
      call.status = status;
      call.response_body = body;
      call.injected = injected;
      std::lock_guard lock(mutex);
      calls.push_back(std::move(call));
    };

    std::optional<fake_fault> fault;
    {
      std::lock_guard lock(mutex);
      for (auto it = faults.begin(); it != faults.end(); ++it) {
        if ((it->method.empty() || it->method == method) && seen.path.rfind(it->path_prefix, 0) == 0) {
          fault = *it;
          if (--it->times == 0) faults.erase(it);
          break;
        }
      }
    }
    if (fault && fault->what == fake_fault::kind::status) {
      record(fault->status, fault->body, true);
      return {reply::action::answer, fault->status, fault->body, fault->retry_after};
    }
    if (fault && fault->what == fake_fault::kind::hang) {
      record(0, {}, true);
      return {reply::action::hang, 0, {}, {}};
    }
    if (fault && fault->what == fake_fault::kind::close) {
      record(0, {}, true);
      return {reply::action::close, 0, {}, {}};
    }

    auto answer = api(seen);
    if (fault && fault->what == fake_fault::kind::truncated_json) {
      // The work is done, only the answer is cut: what a dropped proxy connection looks like.
      answer.status = 200;
      answer.body.resize(answer.body.size() / 2);
    }
    record(answer.status, answer.body, fault.has_value());
    return {reply::action::answer, answer.status, std::move(answer.body), {}};
  }

  fake_server_options options;
  handler api;
  std::function<json()> state;
  tls_files pki;
  net::io_context ioc;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::thread thread;
  std::mutex stop_mutex;

  mutable std::mutex mutex;  // calls and faults
  std::vector<recorded_call> calls;
  std::vector<fake_fault> faults;
};

fake_api_server::fake_api_server(fake_server_options options, handler api, std::function<json()> state)
    : impl_(std::make_unique<impl>(std::move(options), std::move(api), std::move(state))) {}

fake_api_server::~fake_api_server() { stop(); }

void fake_api_server::stop() { impl_->stop(); }

std::uint16_t fake_api_server::port() const { return impl_->port; }

std::string fake_api_server::url() const {
  const bool v6 = impl_->options.host.find(':') != std::string::npos;
  const auto host = v6 ? "[" + impl_->options.host + "]" : impl_->options.host;
  return std::string(impl_->options.tls ? "https" : "http") + "://" + host + ":" + std::to_string(impl_->port) +
         impl_->options.base_path;
}

std::filesystem::path fake_api_server::ca_file() const { return impl_->pki.ca_cert; }

void fake_api_server::add_fault(fake_fault fault) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

std::vector<recorded_call> fake_api_server::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->calls;
}

std::vector<recorded_call> fake_api_server::writes() const {
  auto all = calls();
  std::erase_if(all, [](const recorded_call& c) { return c.method == "GET" || c.method == "HEAD"; });
  return all;
}

std::vector<std::string> fake_api_server::call_lines() const {
  std::vector<std::string> lines;
  const auto& base = impl_->options.base_path;
  for (const auto& call : calls()) {
    const auto rel = call.path.rfind(base, 0) == 0 ? call.path.substr(base.size()) : call.path;
    lines.push_back(call.method + " " + rel);
  }
  return lines;
}

void fake_api_server::clear_calls() {
  std::lock_guard lock(impl_->mutex);
  impl_->calls.clear();
}

}  // namespace twiml_redirect::test
