// Caller context end to end, with the real binary: /redirect_call records, /call_context answers
// Synthflow's pre-call action; the memory store, and a real redis-server shared by two instances,
// killed, restarted and frozen under load.

#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/http_test_client.hpp"
#include "support/redis_server.hpp"
#include "support/wait.hpp"

namespace twiml_redirect::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr std::string_view kToken = "ctx-token-for-tests-0123456789abcdef";
const std::string kAuthorization = "Authorization: Bearer " + std::string(kToken) + "\r\n";

std::string sid_of(int n) {
  std::string digits = std::to_string(n);
  return "CA" + std::string(32 - digits.size(), '0') + digits;
}

std::string config_text(const std::string& context) {
  return R"({"server":{"host":"127.0.0.1","port":0,"threads":2,"drain_timeout_ms":2000},
             "synthflow":{"provision_on_start":false},
             "numbers":[{"phone_number":"+14155550100","variables":{"business_name":"Acme Dental"}}],
             "context":)" + context + "}";
}

// The service binary on a loopback port.
class service {
 public:
  explicit service(const std::string& context, std::map<std::string, std::string> env = {})
      : config_("config.json", config_text(context)),
        process_(TWIML_REDIRECT_BINARY, {"serve", "--config", config_.path().string()},
                 clean_env(with_token(std::move(env)))),
        port_(process_.wait_for_listening_port()) {
    EXPECT_NE(port_, 0) << process_.output();
  }

  std::uint16_t port() const { return port_; }
  child_process& process() { return process_; }
  const temp_file& config() const { return config_; }

 private:
  static std::map<std::string, std::string> with_token(std::map<std::string, std::string> env) {
    env.emplace("CALL_CONTEXT_TOKEN", std::string(kToken));
    return env;
  }

  temp_file config_;
  child_process process_;
  std::uint16_t port_;
};

test_response webhook(test_connection& connection, const std::string& call_sid) {
  return connection.request("POST", "/redirect_call",
                            "CallSid=" + call_sid +
                                "&Called=%2B14155550100&To=%2B14155550100&From=%2B15005550006"
                                "&CallerName=Ada+Lovelace&FromCity=SAN+FRANCISCO&FromState=CA&FromZip=94105"
                                "&FromCountry=US&StirVerstat=TN-Validation-Passed-A");
}

test_response lookup(test_connection& connection, const std::string& body, std::string_view headers = kAuthorization) {
  return connection.request("POST", "/call_context", body, "application/json", headers);
}

std::string external_id(const std::string& call_sid) { return R"({"external_id":"E.)" + call_sid + R"(;"})"; }

// What Synthflow fills in on a call it did not place is undocumented (its examples show null or
// None for twilio_call_sid): every field holding a CallSid is tried, in order, until one is found.
TEST(CallContext, EveryCandidateIsTriedAndTheSynthflowCallIdIsLogged) {
  service svc(R"({"store":"memory"})");
  test_connection connection(svc.port());
  ASSERT_EQ(webhook(connection, sid_of(3)).result_int(), 200);
  const test_response none = lookup(
      connection, R"({"call_sid":"{external_id}","twilio_call_sid":"None","external_id":"E.)" + sid_of(3) +
                      R"(;","synthflow_call_id":"sf-call-0042"})");
  ASSERT_EQ(none.result_int(), 200) << none.body();
  EXPECT_EQ(json::parse(none.body())["call_sid"], sid_of(3));
  // A well-formed CallSid the store does not know comes first: the next field still answers.
  const test_response second =
      lookup(connection, R"({"twilio_call_sid":")" + sid_of(4) + R"(","external_id":"E.)" + sid_of(3) + R"(;"})");
  ASSERT_EQ(second.result_int(), 200) << second.body();
  EXPECT_EQ(json::parse(second.body())["call_sid"], sid_of(3));
  // None known: the 404 names the fields tried, not their values.
  const test_response unknown =
      lookup(connection, R"({"twilio_call_sid":")" + sid_of(4) + R"(","external_id":"E.)" + sid_of(5) + R"(;"})");
  EXPECT_EQ(unknown.result_int(), 404);
  EXPECT_EQ(unknown.body(), R"x({"error":"unknown call (looked up the CallSid of: twilio_call_sid, external_id)"})x");
  EXPECT_TRUE(svc.process().wait_for_output("call context served call_sid=" + sid_of(3) + " synthflow_call_id=sf-call-0042", 5s))
      << svc.process().output();
  EXPECT_EQ(svc.process().output().find("Ada Lovelace"), std::string::npos) << "caller data in the log";
}

