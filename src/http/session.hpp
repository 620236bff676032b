#pragma once
// One client connection: read a request, hand it to the handler, write the answer, repeat while
// the client keeps the connection alive. Lives on one worker thread.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <array>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "twiml_redirect/http/types.hpp"
#include "worker.hpp"

namespace twiml_redirect::http {

// Why a request's header cannot be answered as framed: its status and the text of the answer.
struct framing_problem {
  beast_http::status status;
  std::string_view text;
};

// Checks what Beast's parser lets through but RFC 9112 forbids: a missing or repeated Host, and a
// Transfer-Encoding that does not end in chunked (400) or adds other codings (501). Pure.
std::optional<framing_problem> check_framing(const request& header);

// Rewrites an absolute-form target to origin form, moving its authority into Host. Pure.
void to_origin_form(request& header);

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp_socket socket, worker& owner, std::atomic<std::size_t>& connections);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start();

  // The server is shutting down: an idle connection closes now, a busy one after its answer.
  void drain();

  // Called by the worker's tick: ends the pending read or write if its deadline has passed.
  void expire_if_late(std::chrono::steady_clock::time_point now);

  // Whether the connection is waiting for its client (idle, or a request not fully received) and
  // may be closed to make room at the connection limit; since when it has been waiting.
  bool evictable() const { return reading_ && !evicted_; }
  std::chrono::steady_clock::time_point waiting_since() const { return waiting_since_; }
  // Closes a connection that evictable() allowed; its pending read ends with operation_aborted.
  void evict();

  // The worker is going away: a request waiting for a deferred answer will not get one.
  void abandon_deferred() { deferred_self_.reset(); }

 private:
  // Each read and write must finish within the idle timeout (the linger read within its own).
  void set_deadline(std::chrono::steady_clock::duration allowed);
  // Marks whether a read of the client's request is pending, keeping the worker's count in step.
  void set_reading(bool reading);
  // Whether bytes of a next request have arrived (buffered or in the kernel): drain answers them.
  bool request_waiting();
  void read_header();
  void on_header(boost::system::error_code ec, std::size_t bytes);
  void on_continue_sent(boost::system::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::system::error_code ec, std::size_t bytes);
  void on_read_failed(boost::system::error_code ec);
  void answer();
  // request_context::defer: the answer comes later, through the returned responder.
  responder defer();
  // Writes the answer of deferral `id` if the request is still waiting for exactly that one.
  void finish_deferred(std::uint64_t id, response answer);
  // The deferral's deadline passed: 503, unless its answer came first.
  void answer_late(std::uint64_t id);
  // Stamps version and keep-alive on response_ and writes it.
  void send_answer();
  void answer_error(beast_http::status status, std::string text);
  void write_response();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void start_request();
  void close();
  void on_linger_read(boost::system::error_code ec, std::size_t bytes);

  tcp_socket socket_;
  boost::beast::flat_buffer buffer_;  // kept for the connection's life: may hold pipelined bytes
  request_arena arena_;  // the current request's fields; reset for each request
  std::optional<beast_http::request_parser<beast_http::string_body, arena_allocator<char>>> parser_;
  response response_;
  std::string wire_;  // the response's bytes as sent; reused, so it stops allocating after the first
  request_context context_;
  worker& owner_;
  std::atomic<std::size_t>& connections_;
  std::list<session*>::iterator registration_;
  std::string peer_text_;
  std::string method_text_;  // for the access log when the request never parsed
  std::string path_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::array<char, 4096> linger_buffer_{};
  bool linger_ = false;  // drain the client's unread bytes before closing (after error answers)
  bool head_request_ = false;
  bool waiting_for_request_ = false;  // idle between requests: safe to close on drain
  bool in_flight_ = false;            // a request's header arrived and its answer is not written yet
  bool reading_ = false;              // a read of the client's request (header or body) is pending
  bool evicted_ = false;
  bool deferred_ = false;                    // the handler will answer through a responder
  std::uint64_t deferred_id_ = 0;            // which deferral that is: a stale responder's id differs
  std::shared_ptr<session> deferred_self_;  // keeps the session alive while nothing else does
  std::chrono::steady_clock::time_point waiting_since_;  // when the pending request's first read began
};

}  // namespace twiml_redirect::http
