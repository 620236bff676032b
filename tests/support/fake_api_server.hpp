#pragma once
// The part every fake REST API of the tests shares: a real loopback socket (HTTP or HTTPS with the
// test PKI), a record of every call, injected faults (a status, a hang, a cut JSON answer, a dropped
// connection) and the inspection endpoints (GET/DELETE /__calls, POST /__faults, GET /__state).
// What the API answers comes from a handler: fake_synthflow and fake_twilio are handlers.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace twiml_redirect::test {

struct recorded_call {
  std::string method;  // "GET"
  std::string path;    // without the query, base path included: "/v2/numbers/1555"
  std::string target;  // with the query
  std::string body;
  std::chrono::steady_clock::time_point at;
  std::map<std::string, std::string> headers;  // lower-case names: what the contract check reads
  unsigned status = 0;                         // what the fake answered; 0: no answer (hang, close)
  std::string response_body;
  bool injected = false;                       // the answer came from an injected fault
};

// One injected fault, applied to the next `times` requests that match.
struct fake_fault {
  enum class kind {
    status,          // answer `status` with `body` (and Retry-After when set)
    hang,            // read the request, never answer
    truncated_json,  // a 200 whose JSON body is cut in half (Content-Length matches)
    close,           // close the connection without answering
  };
  std::string method;       // empty: any
  std::string path_prefix;  // matched after the base path, e.g. "/numbers/"; empty: any
  unsigned times = 1;
  kind what = kind::status;
  unsigned status = 503;
  std::string body = R"({"detail":"Service Unavailable"})";
  std::string retry_after;

  // From the POST /__faults JSON: {"method","path","times","kind","status","body","retry_after"}.
  static fake_fault from_json(const nlohmann::json& spec);
};

// A request as the API handler sees it.
struct fake_request {
  std::string method;
  std::string path;  // after the base path; the whole path when it is not under it
  bool under_base = false;
  std::map<std::string, std::string> query;  // raw, not percent-decoded
  std::string body;
  std::string authorization;
  std::string content_type;
};

struct fake_reply {
  unsigned status = 200;
  std::string body;
};

struct fake_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;          // 0: any free port
  bool tls = false;
  std::filesystem::path cert_dir;  // TLS: where the test PKI is written; empty: a temp dir
  std::string base_path;           // faults and handlers see paths after it
  std::string name = "fake-api";   // the Server header, and the temp dir's name
};

class fake_api_server {
 public:
  using handler = std::function<fake_reply(const fake_request&)>;
  // Binds and starts serving on its own thread; `api` answers every request that no fault takes,
  // `state` answers GET /__state. Both run on the server thread. Throws when it cannot bind.
  fake_api_server(fake_server_options options, handler api, std::function<nlohmann::json()> state);
  // Stops and joins.
  ~fake_api_server();
  fake_api_server(const fake_api_server&) = delete;
  fake_api_server& operator=(const fake_api_server&) = delete;

  std::uint16_t port() const;
  // "http(s)://127.0.0.1:<port><base_path>".
  std::string url() const;
  // The CA that signed the server certificate (TLS only).
  std::filesystem::path ca_file() const;

  void add_fault(fake_fault fault);
  std::vector<recorded_call> calls() const;
  // Calls that change state: POST, PUT, PATCH, DELETE.
  std::vector<recorded_call> writes() const;
  // "METHOD /path" of every call, in order, without the base path.
  std::vector<std::string> call_lines() const;
  void clear_calls();

  // Stops serving; idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// One recorded call as a JSON line for tests/contract/openapi_check.py.
nlohmann::json exchange_json(const recorded_call& call);

// "a=1&b=2" as a map; values stay percent-encoded.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace twiml_redirect::test
