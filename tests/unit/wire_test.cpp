// append_wire_bytes against Beast's own serializer: the same bytes for every response we send.
#include "twiml_redirect/http/wire.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>
#include <sstream>

namespace twiml_redirect::http {
namespace {

using beast_http::field;
using beast_http::status;

std::string beast_bytes(const response& res) {
  std::ostringstream out;
  out << res;
  return out.str();
}

std::string our_bytes(const response& res, bool head_request = false) {
  std::string out;
  append_wire_bytes(out, res, head_request);
  return out;
}

response make(status code, unsigned version, std::string_view type, std::string body) {
  response res{code, version};
  res.set(field::content_type, type);
  res.body() = std::move(body);
  return res;
}

TEST(WireBytes, SameAsBeastForTwiml) {
  response res = make(status::ok, 11, "text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
  res.keep_alive(true);
  res.prepare_payload();
  EXPECT_EQ(our_bytes(res), beast_bytes(res));
  EXPECT_EQ(our_bytes(res), "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                               std::to_string(res.body().size()) + "\r\n\r\n" + res.body());
}

TEST(WireBytes, SameAsBeastForErrorsAndClose) {
  response res = make(status::method_not_allowed, 11, "text/plain; charset=utf-8", "Method PUT is not allowed");
  res.set(field::allow, "GET, POST");
  res.keep_alive(false);
  res.prepare_payload();
  EXPECT_EQ(our_bytes(res), beast_bytes(res));
  EXPECT_NE(our_bytes(res).find("\r\nConnection: close\r\n"), std::string::npos);
}

TEST(WireBytes, SameAsBeastForHttp10KeepAlive) {
  response res = make(status::payload_too_large, 10, "text/plain", "too large");
  res.keep_alive(true);
  res.prepare_payload();
  EXPECT_EQ(our_bytes(res), beast_bytes(res));
  EXPECT_TRUE(our_bytes(res).starts_with("HTTP/1.0 413 Payload Too Large\r\n"));
}

TEST(WireBytes, EmptyBodyHasZeroLength) {
  response res{status::service_unavailable, 11};
  res.prepare_payload();
  EXPECT_EQ(our_bytes(res), beast_bytes(res));
}

TEST(WireBytes, HeadKeepsTheLengthButNotTheBody) {
  response res = make(status::ok, 11, "application/json", R"({"status":"ok"})");
  res.prepare_payload();
  const std::string head = our_bytes(res, /*head_request=*/true);
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n");
}

TEST(WireBytes, Appends) {
  response res = make(status::ok, 11, "text/plain", "a");
  res.prepare_payload();
  std::string out = "x";
  append_wire_bytes(out, res, false);
  EXPECT_EQ(out, "x" + beast_bytes(res));
}

}  // namespace
}  // namespace twiml_redirect::http
