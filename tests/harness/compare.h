// Compares a result with its reference under an op's tolerance.
#pragma once

#include <string>

#include "wgml/core/tensor.h"
#include "wgml/ops/op_def.h"

namespace wgml::harness {

struct Comparison {
  bool ok = false;
  double error = 0;  // in the metric of the tolerance; 0 for exact matches
  double allowed = 0;
  std::string detail;  // what differs, for the failure report
};

// `float32_arithmetic`: the device computes float32 results in float32 (WebGPU), not in double
// as the CPU reference does; see kFloat32ArithmeticAtol.
Comparison compare(const Tensor& got, const Tensor& ref, const Tolerance& tol,
                   bool float32_arithmetic = false);

}  // namespace wgml::harness
