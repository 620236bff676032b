#pragma once
// The service's Prometheus metrics: requests by route, method and status, a latency histogram,
// requests in flight, open connections, the provisioning state and build info.
//
// Recording happens on every request, so it must cost next to nothing: each server thread gets a
// recorder of its own, whose counters only that thread writes (a plain load and store, no locked
// instruction, no shared cache line). A scrape adds up all recorders. Only the rare events (a
// signature failure, a provisioning change) touch shared state.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace twiml_redirect::util {

// Where provisioning one API stands, as the provisioning_state metric shows it.
enum class provisioning_state { disabled, pending, running, succeeded, failed };

// A counter of rare events (a few per call, not per request byte) with a fixed set of labels, each
// with a fixed list of values, so its series are known at start and cannot grow with input. One
// shared atomic per series: at this rate a locked increment costs nothing. Thread-safe.
class labelled_counter {
 public:
  using label = std::pair<std::string, std::vector<std::string>>;  // name, its values

  labelled_counter(std::string name, std::string help, std::vector<label> labels);

  const std::string& name() const { return name_; }

  // Counts one event with these label values, one per label, in the labels' order. A value not in
  // its label's list counts under that label's last value (so a list ending in "other" takes
  // whatever was not foreseen), and a missing one as the first value.
  void increment(std::initializer_list<std::string_view> values);

  // The count of one series (tests).
  std::uint64_t value(std::initializer_list<std::string_view> values) const;

  // HELP, TYPE and one line per series, zeros included, in the Prometheus text format.
  void render(std::string& out) const;

 private:
  std::size_t index(std::initializer_list<std::string_view> values) const;

  std::string name_;
  std::string help_;
  std::vector<label> labels_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // row-major over labels_
  std::size_t series_ = 1;
};

