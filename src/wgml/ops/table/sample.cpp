// Sampling at data-given positions: grid_sample (ONNX GridSample, opsets 16 and 20; PyTorch's
// F.grid_sample) over any number of spatial axes, and roi_align (ONNX RoiAlign; torchvision's
// roi_align).
#include <algorithm>
#include <cmath>
#include <string>

#include "wgml/core/error.h"
#include "wgml/ops/grid_sample_taps.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/roi_align_geometry.h"
#include "wgml/ops/table/families.h"

namespace wgml {

GridSampleMode grid_sample_mode(const std::string& mode, const std::string& padding,
                                int64_t align_corners) {
  GridSampleMode m;
  if (mode == "nearest") {
    m.interp = GridSampleMode::Interp::Nearest;
  } else if (mode == "linear") {
    m.interp = GridSampleMode::Interp::Linear;
  } else if (mode == "cubic") {
    m.interp = GridSampleMode::Interp::Cubic;
  } else {
    throw Error(
        str_cat("grid_sample: unknown mode '", mode, "'; expected nearest, linear or cubic"));
  }
  if (padding == "zeros") {
    m.padding = GridSampleMode::Padding::Zeros;
  } else if (padding == "border") {
    m.padding = GridSampleMode::Padding::Border;
  } else if (padding == "reflection") {
    m.padding = GridSampleMode::Padding::Reflection;
  } else {
    throw Error(str_cat("grid_sample: unknown padding_mode '", padding,
                        "'; expected zeros, border or reflection"));
  }
  m.align_corners = align_corners != 0;
  return m;
}

namespace {

// Mirrors c into [lo, hi] (lo < hi) as often as it takes: the edges act as mirrors.
double reflect(double c, double lo, double hi) {
  const double span = hi - lo;
  const double from_lo = std::fabs(c - lo);
  const double flips = std::floor(from_lo / span);
  const double extra = std::fmod(from_lo, span);
  return std::fmod(flips, 2.0) == 0.0 ? lo + extra : hi - extra;
}

// padding_mode applied to a coordinate in input element units.
double pad_coordinate(const GridSampleMode& m, int64_t size, double c) {
  const double last = static_cast<double>(size - 1);
  if (m.padding == GridSampleMode::Padding::Zeros) return c;
  if (m.padding == GridSampleMode::Padding::Reflection) {
    // Mirrors at the edge elements' centres (align_corners) or their outer edges.
    if (m.align_corners) {
      c = size > 1 ? reflect(c, 0.0, last) : 0.0;
    } else {
      c = reflect(c, -0.5, static_cast<double>(size) - 0.5);
    }
  }
  return std::min(std::max(c, 0.0), last);  // NaN stays NaN (max/min keep their first operand)
}

}  // namespace

GridTaps grid_sample_axis_taps(const GridSampleMode& m, int64_t size, double g) {
  GridTaps taps;
  const double n = static_cast<double>(size);
  const double c = m.align_corners ? (g + 1) / 2 * (n - 1) : ((g + 1) * n - 1) / 2;
  // Positions are kept as doubles until known to lie in [0, size): a huge or NaN coordinate must
  // not reach an integer conversion.
  auto add = [&](double position, double weight) {
    if (position >= 0 && position < n) {
      taps.index[taps.count] = static_cast<int64_t>(position);
      taps.weight[taps.count] = weight;
      ++taps.count;
    }
  };
  if (!std::isfinite(c)) return taps;
  if (m.interp == GridSampleMode::Interp::Cubic) {
    const double lo = std::floor(c);
    const double t = c - lo;
    for (int k = 0; k < 4; ++k)
      add(pad_coordinate(m, size, lo - 1 + k), cubic_convolution_weight(-0.75, t + 1 - k));
    return taps;
  }
  const double p = pad_coordinate(m, size, c);
  if (m.interp == GridSampleMode::Interp::Nearest) {
    add(std::nearbyint(p), 1.0);  // round half to even, as PyTorch
  } else {
    const double lo = std::floor(p);
    add(lo, 1 - (p - lo));
    add(lo + 1, p - lo);
  }
  return taps;
}

namespace {

std::vector<TensorDesc> infer_grid_sample(const OpCall& call, const std::vector<Tensor>& in) {
  grid_sample_mode(call.attrs.s("mode"), call.attrs.s("padding_mode"),
                   call.attrs.i("align_corners"));
  const Shape& x = in[0].shape();
  const Shape& grid = in[1].shape();
  WGML_CHECK(x.size() >= 3, "grid_sample: input ", x,
             " must be [N, C, spatial...] with at least one spatial axis");
  const size_t spatial = x.size() - 2;
  WGML_CHECK(
      grid.size() == x.size() && grid.back() == static_cast<int64_t>(spatial) && grid[0] == x[0],
      "grid_sample: grid ", grid, " must be [N, out spatial..., ", spatial, "] for input ", x,
      " (N = ", x[0], ", one coordinate per spatial axis)");
  Shape out = {x[0], x[1]};
  out.insert(out.end(), grid.begin() + 1, grid.end() - 1);
  WGML_CHECK(shape_numel(out) == 0 || shape_numel(x) > 0, "grid_sample: input ", x,
             " is empty but the output ", out, " is not: there is nothing to sample");
  return {{out, in[0].dtype()}};
}

}  // namespace

RoiAlignParams roi_align_params(const OpCall& call) {
  RoiAlignParams p;
  const std::string& mode = call.attrs.s("mode");
  const std::string& transform = call.attrs.s("coordinate_transformation_mode");
  WGML_CHECK(mode == "avg" || mode == "max", "roi_align: unknown mode '", mode,
             "'; expected avg or max");
  WGML_CHECK(transform == "half_pixel" || transform == "output_half_pixel",
             "roi_align: unknown coordinate_transformation_mode '", transform,
             "'; expected half_pixel or output_half_pixel");
  p.max = mode == "max";
  p.half_pixel = transform == "half_pixel";
  p.out_h = call.attrs.i("output_height");
  p.out_w = call.attrs.i("output_width");
  p.sampling_ratio = call.attrs.i("sampling_ratio");
  p.spatial_scale = call.attrs.f("spatial_scale");
  WGML_CHECK(p.out_h >= 1 && p.out_w >= 1 && p.out_h <= (int64_t{1} << 24) &&
                 p.out_w <= (int64_t{1} << 24),
             "roi_align: output_height ", p.out_h, " and output_width ", p.out_w,
             " must be at least 1 (and at most 2^24)");
  WGML_CHECK(p.sampling_ratio >= 0 && p.sampling_ratio <= kRoiAlignMaxGrid,
             "roi_align: sampling_ratio ", p.sampling_ratio, " must be in [0, ", kRoiAlignMaxGrid,
             "] (0: adaptive)");
  WGML_CHECK(std::isfinite(p.spatial_scale), "roi_align: spatial_scale ", p.spatial_scale,
             " must be finite");
  return p;
}

namespace {

std::vector<TensorDesc> infer_roi_align(const OpCall& call, const std::vector<Tensor>& in) {
  const RoiAlignParams p = roi_align_params(call);
  const Shape& x = in[0].shape();
  const Shape& rois = in[1].shape();
  const Shape& batch = in[2].shape();
  WGML_CHECK(x.size() == 4, "roi_align: input ", x, " must be [N, C, H, W]");
  WGML_CHECK(rois.size() == 2 && rois[1] == 4, "roi_align: rois ", rois,
             " must be [num_rois, 4] holding (x1, y1, x2, y2)");
  WGML_CHECK(batch.size() == 1 && batch[0] == rois[0], "roi_align: batch_indices ", batch,
             " must be [num_rois] = [", rois[0], "], one image index per ROI");
  const Shape out = {rois[0], x[1], p.out_h, p.out_w};
  WGML_CHECK(shape_numel(out) == 0 || (x[0] > 0 && x[2] > 0 && x[3] > 0), "roi_align: input ", x,
             " has no pixels to sample for output ", out);
  return {{out, in[0].dtype()}};
}

}  // namespace

void declare_sample_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("grid_sample", {{"input", kFloat}, {"grid", kFloat, 0}}, infer_grid_sample)
      .attr("mode", std::string("linear"))
      .attr("padding_mode", std::string("zeros"))
      .attr("align_corners", int64_t{0})
      .tolerance(Tolerance{ErrorMetric::Frobenius})
      .doc(
          "ONNX GridSample / torch grid_sample over any spatial rank: input [N, C, D...], grid "
          "[N, O..., rank] holding (x, y, ...) in [-1, 1], last spatial axis first; nearest, "
          "linear or cubic; zeros, border or reflection padding");
  t.kernel("roi_align", {{"input", kFloat}, {"rois", kFloat, 0}, {"batch_indices", kIndex}},
           infer_roi_align)
      .attr("mode", std::string("avg"))
      .attr("coordinate_transformation_mode", std::string("half_pixel"))
      .attr("output_height", int64_t{1})
      .attr("output_width", int64_t{1})
      .attr("sampling_ratio", int64_t{0})
      .attr("spatial_scale", 1.0)
      .tolerance(Tolerance{ErrorMetric::Frobenius})
      .doc(
          "ONNX RoiAlign / torchvision roi_align: input [N, C, H, W], rois [R, 4] as (x1, y1, "
          "x2, y2), batch_indices [R] -> [R, C, output_height, output_width]; avg or max");
}

}  // namespace wgml
