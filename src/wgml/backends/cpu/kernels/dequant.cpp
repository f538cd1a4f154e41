#include "wgml/backends/cpu/kernels/dequant.h"

#include "wgml/ops/dequant_params.h"

namespace wgml {

namespace {

// The elements of an optional parameter as doubles; `fallback` alone when it is absent.
std::vector<double> param_values(const std::vector<Tensor>& in, size_t i, double fallback) {
  if (in.size() <= i || !in[i].defined()) return {fallback};
  return in[i].to_vector<double>();
}

}  // namespace

Tensor cpu_dequant_matrix(const OpCall& call, const std::vector<Tensor>& in) {
  const DequantMatrix d = dequant_matrix(call, in);
  const std::vector<int64_t> q = in[1].to_vector<int64_t>();
  const std::vector<double> scale = param_values(in, 2, 1.0);
  const std::vector<double> zero = param_values(in, 3, 0.0);
  const int64_t row_bytes = d.bits == 4 ? in[1].shape()[1] : 0;
  std::vector<double> w(static_cast<size_t>(d.k * d.n));
  for (int64_t k = 0; k < d.k; ++k) {
    for (int64_t n = 0; n < d.n; ++n) {
      int64_t v = 0;
      if (d.bits == 8) {
        v = q[static_cast<size_t>(k * d.n + n)];
      } else {
        const int64_t byte = q[static_cast<size_t>(n * row_bytes + k / 2)];
        v = (byte >> (4 * (k % 2))) & 15;
      }
      const double s =
          scale[static_cast<size_t>(dequant_param_index(d.scale_k, d.scale_n, d.block, k, n))];
      const double z =
          zero[static_cast<size_t>(dequant_param_index(d.zero_k, d.zero_n, d.block, k, n))];
      w[static_cast<size_t>(k * d.n + n)] = (static_cast<double>(v) - z) * s;
    }
  }
  return Tensor::from_vector(w, {d.k, d.n}, in[0].dtype());
}

Tensor cpu_dequant_channels(const std::vector<Tensor>& in) {
  int64_t scales = 0, zeros = 0;
  dequant_channels(in, &scales, &zeros);
  const std::vector<int64_t> q = in[1].to_vector<int64_t>();
  const std::vector<double> scale = param_values(in, 2, 1.0);
  const std::vector<double> zero = param_values(in, 3, 0.0);
  const int64_t channels = in[1].shape()[0];
  const int64_t per_channel = channels == 0 ? 0 : in[1].numel() / channels;
  std::vector<double> w(q.size());
  for (size_t e = 0; e < q.size(); ++e) {
    const auto m = static_cast<size_t>(static_cast<int64_t>(e) / per_channel);
    const double s = scale[scale.size() == 1 ? 0 : m];
    const double z = zero[zero.size() == 1 ? 0 : m];
    w[e] = (static_cast<double>(q[e]) - z) * s;
  }
  return Tensor::from_vector(w, in[1].shape(), in[0].dtype());
}

}  // namespace wgml
