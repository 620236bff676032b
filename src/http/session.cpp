#include "session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <spdlog/spdlog.h>

#include "twiml_redirect/http/wire.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/util/text.hpp"
#include "worker.hpp"

namespace twiml_redirect::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

constexpr std::chrono::seconds kLingerTime{2};
// Room for a whole webhook request (a signed Twilio POST is about 1.5 KB) in one recv: Beast reads
// max(512, free capacity) at a time, so a buffer left to grow on demand takes several.
constexpr std::size_t kReadBufferCapacity = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_http_parse_error(const error_code& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category();
}

// The server's own answers (not a handler's): a status and a line of text saying why.
response plain_text(beast_http::status status, unsigned version, std::string text) {
  response res{status, version};
  res.set(beast_http::field::content_type, "text/plain");
  res.body() = std::move(text);
  return res;
}

// The request target without its query: what the access log may show.
std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// RFC 9112 §6.1: only a Transfer-Encoding whose final coding is chunked frames a request body. Beast
// frames anything else by Content-Length, so "chunked, identity" + Content-Length would hide a second
// request in the body that a proxy in front of us reads differently (request smuggling).
std::optional<framing_problem> check_transfer_encoding(const request& header) {
  const auto [first, last] = header.equal_range(beast_http::field::transfer_encoding);
  if (first == last) return std::nullopt;
  std::string_view last_coding;
  std::size_t codings = 0;
  for (auto field = first; field != last; ++field) {
    for (const auto coding : beast_http::token_list{field->value()}) {
      last_coding = coding;
      ++codings;
    }
  }
  if (codings == 0 || !util::iequals(last_coding, "chunked"))
    return framing_problem{beast_http::status::bad_request, "Transfer-Encoding must end with chunked"};
  if (codings > 1)
    return framing_problem{beast_http::status::not_implemented, "Transfer-Encoding other than chunked is not supported"};
  return std::nullopt;
}

}  // namespace

std::optional<framing_problem> check_framing(const request& header) {
  // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; HTTP/1.0 may have none, never two.
  const std::size_t hosts = header.count(beast_http::field::host);
  if (hosts > 1) return framing_problem{beast_http::status::bad_request, "More than one Host header"};
  if (hosts == 0 && header.version() >= 11) return framing_problem{beast_http::status::bad_request, "Missing Host header"};
  return check_transfer_encoding(header);
}

void to_origin_form(request& header) {
  // RFC 9112 §3.2.2: a server must accept the absolute form ("GET http://host/path?q HTTP/1.1"),
  // and its authority replaces the Host header. Handlers and the signature check see origin form.
  const std::string_view target = header.target();
  const std::size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || target.front() == '/') return;
  const std::string_view scheme = target.substr(0, scheme_end);
  if (!util::iequals(scheme, "http") && !util::iequals(scheme, "https")) return;
  const std::string_view rest = target.substr(scheme_end + 3);
  const std::size_t path_start = rest.find_first_of("/?");
  const std::string authority(rest.substr(0, path_start));
  std::string origin_form = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (origin_form.front() == '?') origin_form.insert(0, "/");
  header.set(beast_http::field::host, authority);
  header.target(origin_form);
}

session::session(tcp_socket socket, worker& owner, std::atomic<std::size_t>& connections)
    : socket_(std::move(socket)), owner_(owner), connections_(connections) {
  error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    context_.peer = endpoint.address();
    peer_text_ = endpoint.address().to_string();
  } else {
    peer_text_ = "-";
  }
  // One write per answer, so Nagle would only ever delay the next pipelined answer.
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  buffer_.reserve(kReadBufferCapacity);
  context_.defer = [this] { return defer(); };
  registration_ = owner_.add_session(this);
  owner_.metrics().connection_opened();
}

session::~session() {
  set_reading(false);
  if (in_flight_) owner_.metrics().request_abandoned();
  owner_.metrics().connection_closed();
  owner_.remove_session(registration_);
  connections_.fetch_sub(1, std::memory_order_relaxed);
}

void session::start() { read_header(); }

bool session::request_waiting() {
  // A request the client sent before the signal may sit in our buffer (pipelined) or in the kernel
  // although no read has completed yet: it is answered (with Connection: close), not dropped.
  error_code ec;
  return buffer_.size() > 0 || (socket_.available(ec) > 0 && !ec);
}

void session::drain() {
  if (waiting_for_request_ && !parser_->got_some() && !request_waiting()) {
    error_code ignored;
    socket_.cancel(ignored);  // completes the pending read with operation_aborted
  }
}

void session::set_deadline(std::chrono::steady_clock::duration allowed) {
  deadline_ = std::chrono::steady_clock::now() + allowed;
}

