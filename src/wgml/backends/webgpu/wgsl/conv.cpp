// Conv and conv_transpose kernels over any spatial rank. conv picks one of three generators:
// an implicit GEMM (output pixels x output channels tiles in workgroup memory, K = C/group *
// kernel taps, a register block of outputs per invocation; 1x1 convs become plain GEMMs), a
// depthwise kernel for 2-D convs with one input channel per group (an input tile in workgroup
// memory shared by the outputs of one plane), and a direct kernel (one invocation per output)
// for everything else. conv_transpose gathers: each output sums the input/weight pairs that
// reach it.
#include <algorithm>
#include <string>

#include "wgml/backends/webgpu/wgsl/dequant.h"
#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"
#include "wgml/ops/window.h"

namespace wgml::wgsl {

namespace {

// The resolved geometry of one conv or conv_transpose call.
struct Geometry {
  bool transpose = false;
  size_t rank = 0;  // spatial axes
  int64_t batch = 0, channels = 0, out_channels = 0, group = 1;
  int64_t cg = 0;  // input channels per group
  int64_t mg = 0;  // output channels per group
  Shape in_grid, out_grid, k_grid;
  Ints strides, dilations, pads;  // pads: the begins (negative for some output_shape cases)
  int64_t out_size = 0, k_size = 0;
  std::string type = "f32";  // the compute type: i32 for conv_dequant's exact integer form
  // conv_dequant's operands (x, q, scale?, zero_point?, bias?): w_load dequantizes q.
  const std::vector<Tensor>* dequant = nullptr;
};

Geometry geometry(const OpCall& call, const Tensor& x, const Tensor& w, const Tensor& out) {
  Geometry g;
  g.transpose = call.name() == "conv_transpose";
  g.rank = x.rank() - 2;
  Ints pads_end;
  conv_window(call, x.shape(), w.shape(), &g.strides, &g.dilations, &g.pads, &pads_end);
  g.batch = x.shape()[0];
  g.channels = x.shape()[1];
  g.out_channels = out.shape()[1];
  g.group = call.attrs.i("group");
  g.cg = g.channels / g.group;
  g.mg = g.out_channels / g.group;
  g.in_grid.assign(x.shape().begin() + 2, x.shape().end());
  g.out_grid.assign(out.shape().begin() + 2, out.shape().end());
  g.k_grid.assign(w.shape().begin() + 2, w.shape().end());
  g.out_size = shape_numel(g.out_grid);
  g.k_size = shape_numel(g.k_grid);
  g.type = compute_type(out.dtype());
  return g;
}

std::string u(int64_t v) {
  return std::to_string(v) + "u";
}

std::string i(int64_t v) {
  return v < 0 ? "(" + std::to_string(v) + "i)" : std::to_string(v) + "i";
}

// " + v" or " - |v|" as an i32 term; nothing for 0.
std::string plus(int64_t v) {
  if (v == 0) return "";
  return v > 0 ? " + " + std::to_string(v) + "i" : " - " + std::to_string(-v) + "i";
}

// `expr * stride` as a u32 term of a storage index (strides wrap as two's complement).
std::string scaled(const std::string& expr, int64_t stride) {
  if (stride == 1) return expr;
  return "(" + expr + ") * " + u32_literal(stride);
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// `out` takes the call's epilogue unless `partial` (split-K partial sums, finished later).
void bind_operands(ShaderWriter& sw, const OpCall& call, const Geometry& g, const Tensor& x,
                   const Tensor& w, const Tensor* bias, const Tensor& out, bool partial = false) {
  sw.input("x", x);
  if (g.dequant)
    declare_dequant_channels(sw, "w", *g.dequant, g.type);
  else
    sw.input("w", w);
  if (bias) sw.input("b", *bias);
  if (partial)
    sw.output("out", out);
  else
    bind_output(sw, "out", out, call);
}

// The bias of output channel `channel` (a u32 expression), or 0.
std::string bias_of(const Geometry& g, const Tensor* bias, const std::string& channel) {
  // offset_of multiplies each coordinate by its stride as written: compound ones need parens.
  return bias ? "b_load(" + offset_of(*bias, {"(" + channel + ")"}) + ")" : g.type + "()";
}

// One invocation per output element, any rank, groups, dilation; conv_transpose gathers.
void conv_direct(const OpCall& call, const Geometry& g, const Tensor& x, const Tensor& w,
                 const Tensor* bias, Tensor& out, Recorder& recorder) {
  ShaderWriter sw(call.name() + " direct", recorder.adapter());
  bind_operands(sw, call, g, x, w, bias, out);
  auto& b = sw.body();
  emit_coords(b, "gid", out.shape(), "o");  // o0 = n, o1 = output channel, o2.. = position
  b << "  let g = o1 / " << u(g.mg) << ";\n";
  if (g.transpose) b << "  let mm = o1 % " << u(g.mg) << ";\n";
  b << "  var acc = " << g.type << "();\n"
    << "  for (var c = 0u; c < " << u(g.cg) << "; c++) {\n"
    << "    let ch = g * " << u(g.cg) << " + c;\n";
  std::string indent = "    ";
  std::vector<std::string> x_coords = {"o0", "ch"};
  std::vector<std::string> w_coords =
      g.transpose ? std::vector<std::string>{"ch", "mm"} : std::vector<std::string>{"o1", "c"};
  for (size_t d = 0; d < g.rank; ++d) {
    const std::string k = "k" + std::to_string(d), p = "p" + std::to_string(d);
    const std::string o = "o" + std::to_string(d + 2);
    const int64_t s = g.strides[d], dil = g.dilations[d], pad = g.pads[d];
    b << indent << "for (var " << k << " = 0u; " << k << " < " << u(g.k_grid[d]) << "; " << k
      << "++) {\n";
    indent += "  ";
    if (!g.transpose) {
      // Input position o * stride - pad + k * dilation.
      b << indent << "let " << p << " = i32(" << o << ") * " << i(s) << " + i32(" << k << ") * "
        << i(dil) << plus(-pad) << ";\n"
        << indent << "if (" << p << " < 0i || " << p << " >= " << i(g.in_grid[d])
        << ") { continue; }\n";
    } else {
      // The input position i with i * stride - pad + k * dilation = o, when there is one.
      const std::string t = "t" + std::to_string(d);
      b << indent << "let " << t << " = i32(" << o << ")" << plus(pad) << " - i32(" << k << ") * "
        << i(dil) << ";\n";
      if (s == 1) {
        b << indent << "let " << p << " = " << t << ";\n";
      } else {
        b << indent << "if (" << t << " < 0i || " << t << " % " << i(s) << " != 0i) { continue; }\n"
          << indent << "let " << p << " = " << t << " / " << i(s) << ";\n";
      }
      b << indent << "if (" << p << " < 0i || " << p << " >= " << i(g.in_grid[d])
        << ") { continue; }\n";
    }
    x_coords.push_back("u32(" + p + ")");
    w_coords.push_back(k);
  }
  b << indent << "acc += x_load(" << offset_of(x, x_coords) << ") * w_load("
    << offset_of(w, w_coords) << ");\n";
  for (size_t d = 0; d <= g.rank; ++d) {
    indent.resize(indent.size() - 2);
    b << indent << "}\n";
  }
  b << "  out_store(gid, acc + " << bias_of(g, bias, "o1") << ");\n";
  recorder.run(sw.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

// 2-D conv with one input channel per group (depthwise, any channel multiplier): a workgroup
// computes a tile of one output plane from an input tile staged in workgroup memory. Each
// invocation computes `cols` adjacent outputs of `rows` rows (tile_h apart), reading each
// kernel row's input span once for its columns. False when the input tile does not fit.
bool conv_depthwise(const OpCall& call, const Geometry& g, const Tensor& x, const Tensor& w,
                    const Tensor* bias, Tensor& out, Recorder& recorder) {
  const int64_t oh = g.out_grid[0], ow = g.out_grid[1], ih = g.in_grid[0], iw = g.in_grid[1];
  const int64_t kh = g.k_grid[0], kw = g.k_grid[1];
  const int64_t sh = g.strides[0], sw_ = g.strides[1], dh = g.dilations[0], dw = g.dilations[1];
  const int64_t out_w = std::min<int64_t>(32, pow2_ceil(ow));  // tile width in outputs
  const int64_t cols = out_w >= 16 ? 4 : (out_w >= 8 ? 2 : 1);
  const int64_t tile_w = out_w / cols;  // invocations across
  int64_t tile_h = std::max<int64_t>(1, std::min<int64_t>(256 / tile_w, pow2_ceil(oh)));
  const uint64_t storage = recorder.adapter().max_compute_workgroup_storage_size;
  const int64_t in_w = (out_w - 1) * sw_ + (kw - 1) * dw + 1;
  auto in_h_for = [&](int64_t n) { return (tile_h * n - 1) * sh + (kh - 1) * dh + 1; };
  int64_t rows = std::max<int64_t>(1, std::min<int64_t>(4, oh / tile_h));
  auto fits = [&]() { return static_cast<uint64_t>(in_h_for(rows) * in_w * 4) <= storage; };
  while (!fits() && rows > 1)  // big strides or kernels: fewer rows per invocation, then
    --rows;
  while (!fits() && tile_h > 1)  // fewer invocations down the tile
    tile_h /= 2;
  const int64_t in_h = in_h_for(rows);
  if (static_cast<uint64_t>(in_h * in_w * 4) > storage) return false;
  const int64_t threads = tile_w * tile_h;
  const int64_t tiles_x = ceil_div(ow, out_w), tiles_y = ceil_div(oh, tile_h * rows);
  const int64_t workgroups = g.batch * g.out_channels * tiles_x * tiles_y;
  const int64_t span = (cols - 1) * sw_ + (kw - 1) * dw + 1;  // input columns one row reads
  const bool unroll = kh * kw <= 49 && span <= 64;

  ShaderWriter s(call.name() + " depthwise", recorder.adapter());
  bind_operands(s, call, g, x, w, bias, out);
  s.decl() << "// The input rows and columns the workgroup's outputs read, padding as zeros.\n"
           << "var<workgroup> tile: array<" << g.type << ", " << in_h * in_w << ">;\n";
  auto& b = s.body();
  b << "  if (wid >= " << u(workgroups) << ") { return; }\n"
    << "  let tx = wid % " << u(tiles_x) << ";\n"
    << "  let ty = (wid / " << u(tiles_x) << ") % " << u(tiles_y) << ";\n"
    << "  let plane = wid / " << u(tiles_x * tiles_y) << ";\n"
    << "  let n = plane / " << u(g.out_channels) << ";\n"
    << "  let m = plane % " << u(g.out_channels) << ";\n"
    << "  let ch = m / " << u(g.mg) << ";  // the group's one input channel\n"
    << "  let oy0 = ty * " << u(tile_h * rows) << ";\n"
    << "  let ox0 = tx * " << u(out_w) << ";\n"
    << "  let iy0 = i32(oy0 * " << u(sh) << ")" << plus(-g.pads[0]) << ";\n"
    << "  let ix0 = i32(ox0 * " << u(sw_) << ")" << plus(-g.pads[1]) << ";\n"
    << "  let xbase = " << offset_of(x, {"n", "ch", "0u", "0u"}) << ";\n"
    << "  let lx = lid % " << u(tile_w) << ";\n"
    << "  let ly = lid / " << u(tile_w) << ";\n"
    << "  for (var r = ly; r < " << u(in_h) << "; r += " << u(tile_h) << ") {\n"
    << "    let iy = iy0 + i32(r);\n"
    << "    let row_ok = iy >= 0i && iy < " << i(ih) << ";\n"
    << "    let row_at = xbase + " << scaled("u32(iy)", x.shape()[2] == 1 ? 0 : x.strides()[2])
    << ";\n"
    << "    for (var c = lx; c < " << u(in_w) << "; c += " << u(tile_w) << ") {\n"
    << "      let ix = ix0 + i32(c);\n"
    << "      var v = " << g.type << "();\n"
    << "      if (row_ok && ix >= 0i && ix < " << i(iw) << ") {\n"
    << "        v = x_load(row_at + " << scaled("u32(ix)", x.shape()[3] == 1 ? 0 : x.strides()[3])
    << ");\n"
    << "      }\n"
    << "      tile[r * " << u(in_w) << " + c] = v;\n"
    << "    }\n"
    << "  }\n"
    << "  workgroupBarrier();\n"
    << "  let ox = ox0 + lx * " << u(cols) << ";\n"
    << "  let bias = " << bias_of(g, bias, "m") << ";\n";
  if (unroll) {
    for (int64_t a = 0; a < kh; ++a) {
      for (int64_t c = 0; c < kw; ++c) {
        b << "  let w" << a << "_" << c << " = w_load(" << offset_of(w, {"m", "0u", u(a), u(c)})
          << ");\n";
      }
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    b << "  {\n"
      << "    let oy = oy0 + ly + " << u(r * tile_h) << ";\n"
      << "    let base = (ly + " << u(r * tile_h) << ") * " << u(sh * in_w) << " + lx * "
      << u(cols * sw_) << ";\n";
    for (int64_t c = 0; c < cols; ++c)
      b << "    var acc" << c << " = bias;\n";
    if (unroll) {
      for (int64_t a = 0; a < kh; ++a) {
        // The kernel row's input span, read once for every column of the block.
        for (int64_t j = 0; j < span; ++j) {
          bool used = false;
          for (int64_t c = 0; c < cols; ++c)
            used =
                used || ((j - c * sw_) >= 0 && (j - c * sw_) % dw == 0 && (j - c * sw_) / dw < kw);
          if (used)
            b << "    let s" << a << "_" << j << " = tile[base + " << u(a * dh * in_w + j)
              << "];\n";
        }
        for (int64_t c = 0; c < cols; ++c) {
          for (int64_t k = 0; k < kw; ++k)
            b << "    acc" << c << " += s" << a << "_" << c * sw_ + k * dw << " * w" << a << "_"
              << k << ";\n";
        }
      }
    } else {
      b << "    for (var a = 0u; a < " << u(kh) << "; a++) {\n"
        << "      for (var k = 0u; k < " << u(kw) << "; k++) {\n"
        << "        let wv = w_load(" << offset_of(w, {"m", "0u", "a", "k"}) << ");\n"
        << "        let at = base + a * " << u(dh * in_w) << " + k * " << u(dw) << ";\n";
      for (int64_t c = 0; c < cols; ++c)
        b << "        acc" << c << " += tile[at + " << u(c * sw_) << "] * wv;\n";
      b << "      }\n"
        << "    }\n";
    }
    b << "    if (oy < " << u(oh) << ") {\n"
      << "      let row_at = (plane * " << u(oh) << " + oy) * " << u(ow) << ";\n";
    for (int64_t c = 0; c < cols; ++c)
      b << "      if (ox + " << u(c) << " < " << u(ow) << ") { out_store(row_at + ox + " << u(c)
        << ", acc" << c << "); }\n";
    b << "    }\n"
      << "  }\n";
  }
  recorder.run(s.finish(static_cast<uint64_t>(workgroups), static_cast<uint32_t>(threads)));
  return true;
}

// Tiles of the implicit GEMM out[p, m] = sum_k A[p, k] * B[k, m] of one group, with p the
// output pixels (batch included), m the group's output channels, k = (input channel, tap).
struct GemmTiles {
  int64_t bm, bn, bk;  // workgroup tile: pixels x channels, and the K step
  int64_t tm, tn;      // register block of one invocation (multiples of 4: vec4 tiles)
};

// Workgroups that keep a GPU busy: an H100 has 132 SMs, each running several workgroups at once.
// llvmpipe runs workgroups on a few CPU threads and prefers fewer, larger ones.
int64_t busy_workgroups(const gpu::AdapterInfo& adapter) {
  return tuned_workgroups("WGML_CONV_WORKGROUPS", adapter.software ? 4 : 256);
}

// The largest tiles that still give `target` workgroups, else the smallest (split-K then makes up
// the rest). 8x8 register blocks read 16 workgroup values per 64 multiply-adds; 128 x 64 tiles
// measured best on llvmpipe for 64-channel convs. Narrow groups take narrower channel tiles
// rather than computing padding; few pixels skip tiles they would mostly leave empty.
GemmTiles pick_tiles(int64_t pixels, int64_t channels, int64_t groups, int64_t target) {
  std::vector<GemmTiles> candidates;
  if (channels >= 48)
    candidates = {{128, 64, 8, 8, 8}, {64, 64, 8, 8, 8}, {32, 64, 8, 4, 8}, {32, 32, 8, 4, 4}};
  else if (channels >= 24)
    candidates = {{128, 32, 8, 8, 4}, {64, 32, 8, 4, 4}, {32, 32, 8, 4, 4}};
  else
    candidates = {{128, 16, 8, 4, 4}, {64, 16, 8, 4, 4}};
  for (size_t i = 0; i + 1 < candidates.size(); ++i) {
    const GemmTiles& c = candidates[i];
    if (c.bm >= 2 * pow2_ceil(pixels)) continue;
    if (ceil_div(pixels, c.bm) * ceil_div(channels, c.bn) * groups >= target) return c;
  }
  return candidates.back();
}

void conv_gemm(const OpCall& call, const Geometry& g, const Tensor& x, const Tensor& w,
               const Tensor* bias, Tensor& out, Recorder& recorder) {
  const int64_t pixels = g.batch * g.out_size;  // GEMM rows
  const int64_t k_total = g.cg * g.k_size;      // GEMM depth
  const int64_t target = busy_workgroups(recorder.adapter());
  const GemmTiles t = pick_tiles(pixels, g.mg, g.group, target);
  const int64_t row_threads = t.bm / t.tm, col_threads = t.bn / t.tn;
  const int64_t threads = row_threads * col_threads;
  // Each invocation stages the A elements of one pixel, a_loads K rows apart.
  WGML_CHECK(threads % t.bm == 0 && t.bk % (threads / t.bm) == 0, "conv: bad GEMM tiles");
  const int64_t a_steps = threads / t.bm;
  const int64_t a_loads = t.bk / a_steps;
  const int64_t b_loads = ceil_div(t.bk * t.bn, threads);
  const int64_t a_row4 = t.bm / 4;      // vec4s per K row of A
  const int64_t b_row4 = t.bn / 4 + 1;  // per K row of B, padded: column stores spread banks
  const int64_t tiles_p = ceil_div(pixels, t.bm), tiles_m = ceil_div(g.mg, t.bn);
  const int64_t tiles = tiles_p * tiles_m * g.group;
  // K split when the tiles alone leave the GPU idle: a 512-channel 7x7 conv at batch 1 has 16
  // tiles for a K of 4608.
  const int64_t splits = k_slices(tiles, ceil_div(k_total, t.bk), target);
  const int64_t slice = ceil_div(ceil_div(k_total, t.bk), splits) * t.bk;  // K per split
  const int64_t workgroups = tiles * splits;
  // Split, the tiles write their partial sums (no bias) to `part`, slice after slice.
  Tensor part = splits > 1 ? recorder.scratch({splits * out.numel()}, out.dtype()) : Tensor();
  // A plain GEMM when every tap reads the input at the output's own position.
  bool pointwise = g.k_size == 1;
  for (size_t d = 0; d < g.rank; ++d)
    pointwise = pointwise && g.strides[d] == 1 && g.pads[d] == 0 && g.in_grid[d] == g.out_grid[d];

  ShaderWriter s(call.name() + (pointwise ? " gemm 1x1" : " implicit gemm"), recorder.adapter());
  bind_operands(s, call, g, x, w, splits > 1 ? nullptr : bias, splits > 1 ? part : out, splits > 1);
  s.decl() << "// A: K rows of pixels, B: K rows of output channels (padded by one vec4).\n"
           << "var<workgroup> a_tile: array<vec4<" << g.type << ">, " << t.bk * a_row4 << ">;\n"
           << "var<workgroup> b_tile: array<vec4<" << g.type << ">, " << t.bk * b_row4 << ">;\n";
  auto& b = s.body();
  b << "  if (wid >= " << u(workgroups) << ") { return; }\n"
    << "  let tile_p = wid % " << u(tiles_p) << ";\n"
    << "  let tile_m = (wid / " << u(tiles_p) << ") % " << u(tiles_m) << ";\n"
    << "  let g = (wid / " << u(tiles_p * tiles_m) << ") % " << u(g.group) << ";\n"
    << "  let split = wid / " << u(tiles) << ";\n"
    << "  let p0 = tile_p * " << u(t.bm) << ";\n"
    << "  let m0 = tile_m * " << u(t.bn) << ";\n";

  // Where pixel `pl` of the tile starts reading x: storage index of (n, the group's first
  // channel, its position) for 1x1, else its window's first position per axis.
  auto emit_pixel = [&](const std::string& pl, const std::string& indent) {
    b << indent << "let a_p = p0 + " << pl << ";\n"
      << indent << "let a_valid = a_p < " << u(pixels) << ";\n"
      << indent << "let a_n = a_p / " << u(g.out_size) << ";\n"
      << indent << "let a_pos = a_p % " << u(g.out_size) << ";\n";
    int64_t inner = 1;
    for (size_t d = g.rank; d-- > 0;) {
      b << indent << "let a_o" << d << " = (a_pos / " << u(inner) << ") % " << u(g.out_grid[d])
        << ";\n";
      inner *= g.out_grid[d];
    }
    b << indent << "let a_base = " << u32_literal(x.offset()) << " + "
      << scaled("a_n", x.shape()[0] == 1 ? 0 : x.strides()[0]) << " + "
      << scaled("g * " + u(g.cg), x.strides()[1]);
    if (pointwise) {
      for (size_t d = 0; d < g.rank; ++d) {
        if (g.in_grid[d] != 1) b << " + " << scaled("a_o" + std::to_string(d), x.strides()[d + 2]);
      }
    }
    b << ";\n";
    if (!pointwise) {
      for (size_t d = 0; d < g.rank; ++d) {
        b << indent << "let a_start" << d << " = i32(a_o" << d << ") * " << i(g.strides[d])
          << plus(-g.pads[d]) << ";\n";
      }
    }
  };
  // Loads A[pixel, kk] into v (zero for padding and ragged edges).
  auto emit_a_load = [&](const std::string& indent) {
    b << indent << "var v = " << g.type << "();\n";
    if (pointwise) {
      b << indent << "if (a_valid && kk < " << u(k_total) << ") {\n"
        << indent << "  v = x_load(a_base + " << scaled("kk", x.strides()[1]) << ");\n"
        << indent << "}\n";
      return;
    }
    b << indent << "let c = kk / " << u(g.k_size) << ";\n"
      << indent << "let tap = kk % " << u(g.k_size) << ";\n";
    std::string inside = "a_valid && kk < " + u(k_total);
    std::string index = "a_base + " + scaled("c", x.strides()[1]);
    int64_t inner = 1;
    for (size_t d = g.rank; d-- > 0;) {
      const std::string pos = "pos" + std::to_string(d);
      b << indent << "let " << pos << " = a_start" << d << " + i32((tap / " << u(inner) << ") % "
        << u(g.k_grid[d]) << ") * " << i(g.dilations[d]) << ";\n";
      inner *= g.k_grid[d];
      inside += " && " + pos + " >= 0i && " + pos + " < " + i(g.in_grid[d]);
      if (g.in_grid[d] != 1) index += " + " + scaled("u32(" + pos + ")", x.strides()[d + 2]);
    }
    b << indent << "if (" << inside << ") {\n"
      << indent << "  v = x_load(" << index << ");\n"
      << indent << "}\n";
  };

  b << "  // The pixel whose A elements this invocation stages, fixed over the K loop.\n"
    << "  let a_row = lid % " << u(t.bm) << ";\n"
    << "  let a_k = lid / " << u(t.bm) << ";\n";
  emit_pixel("a_row", "  ");
  b << "  let row = lid % " << u(row_threads) << ";  // register block: pixels row * " << t.tm
    << " + r\n"
    << "  let col = lid / " << u(row_threads) << ";  // and channels col * " << t.tn << " + c\n";
  for (int64_t r = 0; r < t.tm; ++r) {
    for (int64_t q = 0; q < t.tn / 4; ++q)
      b << "  var acc" << r << "_" << q << " = vec4<" << g.type << ">();\n";
  }

  if (splits == 1) {
    b << "  for (var k0 = 0u; k0 < " << u(k_total) << "; k0 += " << u(t.bk) << ") {\n";
  } else {
    b << "  let k_end = min(split * " << u(slice) << " + " << u(slice) << ", " << u(k_total)
      << ");\n"
      << "  for (var k0 = split * " << u(slice) << "; k0 < k_end; k0 += " << u(t.bk) << ") {\n";
  }
  b << "    // Stage A (im2col on the fly).\n";
  for (int64_t l = 0; l < a_loads; ++l) {
    b << "    {\n"
      << "      let kl = a_k + " << u(l * a_steps) << ";\n"
      << "      let kk = k0 + kl;\n";
    emit_a_load("      ");
    b << "      a_tile[kl * " << u(a_row4) << " + a_row / 4u][a_row % 4u] = v;\n"
      << "    }\n";
  }
  // W [M, C/group, taps...]: K is its inner flattened index, so kl runs fastest.
  b << "    // Stage B (weights of channels m0.., read along K).\n";
  for (int64_t l = 0; l < b_loads; ++l) {
    b << "    {\n"
      << "      let e = lid + " << u(l * threads) << ";\n"
      << "      let kl = e % " << u(t.bk) << ";\n"
      << "      let ml = e / " << u(t.bk) << ";\n"
      << "      let kk = k0 + kl;\n"
      << "      let m = m0 + ml;\n"
      << "      var v = " << g.type << "();\n"
      << "      if (m < " << u(g.mg) << " && kk < " << u(k_total) << ") {\n"
      << "        let c = kk / " << u(g.k_size) << ";\n"
      << "        let tap = kk % " << u(g.k_size) << ";\n";
    std::vector<std::string> coords = {"(g * " + u(g.mg) + " + m)", "c"};
    int64_t inner = g.k_size;
    for (size_t d = 0; d < g.rank; ++d) {
      inner /= g.k_grid[d];
      coords.push_back("(tap / " + u(inner) + ") % " + u(g.k_grid[d]));
    }
    const bool ragged = (l + 1) * threads > t.bn * t.bk;
    b << "        v = w_load(" << offset_of(w, coords) << ");\n"
      << "      }\n"
      << "      " << (ragged ? "if (ml < " + u(t.bn) + ") { " : "") << "b_tile[kl * " << u(b_row4)
      << " + ml / 4u][ml % 4u] = v;" << (ragged ? " }" : "") << "\n"
      << "    }\n";
  }
  b << "    workgroupBarrier();\n";
  // The multiply, unrolled over the K step: vec4 reads, one vec4 FMA per row and column quad.
  for (int64_t kl = 0; kl < t.bk; ++kl) {
    b << "    {\n";
    for (int64_t r4 = 0; r4 < t.tm / 4; ++r4)
      b << "      let a" << r4 << " = a_tile[" << u(kl * a_row4 + r4) << " + row * " << u(t.tm / 4)
        << "];\n";
    for (int64_t q = 0; q < t.tn / 4; ++q)
      b << "      let b" << q << " = b_tile[" << u(kl * b_row4 + q) << " + col * " << u(t.tn / 4)
        << "];\n";
    for (int64_t r = 0; r < t.tm; ++r) {
      for (int64_t q = 0; q < t.tn / 4; ++q)
        b << "      acc" << r << "_" << q << " += a" << r / 4 << "[" << r % 4 << "] * b" << q
          << ";\n";
    }
    b << "    }\n";
  }
  b << "    workgroupBarrier();\n"
    << "  }\n";

  // Store: out [N, M, positions...] is contiguous.
  b << "  // Store the register block.\n";
  for (int64_t q = 0; q < t.tn / 4; ++q) {
    b << "  let mq" << q << " = m0 + col * " << u(t.tn) << " + " << u(4 * q) << ";\n"
      << "  var bias" << q << " = vec4<" << g.type << ">();\n";
    if (bias && splits == 1) {
      for (int64_t j = 0; j < 4; ++j)
        b << "  if (mq" << q << " + " << u(j) << " < " << u(g.mg) << ") { bias" << q << "[" << j
          << "] = "
          << bias_of(g, bias, "g * " + u(g.mg) + " + mq" + std::to_string(q) + " + " + u(j))
          << "; }\n";
    }
  }
  for (int64_t r = 0; r < t.tm; ++r) {
    b << "  {\n"
      << "    let p = p0 + row * " << u(t.tm) << " + " << u(r) << ";\n"
      << "    let n = p / " << u(g.out_size) << ";\n"
      << "    let first = " << (splits > 1 ? "split * " + u(out.numel()) + " + " : "") << "(n * "
      << u(g.out_channels) << " + g * " << u(g.mg) << ") * " << u(g.out_size) << " + p % "
      << u(g.out_size) << ";\n";
    for (int64_t q = 0; q < t.tn / 4; ++q) {
      b << "    let v" << q << " = acc" << r << "_" << q << " + bias" << q << ";\n";
      for (int64_t j = 0; j < 4; ++j)
        b << "    if (p < " << u(pixels) << " && mq" << q << " + " << u(j) << " < " << u(g.mg)
          << ") { out_store(first + (mq" << q << " + " << u(j) << ") * " << u(g.out_size) << ", v"
          << q << "[" << j << "]); }\n";
    }
    b << "  }\n";
  }
  recorder.run(s.finish(static_cast<uint64_t>(workgroups), static_cast<uint32_t>(threads)));
  if (splits > 1) {
    const std::string channel = "(gid / " + u(g.out_size) + ") % " + u(g.out_channels);
    run_split_sum(call, part, splits, bias, bias ? offset_of(*bias, {"(" + channel + ")"}) : "",
                  out, recorder);
  }
}

// conv and conv_transpose; conv_dequant (x, q, scale?, zero_point?, bias?) passes `dequant`.
void run_conv(const OpCall& call, const Tensor& x, const Tensor& w, const Tensor* bias,
              const std::vector<Tensor>* dequant, Tensor& out, Recorder& recorder) {
  if (out.numel() == 0) return;
  Geometry g = geometry(call, x, w, out);
  g.dequant = dequant;
  if (!g.transpose) {
    if (g.rank == 2 && g.cg == 1 && g.mg < 8 &&
        conv_depthwise(call, g, x, w, bias, out, recorder)) {
      return;
    }
    if (g.mg >= 8 && g.cg * g.k_size >= 8) {
      conv_gemm(call, g, x, w, bias, out, recorder);
      return;
    }
  }
  conv_direct(call, g, x, w, bias, out, recorder);
}

void conv_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor* bias = inputs.size() > 2 && inputs[2].defined() ? &inputs[2] : nullptr;
  run_conv(call, inputs[0], inputs[1], bias, nullptr, outputs[0], recorder);
}

// The weight is read through a dequantizing w_load, which indexes q's storage as laid out
// contiguously (a strided q, never seen from the importer, is copied first: int8, cheap).
void conv_dequant_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                         std::vector<Tensor>& outputs, Recorder& recorder) {
  std::vector<Tensor> parts = inputs;
  if (!parts[1].is_contiguous()) {
    Tensor packed = recorder.scratch(parts[1].shape(), parts[1].dtype());
    run_copy(call.name(), parts[1], packed, recorder);
    parts[1] = packed;
  }
  const Tensor* bias = parts.size() > 4 && parts[4].defined() ? &parts[4] : nullptr;
  run_conv(call, parts[0], parts[1], bias, &parts, outputs[0], recorder);
}

}  // namespace

extern const std::vector<Kernel> kConvKernels = {
    {"conv", conv_kernel, true},
    {"conv_transpose", conv_kernel, true},
    {"conv_dequant", conv_dequant_kernel, true},
};

}  // namespace wgml::wgsl
