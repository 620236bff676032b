#include "twiml_redirect/synthflow/api.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iterator>
#include <memory>
#include <random>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace twiml_redirect::synthflow {

using nlohmann::json;
namespace http = boost::beast::http;

std::string failure::describe() const {
  std::string text = operation + " failed: ";
  if (http_status != 0) {
    text += "HTTP " + std::to_string(http_status);
    if (!message.empty()) text += ": " + message;
  } else {
    text += message;
  }
  return text;
}

void throw_exception_from_error(const failure& error, const boost::source_location&) {
  throw std::runtime_error(error.describe());
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "<redacted>");
      pos += 10;
    }
  }
  return text;
}

namespace {

// Percent-encodes everything but RFC 3986 unreserved characters: ids are opaque strings.
std::string encode_component(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::function<double()> default_jitter() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

bool is_write(http::verb method) {
  return method == http::verb::post || method == http::verb::put || method == http::verb::patch;
}

}  // namespace

synthflow_api::synthflow_api(http_client& client, api_settings settings, stop_signal& stop)
    : client_(client), settings_(std::move(settings)), stop_(stop) {
  if (!settings_.jitter) settings_.jitter = default_jitter();
  if (settings_.retry.max_attempts == 0) settings_.retry.max_attempts = 1;
  if (settings_.page_size == 0) settings_.page_size = 20;
  settings_.secrets.push_back(settings_.api_key);
}

api_result<json> synthflow_api::call(http::verb method, const std::string& path, const std::string& query,
                                     const std::optional<json>& body, repeat mode) {
  const std::string operation = std::string(http::to_string(method)) + " " + path;
  http_request request;
  request.method = method;
  request.target = settings_.base_path + path + (query.empty() ? "" : "?" + query);
  if (body) request.body = body->dump();
  request.bearer_token = settings_.api_key;

  const auto& policy = settings_.retry;
  for (unsigned attempt = 1;; ++attempt) {
    failure error{operation, 0, {}, false, false, false};
    std::optional<std::chrono::milliseconds> retry_after;
    if (stop_.stop_requested()) {
      error.message = "stopped";
      error.stopped = true;
      return error;
    }
    const auto started = std::chrono::steady_clock::now();
    const http_result result = client_.send(request);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);

    if (!result.ok()) {
      error.message = redact(result.error_message, settings_.secrets);
      error.stopped = result.error == transport_error::aborted;
      error.transient = result.error != transport_error::tls_verify && !error.stopped;
      error.maybe_applied = result.request_sent && is_write(method);
      spdlog::debug("synthflow: {} -> {} ({} ms)", operation, to_string(result.error), took.count());
    } else {
      const auto status = result.response.status;
      spdlog::debug("synthflow: {} -> {} ({} ms)", operation, status, took.count());
      if (status >= 200 && status <= 299) {
        if (status == 204) return api_result<json>(boost::system::in_place_value, json::object());
        auto parsed = json::parse(result.response.body, nullptr, false);
        if (!parsed.is_discarded()) return api_result<json>(boost::system::in_place_value, std::move(parsed));
        // A cut or garbled body: the write may have happened, a repeat of a read is harmless.
        error.http_status = status;
        error.message = "answer is not readable JSON";
        error.transient = true;
        error.maybe_applied = is_write(method);
      } else {
        error.http_status = status;
        error.message = redact(error_message_from_body(result.response.body), settings_.secrets);
        error.transient = is_transient_status(status);
        error.maybe_applied = is_write(method) && status_may_have_applied(status);
        if (!result.response.retry_after.empty()) {
          retry_after = parse_retry_after(result.response.retry_after, std::chrono::system_clock::now());
        }
      }
    }

    if (!error.transient) return error;
    if (mode == repeat::once && error.maybe_applied) return error;  // the caller re-reads first
    if (attempt >= policy.max_attempts) {
      error.message += " (gave up after " + std::to_string(attempt) + " attempts)";
      return error;
    }
    const auto delay = retry_delay(policy, attempt, settings_.jitter(), retry_after);
    spdlog::warn("synthflow: {}; retry {}/{} in {} ms", error.describe(), attempt,
                 policy.max_attempts - 1, delay.count());
    if (!stop_.wait_for(delay)) {
      error.message = "stopped";
      error.stopped = true;
      error.transient = false;
      return error;
    }
  }
}

