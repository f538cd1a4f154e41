// The weights of matmul_dequant and conv_dequant as plain tensors: the CPU reference dequantizes
// first and then runs the ordinary matmul/conv, which is the ops' definition.
#pragma once

#include <vector>

#include "wgml/core/tensor.h"
#include "wgml/ops/op_def.h"

namespace wgml {

// matmul_dequant's W [K, N] in a's dtype (in = a, q, scale?, zero_point?).
Tensor cpu_dequant_matrix(const OpCall& call, const std::vector<Tensor>& in);
// conv_dequant's W (q's shape) in x's dtype (in = x, q, scale?, zero_point?, ...).
Tensor cpu_dequant_channels(const std::vector<Tensor>& in);

}  // namespace wgml
