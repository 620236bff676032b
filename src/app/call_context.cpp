#include "twiml_redirect/app/call_context.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <future>
#include <stdexcept>

#include "twiml_redirect/app/call_events.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/util/form_decoding.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;

// Every answer of /call_context is about one caller: no cache or proxy may keep it.
http::response private_json(status code, std::string body) {
  http::response res = json_response(code, std::move(body));
  res.set(field::cache_control, "no-store");
  return res;
}

http::response json_error(status code, std::string_view message) {
  std::string body = R"({"error":")";
  util::append_json_escaped(body, message);
  body += "\"}";
  return private_json(code, std::move(body));
}

// The store did not answer in time (Redis down, frozen, or too many lookups waiting).
http::response store_unavailable() {
  http::response res = json_error(status::service_unavailable, "call context store unavailable");
  res.set(field::retry_after, "1");
  return res;
}

static_assert(SHA256_DIGEST_LENGTH == 32);

// Tokens are compared by their SHA-256 digests with CRYPTO_memcmp: the time taken says nothing
// about the token, not even its length. The digest is fetched once: OpenSSL 3's one-shot SHA256()
// looks the algorithm up, under a lock the server threads share, on every call.
std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view text) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  unsigned int size = 0;
  if (kSha256 == nullptr || EVP_Digest(text.data(), text.size(), digest.data(), &size, kSha256, nullptr) != 1)
    throw std::runtime_error("SHA-256 is unavailable");  // the handler answers 500; never a false match
  return digest;
}

// The first value of `name`: the form body first, then the query (as the webhook's handler reads them).
const std::string* parameter(const twilio_request& req, std::string_view name) {
  if (const util::decoded_form* body = req.body_params())
    if (const util::form_param* found = util::find_param(body->params, name)) return &found->value;
  if (const util::form_param* found = util::find_param(req.query.params, name)) return &found->value;
  return nullptr;
}

}  // namespace

call_context::call_context(std::unique_ptr<context::call_store> store, std::string token, std::string calls_token,
                           std::shared_ptr<const routing::live_routes> routes, std::chrono::milliseconds lookup_timeout,
                           util::metrics& metrics)
    : token_(std::move(token)),
      calls_token_(std::move(calls_token)),
      token_digest_(sha256(token_)),
      calls_token_digest_(sha256(calls_token_)),
      lookup_timeout_(lookup_timeout),
      routes_(std::move(routes)),
      store_(std::move(store)) {
  if (routes_ && std::string_view(store_->kind()) == "redis")
    sharing_ = std::make_unique<health_sharing>(*store_, routes_, metrics);
  metrics.add_section([this](std::string& out) {
    store_->append_metrics(out);
    out += "# HELP twiml_redirect_call_context_refused_total /call_context requests refused, by reason.\n"
           "# TYPE twiml_redirect_call_context_refused_total counter\n"
           "twiml_redirect_call_context_refused_total{reason=\"unauthorized\"} " +
           std::to_string(unauthorized_.load(std::memory_order_relaxed)) +
           "\ntwiml_redirect_call_context_refused_total{reason=\"bad_request\"} " +
           std::to_string(bad_requests_.load(std::memory_order_relaxed)) + "\n";
  });
}

void call_context::record(const twilio_request& req, std::string event) const noexcept {
  if (!serves_lookups()) return;  // nobody could ask for it: keep no caller data
  try {
    store_->put_with_event(
        context::call_record::from_parameters([&req](std::string_view name) { return parameter(req, name); }),
        std::move(event));
  } catch (const std::exception& error) {
    // Only allocation can fail here; the webhook's answer stands either way.
    spdlog::warn("call context: recording a call failed: {}", error.what());
  }
}