class metrics {
 public:
  // Latency histogram bucket bounds, in seconds (Prometheus "le"); +Inf is implicit.
  static constexpr std::array<double, 14> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                             0.025,  0.05,    0.1,    0.25,  0.5,   1.0,   2.5};
  static constexpr std::string_view kOtherRoute = "other";  // the label of paths not in the route list

  // Counts one thread's requests. Every method must be called from that one thread only.
  class recorder {
   public:
    void connection_opened() { bump(connections_opened_); }
    void connection_closed() { bump(connections_closed_); }
    // A request's header has arrived; it is in flight until finished or abandoned.
    void request_started() { bump(requests_started_); }
    // The request was answered with `status` after `duration`. `method` is as sent ("GET").
    void request_finished(std::string_view path, std::string_view method, unsigned status,
                          std::chrono::nanoseconds duration);
    // The request ended without an answer (the client left mid-body): no longer in flight.
    void request_abandoned() { bump(requests_finished_); }
    // At the connection limit: a waiting connection was closed to make room, or a new one refused.
    void connection_evicted() { bump(connections_evicted_); }
    void connection_refused() { bump(connections_refused_); }
    // accept() failed (out of file descriptors or memory, a client that left while queued).
    void accept_failed() { bump(accept_failures_); }

   private:
    friend class metrics;
    using counter = std::atomic<std::uint64_t>;
    static constexpr std::size_t kMethods = 4;    // GET, POST, HEAD, other
    static constexpr std::size_t kStatuses = 500;  // 100 to 599
    static constexpr std::size_t kBuckets = kLatencyBuckets.size() + 1;

    // One writer: a relaxed load and store is enough, and cheaper than an atomic increment.
    static void bump(counter& c, std::uint64_t n = 1) { c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }

    struct route_counters {
      std::array<std::array<counter, kStatuses>, kMethods> requests{};
      std::array<counter, kBuckets> latency_buckets{};  // not cumulative; the scrape accumulates
      counter latency_sum_ns{0};
    };

    explicit recorder(const std::vector<std::string>& routes)
        : routes_(routes), per_route_(std::make_unique<route_counters[]>(routes.size() + 1)) {}
    std::size_t route_index(std::string_view path) const;

    const std::vector<std::string>& routes_;
    std::unique_ptr<route_counters[]> per_route_;  // routes_, then "other"
    counter connections_opened_{0};
    counter connections_closed_{0};
    counter requests_started_{0};
    counter requests_finished_{0};
    counter connections_evicted_{0};
    counter connections_refused_{0};
    counter accept_failures_{0};
  };

  // `routes` are the request paths counted under their own label; any other path counts as "other",
  // so a scan of random URLs cannot grow the number of series.
  // `provisioned_apis`: the APIs provisioning may bring in line (the `api` label of the provisioning
  // metrics), shown as disabled until set; an API first named by set_provisioning_state is added then.
  explicit metrics(std::vector<std::string> routes, const std::vector<std::string>& provisioned_apis = {});
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // A recorder for one server thread. It lives as long as this object, and so do its counts.
  // Thread-safe.
  recorder& add_recorder();

  // A call to a number that is not configured was answered <Reject> (routing.unknown_numbers is
  // "reject"). Calls that are routed are not counted here: the request counters show them, and the
  // webhook's hot path stays free of shared writes. Thread-safe.
  void count_call_rejected() { calls_rejected_.fetch_add(1, std::memory_order_relaxed); }

  // A SIGHUP reload of the configuration ended: applied (`ok`) or refused. Thread-safe.
  void count_config_reload(bool ok) { (ok ? config_reloads_ok_ : config_reloads_failed_).fetch_add(1, std::memory_order_relaxed); }

  // How many numbers the routing table in force has (after startup and after each reload). Thread-safe.
  void set_configured_numbers(std::size_t count) { configured_numbers_.store(count, std::memory_order_relaxed); }
  // `count` configured SIP headers were left out of a dialed URI to keep it under Twilio's length
  // limit. Thread-safe; rare (a config whose headers fit never gets here).
  void count_sip_headers_omitted(std::uint64_t count) { sip_headers_omitted_.fetch_add(count, std::memory_order_relaxed); }

  // Provisioning `api` moved to `state`. A non-empty `last_error` replaces the recorded error, which
  // otherwise stays, so a scrape after a recovery still shows what went wrong last. Keep secrets
  // out of it. Thread-safe.
  void set_provisioning_state(std::string_view api, provisioning_state state, std::string_view last_error = {});

  // The labelled counter called `name`, made with `help` and `labels` on first use; later calls with
  // the same name return the same counter (their help and labels are not looked at). It lives as long
  // as this object. Thread-safe.
  labelled_counter& counter(std::string name, std::string help, std::vector<labelled_counter::label> labels);

  // Everything in the Prometheus text exposition format (version 0.0.4). Thread-safe.
  std::string render() const;

  // Appends the metrics of a part that keeps its own counts (the call context store) to every
  // render(), after the service's own. `write` must be thread-safe and outlive this object's scrapes.
  void add_section(std::function<void(std::string& out)> write);

 private:
  const std::vector<std::string> routes_;
  mutable std::mutex mutex_;  // guards recorders_ (the list, not the counts) and provisioning
  std::vector<std::unique_ptr<recorder>> recorders_;
  std::vector<std::unique_ptr<labelled_counter>> counters_;  // guarded by mutex_ (the list, not the counts)
  std::atomic<std::uint64_t> calls_rejected_{0};
  std::atomic<std::uint64_t> config_reloads_ok_{0};
  std::atomic<std::uint64_t> config_reloads_failed_{0};
  std::atomic<std::uint64_t> configured_numbers_{0};
  std::atomic<std::uint64_t> sip_headers_omitted_{0};
  std::vector<std::function<void(std::string&)>> sections_;
  struct provisioning {
    std::string api;
    provisioning_state state = provisioning_state::disabled;
    std::string last_error;
  };
  std::vector<provisioning> provisioning_;  // in the order the APIs were named
};

// The Content-Type of render()'s output.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace twiml_redirect::util
