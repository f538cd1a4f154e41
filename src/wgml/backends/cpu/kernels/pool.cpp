// CPU kernels of the pool family: max_pool and avg_pool over any number of spatial axes.
#include <algorithm>
#include <cmath>
#include <limits>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/window.h"

namespace wgml {

namespace {

// Advances a row-major multi-index over `dims`; false once it wraps around.
bool next_index(Ints& index, const Ints& dims) {
  for (size_t d = index.size(); d-- > 0;) {
    if (++index[d] < dims[d]) return true;
    index[d] = 0;
  }
  return false;
}

// Advances a multi-index over the box [lo, hi); false once it wraps around.
bool next_index_in(Ints& index, const Ints& lo, const Ints& hi) {
  for (size_t d = index.size(); d-- > 0;) {
    if (++index[d] < hi[d]) return true;
    index[d] = lo[d];
  }
  return false;
}

// The first kernel tap k in [0, kernel] whose position begin + k * dilation reaches `bound`.
int64_t first_tap(int64_t begin, int64_t dilation, int64_t bound, int64_t kernel) {
  if (begin >= bound) return 0;
  return std::min(kernel, (bound - begin - 1) / dilation + 1);  // a ceil that cannot overflow
}

template <bool kMax>
void pool_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  const size_t spatial = x.rank() - 2;
  const PoolWindows window = pool_windows(call, x.shape());
  const Ints &kernel = window.kernel, &strides = window.strides, &dilations = window.dilations;
  const Ints pads = window.pads();  // begins then ends
  const bool include_pad = !kMax && call.attrs.i("count_include_pad") != 0;

  const Ints in_size(x.shape().begin() + 2, x.shape().end());
  const Ints out_size(out.shape().begin() + 2, out.shape().end());
  const Strides in_strides = contiguous_strides(in_size);
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const int64_t in_plane = shape_numel(in_size), out_plane = shape_numel(out_size);
  if (planes == 0 || out_plane == 0) return;

  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    using C = ComputeOf<S>;
    C lowest = std::numeric_limits<C>::lowest();
    if constexpr (std::is_floating_point_v<C>) lowest = -std::numeric_limits<C>::infinity();
    const S* src = cpu_data<S>(x);
    S* dst = cpu_data<S>(out);
    for (int64_t p = 0; p < planes; ++p) {
      const S* plane = src + p * in_plane;
      Ints o(spatial, 0);
      do {
        // Per axis, the taps [lo, hi) that land inside the input, and how many land inside the
        // padded input (count_include_pad): the loop visits only the former, so a huge kernel
        // over mostly padding costs no more than the input it covers.
        Ints lo(spatial), hi(spatial);
        double count = 1;  // the avg_pool divisor; double, as huge kernels overflow int64
        bool any = true;
        for (size_t d = 0; d < spatial; ++d) {
          const int64_t begin = o[d] * strides[d] - pads[d];
          lo[d] = first_tap(begin, dilations[d], 0, kernel[d]);
          hi[d] = first_tap(begin, dilations[d], in_size[d], kernel[d]);
          count *= static_cast<double>(
              include_pad
                  ? first_tap(begin, dilations[d], in_size[d] + pads[d + spatial], kernel[d]) -
                        first_tap(begin, dilations[d], -pads[d], kernel[d])
                  : hi[d] - lo[d]);
          any = any && lo[d] < hi[d];
        }
        C acc = kMax ? lowest : C(0);
        Ints k = lo;
        while (any) {
          int64_t at = 0;
          for (size_t d = 0; d < spatial; ++d)
            at += (o[d] * strides[d] - pads[d] + k[d] * dilations[d]) * in_strides[d];
          const C v = load_as<S, C>(plane[at]);
          if constexpr (kMax) {
            if constexpr (std::is_floating_point_v<C>) {
              if (v > acc || std::isnan(v)) acc = v;  // NaN wins and then stays
            } else if (v > acc) {
              acc = v;
            }
          } else {
            acc += v;
          }
          any = next_index_in(k, lo, hi);
        }
        if constexpr (kMax) {
          *dst++ = store_as<S>(acc);
        } else {
          // A dilated window can miss the input entirely: 0 / 0 gives NaN, not UB, for floats.
          *dst++ = store_as<S>(static_cast<double>(acc) / count);
        }
      } while (next_index(o, out_size));
    }
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuPoolKernels = {
    {"max_pool", pool_kernel<true>},
    {"avg_pool", pool_kernel<false>},
};

}  // namespace wgml
