// CPU kernels of the linalg family: matmul over broadcast batches. Operands are loaded once in
// the compute type (double for floats, int64 for integers) so the hot loop is contiguous.
#include <algorithm>

#include "wgml/core/error.h"
#include "wgml/core/strided.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/backends/cpu/kernels/dequant.h"

namespace wgml {

namespace {

// Tile sizes: a kBlockK x kBlockN tile of B (128 KiB of doubles) stays in cache while every row
// of A streams past it.
constexpr int64_t kBlockK = 64;
constexpr int64_t kBlockN = 256;

// acc + a * b; integers wrap around like PyTorch's instead of overflowing (undefined in C++).
template <typename C>
C mul_add(C acc, C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<uint64_t>(acc) +
                          static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return acc + a * b;
  }
}

// out[m, n] = a[m, k] @ b[k, n], all row-major, in i-k-j order so the inner loop walks rows.
template <typename C>
void matmul_2d(const C* a, const C* b, C* out, int64_t m, int64_t k, int64_t n) {
  std::fill(out, out + m * n, C(0));
  for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
    const int64_t j1 = std::min(n, j0 + kBlockN);
    for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
      const int64_t k1 = std::min(k, k0 + kBlockK);
      for (int64_t i = 0; i < m; ++i) {
        C* row = out + i * n;
        for (int64_t kk = k0; kk < k1; ++kk) {
          const C av = a[i * k + kk];
          const C* b_row = b + kk * n;
          for (int64_t j = j0; j < j1; ++j)
            row[j] = mul_add(row[j], av, b_row[j]);
        }
      }
    }
  }
}

// The element offset of each operand matrix, in the order of the broadcast batch.
std::vector<int64_t> matrix_offsets(const Shape& batch, const Shape& own, int64_t matrix_size) {
  const Strides own_strides = contiguous_strides(own);
  Strides strides(batch.size(), 0);  // broadcast (size-1 or missing) dims repeat the matrix
  const size_t lead = batch.size() - own.size();
  for (size_t d = 0; d < own.size(); ++d) {
    if (own[d] != 1) strides[lead + d] = own_strides[d] * matrix_size;
  }
  std::vector<int64_t> offsets;
  if (shape_numel(batch) == 0) return offsets;
  for_each_offset(batch, strides, 0, [&](int64_t at) { offsets.push_back(at); });
  return offsets;
}

template <typename S>
void matmul_typed(const Tensor& a_in, const Tensor& b_in, Tensor& out) {
  using C = ComputeOf<S>;
  // View 1-d operands as [1, K] and [K, 1]; the output's shape already dropped those axes.
  Shape a_shape = a_in.shape(), b_shape = b_in.shape();
  if (a_shape.size() == 1) a_shape.insert(a_shape.begin(), 1);
  if (b_shape.size() == 1) b_shape.push_back(1);
  const int64_t m = a_shape[a_shape.size() - 2], k = a_shape.back(), n = b_shape.back();
  const Shape batch_a(a_shape.begin(), a_shape.end() - 2);
  const Shape batch_b(b_shape.begin(), b_shape.end() - 2);
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  const std::vector<int64_t> a_at = matrix_offsets(batch, batch_a, m * k);
  const std::vector<int64_t> b_at = matrix_offsets(batch, batch_b, k * n);

  const std::vector<C> a = cpu_values<C>(a_in);
  const std::vector<C> b = cpu_values<C>(b_in);
  std::vector<C> acc(static_cast<size_t>(m * n));
  S* dst = cpu_data<S>(out);
  for (size_t i = 0; i < a_at.size(); ++i) {
    matmul_2d(a.data() + a_at[i], b.data() + b_at[i], acc.data(), m, k, n);
    for (const C v : acc)
      *dst++ = store_as<S>(v);
  }
}

void matmul_kernel(const OpCall&, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  dispatch_dtype(inputs[0].dtype(), [&](auto tag) {
    matmul_typed<typename decltype(tag)::type>(inputs[0], inputs[1], outputs[0]);
  });
}

// The reference: the weight dequantized first (ops/dequant_params.h), then matmul.
void matmul_dequant_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                           std::vector<Tensor>& outputs) {
  const Tensor w = cpu_dequant_matrix(call, inputs);
  matmul_kernel(call, {inputs[0], w}, outputs);
}

}  // namespace

extern const std::vector<CpuKernel> kCpuLinalgKernels = {
    {"matmul", matmul_kernel},
    {"matmul_dequant", matmul_dequant_kernel},
};

}  // namespace wgml