void session::expire_if_late(std::chrono::steady_clock::time_point now) {
  if (now < deadline_) return;
  deadline_ = std::chrono::steady_clock::time_point::max();  // cancel once
  if (deferred_) {
    // No socket operation is pending while the handler's answer is awaited, so cancelling would end
    // nothing: answer 503 instead. Posted, because the worker is iterating over its sessions.
    return asio::post(socket_.get_executor(),
                      [self = shared_from_this(), id = deferred_id_] { self->answer_late(id); });
  }
  error_code ignored;
  socket_.cancel(ignored);  // the pending operation completes with operation_aborted: the session closes
}

void session::set_reading(bool reading) {
  if (reading == reading_) return;
  reading_ = reading;
  if (!evicted_) owner_.count_waiting_session(reading ? +1 : -1);
}

void session::evict() {
  if (reading_) owner_.count_waiting_session(-1);
  evicted_ = true;
  deadline_ = std::chrono::steady_clock::time_point::max();
  error_code ignored;
  socket_.cancel(ignored);
}

void session::read_header() {
  if (owner_.draining() && !request_waiting()) return close();
  // A fresh parser per request: Beast parsers are single-use, and limits are per message. The old
  // request goes first, so nothing allocated from the arena is alive when it is reset.
  parser_.reset();
  arena_.reset();
  parser_.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(arena_allocator<char>(&arena_)));
  parser_->header_limit(static_cast<std::uint32_t>(owner_.config().header_limit));
  parser_->body_limit(owner_.config().body_limit);
  waiting_for_request_ = true;
  set_reading(true);
  waiting_since_ = std::chrono::steady_clock::now();
  // The deadline covers the whole header, so a client dripping one byte at a time still times out.
  set_deadline(owner_.config().idle_timeout);
  beast_http::async_read_header(socket_, buffer_, *parser_,
                                beast::bind_front_handler(&session::on_header, shared_from_this()));
}

void session::on_header(error_code ec, std::size_t) {
  waiting_for_request_ = false;
  set_reading(false);
  if (ec) return on_read_failed(ec);
  start_request();
  request& header = parser_->get();
  if (const auto problem = check_framing(header)) return answer_error(problem->status, std::string(problem->text));
  to_origin_form(header);
  if (parser_->is_done()) return answer();
  // async_read_header leaves the body alone (it turns the parser's eager mode off), and async_read
  // would finish through a post even when nothing is left to read. Twilio's form arrives with its
  // header, so what is buffered is parsed here: one read operation per request, not two.
  if (buffer_.size() > 0) {
    parser_->eager(true);
    error_code parsed;
    buffer_.consume(parser_->put(buffer_.data(), parsed));
    if (parsed && parsed != beast_http::error::need_more) return on_read_failed(parsed);
    if (parser_->is_done()) return answer();
  }
  // curl and others wait for "100 Continue" before sending a body they announced with Expect. An
  // HTTP/1.0 client does not know the interim answer (RFC 9110 §15.2), so it gets none.
  if (header.version() >= 11 && util::iequals(header[beast_http::field::expect], "100-continue")) {
    set_deadline(owner_.config().idle_timeout);
    return asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                             beast::bind_front_handler(&session::on_continue_sent, shared_from_this()));
  }
  read_body();
}

void session::on_continue_sent(error_code ec, std::size_t) {
  if (ec) return close();
  read_body();
}

