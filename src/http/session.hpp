#pragma once
// One client connection: read a request, hand it to the handler, write the answer, repeat while
// the client keeps the connection alive. Lives on one worker thread.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <array>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "twiml_redirect/http/types.hpp"

namespace twiml_redirect::http {

class worker;

class session : public std::enable_shared_from_this<session> {
 public:
  session(boost::asio::ip::tcp::socket socket, worker& owner, std::atomic<std::size_t>& connections);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start();

  // The server is shutting down: an idle connection closes now, a busy one after its answer.
  void drain();

 private:
  void read_header();
  void on_header(boost::system::error_code ec, std::size_t bytes);
  void on_continue_sent(boost::system::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::system::error_code ec, std::size_t bytes);
  void on_read_failed(boost::system::error_code ec);
  void answer();
  void answer_error(beast_http::status status, std::string text);
  void write_response();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void close();
  void on_linger_read(boost::system::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;  // kept for the connection's life: may hold pipelined bytes
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  response response_;
  request_context context_;
  worker& owner_;
  std::atomic<std::size_t>& connections_;
  std::list<session*>::iterator registration_;
  std::string peer_text_;
  std::string method_text_;  // for the access log when the request never parsed
  std::string path_;
  std::chrono::steady_clock::time_point started_;
  std::array<char, 4096> linger_buffer_{};
  bool linger_ = false;  // drain the client's unread bytes before closing (after error answers)
  bool head_request_ = false;
  bool waiting_for_request_ = false;  // idle between requests: safe to close on drain
};

}  // namespace twiml_redirect::http