// Synthflow's Initialize substitutes the variables it is given and calls the URL once: the probe
// value provisioning gives it is answered 200 with every key and empty values, only with the token.
TEST(CallContext, InitializeProbeIsAnsweredWithEveryKeyEmpty) {
  service svc(R"({"store":"memory"})");
  test_connection connection(svc.port());
  const std::string probe = R"({"external_id":"twiml-redirect-initialize-probe","call_sid":"{external_id}",)"
                            R"("twilio_call_sid":"twiml-redirect-initialize-probe","synthflow_call_id":"twiml-redirect-initialize-probe"})";
  const test_response answered = lookup(connection, probe);
  ASSERT_EQ(answered.result_int(), 200) << answered.body();
  const json keys = json::parse(answered.body());
  for (const char* key : {"call_sid", "called_number", "caller_number", "caller_name", "caller_city", "business_name"}) {
    ASSERT_TRUE(keys.contains(key)) << key << " " << answered.body();
    EXPECT_EQ(keys[key], "") << key;
  }
  EXPECT_EQ(lookup(connection, probe, "Authorization: Bearer wrong\r\n").result_int(), 401);
  EXPECT_EQ(lookup(connection, R"({"external_id":"twiml-redirect-initialize-probe-2"})").result_int(), 404);
}

TEST(CallContext, MemoryStoreAnswersTheRecordedCall) {
  service svc(R"({"store":"memory"})");
  test_connection connection(svc.port());
  ASSERT_EQ(webhook(connection, sid_of(1)).result_int(), 200);

  const test_response found = lookup(connection, external_id(sid_of(1)));
  ASSERT_EQ(found.result_int(), 200) << found.body();
  EXPECT_EQ(found[boost::beast::http::field::content_type], "application/json");
  EXPECT_EQ(found[boost::beast::http::field::cache_control], "no-store") << "caller data must not be cached";
  const json answer = json::parse(found.body());
  EXPECT_EQ(answer["call_sid"], sid_of(1));
  EXPECT_EQ(answer["called_number"], "+14155550100");
  EXPECT_EQ(answer["caller_number"], "+15005550006");
  EXPECT_EQ(answer["caller_name"], "Ada Lovelace");
  EXPECT_EQ(answer["caller_city"], "SAN FRANCISCO");
  EXPECT_EQ(answer["forwarded_from"], "");
  EXPECT_EQ(answer["business_name"], "Acme Dental");

  // The other forms of naming the call.
  EXPECT_EQ(lookup(connection, R"({"call_sid":")" + sid_of(1) + "\"}").result_int(), 200);
  EXPECT_EQ(connection.request("POST", "/call_context?call_sid=" + sid_of(1), "", "application/json", kAuthorization)
                .result_int(),
            200);

  const test_response unknown = lookup(connection, external_id(sid_of(2)));
  EXPECT_EQ(unknown.result_int(), 404);
  EXPECT_EQ(unknown.body(), R"x({"error":"unknown call (looked up the CallSid of: external_id)"})x");
  EXPECT_EQ(unknown[boost::beast::http::field::cache_control], "no-store");

  const test_response bad = lookup(connection, R"({"external_id":"<external_id>","call_sid":"S.abc;"})");
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_NE(bad.body().find("call_sid"), std::string::npos) << bad.body();

  // Caller data never reaches the log.
  EXPECT_EQ(svc.process().output().find("Ada"), std::string::npos);
  EXPECT_EQ(svc.process().output().find("15005550006"), std::string::npos);
}

