// WGSL kernels of the movement family: pad, concat, tile, trilu (one invocation per output
// element reading its source through the input's strides) and the generators one_hot, arange.
#include <algorithm>
#include <cmath>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"

namespace wgml::wgsl {

namespace {

using Inputs = std::vector<Tensor>;
using Outputs = std::vector<Tensor>;

// `value` as the CPU stores it into `dtype` (store_as), in the compute type: floats round,
// bool is "non-zero", integers truncate toward zero and wrap to the low 32-bit word.
std::string value_literal(double value, DType dtype) {
  if (is_floating(dtype)) return literal(value, "f32");
  if (dtype == DType::Bool) return value != 0 ? "1i" : "0i";  // NaN != 0 is true, as on the CPU
  const int64_t v = store_as<int64_t>(value);
  return i32_literal(static_cast<int32_t>(v));
}

void pad_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const Ints& pads = call.attrs.ints("pads");
  const std::string& mode = call.attrs.s("mode");
  const size_t rank = x.rank();
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "c");
  // Per axis the source coordinate (as pad_source on the CPU); constant mode tracks whether
  // every coordinate lies inside the input, and never loads when one does not.
  std::vector<std::string> source, inside;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t begin = pads[d], end = pads[d + rank], size = x.shape()[d];
    const std::string c = "c" + std::to_string(d), i = "i" + std::to_string(d);
    if (begin == 0 && end <= 0) {  // o = i and the output axis is no longer than the input's
      source.push_back(c);
      continue;
    }
    b << "  let " << i << " = i32(" << c << ") " << (begin >= 0 ? "- " : "+ ")
      << i32_literal(begin >= 0 ? begin : -begin) << ";\n";
    if (mode == "constant") {
      if (begin > 0) inside.push_back(i + " >= 0i");
      if (end > 0) inside.push_back(i + " < " + i32_literal(size));
      source.push_back("u32(" + i + ")");
    } else if (mode == "edge") {
      source.push_back("u32(clamp(" + i + ", 0i, " + i32_literal(size - 1) + "))");
    } else {  // reflect, excluding the edge element: -i before the start, 2 (size - 1) - i after
      const std::string r = "r" + std::to_string(d);
      b << "  let " << r << " = abs(" << i << ");\n";
      source.push_back("u32(select(" + r + ", " + i32_literal(2 * (size - 1)) + " - " + r + ", " +
                       r + " >= " + i32_literal(size) + "))");
    }
  }
  const std::string move = move_element(x.dtype(), "x", offset_of(x, source), "out", "gid");
  if (!inside.empty()) {
    b << "  let inside = " << inside[0];
    for (size_t j = 1; j < inside.size(); ++j)
      b << " && " << inside[j];
    b << ";\n  if (inside) {\n    " << move << "\n  } else {\n    out_store(gid, "
      << value_literal(call.attrs.f("value"), out.dtype()) << ");\n  }\n";
  } else {
    b << "  " << move << "\n";
  }
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

// One dispatch per group of inputs (as many as the adapter binds beside the output): each
// invocation writes one element of the group's slab of the output and picks its input by the
// coordinate on the concatenated axis.
void concat_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs, Recorder& recorder) {
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), out.rank(), "concat"));
  const uint32_t buffers = recorder.adapter().max_storage_buffers_per_shader_stage;
  const size_t per_launch = std::clamp<size_t>(buffers, 2, 16) - 1;
  std::vector<size_t> live;  // inputs with elements, in order
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].shape()[axis] > 0) live.push_back(i);
  std::vector<int64_t> start(inputs.size(), 0);  // where each input begins on the output axis
  for (size_t i = 1; i < inputs.size(); ++i)
    start[i] = start[i - 1] + inputs[i - 1].shape()[axis];
  const std::vector<std::string> coords = coord_names("c", out.rank());
  const std::string ca = coords[axis];
  for (size_t g = 0; g < live.size(); g += per_launch) {
    const std::vector<size_t> group(
        live.begin() + static_cast<std::ptrdiff_t>(g),
        live.begin() + static_cast<std::ptrdiff_t>(std::min(g + per_launch, live.size())));
    const int64_t first = start[group.front()];
    const int64_t last = start[group.back()] + inputs[group.back()].shape()[axis];
    Shape slab = out.shape();
    slab[axis] = last - first;
    ShaderWriter w(call.name(), recorder.adapter());
    w.output("out", out);
    auto& b = w.body();
    emit_coords(b, "gid", slab, "c");
    std::vector<std::string> dst = coords;
    if (first != 0) dst[axis] = "(" + ca + " + " + u32_literal(first) + ")";
    b << "  let dst = " << offset_of(out, dst) << ";\n  ";
    for (size_t j = 0; j < group.size(); ++j) {
      const Tensor& x = inputs[group[j]];
      const std::string name = "x" + std::to_string(j);
      w.input(name, x);
      std::vector<std::string> src = coords;
      if (start[group[j]] != first)
        src[axis] = "(" + ca + " - " + u32_literal(start[group[j]] - first) + ")";
      const int64_t end = start[group[j]] + x.shape()[axis] - first;
      if (j + 1 < group.size())
        b << "if (" << ca << " < " << u32_literal(end) << ") {\n";
      else
        b << "{\n";
      b << "    " << move_element(x.dtype(), name, offset_of(x, src), "out", "dst") << "\n  }";
      b << (j + 1 < group.size() ? " else " : "\n");
    }
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(shape_numel(slab))));
  }
}

