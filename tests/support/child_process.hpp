#pragma once
// Runs the real twiml-redirect binary as a child process, with its stdout and stderr in a file
// the test can read while it runs.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace twiml_redirect::testing {

class child_process {
 public:
  // Starts `program` with `args`; `env` is added to (and overrides) the test's own environment.
  child_process(std::string program, std::vector<std::string> args, std::map<std::string, std::string> env = {});
  ~child_process();  // SIGKILLs it if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void send_signal(int signal_number) const;

  // The exit code once it exits within `timeout`; nullopt if still running. A death by signal is 128+N.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  bool running();

  // Everything it wrote to stdout and stderr so far.
  std::string output() const;

  // Waits until the output contains `text`; returns false on timeout or exit.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);

  // Waits for the "listening on HOST:PORT" line and returns PORT (0 on failure).
  std::uint16_t wait_for_listening_port(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path output_path_;
};

// A field of /proc/PID/status in kB (VmRSS, VmHWM), or -1 when the process or field is gone.
long proc_status_kb(pid_t pid, const std::string& field);

// A file in a fresh temporary directory, removed with the object.
class temp_file {
 public:
  temp_file(const std::string& name, const std::string& contents);
  ~temp_file();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path directory_;
  std::filesystem::path path_;
};

// The environment overrides that keep the binary from inheriting the test machine's settings
// (PORT, HOST, TWILIO_AUTH_TOKEN; text logs), plus `extra`.
inline std::map<std::string, std::string> clean_env(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env = {{"PORT", ""}, {"HOST", ""}, {"TWILIO_AUTH_TOKEN", ""}, {"LOG_FORMAT", "text"}};
  for (auto& [name, value] : extra) env[name] = value;
  return env;
}

// Runs the binary to completion (at most `timeout`) and returns its exit code and output.
struct run_result {
  int exit_code = -1;
  std::string output;
};
run_result run_binary(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace twiml_redirect::testing
