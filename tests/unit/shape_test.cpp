#include "wgml/core/shape.h"

#include <gtest/gtest.h>

#include "wgml/core/error.h"

namespace wgml {
namespace {

TEST(Shape, BroadcastingFollowsNumPy) {
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}, "t"), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}, "t"), (Shape{5}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 7}, "t"), (Shape{0, 7}));
  EXPECT_THROW(broadcast_shapes({2, 3}, {4}, "t"), Error);
}

TEST(Shape, ContiguousStrides) {
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (Strides{12, 4, 1}));
  EXPECT_EQ(contiguous_strides({}), (Strides{}));
}

TEST(Shape, Axes) {
  EXPECT_EQ(normalize_axis(-1, 3, "t"), 2);
  EXPECT_THROW(normalize_axis(3, 3, "t"), Error);
  EXPECT_EQ(normalize_axes({-1, 0}, 3, "t"), (std::vector<int>{0, 2}));
  EXPECT_EQ(normalize_axes({}, 2, "t"), (std::vector<int>{0, 1}));
  EXPECT_THROW(normalize_axes({1, -2}, 3, "t"), Error);  // the same axis twice
}

}  // namespace
}  // namespace wgml
