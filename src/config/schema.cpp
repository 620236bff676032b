// The configuration's keys, each described once. A row names the key, the struct member it fills
// (whose type gives the key's type and whose default-constructed value is the key's default), and
// its options: range, allowed values, environment variable, secret, required, an extra check and a
// one-line help. Reading, environment overrides, per-key validation, describe_config and the
// `check-config --schema` listing are all walks over these tables; cross-key rules live in config.cpp.
//
// Adding a key: the member in include/twiml_redirect/config/config.hpp, one row below. A new nested
// object or list of objects: its struct, a table function like number_table(), and the row that
// points at it.

#include "schema.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <concepts>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>

#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/sip_uri.hpp"
#include "twiml_redirect/twilio/caller_variables.hpp"
#include "twiml_redirect/twilio/shared_keys.hpp"
#include "twiml_redirect/twilio/transfer.hpp"
#include "twiml_redirect/util/cidr.hpp"
#include "twiml_redirect/util/url.hpp"

namespace twiml_redirect::config::schema {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw config_error(where + ": " + problem);
}

enum class value_type {
  string, boolean, integer, milliseconds, fraction, enumeration, string_list, string_map, object, object_list, json_object
};

const char* type_name(value_type type) {
  switch (type) {
    case value_type::string: return "string";
    case value_type::boolean: return "bool";
    case value_type::integer: return "integer";
    case value_type::milliseconds: return "milliseconds";
    case value_type::fraction: return "fraction";
    case value_type::enumeration: return "enum";
    case value_type::string_list: return "string list";
    case value_type::string_map: return "string map";
    case value_type::object: return "object";
    case value_type::object_list: return "object list";
    case value_type::json_object: return "json object";
  }
  return "?";
}

// A check beyond the type (of a string, or of each item of a string list): the problem, or nullopt.
using check_fn = std::optional<std::string> (*)(const std::string& value);
// Rewrites an accepted string into its canonical form.
using normalize_fn = void (*)(std::string& value);

struct options {
  std::string env{};              // the environment variable that overrides the key
  std::string_view env_named_by{};  // a sibling key holding the name of the variable that sets this one
  bool secret = false;            // only from the environment, never from the file; printed redacted
  bool required = false;          // must be in the file (strings: and not empty)
  std::uint64_t min = 0;          // integers and milliseconds
  std::uint64_t max = 0;
  std::vector<std::string> allowed{};  // strings with a fixed set of values (filled in for enums)
  check_fn check = nullptr;
  check_fn key_check = nullptr;  // string maps: a check of each key (`check` is each value's)
  normalize_fn normalize = nullptr;
  // A SIGHUP reload puts a change of this key (and of everything under it) in force: it is read
  // per call. Every other key is read once at startup, and a reload names it as needing a restart.
  bool reloadable = false;
  std::string help{};
};

struct table;

// One row, with its member access type-erased so that every table is a plain vector of rows.
struct field {
  std::string key;
  value_type type = value_type::string;
  options opts;
  json default_value;             // the key's value in a default-constructed struct
  const table* nested = nullptr;  // objects and object lists
  // From the file: `value` is the key's JSON value, `path` its full key path for messages.
  std::function<void(void* object, const json& value, const std::string& path)> read;
  // From the environment: `where` names the variable and the key.
  std::function<void(void* object, const std::string& text, const std::string& where)> read_text;
  // The value as describe_config shows it (before redaction).
  std::function<json(const void* object)> describe;
  // The nested structs: the object, or each element of the list.
  std::function<std::vector<void*>(void* object)> children;
};

struct table {
  std::string noun;  // what one object is, for messages: "number" -> "an array of number objects"
  std::vector<field> fields;
};

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string range_problem(const options& opts) {
  return "must be an integer from " + std::to_string(opts.min) + " to " + std::to_string(opts.max);
}

std::string allowed_problem(const std::vector<std::string>& allowed, const std::string& got) {
  std::string list;
  if (allowed.size() == 2) {
    list = "\"" + allowed[0] + "\" or \"" + allowed[1] + "\"";
  } else {
    list = "one of ";
    for (std::size_t i = 0; i < allowed.size(); ++i) list += (i ? ", " : "") + allowed[i];
  }
  return "must be " + list + " (got \"" + got + "\")";
}

