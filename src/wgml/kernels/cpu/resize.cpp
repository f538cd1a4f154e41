// CPU kernels of the resize family: ONNX Resize, nearest and (multi)linear, over any axes.
#include <algorithm>
#include <cmath>
#include <string>

#include "wgml/core/error.h"
#include "wgml/kernels/cpu/cpu_kernel.h"
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
  std::vector<ResizeTaps> taps;
  for (size_t d = 0; d < rank; ++d)
    taps.push_back(resize_axis_taps(call, d, x.shape()[d], out_shape[d]));

  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = cpu_data<S>(x);
    S* dst = cpu_data<S>(out);
    std::vector<int64_t> o(rank, 0);
    for (int64_t i = 0; i < out.numel(); ++i) {
      if (call.attrs.s("mode") == "nearest") {
        int64_t at = 0;
        for (size_t d = 0; d < rank; ++d)
          at += taps[d].lo[size_t(o[d])] * in_strides[d];
        *dst++ = src[at];  // a pure selection: no rounding, any dtype
      } else {
        // Sum over the 2^rank corners, skipping the ones of weight 0 (axes that do not blend).
        double acc = 0;
        for (uint64_t corner = 0; corner < (uint64_t{1} << rank); ++corner) {
          double weight = 1;
          int64_t at = 0;
          for (size_t d = 0; d < rank && weight != 0; ++d) {
            const size_t od = size_t(o[d]);
            const bool hi = ((corner >> d) & 1) != 0;
            weight *= hi ? taps[d].w[od] : 1.0 - taps[d].w[od];
            at += (hi ? taps[d].hi[od] : taps[d].lo[od]) * in_strides[d];
          }
          if (weight != 0) acc += weight * load_as<S, double>(src[at]);
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
