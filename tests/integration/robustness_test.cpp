// Hostile traffic against the real binary: 10,000 malformed or oversized requests (garbage, huge
// headers, broken chunking, bad escapes, NUL bytes, parameter floods, oversized bodies, slow-drip
// headers, hostile <Dial> action and REFER callbacks) while a well-formed client keeps checking that every answer is still exactly right.
// The process must survive, never answer 5xx, and its resident memory must not grow with the load.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "support/child_process.hpp"
#include "support/http_test_client.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

constexpr int kMalformedRequests = 10'000;
constexpr int kFloodThreads = 6;
constexpr int kSlowDripConnections = 40;  // part of kMalformedRequests
constexpr int kKinds = 20;                 // kinds of malformed_request()
constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";
const std::string kGoodTarget = "/redirect_call?Called=%2B14155550100&CallSid=" + std::string(kSid);
const std::string kGoodTwiml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial action=\"dial_action?step=0\" answerOnBridge=\"true\" "
    "referUrl=\"refer\"><Sip>sip:+14155550100@sipin.synthflow.ai:32681?X-EI=" +
    std::string(kSid) + "</Sip></Dial></Response>";

struct exchange_result {
  int status = 0;          // first response's status code; 0 when none came
  bool timed_out = false;  // neither an answer nor a close within the deadline
};

