#include "wgml/core/shape.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "wgml/core/error.h"

namespace wgml {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    // Absurd dims in a model must not wrap around into a plausible size.
    WGML_CHECK(!__builtin_mul_overflow(n, d, &n), "shape ", shape,
               " has more elements than a 64-bit count holds");
  }
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    WGML_CHECK(!__builtin_mul_overflow(stride, std::max<int64_t>(shape[i], 1), &stride), "shape ",
               shape, " is too large: its strides overflow 64 bits");
  }
  return strides;
}

std::string shape_str(const Shape& shape) {
  return str_cat(shape);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    WGML_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
               " are not broadcastable (dimension ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int normalize_axis(int64_t axis, size_t rank, const std::string& op) {
  const int64_t r = static_cast<int64_t>(rank);
  WGML_CHECK((axis >= -r && axis < r) || (r == 0 && (axis == 0 || axis == -1)), op, ": axis ", axis,
             " is out of range for a tensor of rank ", rank);
  return static_cast<int>(axis < 0 ? axis + std::max<int64_t>(r, 1) : axis);
}

std::vector<int> normalize_axes(const std::vector<int64_t>& axes, size_t rank,
                                const std::string& op) {
  std::vector<int> out;
  if (axes.empty()) {
    for (size_t i = 0; i < rank; ++i)
      out.push_back(static_cast<int>(i));
    return out;
  }
  std::vector<bool> seen(std::max<size_t>(rank, 1), false);  // linear, however many axes
  for (int64_t axis : axes) {
    const int a = normalize_axis(axis, rank, op);
    WGML_CHECK(!seen[static_cast<size_t>(a)], op, ": axis ", axis, " appears twice in ", axes);
    seen[static_cast<size_t>(a)] = true;
    out.push_back(a);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Strides that show a tensor of `shape`/`strides` as `target` (same element count) without
// moving data, as PyTorch's view does: each run of dims that are contiguous with one another
// must split or merge into a run of target dims of the same element count. None when the
// layout does not allow it (then reshape copies).
std::optional<Strides> view_strides(const Shape& shape, const Strides& strides,
                                    const Shape& target) {
  Strides out(target.size(), 1);
  if (shape_numel(target) == 0) return contiguous_strides(target);
  std::vector<std::pair<int64_t, int64_t>> dims;  // (size, stride), size-1 dims dropped
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1) dims.emplace_back(shape[d], strides[d]);
  size_t next = target.size();  // target dims are assigned from the innermost out
  size_t end = dims.size();
  while (end > 0) {
    size_t begin = end - 1;
    int64_t run = dims[begin].first;
    while (begin > 0 && dims[begin - 1].second == dims[begin].second * dims[begin].first)
      run *= dims[--begin].first;
    int64_t covered = 1, stride = dims[end - 1].second;
    while (covered < run) {
      if (next == 0) return std::nullopt;
      --next;
      out[next] = stride;
      stride *= target[next];
      covered *= target[next];
    }
    if (covered != run) return std::nullopt;
    end = begin;
  }
  while (next > 0) {
    if (target[--next] != 1) return std::nullopt;
  }
  return out;
}

}  // namespace wgml
