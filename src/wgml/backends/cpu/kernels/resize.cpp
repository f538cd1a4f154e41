// CPU kernels of the resize family: ONNX Resize, nearest, (multi)linear and (multi)cubic, over
// any axes.
#include <algorithm>
#include <cmath>
#include <string>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/resize_taps.h"

namespace wgml {

namespace {

void resize_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                   std::vector<Tensor>& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t rank = x.rank();
  const Shape& out_shape = out.shape();
  const Strides in_strides = contiguous_strides(x.shape());
  // Per axis and output position, the taps of non-zero weight as (element offset, weight):
  // skipping weight-0 taps keeps an infinity there from turning the result into NaN, and axes
  // that do not blend cost one tap.
  std::vector<std::vector<std::vector<std::pair<int64_t, double>>>> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    const ResizeTaps axis = resize_axis_taps(call, d, x.shape()[d], out_shape[d]);
    for (int64_t o = 0; o < out_shape[d]; ++o) {
      std::vector<std::pair<int64_t, double>> nonzero;
      for (size_t t = 0; t < axis.per_output; ++t) {
        if (axis.weight_of(o, t) != 0)
          nonzero.emplace_back(axis.source(o, t) * in_strides[d], axis.weight_of(o, t));
      }
      if (nonzero.empty()) nonzero.emplace_back(0, 0.0);  // every weight 0: the sum is 0
      taps[d].push_back(nonzero);
    }
  }
  const bool nearest = call.attrs.s("mode") == "nearest";

  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = cpu_data<S>(x);
    S* dst = cpu_data<S>(out);
    std::vector<int64_t> o(rank, 0);
    std::vector<size_t> t(rank, 0);  // the tap of each axis in the sum below
    for (int64_t i = 0; i < out.numel(); ++i) {
      if (nearest) {
        int64_t at = 0;
        for (size_t d = 0; d < rank; ++d)
          at += taps[d][size_t(o[d])][0].first;
        *dst++ = src[at];  // a pure selection: no rounding, any dtype
      } else {
        // Sum over every combination of one tap per axis (an odometer over t).
        double acc = 0;
        std::fill(t.begin(), t.end(), 0);
        for (bool more = true; more;) {
          double weight = 1;
          int64_t at = 0;
          for (size_t d = 0; d < rank; ++d) {
            const auto& [offset, w] = taps[d][size_t(o[d])][t[d]];
            weight *= w;
            at += offset;
          }
          acc += weight * load_as<S, double>(src[at]);
          more = false;
          for (size_t d = rank; d-- > 0;) {
            if (++t[d] < taps[d][size_t(o[d])].size()) {
              more = true;
              break;
            }
            t[d] = 0;
          }
        }
        *dst++ = store_as<S>(acc);
      }
      for (size_t d = rank; d-- > 0;) {  // odometer over the output
        if (++o[d] < out_shape[d]) break;
        o[d] = 0;
      }
    }
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuResizeKernels = {
    {"resize", resize_kernel},
};

}  // namespace wgml
