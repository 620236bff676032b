#include "twiml_redirect/util/metrics.hpp"

#include <boost/version.hpp>

#include <algorithm>
#include <charconv>

#include "twiml_redirect/util/utf8.hpp"
#include "twiml_redirect/version.hpp"

namespace twiml_redirect::util {
namespace {

constexpr std::string_view kMethodLabels[] = {"GET", "POST", "HEAD", "other"};
constexpr std::string_view kProvisioningLabels[] = {"disabled", "pending", "running", "succeeded", "failed"};
constexpr std::size_t kMaxErrorLabel = 200;  // a label is not a log: bound what a scrape carries

std::size_t method_index(std::string_view method) {
  for (std::size_t i = 0; i + 1 < std::size(kMethodLabels); ++i) {
    if (method == kMethodLabels[i]) return i;
  }
  return std::size(kMethodLabels) - 1;
}

// Bucket bounds in nanoseconds, so that recording compares integers.
constexpr auto kBucketBoundsNs = [] {
  std::array<std::int64_t, metrics::kLatencyBuckets.size()> bounds{};
  for (std::size_t i = 0; i < bounds.size(); ++i) bounds[i] = static_cast<std::int64_t>(metrics::kLatencyBuckets[i] * 1e9 + 0.5);
  return bounds;
}();

std::uint64_t read(const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); }

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// Shortest decimal that reads back as `value`, never in exponent form ("0.0001", not "1e-04").
void append_number(std::string& out, double value) {
  char digits[64];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value, std::chars_format::fixed).ptr);
}

// A label value in quotes: backslash, double quote and newline escaped, as the format requires.
void append_label_value(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// A metric without labels: its HELP and TYPE lines and its one sample.
void append_single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   std::uint64_t value) {
  append_header(out, name, type, help);
  out.append(name).append(" ");
  append_number(out, value);
  out += "\n";
}

std::string compiler_description() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace

labelled_counter::labelled_counter(std::string name, std::string help, std::vector<label> labels)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {
  for (const label& l : labels_) series_ *= std::max<std::size_t>(l.second.size(), 1);
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(series_);
}

std::size_t labelled_counter::index(std::initializer_list<std::string_view> values) const {
  std::size_t index = 0;
  auto value = values.begin();
  for (const label& l : labels_) {
    const std::vector<std::string>& allowed = l.second;
    std::size_t position = 0;
    if (value != values.end()) {
      position = static_cast<std::size_t>(std::find(allowed.begin(), allowed.end(), *value) - allowed.begin());
      if (position == allowed.size()) position = allowed.empty() ? 0 : allowed.size() - 1;
      ++value;
    }
    index = index * std::max<std::size_t>(allowed.size(), 1) + position;
  }
  return index;
}

void labelled_counter::increment(std::initializer_list<std::string_view> values) {
  counts_[index(values)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t labelled_counter::value(std::initializer_list<std::string_view> values) const {
  return read(counts_[index(values)]);
}

void labelled_counter::render(std::string& out) const {
  append_header(out, name_, "counter", help_);
  for (std::size_t series = 0; series < series_; ++series) {
    out += name_;
    // Unpack the row-major index, last label fastest.
    std::vector<std::size_t> positions(labels_.size());
    std::size_t rest = series;
    for (std::size_t l = labels_.size(); l-- > 0;) {
      const std::size_t size = std::max<std::size_t>(labels_[l].second.size(), 1);
      positions[l] = rest % size;
      rest /= size;
    }
    for (std::size_t l = 0; l < labels_.size(); ++l) {
      out += l == 0 ? "{" : ",";
      out += labels_[l].first;
      out += "=";
      append_label_value(out, labels_[l].second.empty() ? std::string_view{} : labels_[l].second[positions[l]]);
    }
    if (!labels_.empty()) out += "}";
    out += " ";
    append_number(out, read(counts_[series]));
    out += "\n";
  }
}

std::size_t metrics::recorder::route_index(std::string_view path) const {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i] == path) return i;
    // A route ending in '/' is a prefix ("/calls/" for /calls/{CallSid}): one label for all its
    // paths, so a CallSid never becomes a label value.
    if (routes_[i].ends_with('/') && path.starts_with(routes_[i])) return i;
  }
  return routes_.size();
}

void metrics::recorder::request_finished(std::string_view path, std::string_view method, unsigned status,
                                         std::chrono::nanoseconds duration) {
  route_counters& route = per_route_[route_index(path)];
  // A status outside 100-599 is not HTTP; Beast would not let one through, but count it as a 500.
  const std::size_t status_index = status >= 100 && status < 600 ? status - 100 : 400;
  bump(route.requests[method_index(method)][status_index]);
  std::size_t bucket = 0;
  while (bucket < kBucketBoundsNs.size() && duration.count() > kBucketBoundsNs[bucket]) ++bucket;
  bump(route.latency_buckets[bucket]);
  bump(route.latency_sum_ns, static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0)));
  bump(requests_finished_);
}

