// The quantized weights of matmul_dequant and conv_dequant: W = (q - zero_point) * scale, read
// from q's stored bytes inside the kernel, so a quantized weight never exists as floats on the
// device. Checked once (ops/dequant_params.cpp) and shared by the table and both backends.
//
// matmul_dequant (a, q, scale?, zero_point?) is a @ W with W logically [K, N] (K = a's last dim):
//   bits 8: q is int8 or uint8 [K, N] (any view: a transposed one reads an [N, K] weight);
//   bits 4: q is uint8 [N, Kb] with 2 * Kb >= K, two k's per byte, low nibble first
//           (MatMulNBits' blob layout with its blocks flattened), values 0..15.
//   scale and zero_point are [Gk, Gn] (or one element): Gn is 1 or N; Gk is 1 or
//   ceil(K / block), so that element (k, n) uses entry (k / block, n) of each.
// conv_dequant (x, q, scale?, zero_point?, bias?) is conv with W = q [M, C/group, k...] int8 or
// uint8 and scale/zero_point per output channel ([M]) or one for all.
// Without a scale W is q - zero_point: with int32 activations both ops are exact integer
// products (MatMulInteger, ConvInteger).
#pragma once

#include <cstdint>
#include <vector>

#include "wgml/core/tensor.h"
#include "wgml/ops/op_def.h"

namespace wgml {

struct DequantMatrix {
  int64_t k = 0, n = 0;
  int64_t bits = 8, block = 1;
  bool has_scale = false, has_zero = false;
  // Entries of scale and zero point along k and along n (1: the same for all).
  int64_t scale_k = 1, scale_n = 1, zero_k = 1, zero_n = 1;
};

// Validates matmul_dequant's operands (in = a, q, scale?, zero_point?) and attributes.
DequantMatrix dequant_matrix(const OpCall& call, const std::vector<Tensor>& in);

// The element of a [G, N]-style parameter for (k, n): row k / block when it has rows, column n
// when it has columns.
inline int64_t dequant_param_index(int64_t rows, int64_t cols, int64_t block, int64_t k,
                                   int64_t n) {
  return (rows == 1 ? 0 : (k / block) * cols) + (cols == 1 ? 0 : n);
}

// Validates conv_dequant's scale and zero point against the weight's M output channels: each
// absent, one element, or [M]. Returns how many entries each has (0 when absent).
void dequant_channels(const std::vector<Tensor>& in, int64_t* scale_entries, int64_t* zero_entries);

}  // namespace wgml
