#pragma once
// Small builders for the responses handlers return. The server stamps version, keep-alive and
// Content-Length afterwards, so handlers only choose status, type and body.

#include <string>

#include "twiml_redirect/http/types.hpp"

namespace twiml_redirect::app {

// A short text/plain answer: errors are for humans reading curl output or Twilio's debugger.
http::response text_response(http::beast_http::status status, std::string body);

http::response json_response(http::beast_http::status status, std::string body);

http::response xml_response(std::string body);

}  // namespace twiml_redirect::app
