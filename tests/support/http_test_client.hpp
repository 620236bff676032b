#pragma once
// A blocking HTTP/1.1 client for tests: one TCP connection to 127.0.0.1, raw bytes in, parsed
// responses out, every read bounded by a timeout so a broken server fails a test instead of hanging it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace twiml_redirect::testing {

using test_response = boost::beast::http::response<boost::beast::http::string_body>;

class test_connection {
 public:
  explicit test_connection(std::uint16_t port, std::chrono::milliseconds read_timeout = std::chrono::seconds(5));

  // Writes the bytes as they are: malformed requests are welcome.
  void send(std::string_view bytes);

  // Reads one response (an answer to HEAD has no body, whatever its Content-Length says) within the
  // read timeout. Throws boost::system::system_error on timeout, close or a parse error.
  test_response read_response(bool head_request = false);

  // A well-formed request; returns its response.
  test_response request(std::string_view method, std::string_view target, std::string_view body = {},
                        std::string_view content_type = "application/x-www-form-urlencoded",
                        std::string_view extra_headers = {});

  // True when the server closes the connection (EOF or reset) within `wait`; false if it stays open.
  bool closed_by_server(std::chrono::milliseconds wait);

 private:
  std::chrono::milliseconds read_timeout_;
  boost::asio::io_context context_;
  boost::asio::ip::tcp::socket socket_{context_};
  boost::beast::flat_buffer buffer_;
};

// One request on a fresh connection.
test_response http_get(std::uint16_t port, std::string_view target);

}  // namespace twiml_redirect::testing
