// The connection's arena for a request's fields: fields come from it while it has room and from the
// heap after; a copied request never points into it; reset makes its room whole again.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "twiml_redirect/http/request_arena.hpp"
#include "twiml_redirect/http/types.hpp"

namespace twiml_redirect::http {
namespace {

namespace bh = boost::beast::http;

request parsed_request(request_arena& arena) {
  request req{std::piecewise_construct, std::make_tuple(), std::make_tuple(arena_allocator<char>(&arena))};
  req.method(bh::verb::post);
  req.target("/redirect_call");
  req.set(bh::field::host, "example.com");
  req.set(bh::field::content_type, "application/x-www-form-urlencoded");
  req.set("X-Twilio-Signature", "0123456789abcdefghijABCDEFGHIJ0123456789ab=");
  return req;
}

TEST(RequestArena, AllocatesAlignedUntilFullThenSaysNo) {
  request_arena arena;
  void* first = arena.allocate(3, 1);
  void* second = arena.allocate(8, 8);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(second) % 8, 0u);
  EXPECT_TRUE(arena.owns(first));
  EXPECT_EQ(arena.allocate(request_arena::kBytes, 1), nullptr) << "more than is left";
  arena.reset();
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_NE(arena.allocate(request_arena::kBytes, 1), nullptr) << "all of it after a reset";
  EXPECT_EQ(arena.allocate(1, 1), nullptr);
}

TEST(RequestArena, FieldsComeFromTheArenaAndSpillToTheHeap) {
  request_arena arena;
  {
    request req = parsed_request(arena);
    EXPECT_GT(arena.used(), 0u) << "the fields did not use the arena";
    const std::size_t used = arena.used();
    // A field larger than what is left goes to the heap, and the request still reads right.
    const std::string big(request_arena::kBytes, 'v');
    req.set("X-Big", big);
    EXPECT_EQ(arena.used(), used);
    EXPECT_EQ(req["X-Big"], big);
    EXPECT_EQ(req[bh::field::host], "example.com");
    EXPECT_EQ(req.target(), "/redirect_call");
  }  // the heap field is freed here (ASan reports a leak or a bad free otherwise)
  arena.reset();
}

TEST(RequestArena, ACopiedRequestLivesOnTheHeap) {
  request_arena arena;
  std::unique_ptr<request> copy;
  {
    const request original = parsed_request(arena);
    copy = std::make_unique<request>(original);
  }
  // The connection's next request overwrites the arena: the copy must not have pointed into it.
  arena.reset();
  request next = parsed_request(arena);
  next.set(bh::field::host, "other.example");
  EXPECT_EQ((*copy)[bh::field::host], "example.com");
  EXPECT_EQ((*copy)["X-Twilio-Signature"], "0123456789abcdefghijABCDEFGHIJ0123456789ab=");
  EXPECT_EQ(copy->target(), "/redirect_call");
  EXPECT_EQ(copy->get_allocator().arena(), nullptr);
}

TEST(RequestArena, DefaultRequestsUseTheHeap) {
  request req{bh::verb::get, "/healthz", 11};
  req.set(bh::field::host, "example.com");
  EXPECT_EQ(req.get_allocator().arena(), nullptr);
  EXPECT_EQ(req[bh::field::host], "example.com");
}

}  // namespace
}  // namespace twiml_redirect::http
