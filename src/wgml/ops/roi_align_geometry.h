// The geometry of roi_align (ONNX RoiAlign, torchvision's roi_align), shared by the CPU kernel
// and the WGSL generator, which writes the same steps in f32:
//   - a ROI (x1, y1, x2, y2) is scaled by spatial_scale; half_pixel shifts it by -0.5
//   (torchvision's
//     aligned=True), output_half_pixel keeps it and makes it at least 1 x 1;
//   - it is cut into output_height x output_width bins, each sampled on a grid of sampling_ratio
//     points per axis (0: ceil(bin size), per ROI);
//   - a sample is bilinear: outside [-1, size] it is 0; otherwise the coordinate is clamped at 0,
//     and at the last row or column it takes that row or column;
//   - avg averages a bin's samples; max takes, over the samples, the largest of the four weighted
//     corner values (ONNX Runtime's and ONNX's reference definition).
#pragma once

#include <cstdint>

#include "wgml/ops/op_def.h"

namespace wgml {

struct RoiAlignParams {
  bool max = false;        // mode max, else avg
  bool half_pixel = true;  // coordinate_transformation_mode half_pixel, else output_half_pixel
  int64_t out_h = 1, out_w = 1;
  int64_t sampling_ratio = 0;  // 0: adaptive
  double spatial_scale = 1.0;
};
RoiAlignParams roi_align_params(const OpCall& call);

// The adaptive sampling grid per bin is capped at this many points per axis: a huge or
// non-finite ROI must not make a kernel loop for ever. The CPU raises past it; WebGPU, which
// cannot raise from a shader, samples at most this many.
constexpr int64_t kRoiAlignMaxGrid = 1024;

}  // namespace wgml
