#pragma once
// A response's bytes on the wire. Beast's generic serializer walks a chain of buffer views built
// for every body type and for chunked encoding; our responses are always a string body with a
// Content-Length, so writing status line, fields and body into one reused string is a fraction of
// the work, and goes out in a single send.

#include <string>

#include "twiml_redirect/http/types.hpp"

namespace twiml_redirect::http {

// Appends the status line, every field, the blank line and (unless `head_request`) the body, as
// Beast's serializer would write them. `res` must carry its Content-Length (prepare_payload()).
void append_wire_bytes(std::string& out, const response& res, bool head_request);

}  // namespace twiml_redirect::http
