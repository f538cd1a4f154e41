// CPU kernels of the resize family: ONNX Resize, nearest and (multi)linear, over any axes.
#include <algorithm>
#include <cmath>
#include <string>

#include "wgml/core/error.h"
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

namespace {

// Where output position `x` of an axis reads in the input (ONNX coordinate_transformation_mode).
// The ratio in/out is num / den: (in, out) for sizes, (1, scale) for scales, so a sizes call
// whose exact answer is an integer gets that integer (what nearest's rounding needs).
double source_coordinate(const std::string& mode, int64_t x, int64_t in, int64_t out, double num,
                         double den) {
  const double xd = static_cast<double>(x);
  if (mode == "align_corners") {
    return out > 1 ? xd * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  }
  if (mode == "asymmetric") return xd * num / den;
  if (mode == "pytorch_half_pixel" && out <= 1) return 0.0;
  return (xd + 0.5) * num / den - 0.5;  // half_pixel, pytorch_half_pixel
}

int64_t round_nearest(const std::string& nearest_mode, double c) {
  if (nearest_mode == "floor") return static_cast<int64_t>(std::floor(c));
  if (nearest_mode == "ceil") return static_cast<int64_t>(std::ceil(c));
  if (nearest_mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(c + 0.5));
  return static_cast<int64_t>(std::ceil(c - 0.5));  // round_prefer_floor
}

// Output position o of one axis reads input positions lo and hi with weights 1 - w and w.
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<double> w;
};

Taps axis_taps(const OpCall& call, size_t axis, int64_t in, int64_t out) {
  const std::string& mode = call.attrs.s("mode");
  const std::string& transform = call.attrs.s("coordinate_transformation_mode");
  const Floats& scales = call.attrs.floats("scales");
  const double num = scales.empty() ? static_cast<double>(in) : 1.0;
  const double den = scales.empty() ? static_cast<double>(out) : scales[axis];
  Taps taps;
  for (int64_t o = 0; o < out; ++o) {
    const double c = source_coordinate(transform, o, in, out, num, den);
    if (mode == "nearest") {
      const int64_t i =
          std::min(std::max<int64_t>(round_nearest(call.attrs.s("nearest_mode"), c), 0), in - 1);
      taps.lo.push_back(i);
      taps.hi.push_back(i);
      taps.w.push_back(0.0);
    } else {
      // Coordinates outside the input take the edge value (ONNX and torch clamp the same way).
      const double clamped = std::min(std::max(c, 0.0), static_cast<double>(in - 1));
      const int64_t lo = static_cast<int64_t>(std::floor(clamped));
      taps.lo.push_back(lo);
      taps.hi.push_back(std::min(lo + 1, in - 1));
      taps.w.push_back(clamped - static_cast<double>(lo));
    }
  }
  return taps;
}

void resize_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                   std::vector<Tensor>& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t rank = x.rank();
  const Shape& out_shape = out.shape();
  const Strides in_strides = contiguous_strides(x.shape());
  std::vector<Taps> taps;
  for (size_t d = 0; d < rank; ++d)
    taps.push_back(axis_taps(call, d, x.shape()[d], out_shape[d]));

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
