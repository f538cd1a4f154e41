// CPU kernels of the scan family: cumsum and topk. Both view the contiguous input as
// [outer, n, inner] around the scanned axis of size n.
#include <algorithm>
#include <cmath>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"

namespace wgml {

namespace {

struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisSplit split_at(const Shape& shape, int axis) {
  AxisSplit s;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    const int64_t size = shape[static_cast<size_t>(d)];
    if (d < axis)
      s.outer *= size;
    else if (d == axis)
      s.n = size;
    else
      s.inner *= size;
  }
  return s;
}

void cumsum_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                   std::vector<Tensor>& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), call.name());
  const bool exclusive = call.attrs.i("exclusive") != 0;
  const bool reverse = call.attrs.i("reverse") != 0;
  const AxisSplit s = split_at(x.shape(), axis);
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    using C = ComputeOf<S>;
    const S* in = cpu_data<S>(x);
    S* out = cpu_data<S>(outputs[0]);
    for (int64_t o = 0; o < s.outer; ++o) {
      for (int64_t i = 0; i < s.inner; ++i) {
        C acc = 0;
        for (int64_t step = 0; step < s.n; ++step) {
          const int64_t j = reverse ? s.n - 1 - step : step;
          const int64_t at = (o * s.n + j) * s.inner + i;
          const C v = load_as<S, C>(in[at]);
          if (!exclusive) acc += v;
          out[at] = store_as<S>(acc);
          if (exclusive) acc += v;
        }
      }
    }
  });
}

// A strict weak order that places NaN above every number (as torch.topk does).
template <typename C>
bool less_than(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

void topk_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), call.name());
  const int64_t k = call.attrs.i("k");
  const bool largest = call.attrs.i("largest") != 0;
  const AxisSplit s = split_at(x.shape(), axis);
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    using C = ComputeOf<S>;
    const S* in = cpu_data<S>(x);
    S* values = cpu_data<S>(outputs[0]);
    int64_t* indices = cpu_data<int64_t>(outputs[1]);
    std::vector<C> row(static_cast<size_t>(s.n));
    std::vector<int64_t> order(static_cast<size_t>(s.n));
    for (int64_t o = 0; o < s.outer; ++o) {
      for (int64_t i = 0; i < s.inner; ++i) {
        for (int64_t j = 0; j < s.n; ++j) {
          row[size_t(j)] = load_as<S, C>(in[(o * s.n + j) * s.inner + i]);
          order[size_t(j)] = j;
        }
        // Better value first; equal values keep the lower index first (ONNX TopK).
        auto before = [&](int64_t a, int64_t b) {
          const C va = row[size_t(a)], vb = row[size_t(b)];
          if (largest ? less_than(vb, va) : less_than(va, vb)) return true;
          if (largest ? less_than(va, vb) : less_than(vb, va)) return false;
          return a < b;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t at = (o * k + j) * s.inner + i;
          values[at] = in[(o * s.n + order[size_t(j)]) * s.inner + i];
          indices[at] = order[size_t(j)];
        }
      }
    }
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuScanKernels = {
    {"cumsum", cumsum_kernel},
    {"topk", topk_kernel},
};

}  // namespace wgml
