// Microbenchmarks of the work /redirect_call does per request, without sockets: decoding the
// parameters, validating them, rendering the TwiML, the whole handler for a GET and for Twilio's
// full POST, and the server's own per-request work (response bytes, access line, metrics).
// bench/run prints the ns per operation next to the load-test table.
#include <benchmark/benchmark.h>

#include <string>

#include "twiml_redirect/app/redirect_call.hpp"
#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/context/call_record.hpp"
#include "twiml_redirect/http/wire.hpp"
#include "twiml_redirect/routing/live_routes.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/request_validator.hpp"
#include "twiml_redirect/twilio/signature.hpp"
#include "twiml_redirect/twilio/twiml.hpp"
#include "twiml_redirect/util/form_decoding.hpp"
#include "twiml_redirect/util/logging.hpp"
#include "twiml_redirect/util/metrics.hpp"

namespace {

using namespace twiml_redirect;

constexpr std::string_view kSipTarget = "sipin.synthflow.ai:32681";
constexpr std::string_view kQuery = "Called=%2B14155550100&CallSid=CA0123456789abcdef0123456789abcdef";

// What Twilio posts for an inbound call, in the order it sends the fields (alphabetical).
constexpr std::string_view kTwilioForm =
    "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01"
    "&CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=ringing&Called=%2B14155550100"
    "&CalledCity=SAN+FRANCISCO&CalledCountry=US&CalledState=CA&CalledZip=94105&Caller=%2B15557654321"
    "&CallerCity=OAKLAND&CallerCountry=US&CallerState=CA&CallerZip=94612&Direction=inbound"
    "&From=%2B15557654321&FromCity=OAKLAND&FromCountry=US&FromState=CA&FromZip=94612&To=%2B14155550100"
    "&ToCity=SAN+FRANCISCO&ToCountry=US&ToState=CA&ToZip=94105";

void decode_get_query(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(util::decode_form(kQuery));
}
BENCHMARK(decode_get_query);

void decode_twilio_post_form(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(util::decode_form(kTwilioForm));
}
BENCHMARK(decode_twilio_post_form);

void validate_called_and_call_sid(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(twilio::check_called("+14155550100"));
    benchmark::DoNotOptimize(twilio::check_call_sid("CA0123456789abcdef0123456789abcdef"));
  }
}
BENCHMARK(validate_called_and_call_sid);

void render_twiml(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(twilio::render_dial_sip("+14155550100", kSipTarget, "CA0123456789abcdef0123456789abcdef"));
}
BENCHMARK(render_twiml);

void handle_get(benchmark::State& state) {
  http::request req{http::beast_http::verb::get, "/redirect_call?" + std::string(kQuery), 11};
  req.set(http::beast_http::field::host, "127.0.0.1:3000");
  const auto routes = routing::route_table::dialing(kSipTarget);
  for (auto _ : state) {
    http::request_context ctx;
    // Decoding included, as twilio_guard does it before the handler runs.
    const app::twilio_request decoded(req, req.target());
    benchmark::DoNotOptimize(app::handle_redirect_call(decoded, ctx, routes));
  }
}
BENCHMARK(handle_get);

void handle_twilio_post(benchmark::State& state) {
  http::request req{http::beast_http::verb::post, "/redirect_call", 11};
  req.set(http::beast_http::field::host, "127.0.0.1:3000");
  req.set(http::beast_http::field::content_type, "application/x-www-form-urlencoded; charset=UTF-8");
  req.body() = std::string(kTwilioForm);
  req.prepare_payload();
  const auto routes = routing::route_table::dialing(kSipTarget);
  for (auto _ : state) {
    http::request_context ctx;
    // Decoding included, as twilio_guard does it before the handler runs.
    const app::twilio_request decoded(req, req.target());
    benchmark::DoNotOptimize(app::handle_redirect_call(decoded, ctx, routes));
  }
}
BENCHMARK(handle_twilio_post);

// The routing table in force, read as every webhook reads it: the thread's cached table after one
// generation check (live_routes::current), against taking the lock and a reference each time
// (live_routes::snapshot) as a plain mutex-guarded holder would.
void live_routes_current(benchmark::State& state) {
  const routing::live_routes live(std::make_shared<const routing::route_table>(routing::route_table::dialing(kSipTarget)));
  for (auto _ : state) benchmark::DoNotOptimize(live.current());
}
BENCHMARK(live_routes_current)->Threads(1)->Threads(2);

void live_routes_snapshot(benchmark::State& state) {
  const routing::live_routes live(std::make_shared<const routing::route_table>(routing::route_table::dialing(kSipTarget)));
  for (auto _ : state) benchmark::DoNotOptimize(live.snapshot());
}
BENCHMARK(live_routes_snapshot)->Threads(1)->Threads(2);

// A configuration with `count` numbers, +14155550000 upwards (+14155550100 among them).
config::service_config numbers_config(std::size_t count) {
  config::service_config config;
  config.sip.target = kSipTarget;
  for (std::size_t i = 0; i < count; ++i) {
    config::number_config number;
    number.phone_number = "+1415555" + std::to_string(10000 + i).substr(1);
    config.numbers.push_back(std::move(number));
  }
  return config;
}

