#include "support/http_test_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

namespace twiml_redirect::testing {
namespace {

namespace asio = boost::asio;

void set_receive_timeout(asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace

test_connection::test_connection(std::uint16_t port, std::chrono::milliseconds read_timeout) {
  socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  set_receive_timeout(socket_, read_timeout);
}

void test_connection::send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

test_response test_connection::read_response(bool head_request) {
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.skip(head_request);
  parser.body_limit(16 * 1024 * 1024);
  boost::beast::http::read(socket_, buffer_, parser);
  return parser.release();
}

test_response test_connection::request(std::string_view method, std::string_view target, std::string_view body,
                                       std::string_view content_type, std::string_view extra_headers) {
  std::string raw;
  raw.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!body.empty() || method == "POST") {
    raw.append("Content-Type: ").append(content_type).append("\r\n");
    raw.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  raw.append(extra_headers).append("\r\n").append(body);
  send(raw);
  return read_response();
}

bool test_connection::closed_by_server(std::chrono::milliseconds wait) {
  set_receive_timeout(socket_, wait);
  char byte = 0;
  boost::system::error_code ec;
  while (true) {
    socket_.read_some(asio::buffer(&byte, 1), ec);
    if (!ec) continue;  // leftover bytes: keep reading until EOF or timeout
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
}

test_response http_get(std::uint16_t port, std::string_view target) {
  test_connection connection(port);
  return connection.request("GET", target);
}

}  // namespace twiml_redirect::testing
