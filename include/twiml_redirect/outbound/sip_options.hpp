#pragma once
// A SIP OPTIONS ping (RFC 3261 section 11): the cheapest question a SIP server answers, used by
// `doctor` to tell whether a SIP host Twilio dials is up and talking SIP. UDP first (what Twilio
// uses), then TCP when UDP got no answer. Building the request and reading the status line are pure
// and unit-tested; sip_options_ping does the I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twiml_redirect::outbound {

struct sip_options_request {
  std::string host;           // the server's host name, as the Request-URI and To name it
  std::uint16_t port = 5060;
  std::string transport;      // "UDP" or "TCP"
  std::string local_address;  // where the answer should go (Via)
  std::uint16_t local_port = 0;
  std::string call_id;        // unique per ping
};

// The OPTIONS request text: Request-URI sip:host:port, Via with a fresh RFC 3261 branch, Max-Forwards,
// To, From with a tag, Call-ID, CSeq, Contact, Accept and Content-Length: 0.
std::string build_options_request(const sip_options_request& request);

// The status line of a SIP response ("SIP/2.0 200 OK"), or nullopt when `response` does not start
// with one (a status code of three digits after "SIP/2.0 ").
std::optional<std::string> sip_status_line(std::string_view response);

struct sip_ping_result {
  bool answered = false;
  std::string transport;    // "UDP" or "TCP": the one that answered (or the last tried)
  std::string status_line;  // "SIP/2.0 200 OK" when answered
  std::string error;        // why neither answered, e.g. "UDP: no answer within 2000 ms; TCP: connection refused"
};

// Sends OPTIONS to host:port over UDP and waits up to `deadline` for a status line; without one,
// tries TCP with the same deadline. Never throws for network failures.
sip_ping_result sip_options_ping(const std::string& host, std::uint16_t port,
                                 std::chrono::milliseconds deadline = std::chrono::seconds(2));

// The addresses `host` resolves to (as text), or why it does not (the resolver's message, or that
// `deadline` passed).
struct resolved_host {
  std::vector<std::string> addresses;
  std::string error;  // empty when resolved
};
resolved_host resolve_host(const std::string& host, std::chrono::milliseconds deadline);

}  // namespace twiml_redirect::outbound
