// The webhook over real loopback sockets: exact bytes on the wire, HTTP hygiene, limits, timeouts.
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "support/http_test_client.hpp"
#include "support/test_server.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
constexpr std::string_view kTwiml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>"
    "sip:+14155550100@sipin.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef</Sip></Dial></Response>";
const std::string kQuery = "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid);

class HttpServerTest : public ::testing::Test {
 protected:
  test_server server_;
};

void expect_twiml(const test_response& res) {
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[beast_http::field::content_type], "text/xml");
  EXPECT_EQ(res[beast_http::field::content_length], std::to_string(kTwiml.size()));
  EXPECT_EQ(res.count(beast_http::field::transfer_encoding), 0u);
  EXPECT_EQ(res.body(), kTwiml);
}

TEST_F(HttpServerTest, GetGivesExactTwiml) { expect_twiml(http_get(server_.port(), kQuery)); }

TEST_F(HttpServerTest, PostFormGivesExactTwiml) {
  test_connection connection(server_.port());
  expect_twiml(connection.request(
      "POST", "/redirect_call",
      "AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01&CallSid=" + std::string(kSid) +
          "&CallStatus=ringing&Called=%2B14155550100&CalledCity=&Caller=%2B447381234567&Direction=inbound",
      "application/x-www-form-urlencoded; charset=UTF-8"));
}

TEST_F(HttpServerTest, BadParametersGet400WithReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"/redirect_call?CallSid=CA1", "Missing \"Called\" parameter"},
      {"/redirect_call?Called=4155550100&CallSid=CA1",
       "Invalid \"Called\" parameter: must start with '+' (E.164, e.g. +14155550100)"},
      {"/redirect_call?Called=%2B14155550100", "Missing \"CallSid\" parameter"},
      {"/redirect_call?Called=%2B14155550100&CallSid=CA1%3Bx",
       "Invalid \"CallSid\" parameter: may contain only letters, digits, '_' and '-'"},
  };
  test_connection connection(server_.port());
  for (const auto& [target, message] : cases) {
    const auto res = connection.request("GET", target);  // 400s keep the connection usable
    EXPECT_EQ(res.result_int(), 400u) << target;
    EXPECT_EQ(res.body(), message);
    EXPECT_EQ(res[beast_http::field::content_type], "text/plain; charset=utf-8");
  }
}

TEST_F(HttpServerTest, UnknownPathIs404) { EXPECT_EQ(http_get(server_.port(), "/nope").result_int(), 404u); }

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  test_connection connection(server_.port());
  const auto res = connection.request("DELETE", "/redirect_call");
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(res[beast_http::field::allow], "GET, POST");
}

