// CPU kernels of the sample family: grid_sample over any number of spatial axes, roi_align.
#include <algorithm>
#include <cmath>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/grid_sample_taps.h"
#include "wgml/ops/roi_align_geometry.h"

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

// One bilinear sample of a [H, W] plane at (y, x) as four (offset, weight) corners; all weights
// are 0 outside [-1, H] x [-1, W].
struct Corners {
  int64_t at[4] = {0, 0, 0, 0};
  double w[4] = {0, 0, 0, 0};
};

Corners bilinear_corners(double y, double x, int64_t height, int64_t width) {
  Corners c;
  const auto h = static_cast<double>(height), wd = static_cast<double>(width);
  if (y < -1.0 || y > h || x < -1.0 || x > wd) return c;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1 = y0 + 1, x1 = x0 + 1;
  if (y0 >= height - 1) {
    y0 = y1 = height - 1;
    y = static_cast<double>(y0);
  }
  if (x0 >= width - 1) {
    x0 = x1 = width - 1;
    x = static_cast<double>(x0);
  }
  const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
  const double hy = 1 - ly, hx = 1 - lx;
  c.at[0] = y0 * width + x0;
  c.at[1] = y0 * width + x1;
  c.at[2] = y1 * width + x0;
  c.at[3] = y1 * width + x1;
  c.w[0] = hy * hx;
  c.w[1] = hy * lx;
  c.w[2] = ly * hx;
  c.w[3] = ly * lx;
  return c;
}

// input [N, C, H, W], rois [R, 4], batch_indices [R] -> out [R, C, out_h, out_w].
void roi_align_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& outputs) {
  const RoiAlignParams p = roi_align_params(call);
  const Tensor x = cpu_contiguous(inputs[0]);
  const std::vector<double> rois = cpu_values<double>(inputs[1]);
  const std::vector<int64_t> batch = cpu_values<int64_t>(inputs[2]);
  Tensor& out = outputs[0];
  const int64_t n = x.shape()[0], channels = x.shape()[1];
  const int64_t height = x.shape()[2], width = x.shape()[3];
  const auto num_rois = static_cast<int64_t>(batch.size());
  const double offset = p.half_pixel ? 0.5 : 0.0;
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = cpu_data<S>(x);
    S* dst = cpu_data<S>(out);
    for (int64_t r = 0; r < num_rois; ++r) {
      const int64_t b = batch[static_cast<size_t>(r)];
      WGML_CHECK(b >= 0 && b < n, "roi_align: batch_indices[", r, "] = ", b,
                 " is out of range for an input of ", n, " image(s)");
      const double* roi = rois.data() + r * 4;
      const double x1 = roi[0] * p.spatial_scale - offset, y1 = roi[1] * p.spatial_scale - offset;
      double roi_w = roi[2] * p.spatial_scale - offset - x1;
      double roi_h = roi[3] * p.spatial_scale - offset - y1;
      WGML_CHECK(
          std::isfinite(x1) && std::isfinite(y1) && std::isfinite(roi_w) && std::isfinite(roi_h),
          "roi_align: ROI ", r, " has a coordinate that is not finite");
      if (!p.half_pixel) {
        roi_w = std::max(roi_w, 1.0);
        roi_h = std::max(roi_h, 1.0);
      }
      const double bin_h = roi_h / static_cast<double>(p.out_h);
      const double bin_w = roi_w / static_cast<double>(p.out_w);
      const double grid_hd =
          p.sampling_ratio > 0 ? static_cast<double>(p.sampling_ratio) : std::ceil(bin_h);
      const double grid_wd =
          p.sampling_ratio > 0 ? static_cast<double>(p.sampling_ratio) : std::ceil(bin_w);
      WGML_CHECK(grid_hd <= kRoiAlignMaxGrid && grid_wd <= kRoiAlignMaxGrid, "roi_align: ROI ", r,
                 " needs a sampling grid of ", grid_hd, " x ", grid_wd, " points per bin; at most ",
                 kRoiAlignMaxGrid, " per axis (set sampling_ratio)");
      const auto grid_h = static_cast<int64_t>(std::max(grid_hd, 0.0));
      const auto grid_w = static_cast<int64_t>(std::max(grid_wd, 0.0));
      const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
      for (int64_t c = 0; c < channels; ++c) {
        const S* plane = src + (b * channels + c) * height * width;
        for (int64_t ph = 0; ph < p.out_h; ++ph) {
          for (int64_t pw = 0; pw < p.out_w; ++pw) {
            double acc = 0;
            bool first = true;
            for (int64_t iy = 0; iy < grid_h; ++iy) {
              const double y =
                  y1 + static_cast<double>(ph) * bin_h +
                  (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
              for (int64_t ix = 0; ix < grid_w; ++ix) {
                const double xs =
                    x1 + static_cast<double>(pw) * bin_w +
                    (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
                const Corners k = bilinear_corners(y, xs, height, width);
                if (p.max) {
                  double v = k.w[0] * load_as<S, double>(plane[k.at[0]]);
                  for (int j = 1; j < 4; ++j)
                    v = std::max(v, k.w[j] * load_as<S, double>(plane[k.at[j]]));
                  acc = first ? v : std::max(acc, v);
                  first = false;
                } else {
                  for (int j = 0; j < 4; ++j)
                    acc += k.w[j] * load_as<S, double>(plane[k.at[j]]);
                }
              }
            }
            *dst++ = store_as<S>(p.max ? acc : acc / count);
          }
        }
      }
    }
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuSampleKernels = {
    {"grid_sample", grid_sample_kernel},
    {"roi_align", roi_align_kernel},
};

}  // namespace wgml
