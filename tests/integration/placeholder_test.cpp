#include <gtest/gtest.h>
TEST(IntegrationPlaceholder, Builds) { EXPECT_EQ(1 + 1, 2); }
