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

Comparison compare(const Tensor& got, const Tensor& ref, const Tolerance& tol);

}  // namespace wgml::harness