TEST_F(HttpServerTest, HundredRequestsOnOneKeepAliveConnection) {
  test_connection connection(server_.port());
  for (int i = 0; i < 100; ++i) {
    const auto res = connection.request("GET", kQuery);
    ASSERT_EQ(res.result_int(), 200u) << "request " << i;
    ASSERT_TRUE(res.keep_alive());
    ASSERT_EQ(res.body(), kTwiml);
  }
  EXPECT_EQ(server_.server().connection_count(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  test_connection connection(server_.port());
  const std::string one = "GET " + kQuery + " HTTP/1.1\r\nHost: x\r\n\r\n";
  connection.send(one + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + one);
  expect_twiml(connection.read_response());
  EXPECT_EQ(connection.read_response().body(), R"({"status":"ok"})");
  expect_twiml(connection.read_response());
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  test_connection connection(server_.port());
  const auto res = connection.request("GET", kQuery, {}, {}, "Connection: close\r\n");
  expect_twiml(res);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(connection.closed_by_server(1s));
}

TEST_F(HttpServerTest, Http10ClosesAfterAnswer) {
  test_connection connection(server_.port());
  connection.send("GET " + kQuery + " HTTP/1.0\r\n\r\n");
  const auto res = connection.read_response();
  EXPECT_EQ(res.version(), 10u);
  EXPECT_EQ(res.body(), kTwiml);
  EXPECT_TRUE(connection.closed_by_server(1s));
}

TEST_F(HttpServerTest, OversizedBodyIs413AndCloses) {
  test_connection connection(server_.port());
  connection.send("POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  "Content-Length: 70000\r\n\r\n" + std::string(70000, 'a'));
  const auto res = connection.read_response();
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(res.body(), "Request body too large: the limit is 16384 bytes");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(connection.closed_by_server(3s));
}

TEST_F(HttpServerTest, OversizedHeaderIs431AndCloses) {
  test_connection connection(server_.port());
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'b') + "\r\n\r\n");
  const auto res = connection.read_response();
  EXPECT_EQ(res.result_int(), 431u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(connection.closed_by_server(3s));
}

TEST_F(HttpServerTest, MalformedRequestLineIs400AndCloses) {
  test_connection connection(server_.port());
  connection.send("GARBAGE\r\n\r\n");
  const auto res = connection.read_response();
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(res.body().find("Malformed HTTP request"), std::string::npos) << res.body();
  EXPECT_TRUE(connection.closed_by_server(3s));
}

TEST_F(HttpServerTest, BadChunkedBodyIs400) {
  test_connection connection(server_.port());
  connection.send("POST /redirect_call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(connection.read_response().result_int(), 400u);
}

TEST_F(HttpServerTest, ChunkedFormBodyIsAccepted) {
  test_connection connection(server_.port());
  const std::string body = "Called=%2B14155550100&CallSid=" + std::string(kSid);
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  connection.send("POST /redirect_call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n\r\n" + std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  expect_twiml(connection.read_response());
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  test_connection connection(server_.port());
  const std::string body = "Called=%2B14155550100&CallSid=" + std::string(kSid);
  connection.send("POST /redirect_call HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  const auto interim = connection.read_response();
  EXPECT_EQ(interim.result_int(), 100u);
  connection.send(body);
  expect_twiml(connection.read_response());
}

TEST_F(HttpServerTest, HeadOnHealthHasLengthButNoBody) {
  test_connection connection(server_.port());
  // Pipelined: if the HEAD answer carried body bytes, the GET answer would not parse.
  connection.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = connection.read_response(/*head_request=*/true);
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[beast_http::field::content_length], "15");
  EXPECT_EQ(connection.read_response().body(), R"({"status":"ok"})");
}

TEST_F(HttpServerTest, SilentClientIsDroppedAfterIdleTimeout) {
  test_connection connection(server_.port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(connection.closed_by_server(3s));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 400ms);  // the configured 500 ms, not at once
}

TEST_F(HttpServerTest, SlowDripHeaderIsDroppedAtTheDeadline) {
  // One byte every 50 ms, ten times faster than the idle timeout: a timer re-armed by every read
  // would never fire, so only the deadline on the whole header (set when the read starts) can end
  // this connection, and it must do so at idle_timeout after the accept, give or take one tick.
  const auto idle = test_server_config().idle_timeout;
  const auto tick = idle / 4;  // how often a worker checks deadlines (src/http/worker.cpp)
  constexpr auto kDrip = 50ms;
  constexpr auto kMargin = 750ms;  // scheduling on a loaded 2-core machine
  const std::string header = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(400, 'a');
  // Timed from before the connect, so from before the accept that sets the deadline.
  const auto start = std::chrono::steady_clock::now();
  test_connection connection(server_.port());
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  };
  std::optional<std::chrono::milliseconds> closed_after;
  std::size_t sent = 0;
  for (char c : header) {
    try {
      connection.send(std::string(1, c));
    } catch (const std::exception&) {
      closed_after = elapsed();  // the server's reset reached us first
      break;
    }
    ++sent;
    // Paces the drip and watches for the close in one step.
    if (connection.closed_by_server(kDrip)) {
      closed_after = elapsed();
      break;
    }
    if (elapsed() > 3 * (idle + tick + kMargin)) break;  // far past the bound: it is not closing
  }
  ASSERT_TRUE(closed_after.has_value()) << "still open after dripping " << sent << " header bytes for "
                                        << elapsed().count() << " ms";
  EXPECT_GT(sent, 3u) << "the drip never got going, so this did not test a slow header";
  // In milliseconds; truncated, so at least idle_timeout whenever the deadline was kept.
  EXPECT_GE(closed_after->count(), idle.count()) << "closed before the deadline, so something else ended it";
  EXPECT_LE(closed_after->count(), (idle + tick + kMargin).count())
      << "the per-read deadline did not close the dripping connection in time";
}

TEST(HttpServerLimits, ConnectionCapMakesRoomByClosingTheLongestWaiting) {
  auto config = test_server_config();
  config.max_connections = 2;
  config.threads = 1;  // which connection waited longest is then one thread's decision (hardening_test covers two)
  test_server server(config);
  test_connection first(server.port());
  EXPECT_EQ(first.request("GET", "/healthz").result_int(), 200u);
  test_connection second(server.port());
  EXPECT_EQ(second.request("GET", "/healthz").result_int(), 200u);
  // Both idle now, the first for longer: the third connection is served and the first closed.
  test_connection third(server.port());
  EXPECT_EQ(third.request("GET", "/healthz").result_int(), 200u);
  EXPECT_TRUE(first.closed_by_server(2s));
  EXPECT_EQ(second.request("GET", "/healthz").result_int(), 200u);  // the others keep working
  EXPECT_EQ(metric_value(server.metrics().render(), "twiml_redirect_http_connections_dropped_total{reason=\"evicted\"}"),
            1.0);
}

TEST(HttpServerShutdown, InFlightRequestFinishesDuringDrain) {
  auto config = test_server_config();
  config.threads = 1;  // so the idle connection closing proves the busy one's worker is draining too
  test_server server(config);
  test_connection idle(server.port());
  test_connection busy(server.port());
  const std::string body = "Called=%2B14155550100&CallSid=" + std::string(kSid);
  busy.send("POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5));
  // Shut down only once the server holds both: the idle connection accepted and the POST's header
  // read (in flight). Earlier, the busy connection would still look idle and rightly be closed.
  ASSERT_TRUE(wait_until(
      [&] {
        return server.server().connection_count() == 2 &&
               metric_value(server.metrics().render(), "twiml_redirect_http_requests_in_flight") == 1.0;
      },
      5s, "two open connections and one request in flight"));
  std::thread stopper([&] { server.server().shutdown(); });
  EXPECT_TRUE(idle.closed_by_server(2s));  // idle connections close at once
  busy.send(body.substr(5));
  const auto res = busy.read_response();
  EXPECT_EQ(res.body(), kTwiml);
  EXPECT_FALSE(res.keep_alive());  // told the client this connection is ending
  stopper.join();
}

}  // namespace
}  // namespace twiml_redirect::testing
