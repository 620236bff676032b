#include "twiml_redirect/context/store.hpp"

#include <hiredis/hiredis.h>

#include <memory>

#include "twiml_redirect/context/memory_store.hpp"
#include "twiml_redirect/context/redis_store.hpp"

namespace twiml_redirect::context {
namespace {

redis_store::settings redis_settings(const config::context_config& config) {
  auto url = util::parse_redis_url(config.redis_url);
  if (!url) throw config::config_error("context.redis_url: " + url.error());
  redis_store::settings settings;
  settings.url = std::move(*url);
  settings.password = config.redis_password;
  settings.ttl = std::chrono::seconds(config.ttl_s);
  settings.lookup_timeout = config.lookup_timeout;
  return settings;
}

// The error of a synchronous command, or nullopt when Redis answered it.
std::optional<std::string> command_error(redisContext* c, const char* name, std::vector<std::string> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) return std::string(name) + " failed: " + c->errstr;
  std::optional<std::string> problem;
  if (reply->type == REDIS_REPLY_ERROR) problem = std::string(name) + " refused: " + std::string(reply->str, reply->len);
  freeReplyObject(reply);
  return problem;
}

}  // namespace

std::unique_ptr<call_store> make_store(const config::context_config& config) {
  if (config.store == config::context_store::redis) return std::make_unique<redis_store>(redis_settings(config));
  return std::make_unique<memory_store>(config.max_entries, std::chrono::seconds(config.ttl_s), std::chrono::seconds(1),
                                        config.max_bytes);
}

std::optional<std::string> probe_store(const config::context_config& config, std::chrono::milliseconds timeout) {
  if (config.store != config::context_store::redis) return std::nullopt;
  const redis_store::settings settings = redis_settings(config);
  const std::string where = "Redis at " + settings.url.host + ":" + std::to_string(settings.url.port);
  const timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  const std::unique_ptr<redisContext, void (*)(redisContext*)> c(
      redisConnectWithTimeout(settings.url.host.c_str(), settings.url.port, tv), redisFree);
  if (!c) return "cannot reach " + where + ": out of memory";
  if (c->err) return "cannot reach " + where + ": " + c->errstr + " (webhooks work; /call_context answers 503 until it is up)";
  redisSetTimeout(c.get(), tv);
  std::optional<std::string> problem;
  if (!settings.password.empty())
    problem = settings.url.user.empty() ? command_error(c.get(), "AUTH", {"AUTH", settings.password})
                                        : command_error(c.get(), "AUTH", {"AUTH", settings.url.user, settings.password});
  if (!problem && settings.url.db != 0)
    problem = command_error(c.get(), "SELECT", {"SELECT", std::to_string(settings.url.db)});
  if (!problem) problem = command_error(c.get(), "PING", {"PING"});
  if (problem) return where + ": " + *problem;
  return std::nullopt;
}

}  // namespace twiml_redirect::context