api_result<std::optional<number_state>> synthflow_api::get_number(const std::string& e164) {
  const auto slug = phone_slug(e164);
  auto answer = call(http::verb::get, "/numbers/" + encode_component(slug),
                     "workspace=" + encode_component(settings_.workspace_id), std::nullopt, repeat::safe);
  if (!answer) {
    const auto& error = answer.error();
    if (error.http_status == 404) return std::optional<number_state>{};
    if (error.http_status == 400) {
      // Unknown slugs may answer 400; only the list can tell "absent" from "bad request".
      auto listed = number_listed(e164);
      if (!listed) return listed.error();
      if (!*listed) return std::optional<number_state>{};
    }
    return error;
  }
  auto number = parse_number(*answer);
  if (!number) {
    return failure{"GET /numbers/" + slug, 200, "answer has no phone_number", false, false, false};
  }
  if (number->phone_number != e164) {
    return failure{"GET /numbers/" + slug, 200,
                   "answer describes " + number->phone_number + ", not " + e164, false, false, false};
  }
  return std::optional<number_state>{std::move(*number)};
}

api_result<bool> synthflow_api::number_listed(const std::string& e164) {
  for (std::size_t offset = 0;;) {
    auto answer = call(http::verb::get, "/numbers",
                       "workspace=" + encode_component(settings_.workspace_id) +
                           "&limit=" + std::to_string(settings_.page_size) + "&offset=" + std::to_string(offset),
                       std::nullopt, repeat::safe);
    if (!answer) return answer.error();
    const auto numbers = parse_number_list(*answer);
    if (std::find(numbers.begin(), numbers.end(), e164) != numbers.end()) return true;
    const auto page = parse_pagination(*answer);
    offset += numbers.size();
    // Without pagination, a short page is the last one.
    if (numbers.empty() || (page ? offset >= page->total_records : numbers.size() < settings_.page_size)) {
      return false;
    }
  }
}

api_result<void> synthflow_api::create_number(const json& body) {
  auto answer = call(http::verb::post, "/custom-numbers", {}, body, repeat::once);
  if (!answer) return answer.error();
  return {};
}

api_result<void> synthflow_api::update_number(const std::string& e164, const json& body) {
  auto answer = call(http::verb::patch, "/numbers/" + encode_component(phone_slug(e164)), {}, body,
                     repeat::safe);
  if (!answer) return answer.error();
  return {};
}

api_result<std::optional<assistant_state>> synthflow_api::get_assistant(const std::string& model_id) {
  auto answer = call(http::verb::get, "/assistants/" + encode_component(model_id), {}, std::nullopt,
                     repeat::safe);
  if (!answer) {
    if (answer.error().http_status == 404 || answer.error().http_status == 400) {
      return std::optional<assistant_state>{};
    }
    return answer.error();
  }
  auto assistants = parse_assistants(*answer);
  for (auto& assistant : assistants) {
    if (assistant.model_id == model_id) return std::optional<assistant_state>{std::move(assistant)};
  }
  return std::optional<assistant_state>{};
}

api_result<std::vector<assistant_state>> synthflow_api::list_assistants() {
  std::vector<assistant_state> all;
  for (std::size_t offset = 0;;) {
    // The spec's path has the trailing slash.
    auto answer = call(http::verb::get, "/assistants/",
                       "limit=" + std::to_string(settings_.page_size) + "&offset=" + std::to_string(offset),
                       std::nullopt, repeat::safe);
    if (!answer) return answer.error();
    auto page_items = parse_assistants(*answer);
    const auto count = page_items.size();
    std::move(page_items.begin(), page_items.end(), std::back_inserter(all));
    const auto page = parse_pagination(*answer);
    offset += count;
    if (count == 0 || (page ? offset >= page->total_records : count < settings_.page_size)) return all;
  }
}

api_result<std::string> synthflow_api::create_assistant(const json& body) {
  auto answer = call(http::verb::post, "/assistants", {}, body, repeat::once);
  if (!answer) return answer.error();
  return api_result<std::string>(boost::system::in_place_value, parse_created_model_id(*answer));
}

api_result<void> synthflow_api::update_assistant(const std::string& model_id, const json& body) {
  auto answer = call(http::verb::put, "/assistants/" + encode_component(model_id), {}, body, repeat::safe);
  if (!answer) return answer.error();
  return {};
}

}  // namespace twiml_redirect::synthflow
