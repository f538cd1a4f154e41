// Resize (ONNX nearest, multilinear and multicubic) on WebGPU: one invocation per output element.
// For nearest and linear, each axis's source coordinate is an exact integer ratio (A * o + B) / D
// whenever one reproduces the CPU's double-precision taps at every output position (checked here,
// on the host); other scales fall back to f32 coordinates (linear) or a table of source positions
// (nearest). Cubic reads its four positions and weights per output position from tables the host
// computes with the CPU's taps.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"
#include "wgml/ops/resize_taps.h"

namespace wgml::wgsl {

namespace {

// How one axis maps output to input coordinates.
struct AxisMap {
  int64_t in = 1, out = 1;
  std::string mode;
  std::string transform, nearest_mode;
  double num = 1, den = 1;  // the ratio in/out: (in, out) for sizes, (1, scale) for scales
  ResizeTaps taps;
};

AxisMap axis_map(const OpCall& call, size_t axis, int64_t in, int64_t out) {
  AxisMap m;
  m.in = in;
  m.out = out;
  m.mode = call.attrs.s("mode");
  m.transform = call.attrs.s("coordinate_transformation_mode");
  m.nearest_mode = call.attrs.s("nearest_mode");
  const Floats& scales = call.attrs.floats("scales");
  m.num = scales.empty() ? static_cast<double>(in) : 1.0;
  m.den = scales.empty() ? static_cast<double>(out) : scales[axis];
  // The CPU's taps, the reference every formula below is checked against.
  m.taps = resize_axis_taps(call, axis, in, out);
  return m;
}

// True when every output position reads its own input position with weight 1 and nothing else.
bool is_identity(const AxisMap& m) {
  if (m.in != m.out) return false;
  for (int64_t o = 0; o < m.out; ++o) {
    for (size_t t = 0; t < m.taps.per_output; ++t) {
      const double w = m.taps.weight_of(o, t);
      if (w != 0.0 && (m.taps.source(o, t) != o || w != 1.0)) return false;
    }
  }
  return true;
}

// ---- exact integer coordinates ----

constexpr int64_t kI32Max = 2147483647;

// The source coordinate as (A * o + B) / D in integers, D > 0.
struct Ratio {
  int64_t a = 0, b = 0, d = 1;
};

// The coordinate of the transform when the ratio in/out is rn / rd (integers).
Ratio coordinate_ratio(const AxisMap& m, int64_t rn, int64_t rd) {
  if (m.transform == "align_corners") {
    if (m.out <= 1) return {0, 0, 1};
    return {m.in - 1, 0, m.out - 1};
  }
  if (m.transform == "asymmetric") return {rn, 0, rd};
  if (m.transform == "tf_half_pixel_for_nn") return {2 * rn, rn, 2 * rd};  // (o + 1/2) * rn / rd
  if (m.transform == "pytorch_half_pixel" && m.out <= 1) return {0, 0, 1};
  return {2 * rn, rn - rd, 2 * rd};  // (o + 1/2) * rn / rd - 1/2
}

// Nearest: the source index floor((A * o + B) / D) - shift, clamped to [0, in).
struct NearestFormula {
  int64_t a = 0, b = 0, d = 1, shift = 0;
};

// The rounding of nearest_mode folded into the numerator, B made non-negative (shift) so the
// shader divides non-negative integers; false if a numerator could leave the i32 range.
bool nearest_formula(const AxisMap& m, Ratio r, NearestFormula& f) {
  // Rounding to a half needs D even.
  r = {2 * r.a, 2 * r.b, 2 * r.d};
  int64_t b = r.b;
  if (m.nearest_mode == "ceil") b += r.d - 1;                    // ceil(y) = floor(y + 1 - 1/D)
  if (m.nearest_mode == "round_prefer_ceil") b += r.d / 2;       // floor(c + 1/2)
  if (m.nearest_mode == "round_prefer_floor") b += r.d / 2 - 1;  // ceil(c - 1/2)
  f.a = r.a;
  f.d = r.d;
  f.shift = b < 0 ? (-b + r.d - 1) / r.d : 0;
  f.b = b + f.shift * r.d;
  if (f.a < 0 || f.a > kI32Max || f.d > kI32Max || f.shift > kI32Max) return false;
  return f.a * (m.out - 1) + f.b <= kI32Max;
}

int64_t apply(const NearestFormula& f, int64_t o, int64_t in) {
  const int64_t i = (f.a * o + f.b) / f.d - f.shift;
  return std::min(std::max<int64_t>(i, 0), in - 1);
}

bool nearest_matches(const AxisMap& m, const NearestFormula& f) {
  for (int64_t o = 0; o < m.out; ++o) {
    if (apply(f, o, m.in) != m.taps.source(o, 0)) return false;
  }
  return true;
}

// Linear: the unclamped numerator A * o + B over D; checks the i32 range, taps and weights.
bool linear_matches(const AxisMap& m, const Ratio& r) {
  if (r.d > kI32Max || std::abs(r.b) > kI32Max || r.a < 0 || r.a > kI32Max ||
      r.a * (m.out - 1) + std::abs(r.b) > kI32Max || (m.in - 1) * r.d > kI32Max)
    return false;
  for (int64_t o = 0; o < m.out; ++o) {
    const int64_t n = r.a * o + r.b;
    int64_t lo = 0;
    double w = 0;
    if (n >= (m.in - 1) * r.d) {
      lo = m.in - 1;
    } else if (n > 0) {
      lo = n / r.d;
      w = static_cast<double>(n % r.d) / static_cast<double>(r.d);
    }
    if (lo != m.taps.source(o, 0) || std::fabs(w - m.taps.weight_of(o, 1)) > 1e-9) return false;
  }
  return true;
}

// Candidate ratios in/out: exact for sizes; for scales, 1 / scale as continued-fraction
// convergents q / p of the scale p / q, smallest first.
std::vector<std::pair<int64_t, int64_t>> candidate_ratios(const AxisMap& m, bool by_sizes) {
  if (by_sizes) return {{m.in, m.out}};
  std::vector<std::pair<int64_t, int64_t>> ratios;
  double rest = m.den;                     // the scale
  int64_t p0 = 1, q0 = 0, p1 = 0, q1 = 1;  // convergents p / q of the scale
  for (int step = 0; step < 40 && std::isfinite(rest); ++step) {
    const double whole = std::floor(rest);
    if (whole > 1e9) break;
    const int64_t t = static_cast<int64_t>(whole);
    const int64_t p = t * p0 + p1, q = t * q0 + q1;
    if (p > (int64_t{1} << 30) || q > (int64_t{1} << 30)) break;
    if (p > 0) ratios.push_back({q, p});
    p1 = p0;
    q1 = q0;
    p0 = p;
    q0 = q;
    const double frac = rest - whole;
    if (frac < 1e-15) break;
    rest = 1.0 / frac;
  }
  return ratios;
}

// ---- code generation ----

void emit_nearest_axis(ShaderWriter& w, const AxisMap& m, size_t d, bool by_sizes) {
  const std::string o = "o" + std::to_string(d), s = "s" + std::to_string(d);
  for (const auto& [rn, rd] : candidate_ratios(m, by_sizes)) {
    NearestFormula f;
    if (!nearest_formula(m, coordinate_ratio(m, rn, rd), f) || !nearest_matches(m, f)) continue;
    // Smallest terms, zero terms left out.
    const int64_t g = std::gcd(std::gcd(f.a, f.b), f.d);
    std::string index = "(" + std::to_string(f.a / g) + "u * " + o;
    if (f.b != 0) index += " + " + std::to_string(f.b / g) + "u";
    index += ") / " + std::to_string(f.d / g) + "u";
    index = "i32(" + index + ")";
    if (f.shift != 0) index += " - " + std::to_string(f.shift);
    w.body() << "  let " << s << " = u32(clamp(" << index << ", 0, " << m.in - 1 << "));\n";
    return;
  }
  // No exact ratio: the source positions as a table.
  auto& decl = w.decl();
  decl << "const near" << d << " = array<u32, " << m.out << ">(";
  for (int64_t i = 0; i < m.out; ++i)
    decl << (i ? ", " : "") << m.taps.source(i, 0) << "u";
  decl << ");\n";
  w.body() << "  let " << s << " = near" << d << "[" << o << "];\n";
}

void emit_linear_axis(ShaderWriter& w, const AxisMap& m, size_t d, bool by_sizes) {
  const std::string n = std::to_string(d), o = "o" + n;
  auto& b = w.body();
  b << "  var lo" << n << " = 0u;\n  var w" << n << " = 0.0;\n";
  for (const auto& [rn, rd] : candidate_ratios(m, by_sizes)) {
    Ratio r = coordinate_ratio(m, rn, rd);
    if (!linear_matches(m, r)) continue;
    const int64_t g = std::gcd(std::gcd(r.a, r.b), r.d);  // smallest terms
    r = {r.a / g, r.b / g, r.d / g};
    std::string numerator = std::to_string(r.a) + " * i32(" + o + ")";
    if (r.b != 0) numerator += (r.b > 0 ? " + " : " - ") + std::to_string(std::abs(r.b));
    // Clamped to the input; lo = floor, w = the exact fraction (as f32).
    b << "  let num" << n << " = " << numerator << ";\n"
      << "  if (num" << n << " >= " << (m.in - 1) * r.d << ") {\n"
      << "    lo" << n << " = " << m.in - 1 << "u;\n"
      << "  } else if (num" << n << " > 0) {\n"
      << "    lo" << n << " = u32(num" << n << " / " << r.d << ");\n"
      << "    w" << n << " = f32(num" << n << " % " << r.d << ") / " << r.d << ".0;\n  }\n"
      << "  let hi" << n << " = min(lo" << n << " + 1u, " << m.in - 1 << "u);\n";
    return;
  }
  // No exact ratio: the coordinate in f32 (weights are continuous, so rounding is harmless).
  double slope = 0, offset = 0;
  if (m.transform == "align_corners") {
    slope = m.out > 1 ? static_cast<double>(m.in - 1) / static_cast<double>(m.out - 1) : 0.0;
  } else if (m.transform == "asymmetric") {
    slope = m.num / m.den;
  } else if (m.transform == "tf_half_pixel_for_nn") {
    slope = m.num / m.den;
    offset = 0.5 * slope;
  } else if (!(m.transform == "pytorch_half_pixel" && m.out <= 1)) {
    slope = m.num / m.den;
    offset = 0.5 * slope - 0.5;
  }
  b << "  let c" << n << " = clamp(f32(" << o << ") * " << literal(slope, "f32") << " + "
    << literal(offset, "f32") << ", 0.0, " << literal(static_cast<double>(m.in - 1), "f32")
    << ");\n"
    << "  lo" << n << " = min(u32(floor(c" << n << ")), " << m.in - 1 << "u);\n"
    << "  w" << n << " = c" << n << " - floor(c" << n << ");\n"
    << "  let hi" << n << " = min(lo" << n << " + 1u, " << m.in - 1 << "u);\n";
}

// Cubic: the four source positions (u32) and weights (f32) of each output position as tables
// indexed by o * 4 + tap, from the CPU's taps.
void emit_cubic_tables(ShaderWriter& w, const AxisMap& m, size_t d) {
  const size_t count = m.taps.index.size();
  auto& decl = w.decl();
  decl << "const cubic_at" << d << " = array<u32, " << count << ">(";
  for (size_t i = 0; i < count; ++i)
    decl << (i ? ", " : "") << m.taps.index[i] << "u";
  decl << ");\nconst cubic_w" << d << " = array<f32, " << count << ">(";
  for (size_t i = 0; i < count; ++i)
    decl << (i ? ", " : "") << literal(m.taps.weight[i], "f32");
  decl << ");\n";
}

// The weighted sum over every combination of one tap per cubic axis: nested loops over the taps.
void emit_cubic_sum(ShaderWriter& w, const Tensor& x, std::vector<std::string> coords,
                    const std::vector<size_t>& cubic_axes) {
  auto& b = w.body();
  b << "  var acc = 0.0;\n";
  std::string indent = "  ", weight;
  for (size_t d : cubic_axes) {
    const std::string n = std::to_string(d);
    b << indent << "for (var t" << n << " = 0u; t" << n << " < 4u; t" << n << " = t" << n
      << " + 1u) {\n";
    indent += "  ";
    b << indent << "let k" << n << " = o" << n << " * 4u + t" << n << ";\n"
      << indent << "let c" << n << " = cubic_at" << n << "[k" << n << "];\n";
    weight += (weight.empty() ? "" : " * ") + std::string("cubic_w") + n + "[k" + n + "]";
    coords[d] = "c" + n;
  }
  // Weight-0 taps are skipped, as on the CPU, so that an infinity there does not become NaN.
  b << indent << "let weight = " << weight << ";\n"
    << indent << "if (weight != 0.0) { acc = acc + weight * x_load(" << offset_of(x, coords)
    << "); }\n";
  for (size_t i = cubic_axes.size(); i-- > 0;) {
    indent.resize(indent.size() - 2);
    b << indent << "}\n";
  }
  b << "  out_store(gid, acc);\n";
}

void resize_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                   std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t rank = x.rank();
  const Shape& out_shape = out.shape();
  const bool nearest = call.attrs.s("mode") == "nearest";
  const bool by_sizes = !call.attrs.ints("sizes").empty();
  const std::string type = compute_type(x.dtype());

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  auto& b = w.body();
  if (x.numel() == 0) {
    // Nothing to sample (the CPU reads out of bounds here): zeros.
    b << "  out_store(gid, " << literal(0, type) << ");\n";
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
    return;
  }
  emit_coords(b, "gid", out_shape, "o");
  // Per axis: pass the coordinate through, pick one source position, or blend two.
  std::vector<std::string> picks;
  std::vector<size_t> blends, cubic_axes;
  for (size_t d = 0; d < rank; ++d) {
    const AxisMap m = axis_map(call, d, x.shape()[d], out_shape[d]);
    const std::string n = std::to_string(d);
    if (is_identity(m)) {
      picks.push_back("o" + n);
    } else if (m.mode == "cubic") {
      emit_cubic_tables(w, m, d);
      picks.push_back("o" + n);  // replaced by the tap's position in the sum
      cubic_axes.push_back(d);
    } else if (nearest) {
      emit_nearest_axis(w, m, d, by_sizes);
      picks.push_back("s" + n);
    } else {
      emit_linear_axis(w, m, d, by_sizes);
      picks.push_back("lo" + n);
      blends.push_back(d);
    }
  }
  if (!cubic_axes.empty()) {
    emit_cubic_sum(w, x, picks, cubic_axes);
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
    return;
  }
  if (blends.empty()) {
    // A pure selection: any dtype, no rounding.
    b << "  out_store(gid, x_load(" << offset_of(x, picks) << "));\n";
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
    return;
  }
  // Sum over the corners of the blended axes, skipping weight-0 corners as the CPU does (so an
  // infinity there does not turn into NaN).
  b << "  var acc = 0.0;\n";
  for (uint64_t corner = 0; corner < (uint64_t{1} << blends.size()); ++corner) {
    std::vector<std::string> coords = picks;
    std::string weight;
    for (size_t i = 0; i < blends.size(); ++i) {
      const std::string n = std::to_string(blends[i]);
      const bool hi = ((corner >> i) & 1) != 0;
      if (hi) coords[blends[i]] = "hi" + n;
      weight += (i ? " * " : "") + (hi ? "w" + n : "(1.0 - w" + n + ")");
    }
    b << "  {\n    let weight = " << weight << ";\n"
      << "    if (weight != 0.0) { acc = acc + weight * x_load(" << offset_of(x, coords)
      << "); }\n  }\n";
  }
  b << "  out_store(gid, acc);\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

}  // namespace

extern const std::vector<Kernel> kResizeKernels = {
    {"resize", resize_kernel},
};

}  // namespace wgml::wgsl