metrics::metrics(std::vector<std::string> routes, const std::vector<std::string>& provisioned_apis)
    : routes_(std::move(routes)) {
  for (const auto& api : provisioned_apis) provisioning_.push_back({.api = api, .state = provisioning_state::disabled, .last_error = {}});
}

metrics::recorder& metrics::add_recorder() {
  std::lock_guard lock(mutex_);
  recorders_.push_back(std::unique_ptr<recorder>(new recorder(routes_)));
  return *recorders_.back();
}

labelled_counter& metrics::counter(std::string name, std::string help, std::vector<labelled_counter::label> labels) {
  std::lock_guard lock(mutex_);
  for (const auto& existing : counters_)
    if (existing->name() == name) return *existing;
  counters_.push_back(std::make_unique<labelled_counter>(std::move(name), std::move(help), std::move(labels)));
  return *counters_.back();
}

void metrics::set_provisioning_state(std::string_view api, provisioning_state state, std::string_view last_error) {
  std::lock_guard lock(mutex_);
  auto found = std::find_if(provisioning_.begin(), provisioning_.end(), [&](const auto& p) { return p.api == api; });
  if (found == provisioning_.end()) found = provisioning_.insert(provisioning_.end(), {.api = std::string(api), .state = provisioning_state::disabled, .last_error = {}});
  auto& which = *found;
  which.state = state;
  if (!last_error.empty()) which.last_error = valid_utf8(utf8_prefix(last_error, kMaxErrorLabel));
}

