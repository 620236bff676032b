#pragma once
// A fake Synthflow Platform API on a real loopback socket, HTTP or HTTPS, for the provisioning tests
// and the fake-synthflow tool. It follows the documented shapes (including the variants the docs
// disagree on), enforces one inbound agent per number, records every call, and injects faults on
// demand. Inspection: GET /__calls, GET /__state; control: POST /__faults, DELETE /__calls.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fake_api_server.hpp"

namespace twiml_redirect::test {

struct fake_synthflow_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;             // 0: any free port
  bool tls = false;
  std::filesystem::path cert_dir;     // TLS: where the test PKI is written; empty: a temp dir
  std::string base_path = "/v2";
  std::string api_key = "test-api-key";  // expected Bearer token; empty: any non-empty token
  std::string workspace_id = "1710107690998x536152705164378100";
  bool wrap_number = false;           // GET /numbers/{slug} in {"status","response"} (docs: flat)
  bool assistant_as_object = false;   // GET /assistants/{id} with "assistants" as an object
  // What GET /numbers/{unknown} answers: 400, the documented error status, or 404 (undocumented, as
  // a real server might answer anyway).
  unsigned unknown_number_status = 400;
  bool gateway_errors = false;        // errors as {"error","message"} instead of {"detail"}
};

class fake_synthflow {
 public:
  // Binds and starts serving on its own thread. Throws when it cannot bind.
  explicit fake_synthflow(fake_synthflow_options options = {});
  // Stops and joins.
  ~fake_synthflow();
  fake_synthflow(const fake_synthflow&) = delete;
  fake_synthflow& operator=(const fake_synthflow&) = delete;

  std::uint16_t port() const;
  // "http(s)://127.0.0.1:<port>/v2": what synthflow.api_url should be.
  std::string api_url() const;
  // The CA that signed the server certificate (TLS only).
  std::filesystem::path ca_file() const;
  const fake_synthflow_options& options() const;

  void add_fault(fake_fault fault);
  std::vector<recorded_call> calls() const;
  // Calls that change state: POST, PUT, PATCH, DELETE.
  std::vector<recorded_call> writes() const;
  // "METHOD /path" of every call, in order, without the base path: handy in assertions.
  std::vector<std::string> call_lines() const;
  void clear_calls();

  // Seeds a number as if imported earlier (no agent), by default as the test config imports it.
  void seed_number(const std::string& e164, const std::string& friendly_name,
                   const std::string& provider_name = "twilio",
                   const std::string& sip_term_uri = "sip:acme.pstn.twilio.com");
  // Seeds an agent; links it to its phone_number when that number exists. Returns the model_id.
  std::string seed_assistant(nlohmann::json assistant);
  // Seeds a custom action (the CUSTOM_ACTION object of a create body) attached to agent `model_id`,
  // as an earlier version or another replica would have left it. Returns the action_id.
  std::string seed_action(nlohmann::json custom_action, const std::string& model_id);
  // Just before the next POST /actions/attach is applied, attaches `custom_action` (made with id
  // `action_id`) to the same agent: another replica that created and attached its own at that moment.
  void rival_on_next_attach(nlohmann::json custom_action, const std::string& action_id);
  // The stored number (by E.164) or agent (by model_id); null when absent.
  nlohmann::json number(const std::string& e164) const;
  nlohmann::json assistant(const std::string& model_id) const;
  // {"numbers":[...], "assistants":[...], "actions":[...]}; each action lists the agents it is
  // attached to in "_attached_to".
  nlohmann::json state() const;

  // Stops serving; idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace twiml_redirect::test
