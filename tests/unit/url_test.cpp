// One URL parser for config validation and the outbound client.

#include <gtest/gtest.h>

#include "twiml_redirect/util/url.hpp"

namespace twiml_redirect::util {
namespace {

TEST(HttpUrl, ParsesApiUrls) {
  auto e = parse_http_url("https://api.synthflow.ai/v2");
  ASSERT_TRUE(e) << e.error();
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->host, "api.synthflow.ai");
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->base_path, "/v2");

  e = parse_http_url("http://127.0.0.1:8080/v2/");
  ASSERT_TRUE(e) << e.error();
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->base_path, "/v2");

  e = parse_http_url("https://[::1]:9443");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->base_path, "");
}

TEST(HttpUrl, RejectsUnusableApiUrls) {
  EXPECT_FALSE(parse_http_url("api.synthflow.ai/v2"));
  EXPECT_FALSE(parse_http_url("ftp://api.synthflow.ai/v2"));
  EXPECT_FALSE(parse_http_url("https://user:pw@api.synthflow.ai/v2"));
  EXPECT_FALSE(parse_http_url("https://api.synthflow.ai/v2?x=1"));
  EXPECT_FALSE(parse_http_url("https:///v2"));
  EXPECT_FALSE(parse_http_url("https://api.synthflow.ai:0/v2"));
}

TEST(HttpUrl, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.3.2.1"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("api.synthflow.ai"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.example"));
}

TEST(HttpUrl, RejectsWhatTheClientCannotUse) {
  EXPECT_FALSE(parse_http_url("https://api.synthflow.ai:99999/v2"));
  EXPECT_FALSE(parse_http_url("https://api.synthflow.ai:/v2"));
  EXPECT_FALSE(parse_http_url("https://u@api.synthflow.ai/v2"));
  EXPECT_FALSE(parse_http_url("https://api.synthflow.ai/v2#frag"));
  EXPECT_FALSE(parse_http_url(""));
}

TEST(HttpUrl, NamesHostAndPort) {
  EXPECT_EQ(host_and_port(*parse_http_url("https://api.synthflow.ai/v2")), "api.synthflow.ai:443");
  EXPECT_EQ(host_and_port(*parse_http_url("http://[::1]:8080")), "[::1]:8080");
}

}  // namespace
}  // namespace twiml_redirect::util

TEST(RedisUrl, ParsesHostPortUserAndDatabase) {
  auto plain = twiml_redirect::util::parse_redis_url("redis://cache");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->host, "cache");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0u);
  EXPECT_EQ(plain->user, "");

  auto full = twiml_redirect::util::parse_redis_url("redis://app@10.0.0.5:6380/2");
  ASSERT_TRUE(full) << full.error();
  EXPECT_EQ(full->user, "app");
  EXPECT_EQ(full->host, "10.0.0.5");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 2u);

  auto v6 = twiml_redirect::util::parse_redis_url("redis://[::1]:7000/");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
}

TEST(RedisUrl, RefusesPasswordsTlsAndJunk) {
  auto with_password = twiml_redirect::util::parse_redis_url("redis://app:hunter2@cache:6379");
  ASSERT_FALSE(with_password);
  EXPECT_NE(with_password.error().find("CALL_CONTEXT_REDIS_PASSWORD"), std::string::npos);
  EXPECT_EQ(with_password.error().find("hunter2"), std::string::npos);
  EXPECT_FALSE(twiml_redirect::util::parse_redis_url("rediss://cache:6379"));
  EXPECT_FALSE(twiml_redirect::util::parse_redis_url("http://cache:6379"));
  EXPECT_FALSE(twiml_redirect::util::parse_redis_url("redis://cache:0"));
  EXPECT_FALSE(twiml_redirect::util::parse_redis_url("redis://cache:6379/db1"));
  EXPECT_FALSE(twiml_redirect::util::parse_redis_url("redis://cache:6379?x=1"));
  EXPECT_FALSE(twiml_redirect::util::parse_redis_url("cache:6379"));
}
