// Linear algebra: matmul (NumPy/PyTorch semantics, batch dims broadcast) and ONNX Gemm as a
// composite over it.
#include <cmath>

#include "wgml/core/error.h"
#include "wgml/ops/dequant_params.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

using Outputs = std::vector<Tensor>;

// 1-D operands act as a row (left) or a column (right) vector whose unit axis is then dropped.
std::vector<TensorDesc> infer_matmul(const OpCall&, const std::vector<Tensor>& in) {
  const Shape& a = in[0].shape();
  const Shape& b = in[1].shape();
  WGML_CHECK(!a.empty() && !b.empty(), "matmul: operands need rank >= 1, got ", a, " @ ", b);
  const int64_t k_a = a.back();
  const int64_t k_b = b.size() == 1 ? b[0] : b[b.size() - 2];
  WGML_CHECK(k_a == k_b, "matmul: inner dimensions differ: ", a, " @ ", b);
  const Shape batch_a(a.begin(), a.end() - (a.size() >= 2 ? 2 : 1));
  const Shape batch_b(b.begin(), b.end() - (b.size() >= 2 ? 2 : 1));
  Shape out =
      broadcast_shapes(batch_a, batch_b, str_cat("matmul: batch dimensions of ", a, " @ ", b));
  if (a.size() >= 2) out.push_back(a[a.size() - 2]);
  if (b.size() >= 2) out.push_back(b.back());
  return {{out, in[0].dtype()}};
}

// a [..., M, K] @ W [K, N] -> [..., M, N] (a 1-d a gives [N]).
std::vector<TensorDesc> infer_matmul_dequant(const OpCall& call, const std::vector<Tensor>& in) {
  const DequantMatrix d = dequant_matrix(call, in);
  Shape out(in[0].shape().begin(), in[0].shape().end() - 1);
  out.push_back(d.n);
  return {{out, in[0].dtype()}};
}

Outputs gemm_decompose(OpBuilder& b, const OpCall& call, const Outputs& in) {
  Tensor a = in[0], m = in[1];
  const bool trans_a = call.attrs.i("transA") != 0, trans_b = call.attrs.i("transB") != 0;
  WGML_CHECK(a.rank() == 2 && m.rank() == 2, "gemm: A and B must be 2-d, got ", a.shape(), " and ",
             m.shape());
  const double alpha = call.attrs.f("alpha"), beta = call.attrs.f("beta");
  // Integer gemm cannot scale by a fraction without changing the dtype.
  WGML_CHECK(is_floating(a.dtype()) || (alpha == std::floor(alpha) && beta == std::floor(beta)),
             "gemm: alpha ", alpha, " and beta ", beta, " must be whole numbers for ", a.dtype());
  if (trans_a) a = b.call1("transpose", {a});
  if (trans_b) m = b.call1("transpose", {m});
  WGML_CHECK(a.shape()[1] == m.shape()[0], "gemm: inner dimensions differ: A ", in[0].shape(),
             " (transA=", trans_a, ") and B ", in[1].shape(), " (transB=", trans_b, ")");
  Tensor y = b.call1("matmul", {a, m});
  if (alpha != 1) y = b.call1("mul", {y, b.constant(alpha, y)});
  const bool has_c = in.size() > 2 && in[2].defined();
  if (has_c) {
    const Tensor& c = in[2];
    const Shape both =
        broadcast_shapes(c.shape(), y.shape(), "gemm: C does not broadcast to [M, N]");
    WGML_CHECK(both == y.shape(), "gemm: C ", c.shape(),
               " does not broadcast to [M, N] = ", y.shape());
  }
  // beta = 0 ignores C altogether, so NaN or inf in it do not leak through (as torch.addmm).
  if (has_c && beta != 0) {
    const Tensor c = beta == 1 ? in[2] : b.call1("mul", {in[2], b.constant(beta, in[2])});
    y = b.call1("add", {y, c});
  }
  return {y};
}

}  // namespace

void declare_linalg_ops(OpTable& t) {
  using namespace dtypes;
  const DTypeSet types = kFloat | kIndex;
  const Tolerance frobenius{ErrorMetric::Frobenius};
  t.kernel("matmul", {{"a", types}, {"b", types, 0}}, infer_matmul)
      .tolerance(frobenius)
      .doc("as numpy.matmul: 1-d operands become a row/column, batch dims broadcast");
  t.kernel("matmul_dequant",
           {{"a", kFloat | DTypeSet{DType::Int32}},
            {"q", DTypeSet{DType::Int8, DType::UInt8}},
            {"scale", kFloat, -1, true},
            {"zero_point", kFloat | DTypeSet{DType::Int8, DType::UInt8, DType::Int32}, -1, true}},
           infer_matmul_dequant)
      .attr("bits", int64_t{8})
      .attr("block", int64_t{1})
      .tolerance(frobenius)
      .doc(
          "a @ ((q - zero_point) * scale), dequantized as it is read: 8-bit q [K, N] or 4-bit "
          "q [N, K/2]; scale and zero point per tensor, column, row or k-block "
          "(ops/dequant_params.h)");
  t.composite("gemm", {{"a", types}, {"b", types, 0}, {"c", types, 0, true}}, gemm_decompose)
      .attr("alpha", 1.0)
      .attr("beta", 1.0)
      .attr("transA", int64_t{0})
      .attr("transB", int64_t{0})
      .tolerance(frobenius)
      .doc("ONNX Gemm: alpha * A' @ B' + beta * C, A and B 2-d, C broadcast to [M, N]");
}

}  // namespace wgml
