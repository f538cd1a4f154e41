// Shapes, strides and the broadcasting rules of NumPy and PyTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wgml/core/error.h"

namespace wgml {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;  // in elements; zero for broadcast dims, negative for flips

// The most axes a tensor may have (NumPy 2's limit); more is an error, not a slow crawl.
inline constexpr size_t kMaxRank = 64;

int64_t shape_numel(const Shape& shape);
Strides contiguous_strides(const Shape& shape);
// Strides that show a tensor of `shape`/`strides` as `target` (same element count) without
// moving data, as PyTorch's view does; none when the layout does not allow it.
std::optional<Strides> view_strides(const Shape& shape, const Strides& strides,
                                    const Shape& target);
std::string shape_str(const Shape& shape);  // "[2, 3]"

// Size arithmetic on values a model controls (dims, pads, strides, repeats): raises with `where`
// (the op and the operands) instead of overflowing int64.
template <typename... Where>
int64_t checked_add(int64_t a, int64_t b, const Where&... where) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) fail(where..., ": ", a, " + ", b, " overflows int64");
  return sum;
}
template <typename... Where>
int64_t checked_mul(int64_t a, int64_t b, const Where&... where) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) fail(where..., ": ", a, " * ", b, " overflows int64");
  return product;
}

// The broadcast of two shapes (align right; sizes must match or be 1); `op` names the caller.
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op);

// Maps a possibly negative axis into [0, rank); `op` names the caller in the error.
int normalize_axis(int64_t axis, size_t rank, const std::string& op);

// Normalizes a list of axes (negative allowed, no duplicates); empty means every axis.
std::vector<int> normalize_axes(const std::vector<int64_t>& axes, size_t rank,
                                const std::string& op);

}  // namespace wgml
