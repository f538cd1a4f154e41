// Output-to-input sampling of one resize axis (ONNX coordinate_transformation_mode, nearest_mode),
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

// Output position o of one axis reads input positions lo[o] and hi[o] with weights 1 - w[o], w[o].
struct ResizeTaps {
  std::vector<int64_t> lo, hi;
  std::vector<double> w;
};
ResizeTaps resize_axis_taps(const OpCall& call, size_t axis, int64_t in, int64_t out);

}  // namespace wgml