// Variables belong to the routes, so a reload (SIGHUP) changes them, and gives them to a number the
// reload added, for calls answered from then on.
TEST(CallContext, AReloadChangesTheVariablesAndGivesThemToNewNumbers) {
  service svc(R"({"store":"memory"})");
  {
    std::ofstream file(svc.config().path(), std::ios::trunc);
    file << R"({"server":{"host":"127.0.0.1","port":0,"threads":2,"drain_timeout_ms":2000},
               "synthflow":{"provision_on_start":false},"context":{"store":"memory"},
               "numbers":[{"phone_number":"+14155550100","variables":{"business_name":"Acme Dental 2"}},
                          {"phone_number":"+14155550199","variables":{"business_name":"Acme Annex"}}]})";
  }
  svc.process().send_signal(SIGHUP);
  ASSERT_TRUE(svc.process().wait_for_output("config reloaded", 5s)) << svc.process().output();
  EXPECT_EQ(svc.process().output().find("take effect only after a restart"), std::string::npos)
      << "bare numbers and variables need no restart\n" << svc.process().output();
  test_connection connection(svc.port());
  ASSERT_EQ(webhook(connection, sid_of(7)).result_int(), 200);
  ASSERT_EQ(connection.request("POST", "/redirect_call", "CallSid=" + sid_of(8) + "&Called=%2B14155550199").result_int(), 200);
  EXPECT_EQ(json::parse(lookup(connection, external_id(sid_of(7))).body())["business_name"], "Acme Dental 2");
  EXPECT_EQ(json::parse(lookup(connection, external_id(sid_of(8))).body())["business_name"], "Acme Annex");
}

TEST(CallContext, OnlyA200WebhookIsRecorded) {
  service svc(R"({"store":"memory"})");
  test_connection connection(svc.port());
  // Called is not a number of ours to dial: 400, nothing recorded.
  const test_response refused =
      connection.request("POST", "/redirect_call", "CallSid=" + sid_of(3) + "&Called=not-a-number&From=%2B15005550006");
  ASSERT_EQ(refused.result_int(), 400);
  EXPECT_EQ(lookup(connection, external_id(sid_of(3))).result_int(), 404);
}

TEST(CallContext, WithoutTheBearerTokenIs401AndCounted) {
  service svc(R"({"store":"memory"})");
  test_connection connection(svc.port());
  ASSERT_EQ(webhook(connection, sid_of(4)).result_int(), 200);
  for (const std::string_view headers : {std::string_view{}, std::string_view{"Authorization: Bearer wrong\r\n"},
                                         std::string_view{"Authorization: Basic Y3R4OnRva2Vu\r\n"}}) {
    const test_response refused = lookup(connection, external_id(sid_of(4)), headers);
    EXPECT_EQ(refused.result_int(), 401);
    EXPECT_EQ(refused[boost::beast::http::field::www_authenticate], "Bearer");
    EXPECT_EQ(refused.body().find("Ada"), std::string::npos);
  }
  const std::string metrics = connection.request("GET", "/metrics").body();
  EXPECT_NE(metrics.find("twiml_redirect_call_context_refused_total{reason=\"unauthorized\"} 3"), std::string::npos);
  EXPECT_NE(metrics.find("twiml_redirect_call_context_store_up{store=\"memory\"} 1"), std::string::npos);
}

TEST(CallContext, WithoutATokenTheEndpointIs404AndStartupSaysSo) {
  temp_file config("config.json", config_text(R"({"store":"memory"})"));
  child_process process(TWIML_REDIRECT_BINARY, {"serve", "--config", config.path().string()}, clean_env());
  const std::uint16_t port = process.wait_for_listening_port();
  ASSERT_NE(port, 0);
  EXPECT_NE(process.output().find("CALL_CONTEXT_TOKEN is not set: /call_context is not served (404)"), std::string::npos);
  test_connection connection(port);
  EXPECT_EQ(lookup(connection, external_id(sid_of(5))).result_int(), 404);
}

