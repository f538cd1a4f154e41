#include "wgml/ops/dequant_params.h"

#include "wgml/core/error.h"

namespace wgml {

namespace {

// Rows and columns of a matmul_dequant scale or zero point: one element, or [Gk, Gn].
void param_grid(const Tensor& t, const char* what, const DequantMatrix& d, int64_t* rows,
                int64_t* cols) {
  if (t.numel() == 1 && t.rank() <= 2) {
    *rows = *cols = 1;
    return;
  }
  const int64_t groups = (d.k + d.block - 1) / d.block;
  WGML_CHECK(t.rank() == 2, "matmul_dequant: ", what, " ", t.shape(),
             " must be [groups along k or 1, N or 1]");
  *rows = t.shape()[0];
  *cols = t.shape()[1];
  WGML_CHECK(*cols == 1 || *cols == d.n, "matmul_dequant: ", what, " ", t.shape(), " must have ",
             d.n, " (N) columns or 1");
  WGML_CHECK(*rows == 1 || *rows == groups, "matmul_dequant: ", what, " ", t.shape(), " must have ",
             groups, " rows (K ", d.k, " in blocks of ", d.block, ") or 1");
}

}  // namespace

DequantMatrix dequant_matrix(const OpCall& call, const std::vector<Tensor>& in) {
  DequantMatrix d;
  const Tensor& a = in[0];
  const Tensor& q = in[1];
  d.bits = call.attrs.i("bits");
  d.block = call.attrs.i("block");
  WGML_CHECK(d.bits == 8 || d.bits == 4, "matmul_dequant: bits ", d.bits, " must be 8 or 4");
  WGML_CHECK(d.block >= 1, "matmul_dequant: block ", d.block, " must be >= 1");
  WGML_CHECK(a.rank() >= 1, "matmul_dequant: a must have rank >= 1, got ", a.shape());
  WGML_CHECK(q.rank() == 2, "matmul_dequant: q ", q.shape(), " must be 2-d");
  d.k = a.shape().back();
  if (d.bits == 8) {
    WGML_CHECK(q.shape()[0] == d.k, "matmul_dequant: q ", q.shape(),
               " must be [K, N] with K = ", d.k, " (a ", a.shape(), ")");
    d.n = q.shape()[1];
  } else {
    WGML_CHECK(q.dtype() == DType::UInt8, "matmul_dequant: 4-bit q must be uint8, got ", q.dtype());
    d.n = q.shape()[0];
    WGML_CHECK(2 * q.shape()[1] >= d.k, "matmul_dequant: 4-bit q ", q.shape(),
               " holds fewer than K = ", d.k, " values per row");
  }
  d.has_scale = in.size() > 2 && in[2].defined();
  d.has_zero = in.size() > 3 && in[3].defined();
  if (d.has_scale) param_grid(in[2], "scale", d, &d.scale_k, &d.scale_n);
  if (d.has_zero) param_grid(in[3], "zero_point", d, &d.zero_k, &d.zero_n);
  const bool integer = !is_floating(a.dtype());
  WGML_CHECK(!(integer && d.has_scale),
             "matmul_dequant: int32 a multiplies q - zero_point "
             "exactly and takes no scale");
  return d;
}

void dequant_channels(const std::vector<Tensor>& in, int64_t* scale_entries,
                      int64_t* zero_entries) {
  const int64_t channels = in[1].shape().at(0);
  const auto entries = [&](size_t i, const char* what) -> int64_t {
    if (in.size() <= i || !in[i].defined()) return 0;
    const Tensor& t = in[i];
    if (t.numel() == 1 && t.rank() <= 1) return 1;
    WGML_CHECK(t.rank() == 1 && t.shape()[0] == channels, "conv_dequant: ", what, " ", t.shape(),
               " must be [", channels, "] (one per output channel) or one element");
    return channels;
  };
  *scale_entries = entries(2, "scale");
  *zero_entries = entries(3, "zero_point");
  WGML_CHECK(!(!is_floating(in[0].dtype()) && *scale_entries > 0),
             "conv_dequant: int32 x convolves with q - zero_point exactly and takes no scale");
}

}  // namespace wgml