void session::read_body() {
  set_reading(true);  // still waiting since the header's first byte was awaited
  set_deadline(owner_.config().idle_timeout);
  beast_http::async_read(socket_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
}

void session::on_body(error_code ec, std::size_t) {
  set_reading(false);
  if (ec) return on_read_failed(ec);
  answer();
}

void session::start_request() {
  started_ = std::chrono::steady_clock::now();
  in_flight_ = true;
  owner_.metrics().request_started();
}

void session::on_read_failed(error_code ec) {
  if (ec == beast_http::error::end_of_stream) return close();  // the client closed between requests
  if (ec == beast_http::error::partial_message || !is_http_parse_error(ec)) {
    // Timeouts, resets, shutdown, a client that left mid-request: nobody to answer.
    spdlog::debug("connection from {} closed: {}", peer_text_, ec.message());
    if (in_flight_) {
      in_flight_ = false;
      owner_.metrics().request_abandoned();
    }
    return close();
  }
  if (!in_flight_) start_request();  // an error answer counts as a request, even one that never parsed
  if (ec == beast_http::error::header_limit)
    return answer_error(beast_http::status::request_header_fields_too_large, "Request header fields too large");
  if (ec == beast_http::error::body_limit)
    return answer_error(beast_http::status::payload_too_large,
                        "Request body too large: the limit is " + std::to_string(owner_.config().body_limit) + " bytes");
  // Malformed input: answer once and close rather than guess where the next request starts.
  answer_error(beast_http::status::bad_request, "Malformed HTTP request: " + ec.message());
}

void session::answer() {
  request& req = parser_->get();
  method_text_.assign(req.method_string());
  path_.assign(path_of(req.target()));
  head_request_ = req.method() == beast_http::verb::head;
  context_.call_sid.clear();
  try {
    response_ = owner_.handler()(req, context_);
  } catch (const std::exception& error) {
    spdlog::error("handler failed on {} {}: {}", method_text_, path_, error.what());
    deferred_ = false;
    deferred_self_.reset();
    response_ = plain_text(beast_http::status::internal_server_error, req.version(), "Internal server error");
  }
  if (deferred_) return;  // finish_deferred() answers
  send_answer();
}

responder session::defer() {
  deferred_ = true;
  deferred_self_ = shared_from_this();
  const std::uint64_t id = ++deferred_id_;
  set_deadline(owner_.config().answer_timeout);
  return [gate = owner_.gate(), weak = weak_from_this(), id](response answer) {
    gate->post([weak, id, answer = std::move(answer)]() mutable {
      if (auto self = weak.lock()) self->finish_deferred(id, std::move(answer));
    });
  };
}

void session::finish_deferred(std::uint64_t id, response answer) {
  // Answered already (late, or the handler threw after deferring), or a responder kept from an
  // earlier request on this connection: either way not this request's answer.
  if (!deferred_ || id != deferred_id_) return;
  deferred_ = false;
  const auto self = std::move(deferred_self_);  // alive until the write holds it
  response_ = std::move(answer);
  send_answer();
}

void session::answer_late(std::uint64_t id) {
  if (!deferred_ || id != deferred_id_) return;  // the answer won the race
  spdlog::warn("no answer to {} {} within {} ms: 503", method_text_, path_, owner_.config().answer_timeout.count());
  finish_deferred(id, plain_text(beast_http::status::service_unavailable, parser_->get().version(),
                                 "The answer was not ready in time; try again"));
}

void session::send_answer() {
  response_.version(parser_->get().version());
  response_.keep_alive(parser_->get().keep_alive() && !owner_.draining());
  write_response();
}

void session::answer_error(beast_http::status status, std::string text) {
  method_text_ = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "-";
  path_ = parser_ && parser_->is_header_done() ? std::string(path_of(parser_->get().target())) : "-";
  head_request_ = false;
  context_.call_sid.clear();
  response_ = plain_text(status, 11, std::move(text));
  response_.keep_alive(false);
  linger_ = true;
  write_response();
}

void session::write_response() {
  response_.prepare_payload();
  wire_.clear();
  // HEAD: same headers, Content-Length included, no body bytes.
  append_wire_bytes(wire_, response_, head_request_);
  set_deadline(owner_.config().idle_timeout);
  asio::async_write(socket_, asio::buffer(wire_), beast::bind_front_handler(&session::on_write, shared_from_this()));
}

void session::on_write(error_code ec, std::size_t) {
  const auto duration = std::chrono::steady_clock::now() - started_;
  in_flight_ = false;
  owner_.metrics().request_finished(path_, method_text_, response_.result_int(), duration);
  owner_.access_log().log({.method = method_text_,
                           .path = path_,
                           .status = response_.result_int(),
                           .bytes = head_request_ ? 0 : response_.body().size(),
                           .duration = duration,
                           .call_sid = context_.call_sid,
                           .peer = peer_text_});
  if (ec) {
    spdlog::debug("write to {} failed: {}", peer_text_, ec.message());
    return close();
  }
  if (!response_.keep_alive()) return close();
  read_header();
}

void session::close() {
  error_code ignored;
  // Send FIN after the last answer so the client reads it all before seeing the close.
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (!linger_) return socket_.close(ignored);
  // After an error answer the client may still be sending (the rest of a too-large body). Closing
  // with unread bytes would make the kernel send a reset that can destroy our answer in flight, so
  // read and discard until the client closes too, for a short while at most.
  set_deadline(kLingerTime);
  socket_.async_read_some(asio::buffer(linger_buffer_),
                          beast::bind_front_handler(&session::on_linger_read, shared_from_this()));
}

void session::on_linger_read(error_code ec, std::size_t) {
  if (ec) {
    error_code ignored;
    return socket_.close(ignored);
  }
  socket_.async_read_some(asio::buffer(linger_buffer_),
                          beast::bind_front_handler(&session::on_linger_read, shared_from_this()));
}

}  // namespace twiml_redirect::http
