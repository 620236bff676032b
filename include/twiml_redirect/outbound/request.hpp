#pragma once
// What an outbound HTTP request and its answer are, independent of any one API: method, target,
// extra headers, credentials (none, Bearer or Basic) and a typed body (JSON or a form). Building the
// wire message from them is pure, so header and auth rules are unit-tested without sockets.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

namespace twiml_redirect::outbound {

// "Authorization: Bearer <token>" (Synthflow's API key).
struct bearer_auth {
  std::string token;
};

// "Authorization: Basic base64(user:password)" (Twilio's account SID or API key and its secret).
struct basic_auth {
  std::string user;
  std::string password;
};

using credentials = std::variant<std::monostate, bearer_auth, basic_auth>;

struct header {
  std::string name;
  std::string value;
  bool secret = false;  // an API key sent as a header: redacted from messages like the credentials
};

// A body with its media type; send it with the request's Content-Type set to `content_type`.
struct request_body {
  std::string content;
  std::string content_type;
};

inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

using form_fields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded (WHATWG URL): ASCII letters, digits and "*-._" stay, a space
// becomes "+", every other byte is %XX (upper-case hex). Pairs keep their order and repeats.
std::string form_encode(const form_fields& fields);

// A JSON body (`json` is already serialised).
request_body json_body(std::string json);
// A form body from name/value pairs.
request_body form_body(const form_fields& fields);

struct http_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;           // origin-form path and query, base path included
  std::vector<header> headers;  // sent after the defaults, so they replace a default of that name
  credentials auth;             // never logged
  std::optional<request_body> body;
};

struct http_response {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order

  // The first value of header `name` (ASCII case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
};

// The Authorization value for `auth`: "Bearer <token>", "Basic <base64>", or std::nullopt for none.
std::optional<std::string> authorization_value(const credentials& auth);

// Every text a message about `request` must never show: the token, the password, "user:password",
// the Authorization value's encoded credentials and the values of secret headers. An account SID
// used as a Basic user name is an identifier, not a secret, and stays readable.
std::vector<std::string> request_secrets(const http_request& request);

// The wire message: Host, User-Agent, Authorization, Content-Type and Content-Length, then the
// request's own headers; one request per connection (Connection: close). `host_header` is
// util::host_and_port without the default port.
boost::beast::http::request<boost::beast::http::string_body> build_message(const http_request& request,
                                                                           std::string_view host_header);

}  // namespace twiml_redirect::outbound
