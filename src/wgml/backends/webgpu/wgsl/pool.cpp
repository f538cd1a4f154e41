// max_pool and avg_pool over any number of spatial axes: one invocation per output element
// walks its window, with the window geometry (pool_windows from the op table) baked in.
#include <cmath>
#include <string>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"
#include "wgml/ops/window.h"

namespace wgml::wgsl {

namespace {

std::string i(int64_t v) {
  return v < 0 ? "(" + std::to_string(v) + "i)" : std::to_string(v) + "i";
}

std::string plus(int64_t v) {
  if (v == 0) return "";
  return v > 0 ? " + " + std::to_string(v) + "i" : " - " + std::to_string(-v) + "i";
}

template <bool kMax>
void pool_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t spatial = x.rank() - 2;
  const PoolWindows window = pool_windows(call, x.shape());
  const Ints &kernel = window.kernel, &strides = window.strides, &dilations = window.dilations;
  const Ints pads = window.pads();  // begins then ends
  const bool include_pad = !kMax && call.attrs.i("count_include_pad") != 0;
  const std::string type = compute_type(x.dtype());
  const bool is_float = type == "f32";

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "o");  // o0 = n, o1 = channel, o2.. = window index
  // The window's first input position per axis: o * stride - pad_begin.
  for (size_t d = 0; d < spatial; ++d) {
    b << "  let start" << d << " = i32(o" << d + 2 << ") * " << i(strides[d]) << plus(-pads[d])
      << ";\n";
  }
  if (!kMax) {
    // The divisor is a product over the axes: the taps inside the input, or inside the
    // explicit padding with count_include_pad (never a ceil_mode overhang past it).
    b << "  var count = 1i;\n";
    for (size_t d = 0; d < spatial; ++d) {
      const int64_t lo = include_pad ? -pads[d] : 0;
      const int64_t hi = x.shape()[d + 2] + (include_pad ? pads[d + spatial] : 0);
      b << "  {\n"
        << "    var n = 0i;\n"
        << "    for (var k = 0i; k < " << i(kernel[d]) << "; k++) {\n"
        << "      let pos = start" << d << " + k * " << i(dilations[d]) << ";\n"
        << "      if (pos >= " << i(lo) << " && pos < " << i(hi) << ") { n++; }\n"
        << "    }\n"
        << "    count *= n;\n"
        << "  }\n";
    }
  }
  if (kMax) {
    w.need("isnan");
    b << "  var acc = " << literal(-INFINITY, type) << ";\n";
    if (!is_float) b << "  var found = false;\n";
  } else {
    b << "  var acc = 0.0;\n";
  }
  std::string indent = "  ";
  std::vector<std::string> coords = {"o0", "o1"};
  for (size_t d = 0; d < spatial; ++d) {
    const std::string k = "k" + std::to_string(d), p = "p" + std::to_string(d);
    b << indent << "for (var " << k << " = 0i; " << k << " < " << i(kernel[d]) << "; " << k
      << "++) {\n";
    indent += "  ";
    b << indent << "let " << p << " = start" << d << " + " << k << " * " << i(dilations[d]) << ";\n"
      << indent << "if (" << p << " < 0i || " << p << " >= " << i(x.shape()[d + 2])
      << ") { continue; }\n";
    coords.push_back("u32(" + p + ")");
  }
  b << indent << "let v = x_load(" << offset_of(x, coords) << ");\n";
  if (!kMax) {
    b << indent << "acc += v;\n";
  } else if (is_float) {
    // NaN wins and then stays (as the CPU kernel); bit tests, not comparisons, find it.
    b << indent << "if (!wgml_isnan(acc) && (wgml_isnan(v) || v > acc)) { acc = v; }\n";
  } else {
    b << indent << "acc = max(acc, v);\n" << indent << "found = true;\n";
  }
  for (size_t d = 0; d < spatial; ++d) {
    indent.resize(indent.size() - 2);
    b << indent << "}\n";
  }
  if (!kMax) {
    // A dilated window can miss the input entirely: 0 / 0 is NaN, as on the CPU.
    b << "  out_store(gid, select(acc / f32(count), " << literal(NAN, "f32")
      << ", count == 0i));\n";
  } else if (is_float) {
    b << "  out_store(gid, acc);\n";
  } else {
    // A window of padding alone: the CPU's int64 lowest, which narrower integers store as 0.
    b << "  out_store(gid, select(0i, acc, found));\n";
    if (x.dtype() == DType::Int64) {
      // int64 is stored as (low, high) i32 words: set the high word of INT64_MIN by hand.
      b << "  if (!found) { out[2u * gid + 1u] = " << literal(-2147483648.0, "i32") << "; }\n";
    }
  }
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

}  // namespace

extern const std::vector<Kernel> kPoolKernels = {
    {"max_pool", pool_kernel<true>},
    {"avg_pool", pool_kernel<false>},
};

}  // namespace wgml::wgsl
