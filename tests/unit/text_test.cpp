// The shared text helpers: every case-insensitive compare and trim in the service goes through them.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::util {
namespace {

TEST(Text, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("100-Continue", "100-continue"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("https", "http"));
  EXPECT_FALSE(iequals("http", "https"));
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // É vs é: not ASCII, compared as bytes
}

TEST(Text, IequalsStaysInsideItsViews) {
  // Views cut from a larger buffer whose next bytes differ: a compare that reads one past the end
  // (Boost 1.81's beast::iequals) would see them. ASan catches the read when the view ends the heap block.
  const std::string heap_a = "gzipX";
  const std::string heap_b = "GZIPY";
  EXPECT_TRUE(iequals(std::string_view(heap_a).substr(0, 4), std::string_view(heap_b).substr(0, 4)));
  auto exact = std::make_unique<char[]>(1);
  exact[0] = 'A';
  EXPECT_TRUE(iequals(std::string_view(exact.get(), 1), "a"));
}

TEST(Text, TrimRemovesSpacesAndTabsOnly) {
  EXPECT_EQ(trim(" \t value \t"), "value");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim("\r\nx"), "\r\nx");
}

TEST(Text, MediaTypeDropsParameters) {
  EXPECT_EQ(media_type_of("application/x-www-form-urlencoded; charset=UTF-8"), "application/x-www-form-urlencoded");
  EXPECT_EQ(media_type_of(" Application/JSON\t;x=1"), "Application/JSON");
  EXPECT_EQ(media_type_of("text/xml"), "text/xml");
  EXPECT_EQ(media_type_of(""), "");
  EXPECT_EQ(media_type_of(";charset=utf-8"), "");
}

}  // namespace
}  // namespace twiml_redirect::util
