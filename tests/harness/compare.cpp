#include "compare.h"

#include <cmath>
#include <sstream>

namespace wgml::harness {

namespace {
// Float32 results below this magnitude are compared absolutely: the inputs' own rounding
// dominates there (sin near pi, x - x), so a relative bound would only measure noise.
constexpr double kFloat32Atol = 1e-6;
constexpr double kFloat16Atol = 1e-4;
// A device computing in float32 rounds every intermediate term to 24 bits: terms of magnitude ~1
// carry ~6e-8 of rounding, which survives whole when the result cancels to ~1e-4 (hardsigmoid
// near its kink, alpha * x + beta). PyTorch's own float32 kernels do the same. So below 1e-2 such
// results are held to an absolute 1e-7 (1e-5 of 1e-2) instead of a relative bound; above it the
// op's relative tolerance applies unchanged.
constexpr double kFloat32ArithmeticAtol = 1e-2;
}  // namespace

Comparison compare(const Tensor& got, const Tensor& ref, const Tolerance& tol,
                   bool float32_arithmetic) {
  Comparison c;
  if (got.shape() != ref.shape() || got.dtype() != ref.dtype()) {
    c.detail = str_cat("got ", dtype_name(got.dtype()), got.shape(), ", expected ",
                       dtype_name(ref.dtype()), ref.shape());
    return c;
  }
  if (!is_floating(got.dtype())) {
    const auto g = got.to_vector<int64_t>(), r = ref.to_vector<int64_t>();
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i] != r[i]) {
        c.detail = str_cat("element ", i, ": got ", g[i], ", expected ", r[i]);
        c.error = 1;
        return c;
      }
    }
    c.ok = true;
    return c;
  }
  const auto g = got.to_vector<double>(), r = ref.to_vector<double>();
  const bool half = got.dtype() == DType::Float16;
  c.allowed = half ? tol.float16 : tol.float32;
  const double atol =
      half ? kFloat16Atol : (float32_arithmetic ? kFloat32ArithmeticAtol : kFloat32Atol);
  double num = 0, den = 0, worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(r[i]) || std::isinf(r[i])) {
      const bool same = std::isnan(r[i]) ? std::isnan(g[i]) : g[i] == r[i];
      if (!same) {
        c.detail = str_cat("element ", i, ": got ", g[i], ", expected ", r[i]);
        c.error = INFINITY;
        return c;
      }
      continue;
    }
    const double diff = std::isnan(g[i]) ? INFINITY : std::fabs(g[i] - r[i]);
    num += diff * diff;
    den += r[i] * r[i];
    const double rel = diff / (std::fabs(r[i]) + atol);
    if (!(rel <= worst)) {
      worst = rel;
      worst_at = i;
    }
  }
  c.error = tol.metric == ErrorMetric::Frobenius ? std::sqrt(num) / (std::sqrt(den) + atol) : worst;
  c.ok = c.error <= c.allowed;
  if (!c.ok && !g.empty()) {
    c.detail =
        str_cat("worst element ", worst_at, ": got ", g[worst_at], ", expected ", r[worst_at]);
  }
  return c;
}

}  // namespace wgml::harness
