// The sample family on WebGPU. grid_sample: one invocation per output element computes each spatial
// axis's taps from its grid coordinate (ops/grid_sample_taps.h, here in f32 as PyTorch's float
// kernels do) and sums over every combination of one tap per axis.
#include <string>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/ops/grid_sample_taps.h"
#include "wgml/ops/roi_align_geometry.h"

namespace wgml::wgsl {

namespace {

// WGSL for ops/grid_sample_taps.h with the mode baked in: gs_taps(g, size) gives the taps of
// one axis of `size` elements at normalised coordinate g.
std::string grid_taps_wgsl(const GridSampleMode& m) {
  using Interp = GridSampleMode::Interp;
  using Padding = GridSampleMode::Padding;
  std::string pad;  // gs_pad(c, n): padding_mode on a coordinate, n = f32(size)
  if (m.padding == Padding::Zeros) {
    pad = "  return c;\n";
  } else {
    if (m.padding == Padding::Reflection) {
      pad = m.align_corners ? "  var r = select(0.0, gs_reflect(c, 0.0, n - 1.0), n > 1.0);\n"
                            : "  var r = gs_reflect(c, -0.5, n - 0.5);\n";
    } else {
      pad = "  var r = c;\n";
    }
    pad += "  return min(max(r, 0.0), n - 1.0);\n";
  }
  std::string body;
  if (m.interp == Interp::Cubic) {
    body =
        "  let lo = floor(c);\n"
        "  let t = c - lo;\n"
        "  for (var k = 0; k < 4; k++) {\n"
        "    gs_add(&taps, gs_pad(lo - 1.0 + f32(k), n), gs_cubic(t + 1.0 - f32(k)), n);\n"
        "  }\n";
  } else if (m.interp == Interp::Nearest) {
    body = "  gs_add(&taps, round(gs_pad(c, n)), 1.0, n);\n";  // WGSL rounds half to even
  } else {
    body =
        "  let p = gs_pad(c, n);\n"
        "  let lo = floor(p);\n"
        "  gs_add(&taps, lo, 1.0 - (p - lo), n);\n"
        "  gs_add(&taps, lo + 1.0, p - lo, n);\n";
  }
  const std::string unnormalise =
      m.align_corners ? "(g + 1.0) / 2.0 * (n - 1.0)" : "((g + 1.0) * n - 1.0) / 2.0";
  return "struct GridTaps { count: i32, index: array<i32, 4>, weight: array<f32, 4> }\n"
         "fn gs_reflect(c: f32, lo: f32, hi: f32) -> f32 {\n"
         "  let span = hi - lo;\n"
         "  let from_lo = abs(c - lo);\n"
         "  let extra = from_lo % span;\n"
         "  return select(hi - extra, lo + extra, floor(from_lo / span) % 2.0 == 0.0);\n"
         "}\n"
         "fn gs_pad(c: f32, n: f32) -> f32 {\n" +
         pad +
         "}\n"
         "fn gs_cubic(d0: f32) -> f32 {\n"
         "  let d = abs(d0);\n"
         "  let a = -0.75;\n"
         "  if (d <= 1.0) { return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0; }\n"
         "  if (d >= 2.0) { return 0.0; }\n"
         "  return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;\n"
         "}\n"
         "// Positions outside [0, n) (NaN included) add nothing; inside ones convert safely.\n"
         "fn gs_add(taps: ptr<function, GridTaps>, position: f32, weight: f32, n: f32) {\n"
         "  if (position >= 0.0 && position < n) {\n"
         "    (*taps).index[(*taps).count] = i32(position);\n"
         "    (*taps).weight[(*taps).count] = weight;\n"
         "    (*taps).count += 1;\n"
         "  }\n"
         "}\n"
         "fn gs_taps(g: f32, size: i32) -> GridTaps {\n"
         "  var taps: GridTaps;\n"
         "  let n = f32(size);\n"
         "  let c = " +
         unnormalise +
         ";\n"
         "  // Infinities and NaN (exponent bits all ones) sample nothing.\n"
         "  if ((bitcast<u32>(c) & 0x7f800000u) == 0x7f800000u) { return taps; }\n" +
         body +
         "  return taps;\n"
         "}\n";
}

void grid_sample_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                        std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  const Tensor& grid = inputs[1];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const GridSampleMode mode = grid_sample_mode(call.attrs.s("mode"), call.attrs.s("padding_mode"),
                                               call.attrs.i("align_corners"));
  const size_t k = x.rank() - 2;

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.input("grid", grid);
  w.output("out", out);
  w.decl() << grid_taps_wgsl(mode);
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "o");  // o0 = n, o1 = channel, o2.. = output position
  std::vector<std::string> grid_coords = {"o0"};
  for (size_t d = 0; d < k; ++d)
    grid_coords.push_back("o" + std::to_string(d + 2));
  grid_coords.push_back("");
  // grid[..., 0] is the last spatial axis (x), grid[..., 1] the one before (y), ...
  for (size_t d = 0; d < k; ++d) {
    grid_coords.back() = std::to_string(k - 1 - d) + "u";
    b << "  let taps" << d << " = gs_taps(grid_load(" << offset_of(grid, grid_coords) << "), "
      << i32_literal(x.shape()[d + 2]) << ");\n";
  }
  b << "  var acc = 0.0;\n";
  std::string indent = "  ";
  std::vector<std::string> x_coords = {"o0", "o1"};
  std::string weight;
  for (size_t d = 0; d < k; ++d) {
    const std::string t = "taps" + std::to_string(d), a = "a" + std::to_string(d);
    b << indent << "for (var " << a << " = 0; " << a << " < " << t << ".count; " << a << "++) {\n";
    indent += "  ";
    x_coords.push_back("u32(" + t + ".index[" + a + "])");
    weight += (d ? " * " : "") + t + ".weight[" + a + "]";
  }
  b << indent << "acc += " << weight << " * x_load(" << offset_of(x, x_coords) << ");\n";
  for (size_t d = 0; d < k; ++d) {
    indent.resize(indent.size() - 2);
    b << indent << "}\n";
  }
  b << "  out_store(gid, acc);\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

// roi_align (ops/roi_align_geometry.h) in f32: one invocation per output element walks its bin's
// sampling grid. The grid is data-dependent (it follows the ROI's size), so it is clamped to
// kRoiAlignMaxGrid points per axis, where the CPU raises instead.
void roi_align_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& outputs, Recorder& recorder) {
  const RoiAlignParams p = roi_align_params(call);
  const Tensor& x = inputs[0];
  const Tensor& rois = inputs[1];
  const Tensor& batch = inputs[2];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const int64_t height = x.shape()[2], width = x.shape()[3];

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.input("rois", rois);
  w.input("batch", batch);
  w.output("out", out);
  declare_index(w, "batch", batch);
  const std::string h = literal(static_cast<double>(height), "f32");
  const std::string wd = literal(static_cast<double>(width), "f32");
  // One bilinear sample of plane (n, c): the weighted sum of its four corners (avg) or the
  // largest weighted corner (max); 0 outside [-1, H] x [-1, W].
  w.need("isnan");  // NaN coordinates sample 0, whatever the driver does with comparisons
  w.decl()
      << "fn ra_sample(n: u32, c: u32, y_in: f32, x_in: f32) -> f32 {\n"
      << "  if (wgml_isnan(y_in) || wgml_isnan(x_in)) { return 0.0; }\n"
      << "  if (y_in < -1.0 || y_in > " << h << " || x_in < -1.0 || x_in > " << wd
      << ") { return 0.0; }\n"
      << "  var y = max(y_in, 0.0);\n"
      << "  var xx = max(x_in, 0.0);\n"
      << "  var y0 = i32(y);\n"
      << "  var x0 = i32(xx);\n"
      << "  var y1 = y0 + 1;\n"
      << "  var x1 = x0 + 1;\n"
      << "  if (y0 >= " << i32_literal(height - 1) << ") { y0 = " << i32_literal(height - 1)
      << "; y1 = y0; y = f32(y0); }\n"
      << "  if (x0 >= " << i32_literal(width - 1) << ") { x0 = " << i32_literal(width - 1)
      << "; x1 = x0; xx = f32(x0); }\n"
      << "  let ly = y - f32(y0);\n"
      << "  let lx = xx - f32(x0);\n"
      << "  let hy = 1.0 - ly;\n"
      << "  let hx = 1.0 - lx;\n"
      << "  let v0 = hy * hx * x_load(" << offset_of(x, {"n", "c", "u32(y0)", "u32(x0)"}) << ");\n"
      << "  let v1 = hy * lx * x_load(" << offset_of(x, {"n", "c", "u32(y0)", "u32(x1)"}) << ");\n"
      << "  let v2 = ly * hx * x_load(" << offset_of(x, {"n", "c", "u32(y1)", "u32(x0)"}) << ");\n"
      << "  let v3 = ly * lx * x_load(" << offset_of(x, {"n", "c", "u32(y1)", "u32(x1)"}) << ");\n"
      << (p.max ? "  return max(max(v0, v1), max(v2, v3));\n" : "  return v0 + v1 + v2 + v3;\n")
      << "}\n";
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "o");  // o0 = ROI, o1 = channel, o2, o3 = bin
  const std::string offset = p.half_pixel ? " - 0.5" : "";
  const std::string scale = literal(p.spatial_scale, "f32");
  auto roi = [&](int k) {
    return "rois_load(" + offset_of(rois, {"o0", std::to_string(k) + "u"}) + ") * " + scale +
           offset;
  };
  b << "  let n = batch_index(" << offset_of(batch, {"o0"}) << ", " << i32_literal(x.shape()[0])
    << ");\n"
    << "  if (n < 0) { out_store(gid, 0.0); return; }  // out of range: 0, as gather\n"
    << "  let x1 = " << roi(0) << ";\n"
    << "  let y1 = " << roi(1) << ";\n"
    << "  var roi_w = " << roi(2) << " - x1;\n"
    << "  var roi_h = " << roi(3) << " - y1;\n";
  if (!p.half_pixel) b << "  roi_w = max(roi_w, 1.0);\n  roi_h = max(roi_h, 1.0);\n";
  b << "  let bin_h = roi_h / " << literal(static_cast<double>(p.out_h), "f32") << ";\n"
    << "  let bin_w = roi_w / " << literal(static_cast<double>(p.out_w), "f32") << ";\n";
  const std::string cap = i32_literal(kRoiAlignMaxGrid);
  if (p.sampling_ratio > 0) {
    b << "  let grid_h = " << i32_literal(p.sampling_ratio) << ";\n"
      << "  let grid_w = " << i32_literal(p.sampling_ratio) << ";\n";
  } else {
    // Clamped as floats first: a huge or NaN size never reaches the integer conversion.
    b << "  let grid_h = clamp(i32(clamp(ceil(bin_h), 0.0, 1024.0)), 0, " << cap << ");\n"
      << "  let grid_w = clamp(i32(clamp(ceil(bin_w), 0.0, 1024.0)), 0, " << cap << ");\n";
  }
  b << "  var acc = 0.0;\n";
  if (p.max) b << "  var first = true;\n";
  b << "  for (var iy = 0; iy < grid_h; iy++) {\n"
    << "    let y = y1 + f32(o2) * bin_h + (f32(iy) + 0.5) * bin_h / f32(grid_h);\n"
    << "    for (var ix = 0; ix < grid_w; ix++) {\n"
    << "      let xs = x1 + f32(o3) * bin_w + (f32(ix) + 0.5) * bin_w / f32(grid_w);\n"
    << "      let v = ra_sample(u32(n), o1, y, xs);\n";
  if (p.max) {
    b << "      acc = select(max(acc, v), v, first);\n"
      << "      first = false;\n";
  } else {
    b << "      acc += v;\n";
  }
  b << "    }\n"
    << "  }\n";
  if (p.max) {
    b << "  out_store(gid, acc);\n";
  } else {
    b << "  out_store(gid, acc / f32(max(grid_h * grid_w, 1)));\n";
  }
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

}  // namespace

extern const std::vector<Kernel> kSampleKernels = {
    {"grid_sample", grid_sample_kernel},
    {"roi_align", roi_align_kernel},
};

}  // namespace wgml::wgsl