// Looking up the called number among 1 and among 10,000 configured numbers.
void route_table_find(benchmark::State& state) {
  const routing::route_table routes(numbers_config(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(routes.find("+14155550000"));
}
BENCHMARK(route_table_find)->Arg(1)->Arg(10000);

// Building the table of 10,000 numbers, as startup and each reload do.
void route_table_build_10000(benchmark::State& state) {
  const config::service_config config = numbers_config(10000);
  for (auto _ : state) benchmark::DoNotOptimize(routing::route_table(config));
}
BENCHMARK(route_table_build_10000)->Unit(benchmark::kMicrosecond);

// The same POST on a route with X-EI tokens and two SIP headers, one of them a webhook parameter:
// what sip.x_ei and sip.headers add over handle_twilio_post.
void handle_twilio_post_sip_headers(benchmark::State& state) {
  http::request req{http::beast_http::verb::post, "/redirect_call", 11};
  req.set(http::beast_http::field::host, "127.0.0.1:3000");
  req.set(http::beast_http::field::content_type, "application/x-www-form-urlencoded; charset=UTF-8");
  req.body() = std::string(kTwilioForm);
  req.prepare_payload();
  config::service_config config;
  config.sip.target = kSipTarget;
  config.sip.x_ei = "tokens";
  config.sip.headers = {{"X-Tenant", "acme"}, {"X-Caller-City", "{CalledCity}"}};
  const routing::route_table routes(config);
  for (auto _ : state) {
    http::request_context ctx;
    const app::twilio_request decoded(req, req.target());
    benchmark::DoNotOptimize(app::handle_redirect_call(decoded, ctx, routes));
  }
}
BENCHMARK(handle_twilio_post_sip_headers);

// Signature checks as the service runs them: the validator rebuilds the URL, decodes the fields and
// checks both spellings of the URL (with and without the port), as for every signed webhook.
constexpr std::string_view kToken = "bench0123456789abcdef0123456789ab";

twilio::form_params twilio_fields() {
  twilio::form_params params;
  for (util::form_param& p : util::decode_form(kTwilioForm).params) params.emplace_back(p.name, p.value);
  return params;
}

void sign_twilio_post(benchmark::State& state) {
  const twilio::signing_key key(kToken);
  const std::string fields = twilio::signing_string({}, twilio_fields());
  for (auto _ : state) benchmark::DoNotOptimize(key.sign("http://127.0.0.1:3000/redirect_call", fields));
}
BENCHMARK(sign_twilio_post);

void validate_signed_request(benchmark::State& state, std::string_view target, std::string_view body,
                             const twilio::form_params& fields) {
  const twilio::request_validator validator({.auth_token = std::string(kToken), .shared_keys = {}, .basic_user = {},
                                             .basic_password = {}, .public_url = {}, .trusted_proxies = {}});
  const std::string url = "http://127.0.0.1:3000" + std::string(target);
  const std::string signature = twilio::compute_signature(kToken, url, fields);
  const twilio::request_view request{.method = body.empty() ? "GET" : "POST",
                                     .target = target,
                                     .host = "127.0.0.1:3000",
                                     .forwarded_proto = {},
                                     .forwarded_host = {},
                                     .signature = signature,
                                     .signature_settings = {},
                                     .content_type = body.empty() ? "" : "application/x-www-form-urlencoded",
                                     .body = body,
                                     .decoded_query = nullptr,  // decoded here, as the figure has always measured
                                     .decoded_body = nullptr,
                                     .peer = {}};
  if (!validator.validate(request).ok) state.SkipWithError("the signature did not verify");
  for (auto _ : state) benchmark::DoNotOptimize(validator.validate(request));
}

void validate_signed_get(benchmark::State& state) {
  validate_signed_request(state, "/redirect_call?" + std::string(kQuery), {}, {});
}
BENCHMARK(validate_signed_get);

void validate_signed_twilio_post(benchmark::State& state) {
  validate_signed_request(state, "/redirect_call", kTwilioForm, twilio_fields());
}
BENCHMARK(validate_signed_twilio_post);

void serialize_response(benchmark::State& state) {
  http::response res = app::xml_response(
      twilio::render_dial_sip("+14155550100", kSipTarget, "CA0123456789abcdef0123456789abcdef"));
  res.prepare_payload();
  std::string wire;
  for (auto _ : state) {
    wire.clear();
    http::append_wire_bytes(wire, res, false);
    benchmark::DoNotOptimize(wire.data());
  }
}
BENCHMARK(serialize_response);

void format_access_line(benchmark::State& state) {
  const util::access_entry entry{.method = "POST",
                                 .path = "/redirect_call",
                                 .status = 200,
                                 .bytes = 164,
                                 .duration = std::chrono::microseconds(87),
                                 .call_sid = "CA0123456789abcdef0123456789abcdef",
                                 .peer = "127.0.0.1"};
  std::string line;
  for (auto _ : state) {
    line.clear();
    util::append_access_line(line, entry, std::chrono::system_clock::now(), config::log_format::text);
    benchmark::DoNotOptimize(line.data());
  }
}
BENCHMARK(format_access_line);

// The caller context a webhook records: Twilio's form's caller variables as the JSON that the Redis
// store sends and /call_context answers.
void call_record_to_json(benchmark::State& state) {
  const std::vector<util::form_param> params = util::decode_form(kTwilioForm).params;
  const context::call_record record = context::call_record::from_parameters([&](std::string_view name) {
    const util::form_param* param = util::find_param(params, name);
    return param == nullptr ? nullptr : &param->value;
  });
  for (auto _ : state) benchmark::DoNotOptimize(record.to_json());
}
BENCHMARK(call_record_to_json);

void record_request_metrics(benchmark::State& state) {
  util::metrics metrics({"/redirect_call", "/healthz", "/readyz", "/metrics"});
  util::metrics::recorder& recorder = metrics.add_recorder();
  for (auto _ : state) {
    recorder.request_started();
    recorder.request_finished("/redirect_call", "POST", 200, std::chrono::microseconds(87));
  }
}
BENCHMARK(record_request_metrics);

}  // namespace
