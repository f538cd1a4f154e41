// grid_sample on WebGPU: one invocation per output element computes each spatial axis's taps
// from its grid coordinate (ops/grid_sample_taps.h, here in f32 as PyTorch's float kernels do)
// and sums over every combination of one tap per axis.
#include <string>

#include "wgml/kernels/wgsl/shader_writer.h"
#include "wgml/kernels/wgsl/wgsl_kernel.h"
#include "wgml/ops/grid_sample_taps.h"

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

}  // namespace

extern const std::vector<Kernel> kSampleKernels = {
    {"grid_sample", grid_sample_kernel},
};

}  // namespace wgml::wgsl