void tile_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  emit_coords(w.body(), "gid", out.shape(), "c");
  std::vector<std::string> source = coord_names("c", out.rank());
  for (size_t d = 0; d < x.rank(); ++d)
    if (out.shape()[d] != x.shape()[d]) source[d] += " % " + u32_literal(x.shape()[d]);
  w.body() << "  " << move_element(x.dtype(), "x", offset_of(x, source), "out", "gid") << "\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

void trilu_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t rank = x.rank();
  const int64_t rows = x.shape()[rank - 2], cols = x.shape()[rank - 1];
  // Diagonals beyond the matrix keep all or nothing: clamping keeps k within i32.
  const int64_t k = std::clamp<int64_t>(call.attrs.i("k"), -rows - 1, cols + 1);
  const bool upper = call.attrs.i("upper") != 0;
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "c");
  b << "  let diagonal = i32(c" << rank - 1 << ") - i32(c" << rank - 2 << ");  // j - i\n"
    << "  if (diagonal " << (upper ? ">=" : "<=") << " " << i32_literal(k) << ") {\n    "
    << move_element(x.dtype(), "x", offset_of(x, coord_names("c", rank)), "out", "gid")
    << "\n  } else {\n    out_store(gid, " << value_literal(0, out.dtype()) << ");\n  }\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

// indices [..., ...] -> out [..., depth, ...]: 1 where the (wrapped) index equals the
// coordinate on `axis`; indices out of range give an all-zero row, as on the CPU.
void one_hot_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs,
                    Recorder& recorder) {
  const Tensor& indices = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), out.rank(), "one_hot"));
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("idx", indices);
  w.output("out", out);
  declare_index(w, "idx", indices);
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "c");
  std::vector<std::string> coords = coord_names("c", out.rank());
  const std::string hot = coords[axis];
  coords.erase(coords.begin() + static_cast<std::ptrdiff_t>(axis));
  b << "  let hot = idx_index(" << offset_of(indices, coords) << ", "
    << i32_literal(call.attrs.i("depth")) << ");\n"
    << "  out_store(gid, select(" << value_literal(0, out.dtype()) << ", "
    << value_literal(1, out.dtype()) << ", i32(" << hot << ") == hot));\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

// start + i * delta. Integral ranges that stay within i32 compute exactly in integers; others
// compute in f32 (the CPU uses double, so far from start the last bits may differ).
void arange_kernel(const OpCall& call, const Inputs&, Outputs& outputs, Recorder& recorder) {
  Tensor& out = outputs[0];
  const int64_t count = out.numel();
  if (count == 0) return;
  const double start = call.attrs.f("start"), delta = call.attrs.f("delta");
  const double last = start + static_cast<double>(count - 1) * delta;
  auto fits = [](double v) { return std::floor(v) == v && std::fabs(v) < 2147483647.0; };
  const bool integral = fits(start) && fits(delta) && fits(last);
  const std::string type = compute_type(out.dtype());
  ShaderWriter w(call.name(), recorder.adapter());
  w.output("out", out);
  auto& b = w.body();
  if (integral) {
    // i32 wraps, and the sum ends within range, so the product may overflow harmlessly.
    b << "  let v = " << literal(start, "i32") << " + i32(gid) * " << literal(delta, "i32")
      << ";\n";
    b << "  out_store(gid, " << convert("v", "i32", type) << ");\n";
  } else {
    w.need("f2i");
    b << "  let v = " << literal(start, "f32") << " + f32(gid) * " << literal(delta, "f32")
      << ";\n";
    b << "  out_store(gid, " << convert("v", "f32", type) << ");\n";
  }
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(count)));
}

}  // namespace

extern const std::vector<Kernel> kMovementKernels = {
    {"pad", pad_kernel},     {"concat", concat_kernel},   {"tile", tile_kernel},
    {"trilu", trilu_kernel}, {"one_hot", one_hot_kernel}, {"arange", arange_kernel},
};

}  // namespace wgml::wgsl
