#pragma once
// Shared pieces of the Synthflow provisioning tests: a spdlog capture that lets a test assert its
// log never carried a secret, and a config pointed at a fake_synthflow.

#include <chrono>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "support/fake_synthflow.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/app/provisioning.hpp"

namespace twiml_redirect::test {

// Secrets the provisioning tests use; no log line, error or table may contain them.
inline constexpr const char* kTestApiKey = "sk-live-TEST-SECRET-0d9f8e7c6b5a";
inline constexpr const char* kTestTrunkPassword = "trunk-PASSWORD-s3cr3t-42";

// A sink that keeps every formatted line in memory.
class memory_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    text_.append(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

// Replaces the default logger (at trace level) for its lifetime; restores the old one after.
class log_capture {
 public:
  log_capture()
      : previous_(spdlog::default_logger()), sink_(std::make_shared<memory_sink>()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~log_capture() { spdlog::set_default_logger(previous_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  std::string text() { return sink_->text(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<memory_sink> sink_;
};

// The fake's options with the test API key.
inline fake_synthflow_options fake_options(bool tls = false) {
  fake_synthflow_options options;
  options.tls = tls;
  options.api_key = kTestApiKey;
  return options;
}

// One number with a trunk and an inbound agent, pointed at `fake`, with short test timings.
inline config::service_config test_config(const fake_synthflow& fake) {
  using namespace std::chrono_literals;
  config::service_config service;
  config::synthflow_config& config = service.synthflow;
  config.api_url = fake.api_url();
  config.workspace_id = fake.options().workspace_id;
  config.api_key = kTestApiKey;
  if (fake.options().tls) config.ca_file = fake.ca_file().string();
  config.request_timeout = 2000ms;
  config.max_attempts = 4;
  config.initial_backoff = 10ms;
  config.max_backoff = 2000ms;
  config::number_config number;
  number.phone_number = "+15550001111";
  number.friendly_name = "Front desk line";
  number.trunk_username = "trunk-user";
  number.trunk_pwd = kTestTrunkPassword;
  number.synthflow.termination_uri = "acme.pstn.twilio.com";
  config::agent_config& agent = number.agent.emplace();
  agent.name = "Front desk";
  agent.prompt = "You are the front desk of a dental clinic.";
  agent.greeting_message = "Hello, how can I help?";
  agent.llm = "gpt-4.1";
  agent.language = "en-US";
  agent.voice_id = "voice-test-1";
  service.numbers.push_back(number);
  return service;
}

// Fails the current test when `text` contains the API key or a trunk password.
inline void expect_no_secrets(const std::string& text) {
  EXPECT_EQ(text.find(kTestApiKey), std::string::npos) << text;
  EXPECT_EQ(text.find(kTestTrunkPassword), std::string::npos) << text;
}

// A fake Synthflow, a config pointing at it, the captured log, and the provision command's output;
// every test ends by checking that neither log nor output carried a secret.
template <class Base = ::testing::Test>
class provisioning_fixture : public Base {
 protected:
  explicit provisioning_fixture(fake_synthflow_options options = fake_options())
      : fake_(std::move(options)), config_(test_config(fake_)) {}

  void TearDown() override { expect_no_secrets(capture_.text() + output_); }

  // Runs `twiml-redirect provision` in-process; its table lands in last_ (and output_).
  int provision(bool dry_run = false) {
    std::ostringstream out;
    const int code = app::run_provision_command(config_, dry_run, out);
    last_ = out.str();
    output_ += last_;
    return code;
  }

  log_capture capture_;
  fake_synthflow fake_;
  config::service_config config_;
  std::string last_;
  std::string output_;
};

}  // namespace twiml_redirect::test
