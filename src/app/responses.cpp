#include "twiml_redirect/app/responses.hpp"

namespace twiml_redirect::app {
namespace {

http::response make(http::beast_http::status status, std::string_view content_type, std::string body) {
  http::response res{status, 11};
  res.set(http::beast_http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

}  // namespace

http::response text_response(http::beast_http::status status, std::string body) {
  return make(status, "text/plain; charset=utf-8", std::move(body));
}

http::response json_response(http::beast_http::status status, std::string body) {
  return make(status, "application/json", std::move(body));
}

// Twilio reads text/xml as TwiML; twilio-node's examples and the Synthflow guide both send it.
http::response xml_response(std::string body) { return make(http::beast_http::status::ok, "text/xml", std::move(body)); }

}  // namespace twiml_redirect::app