std::string metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(8192);
  const auto route_label = [this](std::size_t route) {
    return route < routes_.size() ? std::string_view(routes_[route]) : kOtherRoute;
  };
  const auto sum_over_recorders = [this](auto&& counter_of) {
    std::uint64_t total = 0;
    for (const auto& r : recorders_) total += read(counter_of(*r));
    return total;
  };

  append_header(out, "twiml_redirect_http_requests_total", "counter",
                "HTTP requests answered, by route (the path, or \"other\"), method and status.");
  for (std::size_t route = 0; route <= routes_.size(); ++route) {
    for (std::size_t method = 0; method < recorder::kMethods; ++method) {
      for (std::size_t status = 0; status < recorder::kStatuses; ++status) {
        const std::uint64_t count =
            sum_over_recorders([&](const recorder& r) -> auto& { return r.per_route_[route].requests[method][status]; });
        if (count == 0) continue;
        out += "twiml_redirect_http_requests_total{route=";
        append_label_value(out, route_label(route));
        out += ",method=\"";
        out += kMethodLabels[method];
        out += "\",status=\"";
        append_number(out, static_cast<std::uint64_t>(status + 100));
        out += "\"} ";
        append_number(out, count);
        out += "\n";
      }
    }
  }

  append_header(out, "twiml_redirect_http_request_duration_seconds", "histogram",
                "Time from a request's complete header to its answer written, by route.");
  for (std::size_t route = 0; route <= routes_.size(); ++route) {
    std::uint64_t cumulative = 0;
    std::string bucket_lines;
    for (std::size_t bucket = 0; bucket < recorder::kBuckets; ++bucket) {
      cumulative += sum_over_recorders([&](const recorder& r) -> auto& { return r.per_route_[route].latency_buckets[bucket]; });
      bucket_lines += "twiml_redirect_http_request_duration_seconds_bucket{route=";
      append_label_value(bucket_lines, route_label(route));
      bucket_lines += ",le=\"";
      if (bucket < kLatencyBuckets.size()) {
        append_number(bucket_lines, kLatencyBuckets[bucket]);
      } else {
        bucket_lines += "+Inf";
      }
      bucket_lines += "\"} ";
      append_number(bucket_lines, cumulative);
      bucket_lines += "\n";
    }
    // The routes always show, so dashboards see zeros rather than gaps; "other" only once it has counts.
    if (route == routes_.size() && cumulative == 0) continue;
    out += bucket_lines;
    const std::uint64_t sum_ns = sum_over_recorders([&](const recorder& r) -> auto& { return r.per_route_[route].latency_sum_ns; });
    out += "twiml_redirect_http_request_duration_seconds_sum{route=";
    append_label_value(out, route_label(route));
    out += "} ";
    append_number(out, static_cast<double>(sum_ns) / 1e9);
    out += "\ntwiml_redirect_http_request_duration_seconds_count{route=";
    append_label_value(out, route_label(route));
    out += "} ";
    append_number(out, cumulative);
    out += "\n";
  }

  // Read the "ended" counters before the "began" ones: each recorder's began count only grows and
  // is never behind its ended count, so the differences cannot come out negative.
  const std::uint64_t finished = sum_over_recorders([](const recorder& r) -> auto& { return r.requests_finished_; });
  const std::uint64_t closed = sum_over_recorders([](const recorder& r) -> auto& { return r.connections_closed_; });
  const std::uint64_t started = sum_over_recorders([](const recorder& r) -> auto& { return r.requests_started_; });
  const std::uint64_t opened = sum_over_recorders([](const recorder& r) -> auto& { return r.connections_opened_; });
  append_single(out, "twiml_redirect_http_requests_in_flight", "gauge", "Requests received and not yet answered.",
                started - finished);
  append_single(out, "twiml_redirect_http_connections_open", "gauge", "Client connections open now.", opened - closed);
  append_single(out, "twiml_redirect_http_connections_total", "counter", "Client connections accepted.", opened);
  append_header(out, "twiml_redirect_http_connections_dropped_total", "counter",
                "Connections closed at the connection limit: evicted (waited longest for their client) or refused.");
  out += "twiml_redirect_http_connections_dropped_total{reason=\"evicted\"} ";
  append_number(out, sum_over_recorders([](const recorder& r) -> auto& { return r.connections_evicted_; }));
  out += "\ntwiml_redirect_http_connections_dropped_total{reason=\"refused\"} ";
  append_number(out, sum_over_recorders([](const recorder& r) -> auto& { return r.connections_refused_; }));
  out += "\n";
  append_single(out, "twiml_redirect_accept_failures_total", "counter",
                "Failed accept() calls (out of file descriptors or memory, clients that left while queued).",
                sum_over_recorders([](const recorder& r) -> auto& { return r.accept_failures_; }));
  append_single(out, "twiml_redirect_calls_rejected_total", "counter",
                "Calls to numbers that are not configured, answered <Reject> (routing.unknown_numbers = reject).",
                read(calls_rejected_));
  append_single(out, "twiml_redirect_routing_numbers", "gauge", "Configured numbers in the routing table in force.",
                read(configured_numbers_));
  append_header(out, "twiml_redirect_config_reloads_total", "counter",
                "Configuration reloads (SIGHUP), by result: ok (the new routing table is in force) or failed "
                "(the file was refused and the old configuration kept).");
  out += "twiml_redirect_config_reloads_total{result=\"ok\"} ";
  append_number(out, read(config_reloads_ok_));
  out += "\ntwiml_redirect_config_reloads_total{result=\"failed\"} ";
  append_number(out, read(config_reloads_failed_));
  out += "\n";
  append_single(out, "twiml_redirect_sip_headers_omitted_total", "counter",
                "Configured SIP headers left out of a dialed URI because it would have reached 255 characters.",
                read(sip_headers_omitted_));

  append_header(out, "twiml_redirect_provisioning_state", "gauge",
                "Provisioning of each API (Synthflow, Twilio): 1 for its current state, 0 for the others.");
  for (const auto& api : provisioning_) {
    for (std::size_t state = 0; state < std::size(kProvisioningLabels); ++state) {
      out += "twiml_redirect_provisioning_state{api=";
      append_label_value(out, api.api);
      out += ",state=\"";
      out += kProvisioningLabels[state];
      out += static_cast<std::size_t>(api.state) == state ? "\"} 1\n" : "\"} 0\n";
    }
  }
  append_header(out, "twiml_redirect_provisioning_last_error_info", "gauge",
                "The last provisioning error of each API, in the error label; absent until one happens.");
  for (const auto& api : provisioning_) {
    if (api.last_error.empty()) continue;
    out += "twiml_redirect_provisioning_last_error_info{api=";
    append_label_value(out, api.api);
    out += ",error=";
    append_label_value(out, api.last_error);
    out += "} 1\n";
  }

  for (const auto& counter : counters_) counter->render(out);

  append_header(out, "twiml_redirect_build_info", "gauge", "The running build, in its labels; always 1.");
  out += "twiml_redirect_build_info{version=";
  append_label_value(out, kVersion);
  out += ",boost=";
  append_label_value(out, std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                              "." + std::to_string(BOOST_VERSION % 100));
  out += ",compiler=";
  append_label_value(out, compiler_description());
  out += "} 1\n";
  for (const auto& write : sections_) write(out);
  return out;
}

void metrics::add_section(std::function<void(std::string& out)> write) {
  std::lock_guard lock(mutex_);
  sections_.push_back(std::move(write));
}

}  // namespace twiml_redirect::util
