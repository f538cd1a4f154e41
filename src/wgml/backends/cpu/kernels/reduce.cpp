// Reductions on the CPU: the input is viewed with the kept axes first and the reduced axes last,
// then each output element folds its reduced sub-block in double (floats) or int64 (integers).
#include <algorithm>
#include <cmath>
#include <limits>

#include "wgml/core/error.h"
#include "wgml/core/strided.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/backends/cpu/kernels/scalar_math.h"
#include "wgml/ops/infer.h"

namespace wgml {

namespace {

template <typename C>
C initial_value(ReduceSpec::Init init) {
  switch (init) {
    case ReduceSpec::Init::Zero:
      return C(0);
    case ReduceSpec::Init::One:
      return C(1);
    case ReduceSpec::Init::Lowest:
      return std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity()
                                                  : std::numeric_limits<C>::lowest();
    case ReduceSpec::Init::Highest:
      return std::numeric_limits<C>::has_infinity ? std::numeric_limits<C>::infinity()
                                                  : std::numeric_limits<C>::max();
  }
  return C(0);
}

template <typename C>
bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return std::isnan(v);
  return false;
}

template <typename S>
void reduce_typed(const OpCall& call, const Tensor& x, Tensor& out) {
  using C = ComputeOf<S>;
  const ReduceSpec& spec = call.op->reduce;
  const std::vector<int> axes = reduce_axes(call, x.rank());
  Shape outer_shape, inner_shape;
  Strides outer_strides, inner_strides;
  for (size_t d = 0; d < x.rank(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end();
    (reduced ? inner_shape : outer_shape).push_back(x.shape()[d]);
    (reduced ? inner_strides : outer_strides).push_back(x.strides()[d]);
  }
  const S* base = static_cast<const S*>(x.storage()->host_data());
  const bool last_index = spec.arg && call.attrs.i("select_last_index") != 0;
  int64_t o = 0;
  for_each_offset(outer_shape, outer_strides, x.offset(), [&](int64_t outer_at) {
    C acc = initial_value<C>(spec.init);
    int64_t best = 0, position = 0;
    for_each_offset(inner_shape, inner_strides, outer_at, [&](int64_t at) {
      const C v = load_as<S, C>(base[at]);
      if (spec.arg) {
        // NaN wins, as in PyTorch; ties keep the first (or last) occurrence.
        const bool better = spec.combine == expr::Fn::Max ? (v > acc || (last_index && v == acc))
                                                          : (v < acc || (last_index && v == acc));
        if (position == 0 || (!is_nan(acc) && (better || is_nan(v)))) {
          acc = v;
          best = position;
        }
        ++position;
        return;
      }
      if (spec.combine == expr::Fn::Max || spec.combine == expr::Fn::Min) {
        if (is_nan(acc)) return;  // NaN propagates
        if (is_nan(v)) {
          acc = v;
          return;
        }
      }
      acc = scalar::binary(spec.combine, acc, v);
    });
    if (spec.arg) {
      cpu_data<int64_t>(out)[o++] = best;
    } else {
      cpu_data<S>(out)[o++] = store_as<S>(acc);
    }
  });
}

}  // namespace

void cpu_reduce(const OpCall& call, const Tensor& input, Tensor& out) {
  dispatch_dtype(input.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    reduce_typed<S>(call, input, out);
  });
}

}  // namespace wgml
