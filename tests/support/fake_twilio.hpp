#pragma once
// A fake Twilio REST API (the 2010-04-01 IncomingPhoneNumbers resource) on a real loopback socket,
// HTTP or HTTPS, for the provisioning tests: Basic auth with the account SID and auth token or an
// API key, the documented paths and snake_case fields, the PhoneNumber filter that also matches
// partial numbers, paging with next_page_uri, form-encoded updates and Twilio's error shape
// ({code, message, more_info, status}). Faults and inspection as in fake_api_server.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fake_api_server.hpp"

namespace twiml_redirect::test {

struct fake_twilio_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = false;
  std::filesystem::path cert_dir;
  std::string account_sid = "AC0123456789abcdef0123456789abcdef";
  std::string auth_token = "twilio-auth-token-DO-NOT-LOG-0001";
  std::string api_key = "SK0123456789abcdef0123456789abcdef";
  std::string api_secret = "twilio-api-secret-DO-NOT-LOG-0002";
  // Pages hold at most this many numbers whatever PageSize asks, so that paging is exercised.
  std::size_t max_page_size = 2;
};

class fake_twilio {
 public:
  explicit fake_twilio(fake_twilio_options options = {});
  ~fake_twilio();
  fake_twilio(const fake_twilio&) = delete;
  fake_twilio& operator=(const fake_twilio&) = delete;

  // "http(s)://127.0.0.1:<port>": what twilio.api_url should be.
  std::string api_url() const;
  std::filesystem::path ca_file() const;
  const fake_twilio_options& options() const;

  // Adds a number to the account (voice_url empty, voice_method POST); returns its PN sid. The list
  // shows numbers in the order they were added.
  std::string seed_number(const std::string& e164);
  // Sets fields of a stored number, as a change in the Console would (e.g. {"voice_url": "..."}).
  void change_number(const std::string& e164, const nlohmann::json& fields);
  // The stored number; null when absent.
  nlohmann::json number(const std::string& e164) const;

  // Monitor's Alerts (GET /v1/Alerts, on this same server: point twilio.monitor_url here) and the
  // account's Calls (GET .../Calls.json, filtered by To). Fields as Twilio's OpenAPI documents them;
  // missing ones get plausible values (sid, account_sid, dates).
  void add_alert(nlohmann::json alert);
  void add_call(nlohmann::json call);
  // The form fields of every call placed with POST Calls.json, in order.
  std::vector<std::map<std::string, std::string>> placed_calls() const;

  // Calls, faults and stop().
  fake_api_server& server();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace twiml_redirect::test
