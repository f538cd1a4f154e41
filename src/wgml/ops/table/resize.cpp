// Resize (ONNX Resize, opset 11-19 semantics without roi or antialias): nearest, (multi)linear
// and (multi)cubic interpolation to `sizes` or by `scales`, one value per axis.
#include <cmath>
#include <string>

#include "wgml/core/error.h"
#include "wgml/ops/grid_sample_taps.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/resize_taps.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

bool one_of(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

std::vector<TensorDesc> infer_resize(const OpCall& call, const std::vector<Tensor>& in) {
  const Shape& x = in[0].shape();
  const std::string& mode = call.attrs.s("mode");
  const std::string& transform = call.attrs.s("coordinate_transformation_mode");
  const std::string& nearest_mode = call.attrs.s("nearest_mode");
  WGML_CHECK(one_of(mode, {"nearest", "linear", "cubic"}), "resize: unknown mode '", mode,
             "'; expected nearest, linear or cubic");
  WGML_CHECK(one_of(transform, {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                "tf_half_pixel_for_nn"}),
             "resize: unknown coordinate_transformation_mode '", transform,
             "'; expected half_pixel, pytorch_half_pixel, align_corners, asymmetric or "
             "tf_half_pixel_for_nn");
  WGML_CHECK(one_of(nearest_mode, {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}),
             "resize: unknown nearest_mode '", nearest_mode, "'");
  WGML_CHECK(mode == "nearest" || is_floating(in[0].dtype()), "resize: mode ", mode,
             " needs a float input, got ", in[0].dtype(), "; cast it first");
  WGML_CHECK(x.size() >= 1, "resize: input ", x, " must have at least one axis");

  const Ints& sizes = call.attrs.ints("sizes");
  const Floats& scales = call.attrs.floats("scales");
  WGML_CHECK(sizes.empty() != scales.empty(), "resize: give exactly one of sizes ", sizes,
             " and scales ", scales, " for input ", x);
  Shape out;
  if (!sizes.empty()) {
    WGML_CHECK(sizes.size() == x.size(), "resize: sizes ", sizes, " needs one value per axis of ",
               "input ", x);
    out.assign(sizes.begin(), sizes.end());
  } else {
    WGML_CHECK(scales.size() == x.size(), "resize: scales ", scales, " needs one value per axis ",
               "of input ", x);
    for (size_t d = 0; d < x.size(); ++d) {
      WGML_CHECK(scales[d] > 0 && std::isfinite(scales[d]), "resize: scales ", scales,
                 " must be positive");
      // floor(in * scale), computed in double exactly as ONNX and torch do.
      const double size = std::floor(static_cast<double>(x[d]) * scales[d]);
      WGML_CHECK(size < 0x1p62, "resize: scales ", scales, " make axis ", d, " of input ", x,
                 " hold ", size, " elements");
      out.push_back(static_cast<int64_t>(size));
    }
  }
  for (size_t d = 0; d < x.size(); ++d) {
    WGML_CHECK(out[d] > 0 || x[d] == 0, "resize: output shape ", out, " of input ", x,
               " has an empty axis ", d, " (sizes ", sizes, ", scales ", scales, ")");
  }
  // An empty input has no values to sample from, so only an empty output is defined.
  WGML_CHECK(shape_numel(x) > 0 || shape_numel(out) == 0, "resize: input ", x,
             " is empty but the output ", out, " is not: there is nothing to sample");
  return {{out, in[0].dtype()}};
}

}  // namespace

double resize_source_coordinate(const std::string& mode, int64_t x, int64_t in, int64_t out,
                                double num, double den) {
  const double xd = static_cast<double>(x);
  if (mode == "align_corners") {
    return out > 1 ? xd * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  }
  if (mode == "asymmetric") return xd * num / den;
  if (mode == "tf_half_pixel_for_nn") return (xd + 0.5) * num / den;
  if (mode == "pytorch_half_pixel" && out <= 1) return 0.0;
  return (xd + 0.5) * num / den - 0.5;  // half_pixel, pytorch_half_pixel
}

