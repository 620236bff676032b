// Raw bytes through Beast's request parser (with the server's limits) to the router's answer, for as
// many pipelined requests as the input holds, the way a session handles a connection. Every answer
// must serialize to a valid HTTP response with an exact Content-Length; a 200 from /redirect_call (or
// /voice/redirect_call, under a public URL with a path) is well-formed TwiML with exactly one <Sip>.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <algorithm>
#include <iterator>
#include <sstream>

#include "fuzz_target.hpp"
#include "twiml_check.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/config/config.hpp"

namespace {

using namespace twiml_redirect;
namespace beast_http = http::beast_http;

// Serializes `res` as the session writes it, parses it back as a client would, and checks both agree.
void check_wire_form(http::response res, bool head_request) {
  res.prepare_payload();
  const std::size_t body_size = res.body().size();
  TWIML_FUZZ_CHECK(res[beast_http::field::content_length] == std::to_string(body_size));
  TWIML_FUZZ_CHECK(res.count(beast_http::field::transfer_encoding) == 0);
  if (head_request) res.body().clear();
  std::ostringstream wire;
  wire << res;
  const std::string bytes = wire.str();

  beast_http::response_parser<beast_http::string_body> client;
  client.skip(head_request);
  client.eager(true);
  boost::system::error_code ec;
  const std::size_t used = client.put(boost::asio::buffer(bytes), ec);
  TWIML_FUZZ_CHECK(!ec && client.is_done() && used == bytes.size());
  TWIML_FUZZ_CHECK(client.get().result_int() == res.result_int());
  if (!head_request) TWIML_FUZZ_CHECK(client.get().body().size() == body_size);
}

void check_answer(const http::request& req, const http::response& res) {
  const unsigned status = res.result_int();
  static constexpr unsigned kExpected[] = {200, 400, 403, 404, 405, 415, 503};
  TWIML_FUZZ_CHECK(std::find(std::begin(kExpected), std::end(kExpected), status) != std::end(kExpected));
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (status == 200 && (path == "/redirect_call" || path == "/voice/redirect_call")) {
    TWIML_FUZZ_CHECK(res[beast_http::field::content_type] == "text/xml");
    const twiml_fuzz::twiml_verdict verdict = twiml_fuzz::check_twiml(res.body(), true);
    TWIML_FUZZ_CHECK(verdict.well_formed && verdict.sip_count == 1);
  }
  check_wire_form(res, req.method() == beast_http::verb::head);
}

// The answers the session gives when parsing fails, by error: the same statuses must come out.
unsigned status_for_parse_error(const boost::system::error_code& ec) {
  if (ec == beast_http::error::header_limit) return 431;
  if (ec == beast_http::error::body_limit) return 413;
  return 400;
}

}  // namespace

TWIML_FUZZ_TARGET(http_request) {
  static const config::server_config limits;  // the defaults the service runs with
  static app::readiness ready("fuzz");  // not ready: /readyz answers 503
  static util::metrics metrics(app::router::paths());
  static const app::router unsigned_router("sipin.synthflow.ai:32681", ready, metrics);
  static const app::router signed_router(
      "sipin.synthflow.ai:32681", ready, metrics,
      twilio::request_validator({.auth_token = "fuzz-token", .public_url = {}, .trusted_proxies = {"127.0.0.0/8"}}));
  // Unsigned, with a public URL that has a path: Twilio-called routes answer under it too.
  static const app::router prefixed_router(
      "sipin.synthflow.ai:32681", ready, metrics,
      twilio::request_validator({.auth_token = {}, .public_url = "https://voice.example.com/voice", .trusted_proxies = {}}));

  std::string_view rest = input;
  // Pipelined requests: each gets a fresh parser, like each request on a connection.
  for (int requests = 0; !rest.empty() && requests < 64; ++requests) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    parser.body_limit(limits.body_limit);
    parser.eager(true);
    boost::system::error_code ec;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec == beast_http::error::need_more && used > 0) continue;
      break;
    }
    if (ec == beast_http::error::need_more) return;  // the client has not finished: nothing to answer yet
    if (ec) {
      TWIML_FUZZ_CHECK(!parser.is_done());
      const unsigned status = status_for_parse_error(ec);
      TWIML_FUZZ_CHECK(status == 400 || status == 413 || status == 431);
      return;  // the session answers once and closes
    }
    http::request req = parser.release();
    http::request_context ctx;
    ctx.peer = boost::asio::ip::make_address(requests % 2 ? "127.0.0.1" : "203.0.113.7");
    for (const app::router* route : {&unsigned_router, &signed_router, &prefixed_router}) {
      http::response res = (*route)(req, ctx);
      res.version(req.version());
      res.keep_alive(req.keep_alive());
      check_answer(req, res);
    }
    if (!req.keep_alive()) return;
  }
}
