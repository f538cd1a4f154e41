// Fused kernels for composites of the norm family: softmax and log_softmax in one dispatch (one
// workgroup per row: max, sum of exponentials, then the outputs) instead of five ops and four
// intermediate tensors. Same arithmetic as the composite, so the results agree with it.
#include <cmath>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"
#include "wgml/core/shape.h"

namespace wgml::wgsl {

namespace {

// `t` without axis `axis`: the view that addresses the start of each row.
Tensor rows_view(const Tensor& t, size_t axis) {
  Shape shape;
  Strides strides;
  for (size_t d = 0; d < t.rank(); ++d) {
    if (d == axis) continue;
    shape.push_back(t.shape()[d]);
    strides.push_back(t.strides()[d]);
  }
  return t.with_view(shape, strides, t.offset());
}

// Folds part[0..n) into part[0] with `combine` (a WGSL expression of a and b).
void emit_tree(std::ostringstream& body, uint32_t n, const std::string& combine) {
  body << "  workgroupBarrier();\n"
       << "  for (var half = " << n / 2 << "u; half > 0u; half >>= 1u) {\n"
       << "    if (lid < half) {\n"
       << "      let a = part[lid];\n      let b = part[lid + half];\n"
       << "      part[lid] = " << combine << ";\n"
       << "    }\n    workgroupBarrier();\n  }\n";
}

void softmax_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                    std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), x.rank(), call.name()));
  const int64_t length = x.shape()[axis];
  const int64_t rows = x.numel() / length;
  const uint32_t wg = length >= 2048 ? 256 : 64;
  const bool log_form = call.name() == "log_softmax";

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  w.need("fmax");
  w.need("log1p");
  w.decl() << "var<workgroup> part: array<f32, " << wg << ">;\n";
  const Tensor x_rows = rows_view(x, axis), out_rows = rows_view(out, axis);
  auto& b = w.body();
  b << "  if (wid >= " << rows << "u) { return; }\n";
  emit_coords(b, "wid", x_rows.shape(), "k");
  const std::vector<std::string> k = coord_names("k", x_rows.rank());
  b << "  let xb = " << offset_of(x_rows, k) << ";\n"
    << "  let ob = " << offset_of(out_rows, k) << ";\n";
  const std::string xs = u32_literal(x.strides()[axis]), os = u32_literal(out.strides()[axis]);
  const std::string each = "  for (var i = lid; i < " + std::to_string(length) +
                           "u; i += " + std::to_string(wg) + "u) {\n";
  // The max shift keeps exp from overflowing (NaN propagates, as the composite's max does).
  b << "  var m = " << literal(-INFINITY, "f32") << ";\n"
    << each << "    m = wgml_fmax(m, x_load(xb + i * " << xs << "));\n  }\n"
    << "  part[lid] = m;\n";
  emit_tree(b, wg, "wgml_fmax(a, b)");
  b << "  let row_max = part[0];\n  workgroupBarrier();\n"
    << "  var s = 0.0;\n"
    << each << "    s += exp(x_load(xb + i * " << xs << ") - row_max);\n  }\n"
    << "  part[lid] = s;\n";
  emit_tree(b, wg, "a + b");
  b << "  let total = part[0];\n";
  if (log_form) b << "  let log_total = wgml_log(total);\n";
  b << each << "    let shifted = x_load(xb + i * " << xs << ") - row_max;\n"
    << "    out_store(ob + i * " << os << ", "
    << (log_form ? "shifted - log_total" : "exp(shifted) / total") << ");\n  }\n";
  recorder.run(w.finish(static_cast<uint64_t>(rows), wg));
}

// layer_norm in one dispatch: a workgroup per row of the normalized block (axes axis..end),
// two passes over it for the mean and the variance of the deviations (as the composite computes
// them), then (x - mean) / sqrt(var + epsilon) * scale + bias. Scale and bias are read through
// views broadcast to the normalized shape.
void layer_norm_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                       std::vector<Tensor>& outputs, Recorder& recorder) {
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  Tensor x = inputs[0];
  const auto axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), x.rank(), call.name()));
  const Shape normalized(x.shape().begin() + static_cast<std::ptrdiff_t>(axis), x.shape().end());
  const int64_t length = shape_numel(normalized), rows = x.numel() / length;
  if (!x.is_contiguous()) {  // the rows are read as one run of `length` elements each
    Tensor packed = recorder.scratch(x.shape(), x.dtype());
    run_copy(call.name(), x, packed, recorder);
    x = packed;
  }
  const uint32_t wg = length >= 2048 ? 256 : 64;
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  std::vector<std::string> affine;  // the loads of scale and bias at element i of the row
  for (size_t k = 1; k < inputs.size() && k <= 2; ++k) {
    if (!inputs[k].defined()) continue;
    const std::string name = k == 1 ? "scale" : "bias";
    w.input(name, inputs[k]);
    const Tensor view = broadcast_view(inputs[k], normalized);
    std::ostringstream coords;
    emit_coords(coords, "i", normalized, name + "_c");
    affine.push_back(coords.str() + "    let " + name + "_v = " + name + "_load(" +
                     offset_of(view, coord_names(name + "_c", normalized.size())) + ");\n");
  }
  bind_output(w, "out", out, call);
  w.decl() << "var<workgroup> part: array<f32, " << wg << ">;\n";
  auto& b = w.body();
  const std::string each =
      "  for (var i = lid; i < " + u32_literal(length) + "; i += " + std::to_string(wg) + "u) {\n";
  const std::string base = "wid * " + u32_literal(length);
  b << "  if (wid >= " << u32_literal(rows) << ") { return; }\n"
    << "  let xb = " << u32_literal(x.offset()) << " + " << base << ";\n"
    << "  var s = 0.0;\n"
    << each << "    s += x_load(xb + i);\n  }\n"
    << "  part[lid] = s;\n";
  emit_tree(b, wg, "a + b");
  b << "  let mean = part[0] / " << literal(static_cast<double>(length), "f32") << ";\n"
    << "  workgroupBarrier();\n"
    << "  var q = 0.0;\n"
    << each << "    let d = x_load(xb + i) - mean;\n    q += d * d;\n  }\n"
    << "  part[lid] = q;\n";
  emit_tree(b, wg, "a + b");
  b << "  let inv_std = 1.0 / sqrt(part[0] / " << literal(static_cast<double>(length), "f32")
    << " + " << literal(call.attrs.f("epsilon"), "f32") << ");\n"
    << each;
  for (const std::string& load : affine)
    b << load;
  b << "    var y = (x_load(xb + i) - mean) * inv_std * scale_v;\n";
  if (affine.size() > 1) b << "    y += bias_v;\n";
  b << "    out_store(" << base << " + i, y);\n  }\n";
  recorder.run(w.finish(static_cast<uint64_t>(rows), wg));
}

}  // namespace

extern const std::vector<Kernel> kNormKernels = {{"softmax", softmax_kernel},
                                                 {"log_softmax", softmax_kernel},
                                                 {"layer_norm", layer_norm_kernel, true}};

}  // namespace wgml::wgsl
