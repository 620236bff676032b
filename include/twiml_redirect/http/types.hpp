#pragma once
// The HTTP message types shared by the server and the handlers, and what a handler may learn
// about the connection a request came on.

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string>

#include "twiml_redirect/http/request_arena.hpp"

namespace twiml_redirect::http {

namespace beast_http = boost::beast::http;

// A request's fields come from its connection's request_arena (a default-constructed one's, as in
// tests, from the heap).
using request_fields = beast_http::basic_fields<arena_allocator<char>>;
using request = beast_http::request<beast_http::string_body, request_fields>;
using response = beast_http::response<beast_http::string_body>;

// Answers a request later: callable from any thread; the first call counts, later ones are ignored.
using responder = std::function<void(response)>;

// Per-request facts from the connection, and what the handler reports back for the access log.
struct request_context {
  boost::asio::ip::address peer;  // the TCP peer (a proxy, when there is one)
  std::string call_sid;           // set by the handler when the request named a valid CallSid
  // What the handler did, as one JSON object for the call's path (GET /calls/{CallSid}); empty when
  // there is nothing to note. The application keeps it; the server only carries it.
  std::string call_event;
  // Whether anything keeps call_event (a call store serving /calls): a handler builds it only then.
  bool keeps_call_events = false;
  // For a handler that waits on something (a store lookup) without blocking its thread: it calls
  // defer(), returns any response (ignored), and later hands the answer to the responder, which
  // must be called once, soon: the connection waits for it. Set by the server; empty in tests that
  // call handlers directly.
  std::function<responder()> defer;
};

// Turns a parsed request into a response. Runs on a server thread: must not block.
// The server stamps version, keep-alive and Content-Length on whatever it returns.
using request_handler = std::function<response(const request&, request_context&)>;

}  // namespace twiml_redirect::http
