#include "twiml_redirect/outbound/call.hpp"

#include <chrono>
#include <memory>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "twiml_redirect/util/redact.hpp"

namespace twiml_redirect::outbound {

namespace http = boost::beast::http;

std::string call_failure::describe() const {
  std::string text = operation + " failed: ";
  if (http_status != 0) {
    text += "HTTP " + std::to_string(http_status);
    if (!message.empty()) text += ": " + message;
  } else {
    text += message;
  }
  return text;
}

void throw_exception_from_error(const call_failure& error, const boost::source_location&) {
  throw std::runtime_error(error.describe());
}

std::function<double()> default_jitter() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

api_profile json_api_profile(std::string name, retry_policy retry, std::function<double()> jitter) {
  api_profile profile;
  profile.name = std::move(name);
  profile.retry = retry;
  if (profile.retry.max_attempts == 0) profile.retry.max_attempts = 1;
  profile.jitter = jitter ? std::move(jitter) : default_jitter();
  profile.check_success = [](const http_response& answer) -> std::optional<std::string> {
    // 204 No Content has nothing to read.
    if (answer.status == 204 || nlohmann::json::accept(answer.body)) return std::nullopt;
    return "answer is not readable JSON";
  };
  return profile;
}

namespace {

bool is_write(http::verb method) {
  return method == http::verb::post || method == http::verb::put || method == http::verb::patch ||
         method == http::verb::delete_;
}

}  // namespace

call_result<http_response> call_with_retries(http_client& client, const http_request& request,
                                             std::string_view operation_name, repeat mode, const api_profile& api,
                                             stop_signal& stop) {
  const std::string operation(operation_name);
  auto secrets = api.secrets;
  for (auto& secret : request_secrets(request)) secrets.push_back(std::move(secret));
  const auto jitter = api.jitter ? api.jitter : default_jitter();
  const bool write = is_write(request.method);
  const unsigned max_attempts = std::max(api.retry.max_attempts, 1u);

  for (unsigned attempt = 1;; ++attempt) {
    call_failure error{operation, 0, {}, false, false, false};
    std::optional<std::chrono::milliseconds> retry_after;
    if (stop.stop_requested()) {
      error.message = "stopped";
      error.stopped = true;
      return error;
    }
    const auto started = std::chrono::steady_clock::now();
    http_result result = client.send(request);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

    if (!result.ok()) {
      error.message = util::redact_and_cut(result.error_message, secrets);
      error.stopped = result.error == transport_error::aborted;
      error.transient = result.error != transport_error::tls_verify && !error.stopped;
      error.maybe_applied = result.request_sent && write;
      spdlog::debug("{}: {} -> {} ({} ms)", api.name, operation, to_string(result.error), took.count());
    } else {
      const auto status = result.response.status;
      spdlog::debug("{}: {} -> {} ({} ms)", api.name, operation, status, took.count());
      if (status >= 200 && status <= 299) {
        auto unusable = api.check_success ? api.check_success(result.response) : std::nullopt;
        if (!unusable) return std::move(result.response);
        // A cut or garbled body: the write may have happened, a repeat of a read is harmless.
        error.http_status = status;
        error.message = util::redact_and_cut(std::move(*unusable), secrets);
        error.transient = true;
        error.maybe_applied = write;
      } else {
        error.http_status = status;
        error.message = api.error_message ? util::redact_and_cut(api.error_message(result.response), secrets) : std::string();
        error.transient = is_transient_status(status);
        error.maybe_applied = write && status_may_have_applied(status);
        if (const auto value = result.response.header("Retry-After"); !value.empty()) {
          retry_after = parse_retry_after(value, std::chrono::system_clock::now());
        }
      }
    }

    if (!error.transient) return error;
    if (mode == repeat::once && error.maybe_applied) return error;  // the caller re-reads first
    if (attempt >= max_attempts) {
      error.message += " (gave up after " + std::to_string(attempt) + " attempts)";
      return error;
    }
    const auto delay = retry_delay(api.retry, attempt, jitter(), retry_after);
    spdlog::warn("{}: {}; retry {}/{} in {} ms", api.name, error.describe(), attempt, max_attempts - 1,
                 delay.count());
    if (!stop.wait_for(delay)) {
      error.message = "stopped";
      error.stopped = true;
      error.transient = false;
      return error;
    }
  }
}

}  // namespace twiml_redirect::outbound
