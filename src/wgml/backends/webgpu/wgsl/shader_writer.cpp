#include "wgml/backends/webgpu/wgsl/shader_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "wgml/core/error.h"

namespace wgml::wgsl {

namespace {

// Helper functions a kernel may ask for; each is emitted at most once per shader.
const std::map<std::string, std::string>& helper_library() {
  static const std::map<std::string, std::string> library = {
      {"isnan",
       // Bit tests: compilers may assume no NaN in float comparisons.
       "fn wgml_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }\n"
       "fn wgml_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; "
       "}\n"},
      {"fmax",
       // max/min that propagate NaN, as PyTorch and ONNX do.
       "fn wgml_fmax(a: f32, b: f32) -> f32 {\n"
       "  if (wgml_isnan(a) || wgml_isnan(b)) { return wgml_nan(); }\n"
       "  return max(a, b);\n}\n"
       "fn wgml_fmin(a: f32, b: f32) -> f32 {\n"
       "  if (wgml_isnan(a) || wgml_isnan(b)) { return wgml_nan(); }\n"
       "  return min(a, b);\n}\n"},
      {"erf",
       // WGSL has no erf: a Maclaurin series near 0 (relative accuracy where erf is small),
       // the Chebyshev-fitted erfc of Numerical Recipes (fractional error < 1.2e-7) beyond;
       // erfc(x) for x > 0 is t * exp(p) with no cancellation.
       "fn wgml_erf_series(x: f32) -> f32 {\n"
       "  let x2 = x * x;\n"
       "  var term = x;\n"
       "  var sum = x;\n"
       "  for (var n = 1; n < 12; n++) {\n"
       "    term = -term * x2 / f32(n);\n"
       "    sum += term / f32(2 * n + 1);\n"
       "  }\n"
       "  return sum * 1.1283791670955126;\n}\n"
       "fn wgml_erfc_pos(a: f32) -> f32 {\n"
       "  let t = 1.0 / (1.0 + 0.5 * a);\n"
       "  let p = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +\n"
       "      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +\n"
       "      t * (-0.82215223 + t * 0.17087277))))))));\n"
       "  return t * exp(p);\n}\n"
       "fn wgml_erf(x: f32) -> f32 {\n"
       "  if (abs(x) < 0.75) { return wgml_erf_series(x); }\n"
       "  let r = 1.0 - wgml_erfc_pos(abs(x));\n"
       "  return select(r, -r, x < 0.0);\n}\n"
       "fn wgml_erfc(x: f32) -> f32 {\n"
       "  if (abs(x) < 0.75) { return 1.0 - wgml_erf_series(x); }\n"
       "  let c = wgml_erfc_pos(abs(x));\n"
       "  return select(c, 2.0 - c, x < 0.0);\n}\n"},
      {"log1p",
       // log and log1p with full float32 accuracy near 1 (drivers' log is only accurate in
       // absolute terms there): a series for |d| < 1/16, else the rounding of u = 1 + x
       // corrected by x / (u - 1). expm1 likewise: a series where exp(x) - 1 would cancel.
       "fn wgml_log1p_series(d: f32) -> f32 {\n"
       "  return d * (1.0 + d * (-0.5 + d * (0.33333333 + d * (-0.25 + d * (0.2 + d * (\n"
       "      -0.16666667 + d * (0.14285714 + d * -0.125)))))));\n}\n"
       "fn wgml_log1p(x: f32) -> f32 {\n"
       "  if (abs(x) < 0.0625) { return wgml_log1p_series(x); }\n"
       "  let u = 1.0 + x;\n"
       "  if (wgml_isinf(u)) { return u; }\n"
       "  return log(u) * (x / (u - 1.0));\n}\n"
       "fn wgml_log(x: f32) -> f32 {\n"
       "  if (abs(x - 1.0) < 0.0625) { return wgml_log1p_series(x - 1.0); }\n"
       "  return log(x);\n}\n"
       "fn wgml_expm1(x: f32) -> f32 {\n"
       "  if (abs(x) < 0.0625) {\n"
       "    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (\n"
       "        0.008333334 + x * 0.0013888889)))));\n"
       "  }\n"
       "  return exp(x) - 1.0;\n}\n"},
      {"atan",
       // Inverse trigonometry with full float32 accuracy (some drivers' builtins are far off):
       // atan reduced to |t| <= tan(pi/8) then an odd minimax polynomial; asin and acos through
       // atan of well-conditioned ratios.
       "fn wgml_atan(x: f32) -> f32 {\n"
       "  var a = abs(x);\n"
       "  var base = 0.0;\n"
       "  if (a > 2.414213562373095) {\n"
       "    base = 1.5707963267948966;\n"
       "    a = -1.0 / a;\n"
       "  } else if (a > 0.4142135623730950) {\n"
       "    base = 0.7853981633974483;\n"
       "    a = (a - 1.0) / (a + 1.0);\n"
       "  }\n"
       "  let z = a * a;\n"
       "  let p = (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z -\n"
       "           3.33329491539e-1) * z * a + a;\n"
       "  let r = base + p;\n"
       "  return select(r, -r, x < 0.0);\n}\n"
       "fn wgml_asin(x: f32) -> f32 {\n"
       "  if (abs(x) > 1.0) { return wgml_nan(); }\n"
       "  if (abs(x) == 1.0) { return x * 1.5707963267948966; }\n"
       "  return wgml_atan(x / sqrt((1.0 - x) * (1.0 + x)));\n}\n"
       "fn wgml_acos(x: f32) -> f32 {\n"
       "  if (abs(x) > 1.0) { return wgml_nan(); }\n"
       "  if (x == -1.0) { return 3.141592653589793; }\n"
       "  return 2.0 * wgml_atan(sqrt((1.0 - x) / (1.0 + x)));\n}\n"},
      {"tanh",
       // tanh through exp of a non-positive argument (no overflow), with a series near 0 where
       // 1 - e^-2|x| would cancel.
       "fn wgml_tanh(x: f32) -> f32 {\n"
       "  let a = abs(x);\n"
       "  if (a < 0.0625) {\n"
       "    let x2 = x * x;\n"
       "    return x * (1.0 + x2 * (-0.3333333333 + x2 * (0.1333333333 + x2 * -0.0539682540)));\n"
       "  }\n"
       "  let e = exp(-2.0 * a);\n"
       "  let r = (1.0 - e) / (1.0 + e);\n"
       "  return select(r, -r, x < 0.0);\n}\n"},
      {"pow",
       // pow for negative bases with integral exponents and the edge cases of C's pow; WGSL's pow
       // is undefined for x < 0.
       "fn wgml_pow(x: f32, y: f32) -> f32 {\n"
       "  if (y == 0.0) { return 1.0; }\n"
       "  if (wgml_isnan(x) || wgml_isnan(y)) { return wgml_nan(); }\n"
       "  let odd = abs(y) < 16777216.0 && (abs(y) % 2.0) == 1.0;\n"
       "  if (x == 0.0) {\n"
       "    if (y > 0.0) { return select(0.0, x, odd); }\n"
       "    return select(wgml_inf(), 1.0 / x, odd);\n"
       "  }\n"
       "  let m = exp2(y * log2(abs(x)));\n"
       "  if (x > 0.0) { return m; }\n"
       "  if (floor(y) != y) { return wgml_nan(); }\n"
       "  return select(m, -m, odd);\n}\n"},
      {"fmod",
       // C fmod (sign of the dividend) and floor modulo (sign of the divisor).
       "fn wgml_fmod(a: f32, b: f32) -> f32 {\n"
       "  if (b == 0.0 || wgml_isinf(a)) { return wgml_nan(); }\n"
       "  if (wgml_isinf(b)) { return a; }\n"
       "  return a - b * trunc(a / b);\n}\n"
       "fn wgml_fmodf(a: f32, b: f32) -> f32 {\n"
       "  let r = wgml_fmod(a, b);\n"
       "  if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { return r + b; }\n"
       "  return r;\n}\n"},
      {"idiv",
       // Integer division truncates; x / 0 gives 0 (no trap); INT_MIN / -1 wraps.
       "fn wgml_idiv(a: i32, b: i32) -> i32 {\n"
       "  if (b == 0) { return 0; }\n"
       "  if (b == -1) { return 0 - a; }\n"
       "  return a / b;\n}\n"
       "fn wgml_ifmod(a: i32, b: i32) -> i32 {\n"
       "  if (b == 0 || b == -1) { return 0; }\n"
       "  return a % b;\n}\n"
       "fn wgml_imod(a: i32, b: i32) -> i32 {\n"
       "  let r = wgml_ifmod(a, b);\n"
       "  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }\n"
       "  return r;\n}\n"
       "fn wgml_ipow(base: i32, exponent: i32) -> i32 {\n"
       "  if (exponent < 0) {\n"
       "    if (base == 1) { return 1; }\n"
       "    if (base == -1) { return select(1, -1, (exponent & 1) != 0); }\n"
       "    return 0;\n"
       "  }\n"
       "  var r = 1;\n"
       "  var b = base;\n"
       "  var e = exponent;\n"
       "  while (e > 0) {\n"
       "    if ((e & 1) != 0) { r = r * b; }\n"
       "    b = b * b;\n"
       "    e = e >> 1u;\n"
       "  }\n"
       "  return r;\n}\n"},
      {"f64",
       // float64 as (low, high) u32 words <-> f32: WGSL has no f64, so float64 is a storage
       // type on WebGPU. Decoding rounds the 53-bit significand to 24 bits (to nearest, ties to
       // even); encoding is exact (f32 subnormals included).
       "fn wgml_f64_to_f32(lo: u32, hi: u32) -> f32 {\n"
       "  let sign = select(1.0, -1.0, (hi >> 31u) != 0u);\n"
       "  let ex = i32((hi >> 20u) & 0x7ffu);\n"
       "  let mhi = hi & 0xfffffu;\n"
       "  if (ex == 0x7ff) {\n"
       "    if (mhi != 0u || lo != 0u) { return wgml_nan(); }\n"
       "    return sign * wgml_inf();\n"
       "  }\n"
       "  if (ex == 0) { return sign * 0.0; }\n"
       "  var e = ex - 1023;\n"
       "  var sig = ((mhi | 0x100000u) << 3u) | (lo >> 29u);\n"
       "  let rest = lo & 0x1fffffffu;\n"
       "  if (rest > 0x10000000u || (rest == 0x10000000u && (sig & 1u) != 0u)) { sig += 1u; }\n"
       "  if (sig == 0x1000000u) { sig = 0x800000u; e += 1; }\n"
       "  if (e > 127) { return sign * wgml_inf(); }\n"
       "  if (e < -150) { return sign * 0.0; }\n"
       "  return sign * ldexp(f32(sig), e - 23);\n}\n"
       "fn wgml_f32_to_f64(v: f32) -> vec2<u32> {\n"
       "  let u = bitcast<u32>(v);\n"
       "  let s = u & 0x80000000u;\n"
       "  let ex = (u >> 23u) & 0xffu;\n"
       "  var m = u & 0x7fffffu;\n"
       "  if (ex == 0xffu) { return vec2<u32>(m << 29u, s | 0x7ff00000u | (m >> 3u)); }\n"
       "  var e64 = ex + 896u;\n"
       "  if (ex == 0u) {\n"
       "    if (m == 0u) { return vec2<u32>(0u, s); }\n"
       "    let shift = countLeadingZeros(m) - 8u;\n"
       "    m = (m << shift) & 0x7fffffu;\n"
       "    e64 = 897u - shift;\n"
       "  }\n"
       "  return vec2<u32>(m << 29u, s | (e64 << 20u) | (m >> 3u));\n}\n"},
      {"bf16",
       // f32 -> bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.
       "fn wgml_bf16_bits(v: f32) -> u32 {\n"
       "  let u = bitcast<u32>(v);\n"
       "  if ((u & 0x7fffffffu) > 0x7f800000u) { return ((u >> 16u) | 0x40u) & 0xffffu; }\n"
       "  return (u + 0x7fffu + ((u >> 16u) & 1u)) >> 16u;\n}\n"},
      {"f2i",
       // Float to integer as the engine casts: truncate toward zero, wrap modulo 2^32 (the low
       // word of the int64 result), NaN and |x| >= 9.3e18 give 0.
       "fn wgml_f2i(x: f32) -> i32 {\n"
       "  if (!(abs(x) < 9.3e18)) { return 0; }\n"
       "  if (abs(x) < 2147483648.0) { return i32(x); }\n"
       "  let t = trunc(x);\n"
       "  let m = t - 4294967296.0 * floor(t / 4294967296.0);\n"
       "  return bitcast<i32>(u32(m));\n}\n"},
  };
  return library;
}

// Helpers that call other helpers.
const std::map<std::string, std::vector<std::string>>& helper_deps() {
  static const std::map<std::string, std::vector<std::string>> deps = {
      {"fmax", {"isnan"}}, {"log1p", {"isnan"}}, {"pow", {"isnan"}}, {"fmod", {"isnan"}}};
  return deps;
}

}  // namespace

const char* compute_type(DType dtype) {
  return is_floating(dtype) ? "f32" : "i32";
}

std::string literal(double value, const std::string& type) {
  if (type == "f32") {
    if (std::isnan(value)) return "wgml_nan()";
    if (std::isinf(value) || std::fabs(value) > 3.4028234663852886e38)
      return value > 0 ? "wgml_inf()" : "(-wgml_inf())";
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.9g", value);
    std::string s = buf;
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return "f32(" + s + ")";
  }
  if (std::isnan(value)) return "0i";
  if (value <= -2147483648.0) return "i32(-2147483647 - 1)";
  if (value >= 2147483647.0) return "2147483647i";
  return std::to_string(static_cast<int64_t>(value)) + "i";
}

std::string u32_literal(int64_t value) {
  return std::to_string(static_cast<uint32_t>(value)) + "u";
}

std::string i32_literal(int64_t value) {
  return literal(static_cast<double>(value), "i32");
}

std::string convert(const std::string& value, const std::string& from, const std::string& to) {
  if (from == to) return value;
  if (to == "f32") return "f32(" + value + ")";
  return "wgml_f2i(" + value + ")";  // f32 -> i32; the caller has need("f2i")
}

ShaderWriter::ShaderWriter(std::string label, const gpu::AdapterInfo& adapter)
    : label_(std::move(label)), adapter_(adapter) {}

void ShaderWriter::need(const std::string& helper) {
  if (helpers_.count(helper)) return;
  auto it = helper_library().find(helper);
  WGML_CHECK(it != helper_library().end(), "wgsl: unknown helper '", helper, "'");
  auto deps = helper_deps().find(helper);
  if (deps != helper_deps().end()) {
    for (const std::string& d : deps->second)
      need(d);
  }
  helpers_.insert(helper);
  helper_code_ += it->second;
}

void ShaderWriter::input(const std::string& name, const Tensor& t) {
  bind(name, t, false);
}

void ShaderWriter::output(const std::string& name, const Tensor& t) {
  bind(name, t, true);
}

void ShaderWriter::bind(const std::string& name, const Tensor& t, bool writable) {
  const size_t binding = tensors_.size();
  tensors_.push_back(t);
  read_only_.push_back(!writable);
  const char* access = writable ? "read_write" : "read";
  const DType dtype = t.dtype();
  const size_t size = dtype_size(dtype);
  const bool packed = size < 4;
  std::string element;
  if (dtype == DType::Float32) {
    element = "f32";
  } else if (!packed) {  // int32, uint32; int64, uint64, float64 as two words
    element = "i32";
  } else {
    element = writable ? "atomic<u32>" : "u32";
  }
  if (dtype == DType::Float64) need("f64");
  if (dtype == DType::BFloat16 && writable) need("bf16");
  auto& b = bindings_;
  b << "@group(0) @binding(" << binding << ") var<storage, " << access << "> " << name << ": array<"
    << element << ">;\n";
  const std::string ct = compute_type(dtype);
  // The load accessor.
  b << "fn " << name << "_load(e: u32) -> " << ct << " {\n";
  std::string word = name + "[e >> " + (size == 2 ? "1u" : "2u") + "]";
  if (packed && writable) word = "atomicLoad(&" + word + ")";
  switch (dtype) {
    case DType::Float32:
    case DType::Int32:
    case DType::UInt32:
      b << "  return " << name << "[e];\n";
      break;
    case DType::Int64:
    case DType::UInt64:
      b << "  return " << name << "[2u * e];\n";
      break;
    case DType::Float64:
      b << "  return wgml_f64_to_f32(bitcast<u32>(" << name << "[2u * e]), bitcast<u32>(" << name
        << "[2u * e + 1u]));\n";
      break;
    case DType::Float16:
      b << "  return unpack2x16float(" << word << ")[e & 1u];\n";
      break;
    case DType::BFloat16:
      b << "  return bitcast<f32>(((" << word << " >> ((e & 1u) * 16u)) & 0xffffu) << 16u);\n";
      break;
    case DType::Int16:
      b << "  return bitcast<i32>(" << word << " << (16u - (e & 1u) * 16u)) >> 16u;\n";
      break;
    case DType::UInt16:
      b << "  return i32((" << word << " >> ((e & 1u) * 16u)) & 0xffffu);\n";
      break;
    case DType::Int8:
      b << "  return bitcast<i32>(" << word << " << (24u - (e & 3u) * 8u)) >> 24u;\n";
      break;
    case DType::UInt8:
    case DType::Bool:
      b << "  return i32((" << word << " >> ((e & 3u) * 8u)) & 0xffu);\n";
      break;
  }
  b << "}\n";
  if (!writable) return;
  // The store accessor.
  b << "fn " << name << "_store(e: u32, v: " << ct << ") {\n";
  const auto store16 = [&](const std::string& bits) {
    b << "  let bits = " << bits << ";\n"
      << "  let shift = (e & 1u) * 16u;\n"
      << "  atomicAnd(&" << name << "[e >> 1u], ~(0xffffu << shift));\n"
      << "  atomicOr(&" << name << "[e >> 1u], bits << shift);\n";
  };
  switch (dtype) {
    case DType::Float32:
    case DType::Int32:
    case DType::UInt32:
      b << "  " << name << "[e] = v;\n";
      break;
    case DType::Int64:
      b << "  " << name << "[2u * e] = v;\n  " << name << "[2u * e + 1u] = v >> 31u;\n";
      break;
    case DType::UInt64:  // the low word, zero-extended
      b << "  " << name << "[2u * e] = v;\n  " << name << "[2u * e + 1u] = 0;\n";
      break;
    case DType::Float64:
      b << "  let w = wgml_f32_to_f64(v);\n  " << name << "[2u * e] = bitcast<i32>(w.x);\n  "
        << name << "[2u * e + 1u] = bitcast<i32>(w.y);\n";
      break;
    case DType::Float16:
      store16("pack2x16float(vec2<f32>(v, 0.0)) & 0xffffu");
      break;
    case DType::BFloat16:
      store16("wgml_bf16_bits(v)");
      break;
    case DType::Int16:
    case DType::UInt16:
      store16("u32(v) & 0xffffu");
      break;
    case DType::UInt8:
    case DType::Int8:
    case DType::Bool: {
      const std::string bits = dtype == DType::Bool ? "select(0u, 1u, v != 0)" : "u32(v) & 0xffu";
      b << "  let shift = (e & 3u) * 8u;\n"
        << "  atomicAnd(&" << name << "[e >> 2u], ~(0xffu << shift));\n"
        << "  atomicOr(&" << name << "[e >> 2u], (" << bits << ") << shift);\n";
      break;
    }
  }
  b << "}\n";
}

Launch ShaderWriter::finish(uint64_t workgroups, uint32_t workgroup_size) {
  const uint64_t limit = std::max<uint32_t>(adapter_.max_compute_workgroups_per_dimension, 1);
  Launch launch;
  if (workgroups <= limit) {
    launch.workgroups = {static_cast<uint32_t>(std::max<uint64_t>(workgroups, 1)), 1, 1};
  } else {
    const uint64_t rows = (workgroups + limit - 1) / limit;
    WGML_CHECK(rows <= limit, label_, ": ", workgroups, " workgroups exceed the adapter's grid");
    launch.workgroups = {static_cast<uint32_t>(limit), static_cast<uint32_t>(rows), 1};
  }
  std::ostringstream src;
  src << "// wgml: " << label_ << "\n";
  // NaN and infinity are not constant expressions in WGSL: they come from private variables.
  src << "var<private> wgml_nan_bits: u32 = 0x7fc00000u;\n"
      << "var<private> wgml_inf_bits: u32 = 0x7f800000u;\n"
      << "fn wgml_nan() -> f32 { return bitcast<f32>(wgml_nan_bits); }\n"
      << "fn wgml_inf() -> f32 { return bitcast<f32>(wgml_inf_bits); }\n";
  src << bindings_.str() << helper_code_ << decl_.str();
  src << "@compute @workgroup_size(" << workgroup_size << ")\n"
      << "fn main(@builtin(workgroup_id) wid3: vec3<u32>,\n"
      << "        @builtin(local_invocation_index) lid: u32,\n"
      << "        @builtin(num_workgroups) groups: vec3<u32>) {\n"
      << "  let wid = wid3.x + wid3.y * groups.x;\n"
      << "  let gid = wid * " << workgroup_size << "u + lid;\n"
      << body_.str() << "}\n";
  launch.program.label = label_;
  launch.program.wgsl = src.str();
  launch.program.read_only = read_only_;
  launch.tensors = tensors_;
  return launch;
}

Launch ShaderWriter::finish_elementwise(uint64_t count, uint32_t workgroup_size) {
  std::string body = body_.str();
  body_.str("");
  body_ << "  if (gid >= " << count << "u) { return; }\n" << body;
  return finish((count + workgroup_size - 1) / workgroup_size, workgroup_size);
}

Launch ShaderWriter::finish_strided(uint64_t count, uint32_t per_invocation,
                                    uint32_t workgroup_size) {
  if (per_invocation <= 1) return finish_elementwise(count, workgroup_size);
  const uint64_t invocations = (count + per_invocation - 1) / per_invocation;
  std::string body = body_.str();
  body_.str("");
  body_ << "  if (gid >= " << invocations << "u) { return; }\n"
        << "  for (var k = 0u; k < " << per_invocation << "u; k++) {\n"
        << "  let gid = (wid * " << workgroup_size << "u + lid) + k * " << invocations << "u;\n"
        << "  if (gid >= " << count << "u) { break; }\n"
        << body << "  }\n";
  return finish((invocations + workgroup_size - 1) / workgroup_size, workgroup_size);
}

void emit_coords(std::ostringstream& out, const std::string& linear, const Shape& shape,
                 const std::string& prefix) {
  int64_t inner = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    out << "  let " << prefix << d << " = ";
    const bool outermost = d == 0;
    if (inner == 1)
      out << (outermost ? linear : "(" + linear + ")")
          << (outermost ? "" : " % " + std::to_string(shape[d]) + "u");
    else if (outermost)
      out << "(" << linear << ") / " << inner << "u";
    else
      out << "((" << linear << ") / " << inner << "u) % " << shape[d] << "u";
    out << ";\n";
    inner *= shape[d];
  }
}