bool call_context::authorized(const http::request& req, bool calls) const {
  const auto header = req.find(field::authorization);
  if (header == req.end()) return false;
  const std::string_view value = header->value();
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() < kScheme.size() || !util::iequals(value.substr(0, kScheme.size()), kScheme)) return false;
  const std::string_view presented = util::trim(value.substr(kScheme.size()));
  const token_digest digest = sha256(presented);
  const bool is_token = CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
  const bool is_calls_token = CRYPTO_memcmp(digest.data(), calls_token_digest_.data(), digest.size()) == 0;
  return is_token || (calls && !calls_token_.empty() && is_calls_token);
}

http::response call_context::answer(const context::lookup_result& result, const context::named_call& named,
                                    const std::string& found_sid) const {
  switch (result.result) {
    case context::lookup_result::outcome::found: {
      // Ties Synthflow's call to Twilio's in the log; no caller data.
      spdlog::info("call context served call_sid={} synthflow_call_id={}", found_sid,
                   named.synthflow_call_id.empty() ? "-" : named.synthflow_call_id);
      {
        std::string fields;
        for (const std::string& field : named.fields) fields += (fields.empty() ? "" : ",") + field;
        note(found_sid, call_event("context_lookup")
                            .text("fields", fields)
                            .flag("found", true)
                            .text("synthflow_call_id", named.synthflow_call_id)
                            .finish());
      }
      const auto table = routes_->current();
      const routing::call_route* route = table->find(result.record.called_number());
      static const std::vector<std::pair<std::string, std::string>> kNone;
      return private_json(status::ok, result.record.to_json(route ? route->variables : kNone));
    }
    case context::lookup_result::outcome::unknown: {
      std::string tried;
      for (const std::string& field : named.fields) tried += (tried.empty() ? "" : ", ") + field;
      return json_error(status::not_found, "unknown call (looked up the CallSid of: " + tried + ")");
    }
    case context::lookup_result::outcome::unavailable:
      break;
  }
  return store_unavailable();
}

http::response call_context::probe_answer() const {
  std::vector<std::pair<std::string, std::string>> keys;
  routes_->current()->for_each_number([&keys](std::string_view, const routing::call_route& route) {
    for (const auto& variable : route.variables) {
      const bool listed = std::any_of(keys.begin(), keys.end(), [&](const auto& key) { return key.first == variable.first; });
      if (!listed) keys.emplace_back(variable.first, "");
    }
  });
  return private_json(status::ok, context::call_record{}.to_json(keys));
}

void call_context::lookup_from(std::shared_ptr<const context::named_call> named, std::size_t next,
                               std::function<void(context::lookup_result, const std::string&)> done) const {
  std::string call_sid = named->candidates[next];
  store_->get(call_sid, [this, named = std::move(named), next, done = std::move(done),
                         call_sid](context::lookup_result result) mutable {
    if (result.result == context::lookup_result::outcome::unknown && next + 1 < named->candidates.size())
      return lookup_from(std::move(named), next + 1, std::move(done));
    done(std::move(result), call_sid);
  });
}

http::response call_context::refuse_unauthorized(std::string_view route, const http::request_context& ctx) const {
  unauthorized_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t events = 0;
  {
    std::lock_guard lock(log_mutex_);
    events = unauthorized_log_.note(util::log_throttle::clock::now());
  }
  if (events > 0)
    spdlog::warn("{}: {} request(s) without the right Bearer token refused, latest from {}", route, events,
                 ctx.peer.to_string());
  http::response res = json_error(status::unauthorized, "missing or wrong Bearer token");
  res.set(field::www_authenticate, "Bearer");
  return res;
}

