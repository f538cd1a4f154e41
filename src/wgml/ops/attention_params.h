// The attention op's sizes and attributes, checked once (ops/table/attention.cpp) and shared by
// the CPU and WGSL kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "wgml/core/tensor.h"
#include "wgml/ops/op_def.h"

namespace wgml {

struct AttentionParams {
  int64_t batch = 0, heads = 0, kv_heads = 0, group = 1;
  int64_t q_len = 0, kv_len = 0, head_size = 0, v_head_size = 0;
  double scale = 1.0;  // resolved: never 0
  bool causal = false;
  int64_t window = -1;   // -1: none; else key j is kept only when j > i + T - S - window
  double softcap = 0.0;  // 0: off
  bool has_bias = false;
};

// Validates q, k, v (and bias, when in[3] is defined) and the attributes; errors name the
// mismatched dims.
AttentionParams attention_params(const OpCall& call, const std::vector<Tensor>& in);

// The bias as a 4-D view [B or 1, H or 1, S or 1, T or 1] (leading dims of size 1 added), so
// kernels index it with (b, h, i, j) and broadcast axes contribute nothing.
inline Tensor attention_bias4(const Tensor& bias) {
  Shape shape = bias.shape();
  Strides strides = bias.strides();
  while (shape.size() < 4) {
    shape.insert(shape.begin(), 1);
    strides.insert(strides.begin(), 0);
  }
  return bias.with_view(shape, strides, bias.offset());
}

}  // namespace wgml
