// Walking a strided view element by element in row-major order.
#pragma once

#include <cstdint>
#include <vector>

#include "wgml/core/shape.h"

namespace wgml {

// Calls fn(element_offset) for each element of the view, in row-major order.
template <typename Fn>
void for_each_offset(const Shape& shape, const Strides& strides, int64_t offset, Fn&& fn) {
  const int64_t n = shape_numel(shape);
  if (n == 0) return;
  const size_t rank = shape.size();
  std::vector<int64_t> index(rank, 0);
  int64_t at = offset;
  for (int64_t i = 0; i < n; ++i) {
    fn(at);
    for (size_t d = rank; d-- > 0;) {  // odometer increment, innermost axis first
      at += strides[d];
      if (++index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

// Calls fn(index) for each multi-index of `shape` in row-major order.
template <typename Fn>
void for_each_index(const Shape& shape, Fn&& fn) {
  const int64_t n = shape_numel(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(index);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// The smallest and largest element offsets a non-empty view touches.
inline void view_extent(const Shape& shape, const Strides& strides, int64_t offset, int64_t* lo,
                        int64_t* hi) {
  *lo = *hi = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    const int64_t span = (shape[d] - 1) * strides[d];
    if (span < 0)
      *lo += span;
    else
      *hi += span;
  }
}

}  // namespace wgml