std::string offset_of(const Tensor& t, const std::vector<std::string>& coords) {
  WGML_CHECK(coords.size() == t.rank(), "wgsl: offset_of rank mismatch");
  std::string s = u32_literal(t.offset());
  for (size_t d = 0; d < t.rank(); ++d) {
    if (t.shape()[d] == 1 || t.strides()[d] == 0) continue;
    s += " + " + coords[d];
    if (t.strides()[d] != 1) s += " * " + u32_literal(t.strides()[d]);
  }
  return s;
}

Tensor broadcast_view(const Tensor& t, const Shape& shape) {
  Strides strides(shape.size(), 0);
  const size_t lead = shape.size() - t.rank();
  for (size_t d = 0; d < t.rank(); ++d)
    if (t.shape()[d] != 1) strides[lead + d] = t.strides()[d];
  return t.with_view(shape, strides, t.offset());
}

std::vector<std::string> coord_names(const std::string& prefix, size_t rank) {
  std::vector<std::string> names;
  for (size_t d = 0; d < rank; ++d)
    names.push_back(prefix + std::to_string(d));
  return names;
}

std::string move_element(DType dtype, const std::string& in, const std::string& src,
                         const std::string& out, const std::string& dst) {
  if (dtype_size(dtype) != 8) return out + "_store(" + dst + ", " + in + "_load(" + src + "));";
  return "{ let mv_s = 2u * (" + src + "); let mv_d = 2u * (" + dst + "); " + out +
         "[mv_d] = " + in + "[mv_s]; " + out + "[mv_d + 1u] = " + in + "[mv_s + 1u]; }";
}

void declare_index(ShaderWriter& w, const std::string& name, const Tensor& t) {
  auto& d = w.decl();
  d << "fn " << name << "_index(e: u32, size: i32) -> i32 {\n"
    << "  var i = " << name << "_load(e);\n";
  if (t.dtype() == DType::Int64)
    d << "  // int64: only values that fit 32 bits (high word = sign of the low word) are indices\n"
      << "  if (" << name << "[2u * e + 1u] != (i >> 31u)) { return -1; }\n";
  d << "  if (i < 0) { i += size; }\n"
    << "  return select(-1, i, i >= 0 && i < size);\n}\n";
}

}  // namespace wgml::wgsl