http::response call_context::lookup(const http::request& req, http::request_context& ctx) const {
  if (!authorized(req)) return refuse_unauthorized("/call_context", ctx);
  const std::string_view target = req.target();
  const std::size_t query_start = target.find('?');
  const util::decoded_form query =
      util::decode_form(query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1));
  const util::form_param* query_call_sid = query.ok() ? util::find_param(query.params, "call_sid") : nullptr;
  auto named = std::make_shared<context::named_call>(
      context::find_named_call(req.body(), query_call_sid ? &query_call_sid->value : nullptr));
  if (!named->error.empty()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("/call_context: 400 from {}: {}", ctx.peer.to_string(), named->error);
    return json_error(status::bad_request, named->error);
  }
  if (named->probe) {
    spdlog::info("/call_context: Initialize probe from {} answered with the keys", ctx.peer.to_string());
    return probe_answer();
  }
  ctx.call_sid = named->candidates.front();

  if (store_->answers_inline()) {
    http::response res;
    lookup_from(named, 0, [&](context::lookup_result result, const std::string& sid) { res = answer(result, *named, sid); });
    return res;
  }
  if (ctx.defer) {
    http::responder respond = ctx.defer();
    lookup_from(named, 0, [this, named, respond = std::move(respond)](context::lookup_result result, const std::string& sid) {
      respond(answer(result, *named, sid));
    });
    return {};  // ignored: the responder answers
  }
  // No server to defer to (a test calling the handler): wait here, never past the deadline.
  using found = std::pair<context::lookup_result, std::string>;
  auto promise = std::make_shared<std::promise<found>>();
  auto future = promise->get_future();
  lookup_from(named, 0, [promise](context::lookup_result result, const std::string& sid) {
    promise->set_value({std::move(result), sid});
  });
  const auto deadline = lookup_timeout_ * static_cast<long>(named->candidates.size()) + std::chrono::milliseconds(100);
  if (future.wait_for(deadline) != std::future_status::ready)
    return answer({context::lookup_result::outcome::unavailable, {}}, *named, {});
  auto [result, sid] = future.get();
  return answer(result, *named, sid);
}

void call_context::note(std::string_view call_sid, std::string event) const noexcept {
  if (!serves_lookups() || call_sid.empty() || event.empty()) return;
  try {
    store_->add_event(call_sid, std::move(event));
  } catch (const std::exception& error) {
    spdlog::warn("call context: noting a call event failed: {}", error.what());
  }
}

http::response call_context::call_events(const http::request& req, http::request_context& ctx) const {
  if (!authorized(req, /*calls=*/true)) return refuse_unauthorized("/calls", ctx);
  const std::string_view target = req.target();
  std::string_view sid = target.substr(0, target.find('?'));
  sid.remove_prefix(std::min(sid.size(), kCallsPath.size()));
  if (const auto problem = twilio::check_call_sid(sid))
    return json_error(status::bad_request, "the path must be /calls/{CallSid}: " + *problem);
  ctx.call_sid = std::string(sid);
  const auto render = [](const std::string& call_sid, const context::events_result& result) {
    switch (result.result) {
      case context::lookup_result::outcome::found: {
        std::string body = "{\"call_sid\":\"" + call_sid + "\",\"events\":[";
        for (std::size_t i = 0; i < result.events.size(); ++i) body += (i ? "," : "") + result.events[i];
        body += "]}";
        return private_json(status::ok, std::move(body));
      }
      case context::lookup_result::outcome::unknown:
        return json_error(status::not_found, "unknown call (or its record expired)");
      case context::lookup_result::outcome::unavailable:
        break;
    }
    return store_unavailable();
  };
  std::string call_sid(sid);
  if (store_->answers_inline() || !ctx.defer) {
    auto promise = std::make_shared<std::promise<context::events_result>>();
    auto future = promise->get_future();
    store_->get_events(call_sid, [promise](context::events_result result) { promise->set_value(std::move(result)); });
    if (future.wait_for(lookup_timeout_ + std::chrono::milliseconds(100)) != std::future_status::ready)
      return render(call_sid, {context::lookup_result::outcome::unavailable, {}});
    return render(call_sid, future.get());
  }
  http::responder respond = ctx.defer();
  store_->get_events(call_sid, [render, call_sid, respond = std::move(respond)](context::events_result result) {
    respond(render(call_sid, result));
  });
  return {};  // ignored: the responder answers
}

}  // namespace twiml_redirect::app