// Digits only: no sign, no spaces, no hex; nullopt also on overflow.
std::optional<std::uint64_t> parse_unsigned(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

void set_string(std::string& out, const std::string& value, const options& opts, const std::string& where) {
  if (opts.required && value.empty()) fail(where, "must not be empty");
  if (!opts.allowed.empty() && std::find(opts.allowed.begin(), opts.allowed.end(), value) == opts.allowed.end())
    fail(where, allowed_problem(opts.allowed, value));
  if (opts.check)
    if (auto problem = opts.check(value)) fail(where, *problem);
  out = value;
  if (opts.normalize) opts.normalize(out);
}

void read_object(const table& t, const json& value, void* object, const std::string& path);
json describe_object(const table& t, const void* object);

// The value of an optional key while its plain row reads or describes it.
template <typename T>
struct holder {
  T value{};
};

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

std::optional<std::string> check_api_url(const std::string& url);

// Builds the table of struct S, one add() per key; the member pointer's type picks the key's type.
template <typename S>
class builder {
 public:
  explicit builder(std::string noun) { table_.noun = std::move(noun); }

  // A string, or an enum of strings when opts.allowed is set.
  builder& add(std::string key, std::string S::*member, options opts) {
    field f = make(std::move(key), opts.allowed.empty() ? value_type::string : value_type::enumeration, opts);
    f.read = [member, opts](void* object, const json& value, const std::string& path) {
      if (!value.is_string()) fail(path, "must be a string");
      set_string(static_cast<S*>(object)->*member, value.get<std::string>(), opts, path);
    };
    f.read_text = [member, opts](void* object, const std::string& text, const std::string& where) {
      set_string(static_cast<S*>(object)->*member, text, opts, where);
    };
    f.describe = [member](const void* object) { return json(static_cast<const S*>(object)->*member); };
    return push(std::move(f));
  }

  builder& add(std::string key, bool S::*member, options opts) {
    field f = make(std::move(key), value_type::boolean, opts);
    f.read = [member](void* object, const json& value, const std::string& path) {
      if (!value.is_boolean()) fail(path, "must be true or false");
      static_cast<S*>(object)->*member = value.get<bool>();
    };
    f.read_text = [member](void* object, const std::string& text, const std::string& where) {
      if (text != "true" && text != "false") fail(where, "must be true or false");
      static_cast<S*>(object)->*member = text == "true";
    };
    f.describe = [member](const void* object) { return json(static_cast<const S*>(object)->*member); };
    return push(std::move(f));
  }

  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  builder& add(std::string key, T S::*member, options opts) {
    if (opts.max > std::numeric_limits<T>::max()) throw std::logic_error("config key " + key + ": max beyond its type");
    field f = make(std::move(key), value_type::integer, opts);
    f.read = [member, opts](void* object, const json& value, const std::string& path) {
      static_cast<S*>(object)->*member = static_cast<T>(checked_integer(value, opts, path));
    };
    f.read_text = [member, opts](void* object, const std::string& text, const std::string& where) {
      static_cast<S*>(object)->*member = static_cast<T>(checked_integer(text, opts, where));
    };
    f.describe = [member](const void* object) { return json(static_cast<const S*>(object)->*member); };
    return push(std::move(f));
  }

  // A share from 0.0 to 1.0 (a JSON number; the environment's text in the same decimal form).
  builder& add(std::string key, double S::*member, options opts) {
    field f = make(std::move(key), value_type::fraction, opts);
    const auto set = [member](void* object, double value, const std::string& where) {
      if (!(value >= 0.0 && value <= 1.0)) fail(where, "must be a number from 0.0 to 1.0");
      static_cast<S*>(object)->*member = value;
    };
    f.read = [set](void* object, const json& value, const std::string& path) {
      if (!value.is_number()) fail(path, "must be a number from 0.0 to 1.0");
      set(object, value.get<double>(), path);
    };
    f.read_text = [set](void* object, const std::string& text, const std::string& where) {
      double value = -1.0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        fail(where, "must be a number from 0.0 to 1.0");
      set(object, value, where);
    };
    f.describe = [member](const void* object) { return json(static_cast<const S*>(object)->*member); };
    return push(std::move(f));
  }

  builder& add(std::string key, std::chrono::milliseconds S::*member, options opts) {
    field f = make(std::move(key), value_type::milliseconds, opts);
    f.read = [member, opts](void* object, const json& value, const std::string& path) {
      static_cast<S*>(object)->*member = std::chrono::milliseconds(checked_integer(value, opts, path));
    };
    f.read_text = [member, opts](void* object, const std::string& text, const std::string& where) {
      static_cast<S*>(object)->*member = std::chrono::milliseconds(checked_integer(text, opts, where));
    };
    f.describe = [member](const void* object) { return json((static_cast<const S*>(object)->*member).count()); };
    return push(std::move(f));
  }

  // The six keys of an api_transport section (S derives from it), the same for every REST API:
  // `api` names it in the help texts, `url_env` overrides api_url, `url_example` ends its help.
  builder& add_api_transport(const std::string& api, std::string url_env, const std::string& url_example)
    requires std::derived_from<S, api_transport>
  {
    add("api_url", static_cast<std::string S::*>(&api_transport::api_url),
        {.env = std::move(url_env), .check = check_api_url,
         .help = api + " REST API base URL (no credentials, query or port 0); " + url_example});
    add("ca_file", static_cast<std::string S::*>(&api_transport::ca_file),
        {.help = "extra CA bundle (PEM) for the " + api + " API, for a private CA; `SSL_CERT_FILE` works too"});
    add("request_timeout_ms", static_cast<std::chrono::milliseconds S::*>(&api_transport::request_timeout),
        {.min = 100, .max = 600'000, .help = "deadline of each " + api + " API call (connect, TLS, answer)"});
    add("max_attempts", static_cast<unsigned S::*>(&api_transport::max_attempts),
        {.min = 1, .max = 100, .help = "attempts per " + api + " API call on transient failures (timeouts, 429, 5xx)"});
    add("initial_backoff_ms", static_cast<std::chrono::milliseconds S::*>(&api_transport::initial_backoff),
        {.min = 0, .max = 600'000, .help = "first retry delay of a " + api + " API call; doubles with jitter"});
    return add("max_backoff_ms", static_cast<std::chrono::milliseconds S::*>(&api_transport::max_backoff),
               {.min = 0, .max = 3'600'000, .help = "cap on the " + api + " API's retry delay"});
  }

  // An enum member, spelled in the file as one of `names`.
  template <typename E>
  builder& add_enum(std::string key, E S::*member, std::vector<std::pair<std::string, E>> names, options opts) {
    for (const auto& [name, value] : names) opts.allowed.push_back(name);
    field f = make(std::move(key), value_type::enumeration, opts);
    const auto set = [member, names, opts](void* object, const std::string& text, const std::string& where) {
      for (const auto& [name, value] : names)
        if (name == text) {
          static_cast<S*>(object)->*member = value;
          return;
        }
      fail(where, allowed_problem(opts.allowed, text));
    };
    f.read = [set](void* object, const json& value, const std::string& path) {
      if (!value.is_string()) fail(path, "must be a string");
      set(object, value.get<std::string>(), path);
    };
    f.read_text = set;
    f.describe = [member, names](const void* object) {
      for (const auto& [name, value] : names)
        if (value == static_cast<const S*>(object)->*member) return json(name);
      return json(nullptr);
    };
    return push(std::move(f));
  }

  // A JSON array of strings; opts.check applies to each item. Not settable from the environment.
  builder& add(std::string key, std::vector<std::string> S::*member, options opts) {
    field f = make(std::move(key), value_type::string_list, opts);
    f.read = [member, opts](void* object, const json& value, const std::string& path) {
      if (!value.is_array()) fail(path, "must be an array of strings");
      std::vector<std::string> items;
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string where = path + "[" + std::to_string(i) + "]";
        if (!value[i].is_string()) fail(where, "must be a string");
        items.emplace_back();
        set_string(items.back(), value[i].get<std::string>(), opts, where);
      }
      static_cast<S*>(object)->*member = std::move(items);
    };
    f.describe = [member](const void* object) { return json(static_cast<const S*>(object)->*member); };
    return push(std::move(f));
  }

  // A JSON object of strings, e.g. {"X-Tenant":"acme"}; opts.key_check applies to each key and the
  // string options (check, allowed, required) to each value. Not settable from the environment.
  builder& add(std::string key, std::map<std::string, std::string> S::*member, options opts) {
    field f = make(std::move(key), value_type::string_map, opts);
    f.read = [member, opts](void* object, const json& value, const std::string& path) {
      if (!value.is_object()) fail(path, "must be a JSON object of strings");
      std::map<std::string, std::string> items;
      for (const auto& [name, item] : value.get<std::map<std::string, json>>()) {
        const std::string where = path + "." + name;
        if (opts.key_check)
          if (auto problem = opts.key_check(name)) fail(where, *problem);
        if (!item.is_string()) fail(where, "must be a string");
        set_string(items[name], item.template get<std::string>(), opts, where);
      }
      static_cast<S*>(object)->*member = std::move(items);
    };
    f.describe = [member](const void* object) { return json(static_cast<const S*>(object)->*member); };
    return push(std::move(f));
  }

  // A nested object described by its own table.
  template <typename T>
  builder& add(std::string key, T S::*member, const table& nested, options opts) {
    field f = make(std::move(key), value_type::object, opts);
    f.nested = &nested;
    f.read = [member, &nested](void* object, const json& value, const std::string& path) {
      read_object(nested, value, &(static_cast<S*>(object)->*member), path);
    };
    f.describe = [member, &nested](const void* object) {
      return describe_object(nested, &(static_cast<const S*>(object)->*member));
    };
    f.children = [member](void* object) { return std::vector<void*>{&(static_cast<S*>(object)->*member)}; };
    return push(std::move(f));
  }

  // A JSON array of objects, each described by `nested`; the file's array replaces the default.
  template <typename T>
  builder& add(std::string key, std::vector<T> S::*member, const table& nested, options opts) {
    field f = make(std::move(key), value_type::object_list, opts);
    f.nested = &nested;
    f.read = [member, &nested](void* object, const json& value, const std::string& path) {
      if (!value.is_array()) fail(path, "must be an array of " + nested.noun + " objects");
      std::vector<T> items(value.size());
      for (std::size_t i = 0; i < value.size(); ++i)
        read_object(nested, value[i], &items[i], path + "[" + std::to_string(i) + "]");
      static_cast<S*>(object)->*member = std::move(items);
    };
    f.describe = [member, &nested](const void* object) {
      json items = json::array();
      for (const T& item : static_cast<const S*>(object)->*member) items.push_back(describe_object(nested, &item));
      return items;
    };
    f.children = [member](void* object) {
      std::vector<void*> items;
      for (T& item : static_cast<S*>(object)->*member) items.push_back(&item);
      return items;
    };
    return push(std::move(f));
  }

  // A free-form JSON object, kept as its text (see agent_config::extra).
  builder& add_json(std::string key, std::string S::*member, options opts) {
    field f = make(std::move(key), value_type::json_object, opts);
    const std::string problem = "must be a JSON object of " + table_.noun + " fields";
    f.read = [member, problem](void* object, const json& value, const std::string& path) {
      if (!value.is_object()) fail(path, problem);
      static_cast<S*>(object)->*member = value.dump();
    };
    f.read_text = [member, problem](void* object, const std::string& text, const std::string& where) {
      const json value = json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
      if (!value.is_object()) fail(where, problem);
      static_cast<S*>(object)->*member = value.dump();
    };
    f.describe = [member](const void* object) {
      const std::string& text = static_cast<const S*>(object)->*member;
      json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
      return value.is_discarded() ? json(text) : value;  // a hand-built config may hold anything
    };
    return push(std::move(f));
  }

  // An optional key of any type above: absent from the file, it stays unset and describes as null,
  // which lets a number's own value win over the top-level one only where the number has one. The
  // row is the plain type's row, read into a holder and moved over. Not settable from the environment.
  template <typename T>
  builder& add(std::string key, std::optional<T> S::*member, options opts) {
    return add_optional(key, member, builder<holder<T>>(table_.noun).add(key, &holder<T>::value, opts));
  }

  template <typename T>
  builder& add(std::string key, std::optional<T> S::*member, const table& nested, options opts) {
    return add_optional(key, member, builder<holder<T>>(table_.noun).add(key, &holder<T>::value, nested, opts));
  }

  table build() { return std::move(table_); }

 private:
  template <typename T>
  builder& add_optional(std::string key, std::optional<T> S::*member, builder<holder<T>>& plain) {
    field inner = plain.build().fields.front();
    if (!inner.opts.env.empty() || inner.opts.required)
      throw std::logic_error("config key " + key + ": an optional key has no env variable and is not required");
    field f = make(std::move(key), inner.type, inner.opts);
    f.nested = inner.nested;
    f.read = [read = inner.read, member](void* object, const json& value, const std::string& path) {
      // null is "unset", as describe_config shows it, so its output reads back as the same config.
      if (value.is_null()) {
        (static_cast<S*>(object)->*member).reset();
        return;
      }
      holder<T> parsed;
      read(&parsed, value, path);
      static_cast<S*>(object)->*member = std::move(parsed.value);
    };
    f.describe = [describe = inner.describe, member](const void* object) -> json {
      const std::optional<T>& value = static_cast<const S*>(object)->*member;
      if (!value) return nullptr;
      const holder<T> copy{*value};
      return describe(&copy);
    };
    if (inner.nested) {
      f.children = [member](void* object) {
        std::vector<void*> children;
        std::optional<T>& value = static_cast<S*>(object)->*member;
        if constexpr (is_vector<T>::value) {
          if (value)
            for (auto& item : *value) children.push_back(&item);
        } else {
          if (value) children.push_back(&*value);
        }
        return children;
      };
    }
    return push(std::move(f));
  }

  static std::uint64_t checked_integer(const json& value, const options& opts, const std::string& where) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() < opts.min || value.get<std::uint64_t>() > opts.max)
      fail(where, range_problem(opts));
    return value.get<std::uint64_t>();
  }

  static std::uint64_t checked_integer(const std::string& text, const options& opts, const std::string& where) {
    const auto value = parse_unsigned(text);
    if (!value || *value < opts.min || *value > opts.max) fail(where, range_problem(opts));
    return *value;
  }

  field make(std::string key, value_type type, const options& opts) {
    if (std::any_of(table_.fields.begin(), table_.fields.end(), [&](const field& f) { return f.key == key; }))
      throw std::logic_error("config key " + key + " is listed twice");
    field f;
    f.key = std::move(key);
    f.type = type;
    f.opts = opts;
    return f;
  }

  builder& push(field f) {
    if (f.opts.secret && (f.type != value_type::string || (f.opts.env.empty() && f.opts.env_named_by.empty())))
      throw std::logic_error("config key " + f.key + ": a secret is a string from the environment");
    if ((!f.opts.env.empty() || !f.opts.env_named_by.empty()) && !f.read_text)
      throw std::logic_error("config key " + f.key + ": this type cannot come from the environment");
    if (f.type != value_type::object) {
      const S defaults{};
      f.default_value = f.describe(&defaults);
    }
    table_.fields.push_back(std::move(f));
    return *this;
  }

  table table_;
};

// Per-key checks.

std::optional<std::string> check_ip_address(const std::string& text) {
  std::array<unsigned char, 16> buffer{};
  if (inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 || inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1)
    return std::nullopt;
  return "must be an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::)";
}

std::optional<std::string> check_sip_target(const std::string& text) { return twilio::check_sip_target(text); }

std::optional<std::string> check_e164(const std::string& text) { return twilio::check_called(text); }

std::optional<std::string> check_cidr(const std::string& text) {
  if (util::parse_cidr(text)) return std::nullopt;
  return "must be an IP address or CIDR such as 10.0.0.0/8 (got \"" + text + "\")";
}

std::optional<std::string> check_env_var_name(const std::string& name) {
  const bool valid = name.empty() || ((name.front() < '0' || name.front() > '9') &&
                                      std::all_of(name.begin(), name.end(), [](char c) {
                                        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                               (c >= '0' && c <= '9') || c == '_';
                                      }));
  if (valid) return std::nullopt;
  return "must be the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*)";
}

// A name of a number's own prompt variable: a plain identifier that is not one of the caller's.
std::optional<std::string> check_variable_name(const std::string& name) {
  const bool identifier = !name.empty() && name.size() <= 64 && (name.front() < '0' || name.front() > '9') &&
                          std::all_of(name.begin(), name.end(), [](char c) {
                            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                   c == '_';
                          });
  if (!identifier) return "must be a variable name of up to 64 characters ([A-Za-z_][A-Za-z0-9_]*)";
  if (twilio::is_caller_variable(name))
    return "is a caller variable /call_context fills from the webhook; choose another name";
  return std::nullopt;
}

std::optional<std::string> check_redis_url(const std::string& url) {
  if (url.empty()) return std::nullopt;
  auto parsed = util::parse_redis_url(url);
  if (!parsed) return parsed.error();
  return std::nullopt;
}

// The same parser the outbound client uses, so a URL that passes check-config works in serve.
std::optional<std::string> check_api_url(const std::string& url) {
  auto parsed = util::parse_http_url(url);
  if (!parsed) return parsed.error();
  return std::nullopt;
}

// The URL Twilio calls, up to where the request target starts: scheme, host, optional port and an
// optional path prefix (a proxy that maps https://example.com/voice/... to this service).
std::optional<std::string> check_public_url(const std::string& url) {
  if (url.empty()) return std::nullopt;  // derived per request
  const std::size_t scheme_end = url.find("://");
  const std::string_view scheme = scheme_end == std::string::npos ? "" : std::string_view(url).substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "must start with http:// or https://";
  if (url.find_first_of(" \t\r\n") != std::string::npos) return "must not contain whitespace";
  const std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return "has no host";
  if (authority.find('@') != std::string_view::npos)
    return "must not carry credentials (user:password@); secrets come from the environment";
  if (rest.find_first_of("?#") != std::string_view::npos) return "must not have a query or fragment";
  // The parser the client uses catches the rest (a bad port, a malformed host).
  if (auto parsed = util::parse_http_url(url); !parsed) return parsed.error();
  return std::nullopt;
}

std::optional<std::string> check_transfer_pattern(const std::string& text) { return twilio::check_transfer_pattern(text); }

std::optional<std::string> check_sip_header_name(const std::string& name) { return twilio::check_sip_header_name(name); }

std::optional<std::string> check_sip_header_value(const std::string& value) { return twilio::check_sip_header_value(value); }

// Words Twilio speaks: any text without control characters, short enough to be a prompt.
std::optional<std::string> check_spoken_text(const std::string& text) {
  if (text.empty()) return "must not be empty";
  if (text.size() > 4096) return "must be at most 4096 bytes";
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return "must not contain control characters (line breaks, tabs)";
  return std::nullopt;
}

// A voice or language name as Twilio spells them: "Polly.Joanna", "Google.en-US-Standard-C", "en-US".
std::optional<std::string> check_name_token(const std::string& text) {
  const bool ok = !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
  if (ok) return std::nullopt;
  return "must be 1 to 64 letters, digits, '.', '-' or '_'";
}

// An absolute URL Twilio fetches TwiML from.
std::optional<std::string> check_twiml_url(const std::string& url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return "must be an absolute http:// or https:// URL";
  if (url.size() > 2048) return "must be at most 2048 characters";
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return "must not contain spaces or control characters";
  const std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return "has no host";
  if (authority.find('@') != std::string_view::npos) return "must not carry credentials (user:password@)";
  return std::nullopt;
}

// A VoiceFallbackUrl: empty leaves the number's as it is.
std::optional<std::string> check_fallback_url(const std::string& url) {
  return url.empty() ? std::nullopt : check_twiml_url(url);
}

// "AC" and 32 hex digits: Twilio's account SID, part of every API path.
std::optional<std::string> check_account_sid(const std::string& sid) {
  const bool valid = sid.empty() || (sid.size() == 34 && sid.starts_with("AC") &&
                                     std::all_of(sid.begin() + 2, sid.end(), [](char c) {
                                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                                     }));
  if (valid) return std::nullopt;
  return "must be AC followed by 32 hexadecimal digits (the Account SID on the Twilio Console's home page)";
}

// Twilio's docs warn against special characters in webhook credentials (they travel in the URL):
// RFC 3986 unreserved characters only, so no escaping can differ between the two ends.
std::optional<std::string> check_webhook_credential(const std::string& text) {
  const bool unreserved = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  });
  if (unreserved) return std::nullopt;
  return "may contain only letters, digits, '-', '.', '_' and '~' (Twilio sends it inside the webhook URL)";
}

