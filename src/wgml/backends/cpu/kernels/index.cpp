// CPU kernels of the index family: gather, gather_elements, scatter_nd.
#include <algorithm>
#include <cmath>

#include "wgml/core/error.h"
#include "wgml/core/strided.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"

namespace wgml {

namespace {

using Inputs = std::vector<Tensor>;
using Outputs = std::vector<Tensor>;

template <typename C>
bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return std::isnan(v);
  return false;
}

// Maps a possibly negative index into [0, size), or raises an error naming the op and the axis.
int64_t checked_index(int64_t i, int64_t size, size_t axis, const Shape& data,
                      const std::string& op) {
  WGML_CHECK(i >= -size && i < size, op, ": index ", i, " is out of range for axis ", axis,
             " of size ", size, " (data ", data, ")");
  return i < 0 ? i + size : i;
}

// data [outer, size, inner], indices [n] -> out [outer, n, inner]
void gather_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  const Tensor data = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  const Shape& shape = data.shape();
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), shape.size(), call.name()));
  std::vector<int64_t> indices = cpu_values<int64_t>(inputs[1]);
  for (int64_t& i : indices)
    i = checked_index(i, shape[axis], axis, shape, call.name());
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  dispatch_dtype(data.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = cpu_data<T>(data);
    T* dst = cpu_data<T>(out);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i : indices) {
        const T* row = in + (o * shape[axis] + i) * inner;
        dst = std::copy(row, row + inner, dst);
      }
    }
  });
}

// out[i][j][k] = data[indices[i][j][k]][j][k] on axis 0, and likewise on other axes.
void gather_elements_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  const Tensor data = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  const Shape& shape = data.shape();
  const Strides strides = contiguous_strides(shape);
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), shape.size(), call.name()));
  const std::vector<int64_t> indices = cpu_values<int64_t>(inputs[1]);
  dispatch_dtype(data.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = cpu_data<T>(data);
    T* dst = cpu_data<T>(out);
    size_t n = 0;
    for_each_index(out.shape(), [&](const std::vector<int64_t>& index) {
      int64_t at = 0;
      for (size_t d = 0; d < shape.size(); ++d) {
        const int64_t i =
            d == axis ? checked_index(indices[n], shape[d], d, shape, call.name()) : index[d];
        at += i * strides[d];
      }
      dst[n++] = in[at];
    });
  });
}

// ONNX ScatterND: output = data, then for each index tuple indices[n] (of length k),
// output[indices[n]] (a slice of data[k:]) is replaced or combined with updates[n].
void scatter_nd_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  const Tensor data = cpu_contiguous(inputs[0]);
  const Tensor updates = cpu_contiguous(inputs[2]);
  Tensor& out = outputs[0];
  const Shape& shape = data.shape();
  const Strides strides = contiguous_strides(shape);
  const std::vector<int64_t> indices = cpu_values<int64_t>(inputs[1]);
  const size_t k = static_cast<size_t>(inputs[1].shape().back());
  const Shape& index_shape = inputs[1].shape();
  const int64_t count = shape_numel(Shape(index_shape.begin(), index_shape.end() - 1));
  int64_t slice_size = 1;
  for (size_t d = k; d < shape.size(); ++d)
    slice_size *= shape[d];
  const std::string& reduction = call.attrs.s("reduction");
  dispatch_dtype(data.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeOf<T>;
    // Combine in the compute type (double for floats) and round once at the end.
    std::vector<C> acc(static_cast<size_t>(data.numel()));
    const T* in = cpu_data<T>(data);
    for (size_t i = 0; i < acc.size(); ++i)
      acc[i] = load_as<T, C>(in[i]);
    const T* up = cpu_data<T>(updates);
    for (int64_t n = 0; n < count; ++n) {
      int64_t base = 0;
      for (size_t j = 0; j < k; ++j) {
        const int64_t i = indices[static_cast<size_t>(n) * k + j];
        base += checked_index(i, shape[j], j, shape, call.name()) * strides[j];
      }
      for (int64_t s = 0; s < slice_size; ++s) {
        C& a = acc[static_cast<size_t>(base + s)];
        const C u = load_as<T, C>(up[n * slice_size + s]);
        if (reduction == "none")
          a = u;
        else if (reduction == "add")
          a = a + u;
        else if (reduction == "mul")
          a = a * u;
        else if (reduction == "max")
          a = is_nan(u) || u > a ? u : a;  // NaN propagates
        else
          a = is_nan(u) || u < a ? u : a;
      }
    }
    T* dst = cpu_data<T>(out);
    for (size_t i = 0; i < acc.size(); ++i)
      dst[i] = store_as<T>(acc[i]);
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuIndexKernels = {
    {"gather", gather_kernel},
    {"gather_elements", gather_elements_kernel},
    {"scatter_nd", scatter_nd_kernel},
};

}  // namespace wgml
