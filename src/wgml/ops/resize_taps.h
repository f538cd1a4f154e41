// Output-to-input sampling of one resize axis (ONNX coordinate_transformation_mode, nearest_mode,
// cubic_coeff_a, exclude_outside),
// shared by the CPU kernel and the WGSL generator, which checks its formulas against it.
#pragma once

#include <string>
#include <vector>

#include "wgml/ops/op_def.h"

namespace wgml {

// Where output position `x` of an axis reads in the input. The ratio in/out is num / den: (in, out)
// for sizes, (1, scale) for scales, so a sizes call whose exact answer is an integer gets that
// integer (what nearest's rounding needs). Defined in ops/table/resize.cpp.
double resize_source_coordinate(const std::string& transform, int64_t x, int64_t in, int64_t out,
                                double num, double den);

// Output position o of one axis reads `per_output` input positions with weights: one (weight 1)
// for nearest, two for linear, four for cubic. Positions are clamped into the input (edge
// values); cubic's exclude_outside instead gives outside taps weight 0 and renormalises.
struct ResizeTaps {
  size_t per_output = 1;
  std::vector<int64_t> index;  // [out * per_output]
  std::vector<double> weight;  // [out * per_output]
  int64_t source(int64_t o, size_t t) const {
    return index[static_cast<size_t>(o) * per_output + t];
  }
  double weight_of(int64_t o, size_t t) const {
    return weight[static_cast<size_t>(o) * per_output + t];
  }
};
ResizeTaps resize_axis_taps(const OpCall& call, size_t axis, int64_t in, int64_t out);

}  // namespace wgml
