#include "support/http_test_client.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/system/system_error.hpp>

namespace twiml_redirect::testing {
namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

// Waits until the socket has something to read (data, EOF or an error) or `deadline` passes.
// Asio's blocking reads ignore SO_RCVTIMEO (they poll without a timeout when recv would block), so
// every bounded read goes through this first.
bool readable_before(asio::ip::tcp::socket& socket, clock_type::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    pollfd fd{socket.native_handle(), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) throw boost::system::system_error(errno, boost::system::system_category(), "poll");
  }
}

// The socket as a SyncReadStream whose every read gives up at one deadline with `timed_out`.
class deadline_reader {
 public:
  deadline_reader(asio::ip::tcp::socket& socket, clock_type::time_point deadline) : socket_(socket), deadline_(deadline) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    if (!readable_before(socket_, deadline_)) {
      ec = asio::error::timed_out;
      return 0;
    }
    return socket_.read_some(buffers, ec);
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  asio::ip::tcp::socket& socket_;
  clock_type::time_point deadline_;
};

}  // namespace

test_connection::test_connection(std::uint16_t port, std::chrono::milliseconds read_timeout)
    : read_timeout_(read_timeout) {
  socket_.connect({asio::ip::make_address("127.0.0.1"), port});
}

void test_connection::send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

test_response test_connection::read_response(bool head_request) {
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.skip(head_request);
  parser.body_limit(16 * 1024 * 1024);
  deadline_reader reader(socket_, clock_type::now() + read_timeout_);
  boost::beast::http::read(reader, buffer_, parser);
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
  const auto deadline = clock_type::now() + wait;
  char byte = 0;
  boost::system::error_code ec;
  while (readable_before(socket_, deadline)) {
    socket_.read_some(asio::buffer(&byte, 1), ec);
    if (!ec) continue;  // leftover bytes: keep reading until EOF or timeout
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  return false;  // still open at the deadline
}

test_response http_get(std::uint16_t port, std::string_view target) {
  test_connection connection(port);
  return connection.request("GET", target);
}

}  // namespace twiml_redirect::testing
