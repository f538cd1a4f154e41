// CPU kernels of the sample family: grid_sample over any number of spatial axes.
#include <cmath>
#include <vector>

#include "wgml/kernels/cpu/cpu_kernel.h"
#include "wgml/ops/grid_sample_taps.h"

namespace wgml {

namespace {

// input [N, C, D...], grid [N, O..., k] -> out [N, C, O...]. Each output position has up to four
// taps per spatial axis; the value is the sum over every combination of one tap per axis.
void grid_sample_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                        std::vector<Tensor>& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  const std::vector<double> grid = cpu_values<double>(inputs[1]);
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const GridSampleMode mode = grid_sample_mode(call.attrs.s("mode"), call.attrs.s("padding_mode"),
                                               call.attrs.i("align_corners"));
  const Shape& in_shape = x.shape();
  const size_t k = in_shape.size() - 2;
  const int64_t batch = in_shape[0], channels = in_shape[1];
  const int64_t positions = out.numel() / (batch * channels);  // output points per image
  const Strides strides = contiguous_strides(in_shape);

  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = cpu_data<S>(x);
    S* dst = cpu_data<S>(out);
    std::vector<GridTaps> taps(k);
    std::vector<int> t(k);
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t p = 0; p < positions; ++p) {
        // grid[..., 0] is the last spatial axis (x), grid[..., 1] the one before (y), ...
        const double* coords = grid.data() + (n * positions + p) * static_cast<int64_t>(k);
        bool empty = false;
        for (size_t d = 0; d < k; ++d) {
          taps[d] = grid_sample_axis_taps(mode, in_shape[d + 2], coords[k - 1 - d]);
          empty = empty || taps[d].count == 0;
        }
        for (int64_t c = 0; c < channels; ++c) {
          const S* plane = src + (n * channels + c) * strides[1];
          double acc = 0;
          if (!empty) {
            std::fill(t.begin(), t.end(), 0);
            for (bool more = true; more;) {  // an odometer over one tap per axis
              double weight = 1;
              int64_t at = 0;
              for (size_t d = 0; d < k; ++d) {
                weight *= taps[d].weight[t[d]];
                at += taps[d].index[t[d]] * strides[d + 2];
              }
              acc += weight * load_as<S, double>(plane[at]);
              more = false;
              for (size_t d = k; d-- > 0;) {
                if (++t[d] < taps[d].count) {
                  more = true;
                  break;
                }
                t[d] = 0;
              }
            }
          }
          dst[(n * channels + c) * positions + p] = store_as<S>(acc);
        }
      }
    }
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuSampleKernels = {
    {"grid_sample", grid_sample_kernel},
};

}  // namespace wgml
