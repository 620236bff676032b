#pragma once
// A real redis-server (Debian's package) for tests: on a free loopback port, no persistence, killed
// with the object. It can be killed and restarted on the same port, or frozen with SIGSTOP.

#include <cstdint>
#include <memory>
#include <string>

#include "support/child_process.hpp"

namespace twiml_redirect::testing {

class redis_server {
 public:
  redis_server();  // starts it and waits until it answers PING; fails the test otherwise
  ~redis_server();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void kill();     // SIGKILL, as a crash
  void restart();  // a fresh, empty server on the same port
  void freeze();   // SIGSTOP: connections stay open, nothing answers
  void thaw();     // SIGCONT

  // Whether the server answers PING now (a short synchronous connection).
  bool answers() const;

 private:
  void start();

  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
  bool frozen_ = false;
};

// Whether redis-server is installed (scripts/install-deps --dev); tests skip with a message when not.
bool redis_server_available();

}  // namespace twiml_redirect::testing