std::optional<std::string> check_shared_keys(const std::string& text) {
  twilio::shared_keys_parse parsed = twilio::parse_shared_keys(text);
  if (parsed.error.empty()) return std::nullopt;
  return std::move(parsed.error);
}

// The request target, which starts with '/', is appended to the public URL when signing.
void drop_trailing_slashes(std::string& url) {
  while (url.ends_with('/')) url.pop_back();
}

// The tables. Help texts are docs/configuration.md's (scripts/config-table writes its table from them).

const table& agent_table() {
  static const table agent =
      builder<agent_config>("agent")
          .add("name", &agent_config::name, {.required = true, .help = "agent name"})
          .add("prompt", &agent_config::prompt, {.help = "the agent's prompt"})
          .add("greeting_message", &agent_config::greeting_message, {.help = "what the agent says first"})
          .add("llm", &agent_config::llm, {.help = "the agent's LLM, e.g. `gpt-4.1`"})
          .add("language", &agent_config::language, {.help = "the agent's language, e.g. `en-US`"})
          .add("voice_id", &agent_config::voice_id, {.help = "the agent's voice"})
          .add("voice_engine_version", &agent_config::voice_engine_version,
               {.help = "as Synthflow's direct-dialing guide asks"})
          .add_json("extra", &agent_config::extra,
                    {.help = "any other documented agent field (e.g. `timezone`), passed through as is"})
          .build();
  return agent;
}

