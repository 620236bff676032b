#pragma once
// What the HTTP server needs to know, and nothing else: the server does not see the rest of the
// configuration (config reads this struct from its `server` section).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace twiml_redirect::http {

struct server_settings {
  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;
  unsigned threads = 0;  // 0: one per hardware thread
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds drain_timeout{10'000};
  // A request whose handler answers later (a lookup waiting on Redis) gets 503 after this. Below
  // Twilio's 15 s webhook timeout, so the caller's side hears a clear failure, not a hang.
  std::chrono::milliseconds answer_timeout{10'000};
  // Worst case before a request is authenticated: about 40 KiB per connection (a whole body held,
  // a header, the session), so the default fits a 128 MiB container with room to spare
  // (docs/deployment.md has the arithmetic).
  std::size_t max_connections = 2'000;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 16 * 1024;  // Twilio's webhook bodies are 1-3 KB
};

}  // namespace twiml_redirect::http