// One connection: send `bytes` (possibly in slow pieces), half-close, read until the server closes.
exchange_result send_and_drain(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds drip_interval = 0ms) {
  asio::io_context context;
  asio::ip::tcp::socket socket(context);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {0, true};
  timeval timeout{5, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (drip_interval == 0ms) {
    asio::write(socket, asio::buffer(bytes.data(), bytes.size()), ec);
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  } else {
    // Slow drip: one byte per interval, never finishing the header, until the server gives up on us.
    for (const char byte : bytes) {
      asio::write(socket, asio::buffer(&byte, 1), ec);
      if (ec) break;
      std::this_thread::sleep_for(drip_interval);
    }
  }
  std::string answer;
  std::array<char, 16 * 1024> chunk{};
  while (answer.size() < (1u << 20)) {
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    answer.append(chunk.data(), n);
    if (ec) break;
  }
  exchange_result result;
  if (ec == asio::error::would_block || ec == asio::error::try_again || ec == asio::error::timed_out) {
    result.timed_out = true;
  }
  if (answer.rfind("HTTP/1.", 0) == 0 && answer.size() >= 12) result.status = std::stoi(answer.substr(9, 3));
  return result;
}

std::string form_post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// The malformed request number `i`: a deterministic mix of every kind of hostile input.
std::string malformed_request(int i, std::mt19937& rng) {
  const auto random_bytes = [&](std::size_t size) {
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(rng() & 0xFF);
    return out;
  };
  // Random bytes as a form value: every byte %XX, so they reach the handler decoded.
  const auto encoded_random = [&](std::size_t size) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : random_bytes(size)) {
      const auto byte = static_cast<unsigned char>(c);
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
    return out;
  };
  const std::string call = "CallSid=" + std::string(kSid) + "&Called=%2B14155550100";
  switch (i % kKinds) {
    case 0: return random_bytes(1 + rng() % 2048);
    case 1: return "GET /redirect_call HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n";
    case 2: {
      std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
      for (int h = 0; h < 2'000; ++h) many += "X-H" + std::to_string(h) + ": v\r\n";
      return many + "\r\n";
    }
    case 3:
      return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Transfer-Encoding: chunked\r\n\r\nZZ\r\nCalled=\r\n0\r\n\r\n";
    case 4:
      return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "fffffffffffffffffffff\r\nx\r\n";
    case 5: return "GET /redirect_call?Called=%ZZ&CallSid=%4 HTTP/1.1\r\nHost: x\r\n\r\n";
    case 6: return std::string("GET /redirect_call?Called=%2B1\0 HTTP/1.1\r\nHost: x\r\n\r\n", 48);
    case 7: {
      std::string body = "Called=%2B14155550100&CallSid=CA1%00&X=" + random_bytes(64);
      return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    case 8: {
      std::string body;
      // Many parameters, still under the 16 KiB body limit so that they reach the decoder.
      for (int p = 0; p < 1'500; ++p) body += "P" + std::to_string(p) + "=v&";
      return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    case 9:
      return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: 1000000\r\n\r\n" + std::string(100'000, 'a');
    case 10: return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc";  // then EOF
    case 11: return "G\x01T / HTTP/9.9\r\n\r\n";
    case 12: return "GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header line\r\n folded: yes\r\n\r\n";
    case 13:
      return "POST /redirect_call HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
             "Transfer-Encoding: chunked\r\n\r\nhello!";
    case 14: return "GET /" + std::string(50'000, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n";
    case 15:
      // A valid request with garbage pipelined behind it: one good answer, then a 400 and a close.
      return "GET " + kGoodTarget + " HTTP/1.1\r\nHost: x\r\n\r\n" + random_bytes(1 + rng() % 512);
    case 16: {
      // Action requests whose step is not one our TwiML wrote: negative, huge, repeated, garbage.
      static const std::string steps[] = {"-1", "99999999999999999999", "0&step=1", "1e3", "%00", "0x1", ""};
      return form_post("/dial_action?step=" + steps[rng() % std::size(steps)], call + "&DialCallStatus=busy");
    }
    case 17:
      // A DialCallStatus that is not a status word: random bytes, or markup.
      return form_post("/dial_action?step=0", call + "&DialCallStatus=" +
                                                  (rng() % 2 ? encoded_random(8 + rng() % 64) : "busy%3CHangup%2F%3E"));
    case 18:
      // A REFER to anything: parsed, refused or dialled, but always a 200 with TwiML.
      return form_post("/refer", call + "&ReferTransferTarget=" +
                                     (rng() % 2 ? encoded_random(1 + rng() % 300)
                                                : "%3Csip%3A%2B19005550199%40evil.example%3Bx%3Fy%3D%3C%2FSip%3E%3E"));
    default:
      // A REFER without a target, or with two different ones.
      return form_post("/refer", call + (rng() % 2 ? "" : "&ReferTransferTarget=tel:%2B1&ReferTransferTarget=tel:%2B2"));
  }
}

// What the server must answer to malformed_request(i): 400 for malformed HTTP or parameters, 413 for
// an oversized body, 431 for oversized headers, nothing for a request cut short by EOF, and for the
// pipelined case the valid request's 200 first. Random garbage may also look like an unfinished request.
bool expected_status(int kind, int status) {
  switch (kind) {
    case 0: return status == 400 || status == 0;
    case 1: case 2: case 14: return status == 431;
    case 9: return status == 413;
    case 10: return status == 0;
    case 15: case 18: return status == 200;
    default: return status == 400;
  }
}

TEST(Robustness, SurvivesTenThousandHostileRequestsWithFlatMemory) {
  temp_file config("robustness.json",
                   R"({"server":{"host":"127.0.0.1","port":0,"threads":2,"idle_timeout_ms":1000,"drain_timeout_ms":2000},
                       "log":{"level":"info","access_log":false},
                       "dial":{"answer_on_bridge":true},"failover":[{"say":"Sorry"}],
                       "transfer":{"allow":["+14155*","sip:*@pbx.example.com"]}})");
  child_process binary(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()},
                       {{"PORT", ""}, {"HOST", ""}, {"TWILIO_AUTH_TOKEN", ""}, {"LOG_FORMAT", "text"}, {"LOG_LEVEL", ""}});
  const std::uint16_t port = binary.wait_for_listening_port();
  ASSERT_NE(port, 0) << binary.output();

  const auto started = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<int> bad_status{0}, hung{0}, sent{0};
  std::mutex examples_mutex;
  std::vector<std::string> examples;
  std::map<int, int> statuses;  // status -> count, for the report
  const auto record = [&](int index, const exchange_result& result) {
    ++sent;
    {
      std::lock_guard lock(examples_mutex);
      ++statuses[result.status];
    }
    if (result.timed_out) ++hung;
    const bool expected = expected_status(index % kKinds, result.status);
    if (!expected) ++bad_status;
    if (result.timed_out || !expected) {
      std::lock_guard lock(examples_mutex);
      if (examples.size() < 5)
        examples.push_back("request #" + std::to_string(index) + " (kind " + std::to_string(index % kKinds) +
                           "): status " + std::to_string(result.status) + (result.timed_out ? ", timed out" : ""));
    }
  };
  const auto flood = [&](int seed, int until) {
    std::mt19937 rng(static_cast<unsigned>(seed));
    for (int i = next++; i < until; i = next++) record(i, send_and_drain(port, malformed_request(i, rng)));
  };

  // Warm up (allocator arenas, thread stacks) before taking the baseline.
  flood(0, 1'000);
  next = 1'000;  // the warm-up's last claim went past its end
  const long rss_before = proc_status_kb(binary.pid(), "VmRSS");

  // The well-formed client: one keep-alive connection, a fresh one whenever the server closes it.
  std::atomic<bool> stop{false};
  std::atomic<int> good_sent{0}, good_failed{0};
  std::thread good_client([&] {
    while (!stop) {
      try {
        test_connection connection(port);
        while (!stop) {
          const auto res = (good_sent % 2) ? connection.request("GET", kGoodTarget)
                                           : connection.request("POST", "/redirect_call",
                                                                "Called=%2B14155550100&CallSid=" + std::string(kSid));
          ++good_sent;
          if (res.result_int() != 200 || res.body() != kGoodTwiml) ++good_failed;
          std::this_thread::sleep_for(2ms);
        }
      } catch (const std::exception&) {
        ++good_sent;
        ++good_failed;
      }
    }
  });

  // Slow-drip headers run beside the flood; the server must drop each at its 1 s header deadline.
  std::atomic<int> drips_closed{0};
  std::vector<std::thread> drips;
  for (int d = 0; d < kSlowDripConnections; ++d) {
    drips.emplace_back([&] {
      const auto drip_started = std::chrono::steady_clock::now();
      const exchange_result result = send_and_drain(port, "GET " + kGoodTarget + " HTTP/1.1\r\nHost: x\r\n", 100ms);
      ++sent;
      if (!result.timed_out && result.status == 0 && std::chrono::steady_clock::now() - drip_started < 4s) ++drips_closed;
    });
  }

  std::vector<std::thread> flooders;
  for (int t = 0; t < kFloodThreads; ++t) flooders.emplace_back(flood, t + 1, kMalformedRequests - kSlowDripConnections);
  for (auto& thread : flooders) thread.join();
  for (auto& thread : drips) thread.join();
  stop = true;
  good_client.join();
  // Measure once the server has closed every hostile connection (the scrape's own is the one left),
  // not while the last ones are still being torn down.
  EXPECT_TRUE(wait_until(
      [&] {
        return metric_value(http_get(port, "/metrics").body(), "twiml_redirect_http_connections_open").value_or(99) <= 1.0;
      },
      10s, "the server to close the hostile connections"));

  const long rss_after = proc_status_kb(binary.pid(), "VmRSS");
  const long rss_peak = proc_status_kb(binary.pid(), "VmHWM");
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "robustness: " << sent << " hostile requests (" << bad_status << " unexpected statuses, " << hung
            << " hung), " << good_sent << " well-formed (" << good_failed << " wrong), slow-drip dropped "
            << drips_closed << "/" << kSlowDripConnections << ", VmRSS " << rss_before << " -> " << rss_after
            << " kB, VmHWM " << rss_peak << " kB, " << seconds << " s\nrobustness: statuses (0 = closed without answer):";
  for (const auto& [status, count] : statuses) std::cout << " " << status << "x" << count;
  std::cout << "\n";
  RecordProperty("hostile_requests", sent.load());
  RecordProperty("well_formed_requests", good_sent.load());
  RecordProperty("rss_before_kb", static_cast<int>(rss_before));
  RecordProperty("rss_after_kb", static_cast<int>(rss_after));
  RecordProperty("rss_peak_kb", static_cast<int>(rss_peak));

  EXPECT_TRUE(binary.running()) << binary.output();
  EXPECT_EQ(sent, kMalformedRequests);
  EXPECT_EQ(bad_status, 0) << ::testing::PrintToString(examples);
  EXPECT_EQ(hung, 0) << ::testing::PrintToString(examples);
  EXPECT_GT(good_sent, 100);
  EXPECT_EQ(good_failed, 0);
  EXPECT_EQ(drips_closed, kSlowDripConnections);
#if !defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's quarantine keeps freed memory resident on purpose, so only plain builds can
  // tell a leak from the allocator's steady state.
  EXPECT_LT(rss_after - rss_before, 8 * 1024) << "resident memory grew by " << rss_after - rss_before << " kB";
#endif

  binary.send_signal(SIGTERM);
  EXPECT_EQ(binary.wait_for_exit(10s), 0) << binary.output();
}

}  // namespace
}  // namespace twiml_redirect::testing
