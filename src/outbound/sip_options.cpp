#include "twiml_redirect/outbound/sip_options.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <random>

namespace twiml_redirect::outbound {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

std::string random_token() {
  static std::atomic<unsigned> serial{0};
  std::random_device seed;
  char text[32];
  std::snprintf(text, sizeof text, "%08x%04x", static_cast<unsigned>(seed()), serial.fetch_add(1) & 0xffffu);
  return text;
}

std::string host_in_uri(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// One exchange on its own io_context, ended by the deadline whatever phase it is in.
class pinger {
 public:
  pinger(const std::string& host, std::uint16_t port, std::chrono::milliseconds deadline)
      : host_(host), port_(port), deadline_(deadline) {}

  sip_ping_result udp() {
    sip_ping_result result{false, "UDP", {}, {}};
    asio::io_context io;
    asio::ip::udp::resolver resolver(io);
    error_code ec;
    const auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec || endpoints.empty()) return fail(result, "cannot resolve " + host_);
    asio::ip::udp::endpoint server = *endpoints.begin();
    asio::ip::udp::socket socket(io);
    socket.connect(server, ec);  // a connected UDP socket learns ICMP port-unreachable as an error
    if (ec) return fail(result, ec.message());
    const auto local = socket.local_endpoint(ec);
    const std::string request = build_options_request(
        {host_, port_, "UDP", local.address().to_string(), local.port(), random_token() + "@twiml-redirect"});
    socket.send(asio::buffer(request), 0, ec);
    if (ec) return fail(result, ec.message());
    std::string answer(65535, '\0');
    asio::steady_timer timer(io, deadline_);
    std::optional<error_code> received;
    std::size_t size = 0;
    timer.async_wait([&](error_code wait_error) {
      if (!wait_error) socket.cancel();
    });
    socket.async_receive(asio::buffer(answer), [&](error_code receive_error, std::size_t n) {
      received = receive_error;
      size = n;
      timer.cancel();
    });
    io.run();
    if (!received || *received == asio::error::operation_aborted)
      return fail(result, "no answer within " + std::to_string(deadline_.count()) + " ms");
    if (*received) return fail(result, received->message());
    return read_status(result, std::string_view(answer).substr(0, size));
  }

  sip_ping_result tcp() {
    sip_ping_result result{false, "TCP", {}, {}};
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::socket socket(io);
    asio::steady_timer timer(io, deadline_);
    asio::streambuf buffer(65535);
    std::string request;
    std::optional<error_code> finished;
    bool timed_out = false;
    timer.async_wait([&](error_code wait_error) {
      if (wait_error) return;
      timed_out = true;
      resolver.cancel();
      error_code ignored;
      socket.close(ignored);
    });
    auto done = [&](error_code ec) {
      finished = ec;
      timer.cancel();
    };
    resolver.async_resolve(host_, std::to_string(port_), [&](error_code ec, asio::ip::tcp::resolver::results_type found) {
      if (ec) return done(ec);
      asio::async_connect(socket, found, [&](error_code connect_error, const asio::ip::tcp::endpoint&) {
        if (connect_error) return done(connect_error);
        error_code local_error;
        const auto local = socket.local_endpoint(local_error);
        request = build_options_request(
            {host_, port_, "TCP", local.address().to_string(), local.port(), random_token() + "@twiml-redirect"});
        asio::async_write(socket, asio::buffer(request), [&](error_code write_error, std::size_t) {
          if (write_error) return done(write_error);
          asio::async_read_until(socket, buffer, "\r\n", [&](error_code read_error, std::size_t) { done(read_error); });
        });
      });
    });
    io.run();
    if (timed_out || !finished) return fail(result, "no answer within " + std::to_string(deadline_.count()) + " ms");
    if (*finished) return fail(result, finished->message());
    const auto data = buffer.data();
    return read_status(result, std::string(asio::buffers_begin(data), asio::buffers_end(data)));
  }

 private:
  static sip_ping_result fail(sip_ping_result& result, std::string why) {
    result.error = result.transport + ": " + std::move(why);
    return result;
  }

  static sip_ping_result read_status(sip_ping_result& result, std::string_view answer) {
    auto status = sip_status_line(answer);
    if (!status) return fail(result, "the answer is not a SIP response");
    result.answered = true;
    result.status_line = std::move(*status);
    return result;
  }

  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds deadline_;
};

}  // namespace

std::string build_options_request(const sip_options_request& request) {
  const std::string target = "sip:" + host_in_uri(request.host) + ":" + std::to_string(request.port);
  const std::string local = host_in_uri(request.local_address) + ":" + std::to_string(request.local_port);
  std::string out;
  out += "OPTIONS " + target + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/" + request.transport + " " + local + ";branch=z9hG4bK" + random_token() + ";rport\r\n";
  out += "Max-Forwards: 70\r\n";
  out += "To: <" + target + ">\r\n";
  out += "From: <sip:doctor@twiml-redirect.invalid>;tag=" + random_token() + "\r\n";
  out += "Call-ID: " + request.call_id + "\r\n";
  out += "CSeq: 1 OPTIONS\r\n";
  out += "Contact: <sip:doctor@" + local + ";transport=" + (request.transport == "TCP" ? "tcp" : "udp") + ">\r\n";
  out += "Accept: application/sdp\r\n";
  out += "User-Agent: twiml-redirect doctor\r\n";
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

std::optional<std::string> sip_status_line(std::string_view response) {
  const std::size_t end = response.find("\r\n");
  const std::string_view line = response.substr(0, end);
  constexpr std::string_view kVersion = "SIP/2.0 ";
  if (!line.starts_with(kVersion) || line.size() < kVersion.size() + 3) return std::nullopt;
  for (std::size_t i = 0; i < 3; ++i) {
    const char c = line[kVersion.size() + i];
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (line.size() > kVersion.size() + 3 && line[kVersion.size() + 3] != ' ') return std::nullopt;
  std::string printable;
  for (char c : line.substr(0, 200)) printable += (c >= 0x20 && c < 0x7f) ? c : '?';
  return printable;
}

resolved_host resolve_host(const std::string& host, std::chrono::milliseconds deadline) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  resolved_host out;
  bool finished = false;
  resolver.async_resolve(host, "", [&](error_code ec, asio::ip::tcp::resolver::results_type found) {
    finished = true;
    if (ec) {
      out.error = ec.message();
      return;
    }
    for (const auto& entry : found) {
      std::string address = entry.endpoint().address().to_string();
      if (std::find(out.addresses.begin(), out.addresses.end(), address) == out.addresses.end())
        out.addresses.push_back(std::move(address));
    }
  });
  io.run_for(deadline);
  if (!finished) {
    resolver.cancel();
    out.error = "no answer from the resolver within " + std::to_string(deadline.count()) + " ms";
  }
  return out;
}

sip_ping_result sip_options_ping(const std::string& host, std::uint16_t port, std::chrono::milliseconds deadline) {
  pinger ping(host, port, deadline);
  sip_ping_result udp = ping.udp();
  if (udp.answered) return udp;
  sip_ping_result tcp = ping.tcp();
  if (!tcp.answered) tcp.error = udp.error + "; " + tcp.error;
  return tcp;
}

}  // namespace twiml_redirect::outbound