const table& dial_table() {
  static const table dial =
      builder<dial_config>("dial")
          .add("timeout_s", &dial_config::timeout_s,
               {.min = 5, .max = 600, .help = "seconds the agent's side may ring before `no-answer` (Twilio adds 5)"})
          .add("answer_on_bridge", &dial_config::answer_on_bridge,
               {.help = "the caller hears ringing until the agent answers; also keeps the caller when a transfer "
                        "is not answered"})
          .add("time_limit_s", &dial_config::time_limit_s,
               {.min = 1, .max = 86'400, .help = "longest call in seconds (Twilio's default and cap: 14400)"})
          .add("record", &dial_config::record,
               {.allowed = {"do-not-record", "record-from-answer", "record-from-ringing", "record-from-answer-dual",
                            "record-from-ringing-dual", "true", "false"},
                .help = "Twilio's recording mode"})
          .add("ring_tone", &dial_config::ring_tone,
               {.allowed = {"at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi",
                            "fr", "gr", "hu", "il", "in", "it", "lt", "jp", "mx", "my", "nl", "no", "nz", "ph",
                            "pl", "pt", "ru", "se", "sg", "th", "uk", "us", "us-old", "tw", "ve", "za"},
                .help = "the ringback tone's country"})
          .build();
  return dial;
}

const table& failover_step_table() {
  static const table step =
      builder<failover_step>("failover step")
          .add("sip_target", &failover_step::sip_target,
               {.check = check_sip_target, .help = "dial the same call into this Synthflow SIP `host[:port]`"})
          .add("dial_number", &failover_step::dial_number,
               {.check = check_e164, .help = "dial this person (E.164)"})
          .add("say", &failover_step::say, {.check = check_spoken_text, .help = "speak this, then hang up"})
          .add("voice", &failover_step::voice, {.check = check_name_token, .help = "with `say`: Twilio voice name"})
          .add("language", &failover_step::language,
               {.check = check_name_token, .help = "with `say`: language tag, e.g. `en-US`"})
          .add("redirect", &failover_step::redirect,
               {.check = check_twiml_url, .help = "hand the call to the TwiML at this absolute URL"})
          .build();
  return step;
}

constexpr const char* kXEiHelp =
    "how X-EI carries the CallSid: `call_sid` (`X-EI=CA…`) or `tokens` (Synthflow's `E.CA…;`, which fills its "
    "`external_id`)";
constexpr const char* kHeadersHelp =
    "extra SIP headers to Synthflow (prompt variables there): `{\"X-Name\": \"fixed\"}` or `\"{FromCity}\"` "
    "(a webhook parameter; not sent when Twilio sent none)";

// How Synthflow imports a number: the provider names of POST /custom-numbers.
const table& number_synthflow_table() {
  static const table synthflow =
      builder<number_synthflow_config>("synthflow")
          .add("provider", &number_synthflow_config::provider,
               {.allowed = {"twilio", "telnyx", "vonage", "ring_central", "ringcx", "custom", "zoom", "five9"},
                .help = "Synthflow's `provider_name` for the import; unset: `twilio`"})
          .add("termination_uri", &number_synthflow_config::termination_uri,
               {.help = "SIP domain Synthflow sends this number's outbound calls to (your Elastic SIP Trunk's "
                        "`example.pstn.twilio.com`); required with an `agent` unless the provider is `five9`, "
                        "`ringcx` or `zoom`"})
          .build();
  return synthflow;
}

// A number's sip block: each key over the top-level `sip`'s.
const table& number_sip_table() {
  static const table sip =
      builder<sip_headers_config>("sip")
          .add("x_ei", &sip_headers_config::x_ei, {.allowed = {"call_sid", "tokens"}, .help = "`sip.x_ei` for this number"})
          .add("headers", &sip_headers_config::headers,
               {.check = check_sip_header_value, .key_check = check_sip_header_name,
                .help = "headers over `sip.headers`, name by name; `\"\"` drops one"})
          .build();
  return sip;
}

const table& transfer_table() {
  static const table transfer =
      builder<transfer_config>("transfer")
          .add("allow", &transfer_config::allow,
               {.check = check_transfer_pattern,
                .help = "where the agent may transfer a caller: `+E164` numbers, prefixes written `+1415555*`, "
                        "`sip:user@host`, `sip:*@host`; non-empty adds a `referUrl`"})
          .add("allow_short_prefixes", &transfer_config::allow_short_prefixes,
               {.help = "allow prefixes with fewer than 5 digits (`+1*`): they reach premium-rate numbers"})
          .build();
  return transfer;
}

const table& number_table() {
  static const table number =
      builder<number_config>("number")
          .add("phone_number", &number_config::phone_number,
               {.required = true, .check = check_e164, .help = "the number in E.164 (`+14155550100`)"})
          .add("friendly_name", &number_config::friendly_name, {.help = "display name of the number in Synthflow"})
          .add("trunk_username", &number_config::trunk_username, {.help = "SIP trunk user name, if your trunk needs one"})
          .add("trunk_pwd_env", &number_config::trunk_pwd_env,
               {.check = check_env_var_name, .help = "the *name* of the environment variable holding the trunk password"})
          .add("trunk_pwd", &number_config::trunk_pwd,
               {.env_named_by = "trunk_pwd_env", .secret = true,
                .help = "SIP trunk password, from the variable named by `trunk_pwd_env` only"})
          .add("termination_uri", &number_config::termination_uri,
               {.help = "deprecated: `synthflow.termination_uri` with provider `custom`"})
          .add("synthflow", &number_config::synthflow, number_synthflow_table(),
               {.help = "how Synthflow imports the number (`POST /custom-numbers`)"})
          .add("agent", &number_config::agent, agent_table(),
               {.help = "the number's inbound agent, which provisioning creates; none: routed, not provisioned"})
          .add("sip_target", &number_config::sip_target,
               {.check = check_sip_target, .reloadable = true,
                .help = "Synthflow SIP `host[:port]` for this number; default `sip.target`"})
          .add("sip", &number_config::sip, number_sip_table(), {.reloadable = true, .help = "this number's SIP headers"})
          .add("dial", &number_config::dial, dial_table(),
               {.reloadable = true, .help = "`<Dial>` options; each unset one: the top-level `dial`'s"})
          .add("failover", &number_config::failover, failover_step_table(),
               {.reloadable = true, .help = "this number's failover steps; unset: the top-level `failover`"})
          .add("transfer", &number_config::transfer, transfer_table(),
               {.reloadable = true, .help = "this number's transfers; unset `allow`: the top-level one"})
          .add("variables", &number_config::variables,
               {.key_check = check_variable_name, .reloadable = true,
                .help = "fixed prompt variables `/call_context` answers for calls to this number, e.g. "
                        "`{\"business_name\": \"Acme\"}`"})
          .add("ai_share", &number_config::ai_share,
               {.reloadable = true,
                .help = "share of calls (0.0 to 1.0, by a hash of the CallSid) sent to the agent; the rest take "
                        "the first failover step"})
          .add("voice_fallback_url", &number_config::voice_fallback_url,
               {.check = check_fallback_url,
                .help = "Twilio `VoiceFallbackUrl` of this number; empty: `twilio.voice_fallback_url`"})
          .build();
  return number;
}

const table& health_table() {
  static const table health =
      builder<health_config>("health")
          .add("trip_after", &health_config::trip_after,
               {.min = 1, .max = 1000, .help = "failed or unanswered agent legs within `window_s` that open a SIP target's breaker"})
          .add("window_s", &health_config::window_s, {.min = 1, .max = 3600, .help = "seconds the failures are counted over"})
          .add("cooldown_s", &health_config::cooldown_s,
               {.min = 1, .max = 3600, .help = "seconds an open breaker sends calls straight to their first failover step"})
          .add("probe_every", &health_config::probe_every,
               {.min = 1, .max = 1000, .help = "half-open: 1 call in this many tries the target again"})
          .add("recover_after", &health_config::recover_after,
               {.min = 1, .max = 1000, .help = "half-open: successes that close the breaker"})
          .add("observe_without_failover", &health_config::observe_without_failover,
               {.help = "give routes without failover a `<Dial action>` too, so the breaker reports on them "
                        "(it never diverts those calls)"})
          .build();
  return health;
}

const table& routing_table() {
  static const table routing =
      builder<routing_config>("routing")
          .add_enum("unknown_numbers", &routing_config::unknown_numbers,
                    {{"default", unknown_number_policy::route_default}, {"reject", unknown_number_policy::reject}},
                    {.help = "a call to a number not in `numbers`: `default` dials it with the top-level settings, "
                             "`reject` answers `<Reject>` (not answered, not billed)"})
          .build();
  return routing;
}

const table& server_table() {
  static const table server =
      builder<server_config>("server")
          .add("host", &server_config::host,
               {.env = "HOST", .check = check_ip_address, .help = "IP address to listen on (`::` for IPv6)"})
          .add("port", &server_config::port,
               {.env = "PORT", .min = 0, .max = 65535, .help = "TCP port (0: any free port, logged at startup)"})
          .add("threads", &server_config::threads,
               {.min = 0, .max = 256, .help = "worker threads; 0 = the CPUs this process may use (affinity mask, capped by a cgroup CPU quota)"})
          .add("idle_timeout_ms", &server_config::idle_timeout,
               {.min = 100, .max = 3'600'000,
                .help = "a connection must deliver each request (and accept each answer) within this, else it is closed"})
          .add("answer_timeout_ms", &server_config::answer_timeout,
               {.min = 100, .max = 600'000,
                .help = "a request answered after a lookup (`/call_context`, `/calls` from Redis) gets `503` if its answer is not ready within this"})
          .add("drain_timeout_ms", &server_config::drain_timeout,
               {.min = 0, .max = 600'000, .help = "on SIGTERM, how long in-flight requests may take to finish"})
          .add("max_connections", &server_config::max_connections,
               {.min = 1, .max = 1'000'000, .help = "open connections at most; at the limit the connection waiting longest for its client is closed to make room"})
          .add("header_limit_bytes", &server_config::header_limit,
               {.min = 1024, .max = 1024 * 1024, .help = "larger request headers get `431`"})
          .add("body_limit_bytes", &server_config::body_limit,
               {.min = 1024, .max = 16 * 1024 * 1024, .help = "larger request bodies get `413`"})
          .build();
  return server;
}

const table& sip_table() {
  static const table sip = builder<sip_config>("sip")
                               .add("target", &sip_config::target,
                                    {.env = "SIP_TARGET", .check = check_sip_target,
                                     .help = "Synthflow SIP `host[:port]` that Twilio dials; `auto`: the region's "
                                             "host of `synthflow.api_url` (e.g. `sip.us.synthflow.ai:32681`)"})
                               .add("x_ei", &sip_config::x_ei, {.allowed = {"call_sid", "tokens"}, .help = kXEiHelp})
                               .add("headers", &sip_config::headers,
                                    {.check = check_sip_header_value, .key_check = check_sip_header_name,
                                     .help = kHeadersHelp})
                               .build();
  return sip;
}

const table& log_table() {
  static const table log =
      builder<log_config>("log")
          .add("level", &log_config::level,
               {.env = "LOG_LEVEL",
                .allowed = {"trace", "debug", "info", "warn", "error", "critical", "off"},
                .help = "the least severe level logged"})
          .add_enum("format", &log_config::format, {{"text", log_format::text}, {"json", log_format::json}},
                    {.env = "LOG_FORMAT", .help = "`text`, or `json` for one JSON object per line"})
          .add("access_log", &log_config::access_log,
               {.help = "one line per request: method, path, status, bytes, duration, CallSid, peer"})
          .build();
  return log;
}

const table& twilio_table() {
  static const table twilio =
      builder<twilio_config>("twilio")
          .add("require_signature", &twilio_config::require_signature,
               {.help = "refuse to start without `TWILIO_AUTH_TOKEN` or `TWILIO_SHARED_KEYS`"})
          .add("public_url", &twilio_config::public_url,
               {.env = "PUBLIC_URL", .check = check_public_url, .normalize = drop_trailing_slashes,
                .help = "the URL Twilio calls, up to the request path: `https://voice.example.com` or "
                        "`https://example.com/voice`; empty: derived per request"})
          .add("trusted_proxies", &twilio_config::trusted_proxies,
               {.check = check_cidr, .help = "CIDRs whose `X-Forwarded-Proto`/`X-Forwarded-Host` are believed"})
          .add("auth_token", &twilio_config::auth_token,
               {.env = "TWILIO_AUTH_TOKEN", .secret = true,
                .help = "Twilio auth token; when set, every webhook must carry a valid `X-Twilio-Signature`; "
                        "with `twilio.account_sid`, the REST API credentials when no API key is set"})
          .add("shared_keys", &twilio_config::shared_keys,
               {.env = "TWILIO_SHARED_KEYS", .secret = true, .check = check_shared_keys,
                .help = "webhook shared keys, `KSxxx:secret,KSyyy:secret2`: a webhook whose "
                        "`X-Twilio-Webhooks-Signature-Settings` names one of them is checked with its secret "
                        "(HMAC-SHA1 or HMAC-SHA256); several at once let a key rotate"})
          .add("webhook_user", &twilio_config::webhook_user,
               {.env = "TWILIO_WEBHOOK_USER", .check = check_webhook_credential,
                .help = "with `TWILIO_WEBHOOK_PASSWORD`: HTTP Basic credentials the Twilio-called routes require "
                        "(401 and a Basic challenge without them); `provision` puts them in the VoiceUrl"})
          .add("webhook_password", &twilio_config::webhook_password,
               {.env = "TWILIO_WEBHOOK_PASSWORD", .secret = true, .check = check_webhook_credential,
                .help = "the password of `twilio.webhook_user`"})
          .add("account_sid", &twilio_config::account_sid,
               {.env = "TWILIO_ACCOUNT_SID", .check = check_account_sid,
                .help = "the account that owns the numbers (`AC...`); turns on `twilio.manage_numbers` (`auto`)"})
          .add_enum("manage_numbers", &twilio_config::manage_numbers,
                    {{"auto", number_management::when_account_sid}, {"true", number_management::on},
                     {"false", number_management::off}},
                    {.help = "`provision` points each number's `VoiceUrl` at `public_url` + `/redirect_call` "
                             "(method POST); `auto`: when `account_sid` is set"})
          .add("voice_fallback_url", &twilio_config::voice_fallback_url,
               {.check = check_fallback_url,
                .help = "`VoiceFallbackUrl` (method POST) of every managed number; empty: left as it is"})
          .add("api_key", &twilio_config::api_key,
               {.env = "TWILIO_API_KEY", .secret = true,
                .help = "Twilio API key SID (`SK...`) for the REST API, with `TWILIO_API_SECRET`; Twilio's recommendation"})
          .add("api_secret", &twilio_config::api_secret,
               {.env = "TWILIO_API_SECRET", .secret = true, .help = "the API key's secret"})
          .add("monitor_url", &twilio_config::monitor_url,
               {.env = "TWILIO_MONITOR_URL", .check = check_api_url,
                .help = "Twilio's Monitor API, whose alerts `doctor` reads (`twilio.alerts`)"})
          .add_api_transport("Twilio", "TWILIO_API_URL",
                             "a region's host, e.g. `https://api.dublin.ie1.twilio.com`, needs an API key of that region")
          .build();
  return twilio;
}

const table& synthflow_table() {
  static const table synthflow =
      builder<synthflow_config>("synthflow")
          .add("workspace_id", &synthflow_config::workspace_id,
               {.env = "SYNTHFLOW_WORKSPACE_ID", .help = "the workspace that owns the numbers"})
          .add("api_key", &synthflow_config::api_key,
               {.env = "SYNTHFLOW_API_KEY", .secret = true,
                .help = "Synthflow API key (required when `synthflow.numbers` is not empty and provisioning runs)"})
          .add("provision_on_start", &synthflow_config::provision_on_start,
               {.help = "`serve` provisions in the background at startup (Synthflow, and Twilio's numbers when managed)"})
          .add_api_transport("Synthflow", "SYNTHFLOW_API_URL", "e.g. `https://api.us.synthflow.ai/v2` for the US region")
          .add("numbers", &synthflow_config::numbers, number_table(),
               {.help = "deprecated: the top-level `numbers` (read from here with a warning)"})
          .build();
  return synthflow;
}

const table& context_table() {
  static const table context =
      builder<context_config>("context")
          .add_enum("store", &context_config::store,
                    {{"memory", context_store::memory}, {"redis", context_store::redis}},
                    {.help = "where call records live: `memory` (one instance) or `redis` (replicas share it)"})
          .add("ttl_s", &context_config::ttl_s,
               {.min = 1, .max = 7 * 24 * 3600, .help = "seconds a call's record is kept after its webhook"})
          .add("max_entries", &context_config::max_entries,
               {.min = 1, .max = 100'000'000, .help = "memory store: records kept at most; the oldest go first"})
          .add("max_bytes", &context_config::max_bytes,
               {.min = 65'536, .max = 68'719'476'736,
                .help = "memory store: bytes its records may take (each counted with its index and queue share, "
                        "about 250 B for a typical call); the oldest go first. Leave room under the memory limit"})
          .add("lookup_timeout_ms", &context_config::lookup_timeout,
               {.min = 10, .max = 60'000, .help = "`/call_context` answers `503` when the store has not answered by then"})
          .add("redis_url", &context_config::redis_url,
               {.env = "CALL_CONTEXT_REDIS_URL", .check = check_redis_url,
                .help = "`redis://[user@]host:port/db` (store `redis`); no password in it"})
          .add("redis_password", &context_config::redis_password,
               {.env = "CALL_CONTEXT_REDIS_PASSWORD", .secret = true, .help = "the Redis password (AUTH)"})
          .add("token", &context_config::token,
               {.env = "CALL_CONTEXT_TOKEN", .secret = true,
                .help = "Bearer token Synthflow's action must send; when unset, `/call_context` is not served"})
          .add("calls_token", &context_config::calls_token,
               {.env = "CALLS_TOKEN", .secret = true,
                .help = "a second Bearer token that reads `/calls/{CallSid}` only (for an operator or a dashboard), so "
                        "`CALL_CONTEXT_TOKEN`, which also reads callers' details, need not be shared"})
          .add("synthflow_action", &context_config::synthflow_action,
               {.help = "`provision` creates the pre-call action calling `/call_context` and attaches it to each "
                        "number's agent (needs `PUBLIC_URL` and `CALL_CONTEXT_TOKEN`)"})
          .build();
  return context;
}

const table& root_table() {
  static const table root =
      builder<service_config>("configuration")
          .add("server", &service_config::server, server_table(), {.help = "the HTTP server"})
          .add("sip", &service_config::sip, sip_table(), {.reloadable = true, .help = "where Twilio dials Synthflow"})
          .add("log", &service_config::log, log_table(), {.help = "logging"})
          .add("twilio", &service_config::twilio, twilio_table(), {.help = "Twilio's webhook requests and REST API"})
          .add("synthflow", &service_config::synthflow, synthflow_table(), {.help = "Synthflow's API and provisioning"})
          .add("numbers", &service_config::numbers, number_table(),
               {.help = "your Twilio numbers: each one's call handling, and its Synthflow agent"})
          .add("routing", &service_config::routing, routing_table(),
               {.reloadable = true, .help = "calls to numbers not in `numbers`"})
          .add("health", &service_config::health, health_table(),
               {.reloadable = true, .help = "the circuit breaker per SIP target ([routing.md](routing.md#health-aware-routing))"})
          .add("dial", &service_config::dial, dial_table(),
               {.reloadable = true, .help = "`<Dial>` options for every number without its own"})
          .add("failover", &service_config::failover, failover_step_table(),
               {.reloadable = true, .help = "steps tried in order when the agent's SIP leg is busy, unanswered or failed"})
          .add("transfer", &service_config::transfer, transfer_table(),
               {.reloadable = true, .help = "where the agent may transfer callers"})
          .add("context", &service_config::context, context_table(), {.help = "caller context for Synthflow's pre-call action"})
          .build();
  return root;
}

// The walks.

void read_object(const table& t, const json& value, void* object, const std::string& path) {
  if (!value.is_object()) fail(path.empty() ? "(document)" : path, "must be a JSON object");
  for (const field& f : t.fields) {
    if (f.opts.secret) continue;  // from the environment only; in the file it is an unknown key
    const auto it = value.find(f.key);
    if (it == value.end()) {
      if (f.opts.required) fail(join(path, f.key), "is required");
      continue;
    }
    f.read(object, *it, join(path, f.key));
  }
  // A typo or an option of another version stops startup instead of being silently ignored. A
  // secret is a key (--schema lists it) that the file may not hold: files end up in repositories
  // and ConfigMaps, so the refusal says where the value goes instead.
  for (const auto& item : value.items()) {
    const auto row = std::find_if(t.fields.begin(), t.fields.end(), [&](const field& f) { return f.key == item.key(); });
    if (row == t.fields.end()) fail(join(path, item.key()), "is not a known key");
    if (row->opts.secret)
      fail(join(path, item.key()),
           "is a secret, read only from the environment (" +
               (row->opts.env.empty() ? "the variable " + std::string(row->opts.env_named_by) + " names"
                                      : std::string(row->opts.env)) +
               "), never from the file, which ends up in repositories and ConfigMaps: remove it here and set the "
               "variable");
  }
}

void apply_env_to(const table& t, void* object, const std::string& path, const env_lookup& env) {
  for (const field& f : t.fields) {
    const std::string key_path = join(path, f.key);
    if (!f.opts.env.empty()) {
      const std::string name(f.opts.env);
      if (auto text = env(name)) f.read_text(object, *text, name + " (environment, " + key_path + ")");
    }
    if (!f.opts.env_named_by.empty()) {
      const auto named_by = std::find_if(t.fields.begin(), t.fields.end(),
                                         [&](const field& other) { return other.key == f.opts.env_named_by; });
      if (named_by == t.fields.end()) throw std::logic_error("config key " + key_path + ": env_named_by names no key");
      const json name = named_by->describe(object);
      if (name.is_string() && !name.get<std::string>().empty())
        if (auto text = env(name.get<std::string>()))
          f.read_text(object, *text, name.get<std::string>() + " (environment, " + key_path + ")");
    }
    if (f.nested) {
      const std::vector<void*> children = f.children(object);
      for (std::size_t i = 0; i < children.size(); ++i)
        apply_env_to(*f.nested, children[i],
                     f.type == value_type::object_list ? key_path + "[" + std::to_string(i) + "]" : key_path, env);
    }
  }
}

json describe_object(const table& t, const void* object) {
  json described = json::object();
  for (const field& f : t.fields) {
    json value = f.describe(object);
    if (f.opts.secret) value = value.get_ref<const std::string&>().empty() ? "<unset>" : "<redacted>";
    described[f.key] = std::move(value);
  }
  return described;
}

// `described` (describe_object's output for table `t`) without the keys a reload puts in force.
void drop_reloadable(const table& t, json& described) {
  for (const field& f : t.fields) {
    const auto it = described.find(f.key);
    if (it == described.end()) continue;
    if (f.opts.reloadable) {
      described.erase(it);
    } else if (f.nested && f.type == value_type::object_list && it->is_array()) {
      for (json& item : *it) drop_reloadable(*f.nested, item);
    } else if (f.nested && it->is_object()) {
      drop_reloadable(*f.nested, *it);
    }
  }
}

void list_keys(const table& t, const std::string& prefix, bool reloadable, json& out) {
  for (const field& f : t.fields) {
    const bool live = reloadable || f.opts.reloadable;
    const std::string path = join(prefix, f.key);
    const bool ranged = f.type == value_type::integer || f.type == value_type::milliseconds;
    json row = {{"path", path},
                {"type", type_name(f.type)},
                {"default", f.default_value},
                {"min", ranged ? json(f.opts.min) : json(nullptr)},
                {"max", ranged ? json(f.opts.max) : json(nullptr)},
                {"allowed", f.opts.allowed.empty() ? json(nullptr) : json(f.opts.allowed)},
                {"env", f.opts.env.empty() ? json(nullptr) : json(std::string(f.opts.env))},
                {"env_named_by", f.opts.env_named_by.empty() ? json(nullptr) : json(join(prefix, std::string(f.opts.env_named_by)))},
                {"secret", f.opts.secret},
                {"required", f.opts.required},
                {"reload", live ? "live" : "restart"},
                {"help", std::string(f.opts.help)}};
    out.push_back(std::move(row));
    if (f.nested) list_keys(*f.nested, f.type == value_type::object_list ? path + "[]" : path, live, out);
  }
}

}  // namespace

void read_document(const json& document, service_config& config) { read_object(root_table(), document, &config, ""); }

void apply_env(service_config& config, const env_lookup& env) { apply_env_to(root_table(), &config, "", env); }

json describe(const service_config& config) { return describe_object(root_table(), &config); }

json describe_startup_keys(const service_config& config) {
  json described = describe_object(root_table(), &config);
  drop_reloadable(root_table(), described);
  return described;
}

json listing() {
  json rows = json::array();
  list_keys(root_table(), "", false, rows);
  return rows;
}

}  // namespace twiml_redirect::config::schema
