-- wrk "done" hook shared by every bench/run scenario: one machine-readable line that bench/run
-- parses, so it never has to scrape wrk's human summary. Latencies are in microseconds.
-- summary.errors.status counts answers with a status above 399 (wrk's "Non-2xx or 3xx").
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
