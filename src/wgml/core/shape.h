// Shapes, strides and the broadcasting rules of NumPy and PyTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wgml {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;  // in elements; zero for broadcast dims, negative for flips

int64_t shape_numel(const Shape& shape);
Strides contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[2, 3]"

// The broadcast of two shapes (align right; sizes must match or be 1); `op` names the caller.
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op);

// Maps a possibly negative axis into [0, rank); `op` names the caller in the error.
int normalize_axis(int64_t axis, size_t rank, const std::string& op);

// Normalizes a list of axes (negative allowed, no duplicates); empty means every axis.
std::vector<int> normalize_axes(const std::vector<int64_t>& axes, size_t rank,
                                const std::string& op);

}  // namespace wgml