static int64_t round_nearest(const std::string& nearest_mode, double c) {
  if (nearest_mode == "floor") return static_cast<int64_t>(std::floor(c));
  if (nearest_mode == "ceil") return static_cast<int64_t>(std::ceil(c));
  if (nearest_mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(c + 0.5));
  return static_cast<int64_t>(std::ceil(c - 0.5));  // round_prefer_floor
}

// ONNX's cubic convolution kernel with coefficient a at distance d, in the forms of the ONNX
// reference: W(d) = (a + 2)|d|^3 - (a + 3)|d|^2 + 1 for |d| <= 1,
// a|d|^3 - 5a|d|^2 + 8a|d| - 4a for 1 < |d| < 2, and 0 beyond.
double cubic_convolution_weight(double a, double d) {
  d = std::fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d >= 2) return 0.0;
  return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
}

ResizeTaps resize_axis_taps(const OpCall& call, size_t axis, int64_t in, int64_t out) {
  const std::string& mode = call.attrs.s("mode");
  const std::string& transform = call.attrs.s("coordinate_transformation_mode");
  const Floats& scales = call.attrs.floats("scales");
  const double num = scales.empty() ? static_cast<double>(in) : 1.0;
  const double den = scales.empty() ? static_cast<double>(out) : scales[axis];
  ResizeTaps taps;
  taps.per_output = mode == "nearest" ? 1 : mode == "linear" ? 2 : 4;
  auto clamp_index = [&](int64_t i) { return std::min(std::max<int64_t>(i, 0), in - 1); };
  for (int64_t o = 0; o < out; ++o) {
    const double c = resize_source_coordinate(transform, o, in, out, num, den);
    if (mode == "nearest") {
      taps.index.push_back(clamp_index(round_nearest(call.attrs.s("nearest_mode"), c)));
      taps.weight.push_back(1.0);
    } else if (mode == "linear") {
      // Coordinates outside the input take the edge value (ONNX and torch clamp the same way).
      const double clamped = std::min(std::max(c, 0.0), static_cast<double>(in - 1));
      const int64_t lo = static_cast<int64_t>(std::floor(clamped));
      const double w = clamped - static_cast<double>(lo);
      taps.index.insert(taps.index.end(), {lo, std::min(lo + 1, in - 1)});
      taps.weight.insert(taps.weight.end(), {1.0 - w, w});
    } else {
      // Cubic: the four positions around c, unclamped coordinate (as ONNX and torch).
      const double a = call.attrs.f("cubic_coeff_a");
      const bool exclude_outside = call.attrs.i("exclude_outside") != 0;
      const double floor_c = std::floor(c);
      const double t = c - floor_c;
      const auto first = static_cast<int64_t>(floor_c) - 1;
      double w[4], sum = 0;
      for (int k = 0; k < 4; ++k) {
        const int64_t i = first + k;
        w[k] = cubic_convolution_weight(a, t + 1 - k);
        if (exclude_outside && (i < 0 || i >= in)) w[k] = 0;
        sum += w[k];
      }
      for (int k = 0; k < 4; ++k) {
        taps.index.push_back(clamp_index(first + k));
        taps.weight.push_back(exclude_outside ? w[k] / sum : w[k]);
      }
    }
  }
  return taps;
}

void declare_resize_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("resize", {{"input", kNumeric}}, infer_resize)
      .attr("mode", std::string("nearest"))
      .attr("coordinate_transformation_mode", std::string("half_pixel"))
      .attr("nearest_mode", std::string("round_prefer_floor"))
      .attr("sizes", Ints{})
      .attr("scales", Floats{})
      .attr("cubic_coeff_a", -0.75)
      .attr("exclude_outside", int64_t{0})
      .tolerance(Tolerance{ErrorMetric::Frobenius})
      .doc(
          "ONNX Resize, nearest, linear or cubic over any axes, to sizes or by scales (exactly "
          "one, "
          "full rank); scales map coordinates themselves, not out/in; linear and cubic need a "
          "float input");
}

}  // namespace wgml
