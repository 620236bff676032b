#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <ostream>

#include "twiml_redirect/app/commands.hpp"

namespace twiml_redirect::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;

// A wildcard listen address is reached through loopback; a specific one only through itself.
std::string probe_host(const std::string& listen_host) {
  if (listen_host == "0.0.0.0") return "127.0.0.1";
  if (listen_host == "::") return "::1";
  return listen_host;
}

}  // namespace

int run_healthcheck(const config::service_config& config, std::ostream& err) {
  const std::string host = probe_host(config.server.host);
  try {
    asio::io_context context;
    beast::tcp_stream stream(context);
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), config.server.port);
    // Async operations with a deadline: a hung server must fail the probe, not hang it.
    beast::error_code result = asio::error::would_block;
    stream.expires_after(std::chrono::seconds(3));
    beast_http::request<beast_http::empty_body> req{beast_http::verb::get, "/healthz", 11};
    req.set(beast_http::field::host, host);
    req.set(beast_http::field::connection, "close");
    beast::flat_buffer buffer;
    beast_http::response<beast_http::string_body> res;
    stream.async_connect(endpoint, [&](beast::error_code ec) {
      if (ec) return void(result = ec);
      beast_http::async_write(stream, req, [&](beast::error_code write_ec, std::size_t) {
        if (write_ec) return void(result = write_ec);
        beast_http::async_read(stream, buffer, res, [&](beast::error_code read_ec, std::size_t) { result = read_ec; });
      });
    });
    context.run();
    if (result) {
      err << "healthcheck: " << host << ":" << config.server.port << "/healthz: " << result.message() << "\n";
      return kExitFailure;
    }
    if (res.result() != beast_http::status::ok) {
      err << "healthcheck: /healthz answered " << res.result_int() << "\n";
      return kExitFailure;
    }
    return kExitOk;
  } catch (const std::exception& error) {
    err << "healthcheck: " << error.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace twiml_redirect::app