TEST(CallContext, CheckConfigWarnsButPassesWhenRedisIsUnreachable) {
  // A port nothing listens on: connection refused at once.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::uint16_t closed_port = probe.local_endpoint().port();
  probe.close();
  temp_file config("config.json", config_text(R"({"store":"redis","redis_url":"redis://127.0.0.1:)" +
                                              std::to_string(closed_port) + "\"}"));
  const auto result = run_binary({"check-config", "--config", config.path().string()},
                                 clean_env({{"CALL_CONTEXT_REDIS_PASSWORD", "redis-pw-not-to-print"}}));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("warning: cannot reach Redis at 127.0.0.1:" + std::to_string(closed_port)),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("redis-pw-not-to-print"), std::string::npos);
}

std::string redis_context(const redis_server& redis, int ttl_s = 3600, int lookup_timeout_ms = 300) {
  return R"({"store":"redis","redis_url":")" + redis.url() + R"(","ttl_s":)" + std::to_string(ttl_s) +
         R"(,"lookup_timeout_ms":)" + std::to_string(lookup_timeout_ms) + "}";
}

TEST(CallContextRedis, RoundTripAcrossTwoInstances) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  service webhook_side(redis_context(redis));
  service lookup_side(redis_context(redis));
  test_connection to_webhook_side(webhook_side.port());
  test_connection to_lookup_side(lookup_side.port());
  ASSERT_TRUE(wait_until([&] { return lookup(to_lookup_side, external_id(sid_of(6))).result_int() == 404; }, 10s,
                         "the lookup side to reach Redis"));
  ASSERT_EQ(webhook(to_webhook_side, sid_of(6)).result_int(), 200);
  // The write is fire-and-forget: it lands a moment after the webhook's answer.
  ASSERT_TRUE(wait_until([&] { return lookup(to_lookup_side, external_id(sid_of(6))).result_int() == 200; }, 5s,
                         "the record to reach the other instance"));
  const json answer = json::parse(lookup(to_lookup_side, external_id(sid_of(6))).body());
  EXPECT_EQ(answer["caller_name"], "Ada Lovelace");
  EXPECT_EQ(answer["business_name"], "Acme Dental");
  const std::string metrics = to_lookup_side.request("GET", "/metrics").body();
  EXPECT_NE(metrics.find("twiml_redirect_call_context_store_up{store=\"redis\"} 1"), std::string::npos) << metrics;
}

TEST(CallContextRedis, RecordsExpireAfterTheirTtl) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  service svc(redis_context(redis, /*ttl_s=*/1));
  test_connection connection(svc.port());
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(7))).result_int() == 404; }, 10s,
                         "the service to reach Redis"));
  ASSERT_EQ(webhook(connection, sid_of(7)).result_int(), 200);
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(7))).result_int() == 200; }, 5s,
                         "the record to be stored"));
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(7))).result_int() == 404; }, 5s,
                         "the record to expire"));
}

// Webhooks on their own connection, one after another, until stopped: every answer must be 200.
class webhook_load {
 public:
  explicit webhook_load(std::uint16_t port) : thread_([this, port] { run(port); }) {}
  ~webhook_load() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int sent() const { return sent_; }
  int failed() const { return failed_; }
  std::chrono::milliseconds slowest() const { return slowest_.load(); }

