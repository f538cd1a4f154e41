// CPU kernel of the attention family: the reference for ops/table/attention.cpp, in double
// with a max-shifted softmax per query row.
#include <cmath>
#include <limits>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/attention_params.h"

namespace wgml {

namespace {

// Row-major strides of `shape` with 0 on axes of size 1 (broadcast).
std::vector<int64_t> broadcast_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 0);
  int64_t step = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = shape[d] == 1 ? 0 : step;
    step *= shape[d];
  }
  return strides;
}

void attention_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& outputs) {
  const AttentionParams p = attention_params(call, inputs);
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const std::vector<double> q = cpu_values<double>(inputs[0]);
  const std::vector<double> k = cpu_values<double>(inputs[1]);
  const std::vector<double> v = cpu_values<double>(inputs[2]);
  std::vector<double> bias;
  std::vector<int64_t> bs(4, 0);
  if (p.has_bias) {
    const Tensor bias4 = attention_bias4(inputs[3]);
    bias = cpu_values<double>(bias4);
    bs = broadcast_strides(bias4.shape());
  }
  const int64_t S = p.q_len, T = p.kv_len, D = p.head_size, Dv = p.v_head_size;
  const double lowest = -std::numeric_limits<double>::infinity();
  std::vector<double> result(static_cast<size_t>(out.numel()), 0.0);
  std::vector<double> scores(static_cast<size_t>(T));
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t hk = h / p.group;
      const double* kh = k.data() + (b * p.kv_heads + hk) * T * D;
      const double* vh = v.data() + (b * p.kv_heads + hk) * T * Dv;
      for (int64_t i = 0; i < S; ++i) {
        const double* qi = q.data() + ((b * p.heads + h) * S + i) * D;
        const int64_t last = i + T - S;  // the query's position among the keys
        double row_max = lowest;
        for (int64_t j = 0; j < T; ++j) {
          double s = lowest;
          const bool masked = (p.causal && j > last) || (p.window > 0 && j <= last - p.window);
          if (!masked) {
            s = 0;
            for (int64_t d = 0; d < D; ++d)
              s += qi[d] * kh[j * D + d];
            s *= p.scale;
            if (p.softcap > 0) s = p.softcap * std::tanh(s / p.softcap);
            if (p.has_bias)
              s += bias[static_cast<size_t>(b * bs[0] + h * bs[1] + i * bs[2] + j * bs[3])];
          }
          scores[static_cast<size_t>(j)] = s;
          if (s > row_max) row_max = s;
        }
        double* o = result.data() + ((b * p.heads + h) * S + i) * Dv;
        if (row_max == lowest) continue;  // every key masked: the row stays 0
        double sum = 0;
        for (int64_t j = 0; j < T; ++j) {
          const double s = scores[static_cast<size_t>(j)];
          if (s == lowest) continue;
          const double e = std::exp(s - row_max);
          sum += e;
          for (int64_t d = 0; d < Dv; ++d)
            o[d] += e * vh[j * Dv + d];
        }
        for (int64_t d = 0; d < Dv; ++d)
          o[d] /= sum;
      }
    }
  }
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using S_ = typename decltype(tag)::type;
    S_* dst = cpu_data<S_>(out);
    for (size_t e = 0; e < result.size(); ++e)
      dst[e] = store_as<S_>(result[e]);
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuAttentionKernels = {
    {"attention", attention_kernel},
};

}  // namespace wgml
