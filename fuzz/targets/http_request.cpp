// Raw bytes through Beast's request parser (with the server's limits) to the router's answer, for as
// many pipelined requests as the input holds, the way a session handles a connection. A parser
// with far larger limits reads the same bytes alongside: the limits may refuse only what is over
// them, and change nothing else. Every answer goes through the session's serializer (append_wire_bytes), which
// must write what Beast's serializer writes and what a client parses back to the same response; a
// 200 from /redirect_call (or /voice/redirect_call, under a public URL with a path) is well-formed
// TwiML with exactly one <Sip>.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <algorithm>
#include <iterator>
#include <limits>
#include <sstream>

#include "fuzz_target.hpp"
#include "twiml_check.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/http/wire.hpp"

namespace {

using namespace twiml_redirect;
namespace beast_http = http::beast_http;

// Serializes `res` with the session's own writer (append_wire_bytes), then checks the bytes against
// two independent references: Beast's generic serializer must produce the same bytes (minus the body
// for HEAD), and a client's parser must read exactly one response with the status, body and
// keep-alive the handler meant.
void check_wire_form(http::response res, bool head_request) {
  res.prepare_payload();
  const std::string body = res.body();
  TWIML_FUZZ_CHECK(res[beast_http::field::content_length] == std::to_string(body.size()));
  TWIML_FUZZ_CHECK(res.count(beast_http::field::transfer_encoding) == 0);
  std::string bytes;
  http::append_wire_bytes(bytes, res, head_request);

  std::ostringstream beast_wire;
  beast_wire << res;
  std::string expected = beast_wire.str();
  TWIML_FUZZ_CHECK(expected.size() >= body.size());
  if (head_request) expected.resize(expected.size() - body.size());  // same header, Content-Length kept
  TWIML_FUZZ_CHECK(bytes == expected);

  beast_http::response_parser<beast_http::string_body> client;
  client.skip(head_request);
  client.eager(true);
  boost::system::error_code ec;
  const std::size_t used = client.put(boost::asio::buffer(bytes), ec);
  TWIML_FUZZ_CHECK(!ec && client.is_done() && used == bytes.size());
  TWIML_FUZZ_CHECK(client.get().result_int() == res.result_int());
  TWIML_FUZZ_CHECK(client.get().keep_alive() == res.keep_alive());
  TWIML_FUZZ_CHECK(client.get()[beast_http::field::content_length] == std::to_string(body.size()));
  TWIML_FUZZ_CHECK(head_request ? client.get().body().empty() : client.get().body() == body);
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

struct parse_result {
  boost::system::error_code ec;
  std::size_t used = 0;  // bytes of `input` the request took
};

// Feeds `input` to `parser` the way the session's reads do, until a whole request, an error, or the
// end of the input (need_more: the client has not finished).
template <class Parser>
parse_result parse_one(Parser& parser, std::string_view input) {
  parse_result result;
  parser.eager(true);
  while (!parser.is_done() && result.used < input.size()) {
    const std::size_t used = parser.put(boost::asio::buffer(input.data() + result.used, input.size() - result.used),
                                        result.ec);
    result.used += used;
    if (result.ec == beast_http::error::need_more && used > 0) continue;
    if (result.ec || used == 0) break;
  }
  // A body still arriving consumes everything without an error: that is waiting for more too.
  if (!result.ec && !parser.is_done()) result.ec = beast_http::error::need_more;
  return result;
}

}  // namespace

TWIML_FUZZ_TARGET(http_request) {
  static const config::server_config limits;  // the defaults the service runs with
  static app::readiness ready("fuzz");  // not ready: /readyz answers 503
  static util::metrics metrics(app::router::paths());
  static const app::router unsigned_router("sipin.synthflow.ai:32681", ready, metrics);
  static const app::router signed_router(
      "sipin.synthflow.ai:32681", ready, metrics,
      twilio::request_validator({.auth_token = "fuzz-token", .shared_keys = {}, .basic_user = {}, .basic_password = {}, .public_url = {}, .trusted_proxies = {"127.0.0.0/8"}}));
  // Unsigned, with a public URL that has a path: Twilio-called routes answer under it too.
  static const app::router prefixed_router(
      "sipin.synthflow.ai:32681", ready, metrics,
      twilio::request_validator({.auth_token = {}, .shared_keys = {}, .basic_user = {}, .basic_password = {}, .public_url = "https://voice.example.com/voice", .trusted_proxies = {}}));

  std::string_view rest = input;
  // Pipelined requests: each gets a fresh parser, like each request on a connection.
  for (int requests = 0; !rest.empty() && requests < 64; ++requests) {
    // Fields from an arena, as the session's are.
    http::request_arena arena;
    beast_http::request_parser<beast_http::string_body, http::arena_allocator<char>> parser(
        std::piecewise_construct, std::make_tuple(), std::make_tuple(http::arena_allocator<char>(&arena)));
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    parser.body_limit(limits.body_limit);
    const parse_result limited = parse_one(parser, rest);
    if (limited.ec == beast_http::error::need_more) return;  // the client has not finished: nothing to answer yet

    // The same bytes with limits far above the server's: the limits must be the only difference
    // between the two. (Not none: a string body reserves whatever Content-Length claims.)
    beast_http::request_parser<beast_http::string_body> generous_parser;
    generous_parser.header_limit(std::numeric_limits<std::uint32_t>::max());
    generous_parser.body_limit(64 * limits.body_limit);
    const parse_result generous = parse_one(generous_parser, rest);
    if (limited.ec == beast_http::error::header_limit) {
      // Refused for size only when there was that much header to read.
      TWIML_FUZZ_CHECK(rest.size() + 4 > limits.header_limit);
      return;
    }
    if (limited.ec == beast_http::error::body_limit) {
      // Refused only for a body announced or sent beyond the limit: with larger limits, the
      // request is either still incomplete or broken, or its body really is larger.
      TWIML_FUZZ_CHECK(generous.ec || generous_parser.get().body().size() > limits.body_limit);
      if (generous_parser.is_header_done()) {
        const auto length = generous_parser.content_length();
        TWIML_FUZZ_CHECK(!length || *length > limits.body_limit);
      }
      return;
    }
    if (limited.ec) {
      // A malformed request is malformed whatever the limits: the session answers once and closes.
      TWIML_FUZZ_CHECK(!parser.is_done());
      TWIML_FUZZ_CHECK(generous.ec && generous.ec != beast_http::error::need_more);
      return;
    }
    // Accepted within the limits: the generous parser reads the very same request.
    TWIML_FUZZ_CHECK(!generous.ec && generous.used == limited.used);
    TWIML_FUZZ_CHECK(parser.get().body().size() <= limits.body_limit);
    TWIML_FUZZ_CHECK(generous_parser.get().body() == parser.get().body());
    rest.remove_prefix(limited.used);
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
