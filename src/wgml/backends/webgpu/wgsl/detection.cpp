// non_max_suppression on WebGPU: one workgroup per (batch, class). The scores of its boxes are
// copied into a scratch row (those at or below score_threshold as -inf); then, until the limit
// is reached or no candidate remains, the workgroup finds the best remaining box (a tree in
// workgroup memory; the lower index wins ties), writes it, and strikes out (-inf) every remaining
// box that overlaps it (ops/nms_boxes.h, in f32).
#include <cmath>
#include <string>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

namespace {

constexpr uint32_t kGroup = 256;

void nms_kernel(const OpCall& call, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs,
                Recorder& recorder) {
  const Tensor& boxes = inputs[0];
  const Tensor& scores = inputs[1];
  Tensor& out = outputs[0];
  const int64_t classes = scores.shape()[1], count = scores.shape()[2];
  const int64_t pairs = scores.shape()[0] * classes;
  if (pairs == 0) return;
  const Tensor work = recorder.scratch({pairs, std::max<int64_t>(count, 1)}, DType::Float32);
  const bool center = call.attrs.i("center_point_box") != 0;

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("boxes", boxes);
  w.input("scores", scores);
  w.input("limit", inputs[2]);
  w.input("iou", inputs[3]);
  w.input("threshold", inputs[4]);
  w.output("work", work);
  w.output("out", out);
  const std::string n = u32_literal(count), group = u32_literal(kGroup);
  const std::string k = n;            // slots per pair: one per box
  auto first = [](const Tensor& t) {  // the element of a 1-element tensor
    return offset_of(t, std::vector<std::string>(t.rank(), "0u"));
  };
  // ONNX's limit is an int64: clamp it into [0, boxes] from both words (WGSL has no i64).
  std::string limit;
  if (inputs[2].dtype() == DType::Int64) {
    const std::string at = first(inputs[2]);
    limit = "select(select(min(bitcast<u32>(limit[2u * " + at + "]), " + n + "), " + n +
            ", limit[2u * " + at + " + 1u] > 0), 0u, limit[2u * " + at + " + 1u] < 0)";
  } else {
    limit = "select(min(u32(limit_load(" + first(inputs[2]) + ")), " + n + "), 0u, limit_load(" +
            first(inputs[2]) + ") < 0)";
  }
  const std::string neg_inf = literal(-INFINITY, "f32");
  w.need("isnan");  // NaN scores never qualify, whatever the driver does with comparisons
  auto& d = w.decl();
  d << "var<workgroup> limit_shared: u32;\n"
    << "var<workgroup> best_v: array<f32, " << kGroup << ">;\n"
    << "var<workgroup> best_i: array<i32, " << kGroup << ">;\n"
    << "// Box i of image b as (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2.\n"
    << "fn nms_box(b: u32, i: u32) -> vec4<f32> {\n";
  for (int j = 0; j < 4; ++j) {
    d << "  let v" << j << " = boxes_load(" << offset_of(boxes, {"b", "i", std::to_string(j) + "u"})
      << ");\n";
  }
  if (center) {
    d << "  return vec4<f32>(v1 - v3 / 2.0, v0 - v2 / 2.0, v1 + v3 / 2.0, v0 + v2 / 2.0);\n";
  } else {
    d << "  return vec4<f32>(min(v0, v2), min(v1, v3), max(v0, v2), max(v1, v3));\n";
  }
  d << "}\n"
    << "fn nms_overlaps(a: vec4<f32>, c: vec4<f32>, iou_threshold: f32) -> bool {\n"
    << "  let lo = max(a.xy, c.xy);\n"
    << "  let hi = min(a.zw, c.zw);\n"
    << "  if (lo.x > hi.x || lo.y > hi.y) { return false; }\n"
    << "  let area_a = (a.w - a.y) * (a.z - a.x);\n"
    << "  let area_c = (c.w - c.y) * (c.z - c.x);\n"
    << "  if (area_a <= 0.0 || area_c <= 0.0) { return false; }\n"
    << "  let inter = (hi.y - lo.y) * (hi.x - lo.x);\n"
    << "  let uni = area_a + area_c - inter;\n"
    << "  if (uni <= 0.0) { return false; }\n"
    << "  return inter / uni > iou_threshold;\n"
    << "}\n";
  auto& b = w.body();
  b << "  if (wid >= " << u32_literal(pairs) << ") { return; }\n"
    << "  let img = wid / " << u32_literal(classes) << ";\n"
    << "  let cls = wid % " << u32_literal(classes) << ";\n"
    << "  let row = wid * " << u32_literal(std::max<int64_t>(count, 1)) << ";\n"
    << "  if (lid == 0u) { limit_shared = " << limit << "; }\n"
    << "  let taken_max = workgroupUniformLoad(&limit_shared);\n"
    << "  let iou_t = iou_load(" << first(inputs[3]) << ");\n"
    << "  let score_t = threshold_load(" << first(inputs[4]) << ");\n"
    << "  for (var s = lid; s < " << k << " * 3u; s += " << group << ") {\n"
    << "    out_store(wid * " << k << " * 3u + s, -1);\n"
    << "  }\n"
    << "  for (var i = lid; i < " << n << "; i += " << group << ") {\n"
    << "    let v = scores_load(" << offset_of(scores, {"img", "cls", "i"}) << ");\n"
    << "    work_store(row + i, select(" << neg_inf << ", v, v > score_t && !wgml_isnan(v)));\n"
    << "  }\n"
    << "  storageBarrier();\n"
    << "  for (var taken = 0u; taken < taken_max; taken++) {\n"
    << "    var v_best = " << neg_inf << ";\n"
    << "    var i_best = -1;\n"
    << "    for (var i = lid; i < " << n << "; i += " << group << ") {\n"
    << "      let v = work_load(row + i);\n"
    << "      if (v > v_best) { v_best = v; i_best = i32(i); }\n"
    << "    }\n"
    << "    best_v[lid] = v_best;\n"
    << "    best_i[lid] = i_best;\n"
    << "    workgroupBarrier();\n"
    << "    for (var half = " << kGroup / 2 << "u; half > 0u; half >>= 1u) {\n"
    << "      if (lid < half) {\n"
    << "        let v = best_v[lid + half];\n"
    << "        let i = best_i[lid + half];\n"
    << "        if (i >= 0 && (best_i[lid] < 0 || v > best_v[lid] ||\n"
    << "                       (v == best_v[lid] && i < best_i[lid]))) {\n"
    << "          best_v[lid] = v;\n"
    << "          best_i[lid] = i;\n"
    << "        }\n"
    << "      }\n"
    << "      workgroupBarrier();\n"
    << "    }\n"
    << "    let winner = workgroupUniformLoad(&best_i[0]);\n"
    << "    if (winner < 0) { break; }\n"
    << "    if (lid == 0u) {\n"
    << "      let slot = (wid * " << k << " + taken) * 3u;\n"
    << "      out_store(slot, i32(img));\n"
    << "      out_store(slot + 1u, i32(cls));\n"
    << "      out_store(slot + 2u, winner);\n"
    << "    }\n"
    << "    let chosen = nms_box(img, u32(winner));\n"
    << "    for (var i = lid; i < " << n << "; i += " << group << ") {\n"
    << "      if (work_load(row + i) > " << neg_inf << " &&\n"
    << "          (i32(i) == winner || nms_overlaps(chosen, nms_box(img, i), iou_t))) {\n"
    << "        work_store(row + i, " << neg_inf << ");\n"
    << "      }\n"
    << "    }\n"
    << "    storageBarrier();\n"
    << "    workgroupBarrier();\n"
    << "  }\n";
  recorder.run(w.finish(static_cast<uint64_t>(pairs), kGroup));
}

}  // namespace

extern const std::vector<Kernel> kDetectionKernels = {
    {"non_max_suppression", nms_kernel},
};

}  // namespace wgml::wgsl
