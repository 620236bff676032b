#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace twiml_redirect::testing {
namespace {

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "twiml-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

child_process::child_process(std::string program, std::vector<std::string> args, std::map<std::string, std::string> env) {
  output_path_ = make_temp_dir() / "output.log";
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (auto& [name, value] : env) merged[name] = value;
  std::vector<std::string> env_strings;
  for (auto& [name, value] : merged) env_strings.push_back(name + "=" + value);

  args.insert(args.begin(), program);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_for_exit(std::chrono::seconds(5));
  }
  std::error_code ignored;
  std::filesystem::remove_all(output_path_.parent_path(), ignored);
}

void child_process::send_signal(int signal_number) const { ::kill(pid_, signal_number); }

bool child_process::running() {
  if (exit_code_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::optional<int> child_process::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string child_process::output() const {
  std::ifstream file(output_path_);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

bool child_process::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos) return true;
    if (!running()) return output().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::uint16_t child_process::wait_for_listening_port(std::chrono::milliseconds timeout) {
  if (!wait_for_output("listening on ", timeout)) return 0;
  static const std::regex pattern(R"(listening on \S+:(\d+))");
  std::smatch match;
  const std::string text = output();
  if (!std::regex_search(text, match, pattern)) return 0;
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

long proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

temp_file::temp_file(const std::string& name, const std::string& contents) : directory_(make_temp_dir()), path_(directory_ / name) {
  std::ofstream(path_) << contents;
}

temp_file::~temp_file() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

run_result run_binary(std::vector<std::string> args, std::map<std::string, std::string> env, std::chrono::milliseconds timeout) {
  child_process child(TWIML_REDIRECT_BINARY, std::move(args), std::move(env));
  run_result result;
  const auto code = child.wait_for_exit(timeout);
  result.exit_code = code.value_or(-1);
  result.output = child.output();
  return result;
}

}  // namespace twiml_redirect::testing