 private:
  void run(std::uint16_t port) {
    test_connection connection(port);
    for (int n = 1000; !stop_; ++n) {
      const auto started = std::chrono::steady_clock::now();
      try {
        if (webhook(connection, sid_of(n)).result_int() != 200) ++failed_;
      } catch (const std::exception&) {
        ++failed_;
      }
      slowest_ = std::max(slowest_.load(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - started));
      ++sent_;
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::atomic<int> failed_{0};
  std::atomic<std::chrono::milliseconds> slowest_{0ms};
  std::thread thread_;
};

TEST(CallContextRedis, KilledAndRestartedUnderLoad) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  service svc(redis_context(redis));
  test_connection connection(svc.port());
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(8))).result_int() == 404; }, 10s,
                         "the service to reach Redis"));
  webhook_load load(svc.port());
  ASSERT_TRUE(wait_until([&] { return load.sent() > 50; }, 10s, "webhooks to flow"));

  redis.kill();
  int unavailable = 0;
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(8))).result_int() == 503; }, 5s,
                         "lookups to answer 503 while Redis is down"));
  for (int i = 0; i < 20; ++i) unavailable += lookup(connection, external_id(sid_of(8))).result_int() == 503;
  EXPECT_EQ(unavailable, 20);
  const int sent_while_down_start = load.sent();
  ASSERT_TRUE(wait_until([&] { return load.sent() > sent_while_down_start + 50; }, 10s, "webhooks while Redis is down"));

  const auto restarted = std::chrono::steady_clock::now();
  redis.restart();
  ASSERT_EQ(webhook(connection, sid_of(9)).result_int(), 200);
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(9))).result_int() == 200; }, 15s,
                         "lookups to answer 200 after Redis is back"));
  const auto recovery = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted);
  load.stop();
  EXPECT_EQ(load.failed(), 0);
  std::cout << "[ figures ] webhooks " << load.sent() << ", failed " << load.failed() << ", slowest "
            << load.slowest().count() << " ms; lookups 503 while down: " << unavailable + 1
            << "; 200 again " << recovery.count() << " ms after the restart\n";
  const std::string metrics = connection.request("GET", "/metrics").body();
  EXPECT_NE(metrics.find("twiml_redirect_call_context_reconnects_total 1"), std::string::npos) << metrics;
  // Readiness does not depend on Redis: webhooks work without it.
  EXPECT_EQ(connection.request("GET", "/readyz").result_int(), 200);
}

TEST(CallContextRedis, FrozenRedisLeavesWebhooksAloneAndLookupsMeetTheirDeadline) {
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps --dev)";
  redis_server redis;
  service svc(redis_context(redis, 3600, /*lookup_timeout_ms=*/300));
  test_connection connection(svc.port());
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(10))).result_int() == 404; }, 10s,
                         "the service to reach Redis"));
  redis.freeze();
  webhook_load load(svc.port());
  std::chrono::milliseconds slowest_lookup{0};
  for (int i = 0; i < 5; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(lookup(connection, external_id(sid_of(10))).result_int(), 503);
    slowest_lookup = std::max(slowest_lookup, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - started));
  }
  ASSERT_TRUE(wait_until([&] { return load.sent() > 100; }, 10s, "webhooks while Redis is frozen"));
  // The open-but-silent connection is noticed by the health PING (1 s, then 1 s to answer): the
  // store is reported down instead of up for as long as the freeze lasts.
  ASSERT_TRUE(wait_until(
      [&] {
        return http_get(svc.port(), "/metrics").body().find("twiml_redirect_call_context_store_up{store=\"redis\"} 0") !=
               std::string::npos;
      },
      10s, "the frozen Redis to be marked down"));
  EXPECT_TRUE(svc.process().wait_for_output("did not answer PING within 1000 ms", 5s)) << svc.process().output();
  load.stop();
  redis.thaw();
  ASSERT_TRUE(wait_until([&] { return lookup(connection, external_id(sid_of(10))).result_int() == 404; }, 15s,
                         "the service to reconnect once Redis answers again"));
  EXPECT_EQ(load.failed(), 0);
  // The deadline is 300 ms; the margin is for a loaded test machine, far below a blocked thread's seconds.
  EXPECT_LT(slowest_lookup, 1500ms);
  EXPECT_LT(load.slowest(), 1000ms);
  std::cout << "[ figures ] frozen Redis: webhooks " << load.sent() << ", failed " << load.failed() << ", slowest "
            << load.slowest().count() << " ms; slowest 503 lookup " << slowest_lookup.count() << " ms (deadline 300)\n";
}

}  // namespace
}  // namespace twiml_redirect::testing
