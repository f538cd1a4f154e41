// Reductions (sum, prod, max, min, argmax, argmin) specialised on the kept and reduced axes:
// one workgroup per output element strides over the reduced block and folds the partials in
// workgroup memory; short blocks use one invocation per output element instead.
#include <algorithm>
#include <cmath>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"
#include "wgml/ops/infer.h"

namespace wgml::wgsl {

namespace {

constexpr int64_t kSerialLimit = 32;     // reduced blocks up to this size: one invocation each
constexpr uint32_t kWorkgroupSize = 64;  // a power of two: the tree below halves it

std::string init_literal(const ReduceSpec& spec, const std::string& type) {
  switch (spec.init) {
    case ReduceSpec::Init::Zero:
      return literal(0, type);
    case ReduceSpec::Init::One:
      return literal(1, type);
    case ReduceSpec::Init::Lowest:
      return literal(-INFINITY, type);
    case ReduceSpec::Init::Highest:
      return literal(INFINITY, type);
  }
  return literal(0, type);
}

// WGSL for `acc = combine(acc, v)` (value reductions) in compute type `type`.
std::string combine(const ReduceSpec& spec, const std::string& type, ShaderWriter& w) {
  const bool f = type == "f32";
  switch (spec.combine) {
    case expr::Fn::Add:
      return "acc + v";
    case expr::Fn::Mul:
      return "acc * v";
    case expr::Fn::Max:
      if (!f) return "max(acc, v)";
      w.need("fmax");
      return "wgml_fmax(acc, v)";
    case expr::Fn::Min:
      if (!f) return "min(acc, v)";
      w.need("fmax");
      return "wgml_fmin(acc, v)";
    default:
      fail("wgsl: reduce combine ", expr::fn_name(spec.combine), " is not supported");
  }
}

}  // namespace

namespace {

// Loop trips one invocation may make: Mesa's llvmpipe silently stops any shader loop after 65535
// iterations, so longer blocks are first folded into partials by several workgroups.
constexpr int64_t kMaxTripsPerInvocation = 4096;
constexpr int64_t kSpreadWorkgroups = 4096;  // enough to fill a large GPU
constexpr int64_t kMinChunk = 4096;          // elements per workgroup when spreading

struct ReducePass {
  std::string label;
  ReduceSpec spec;
  bool last_index = false;
  Tensor input;  // the storage read, with `kept` and `reduced` views of it
  Shape kept_shape, reduced_shape;
  Strides kept_strides, reduced_strides;
};

// Folds each kept position's reduced block into out[kept position] (out contiguous), or into
// partial[kept position, chunk] when `chunks` > 1 (value reductions only).
void reduce_pass(const ReducePass& p, int64_t chunks, Tensor& out, Recorder& recorder) {
  const ReduceSpec& spec = p.spec;
  const int64_t outputs = shape_numel(p.kept_shape);
  const int64_t block = shape_numel(p.reduced_shape);
  const Tensor kept = p.input.with_view(p.kept_shape, p.kept_strides, p.input.offset());
  const Tensor reduced = p.input.with_view(p.reduced_shape, p.reduced_strides, 0);
  const std::string type = compute_type(p.input.dtype());
  const bool is_max = spec.combine == expr::Fn::Max;

  ShaderWriter w(p.label, recorder.adapter());
  w.input("x", p.input);
  w.output("out", out);
  auto& d = w.decl();
  if (spec.arg) {
    // Keeps the winner of two (value, position) candidates; NaN wins, ties go to the first
    // position (or the last with select_last_index).
    w.need("isnan");
    const std::string nan_test = type == "f32" ? "wgml_isnan" : "wgml_never_nan";
    if (type != "f32") d << "fn wgml_never_nan(v: i32) -> bool { return false; }\n";
    d << "fn better(v: " << type << ", i: i32, bv: " << type << ", bi: i32) -> bool {\n"
      << "  if (i < 0) { return false; }\n"
      << "  if (bi < 0) { return true; }\n"
      << "  if (" << nan_test << "(bv)) { return " << nan_test << "(v) && i < bi; }\n"
      << "  if (" << nan_test << "(v)) { return true; }\n"
      << "  if (v " << (is_max ? ">" : "<") << " bv) { return true; }\n"
      << "  if (v == bv) { return " << (p.last_index ? "i > bi" : "i < bi") << "; }\n"
      << "  return false;\n}\n";
  }
  const std::string fold = spec.arg ? "" : combine(spec, type, w);
  const std::string init = init_literal(spec, type);

  // `base`: the kept coordinates' offset; the reduced block is visited by position r.
  auto emit_base = [&](const std::string& index) {
    emit_coords(w.body(), index, p.kept_shape, "k");
    w.body() << "  let base = " << offset_of(kept, coord_names("k", p.kept_shape.size())) << ";\n";
  };
  auto emit_visit = [&](const std::string& r) {
    std::ostringstream visit;
    emit_coords(visit, r, p.reduced_shape, "r");
    visit << "    let v = x_load(base + "
          << offset_of(reduced, coord_names("r", p.reduced_shape.size())) << ");\n";
    if (spec.arg)
      visit << "    if (better(v, i32(" << r << "), acc, best)) { acc = v; best = i32(" << r
            << "); }\n";
    else
      visit << "    acc = " << fold << ";\n";
    return visit.str();
  };
  auto emit_store = [&](const std::string& index) {
    w.body() << "  out_store(" << index << ", " << (spec.arg ? "best" : "acc") << ");\n";
  };

  // Neighbouring outputs that read neighbouring elements (a reduction over an outer axis) keep
  // a serial loop coalesced across invocations; otherwise a workgroup shares each block.
  const bool outputs_adjacent = !p.kept_strides.empty() && p.kept_strides.back() == 1;
  if (chunks == 1 && (block <= kSerialLimit ||
                      (outputs >= 4096 && outputs_adjacent && block <= kMaxTripsPerInvocation))) {
    // One invocation per output element.
    emit_base("gid");
    w.body() << "  var acc = " << init << ";\n  var best = -1i;\n"
             << "  for (var r = 0u; r < " << block << "u; r++) {\n"
             << emit_visit("r") << "  }\n";
    emit_store("gid");
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(outputs)));
    return;
  }
  // One workgroup per (output element, chunk): strided partials, then a tree in workgroup
  // memory.
  const int64_t chunk = (block + chunks - 1) / chunks;
  d << "var<workgroup> part: array<" << type << ", " << kWorkgroupSize << ">;\n";
  if (spec.arg) d << "var<workgroup> part_i: array<i32, " << kWorkgroupSize << ">;\n";
  w.body() << "  if (wid >= " << outputs * chunks << "u) { return; }\n"
           << "  let o = wid / " << chunks << "u;\n"
           << "  let first = (wid % " << chunks << "u) * " << chunk << "u;\n"
           << "  let last = min(first + " << chunk << "u, " << block << "u);\n";
  emit_base("o");
  w.body() << "  var acc = " << init << ";\n  var best = -1i;\n"
           << "  for (var r = first + lid; r < last; r += " << kWorkgroupSize << "u) {\n"
           << emit_visit("r") << "  }\n"
           << "  part[lid] = acc;\n";
  if (spec.arg) w.body() << "  part_i[lid] = best;\n";
  w.body() << "  workgroupBarrier();\n"
           << "  for (var half = " << kWorkgroupSize / 2 << "u; half > 0u; half >>= 1u) {\n"
           << "    if (lid < half) {\n";
  if (spec.arg) {
    w.body()
        << "      if (better(part[lid + half], part_i[lid + half], part[lid], part_i[lid])) {\n"
        << "        part[lid] = part[lid + half];\n"
        << "        part_i[lid] = part_i[lid + half];\n      }\n";
  } else {
    w.body() << "      let acc = part[lid];\n      let v = part[lid + half];\n"
             << "      part[lid] = " << fold << ";\n";
  }
  w.body() << "    }\n    workgroupBarrier();\n  }\n"
           << "  if (lid == 0u) {\n    let acc = part[0];\n";
  if (spec.arg) w.body() << "    let best = part_i[0];\n";
  w.body() << "  ";
  emit_store("wid");
  w.body() << "  }\n";
  recorder.run(w.finish(static_cast<uint64_t>(outputs * chunks), kWorkgroupSize));
}

}  // namespace

void run_reduce(const OpCall& call, const Tensor& input, Tensor& out, Recorder& recorder) {
  ReducePass p;
  p.label = call.name();
  p.spec = call.op->reduce;
  p.last_index = p.spec.arg && call.attrs.i("select_last_index") != 0;
  p.input = input;
  const std::vector<int> axes = reduce_axes(call, input.rank());
  for (size_t d = 0; d < input.rank(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end();
    (reduced ? p.reduced_shape : p.kept_shape).push_back(input.shape()[d]);
    (reduced ? p.reduced_strides : p.kept_strides).push_back(input.strides()[d]);
  }
  const int64_t outputs = shape_numel(p.kept_shape);
  const int64_t block = shape_numel(p.reduced_shape);
  if (outputs == 0) return;
  const int64_t per_workgroup = kWorkgroupSize * kMaxTripsPerInvocation;
  // Few outputs over long blocks would leave most of a GPU idle: split them so that a few
  // thousand workgroups share the work (4K elements each at least).
  int64_t chunks = std::max<int64_t>(1, (block + per_workgroup - 1) / per_workgroup);
  if (outputs < kSpreadWorkgroups && block > 2 * kMinChunk)
    chunks = std::max(chunks, std::min((block + kMinChunk - 1) / kMinChunk,
                                       (kSpreadWorkgroups + outputs - 1) / outputs));
  if (p.spec.arg || chunks == 1) {
    // argmax/argmin fold in one pass (an axis of over 2^28 elements would need a pair pass).
    reduce_pass(p, 1, out, recorder);
    return;
  }
  // Long blocks: partial results per chunk (float32 / int32, so float16 rounds once), then a
  // second reduction over the chunks with the same combine.
  Tensor partial = recorder.scratch({outputs, chunks},
                                    is_floating(input.dtype()) ? DType::Float32 : DType::Int32);
  reduce_pass(p, chunks, partial, recorder);
  ReducePass second = p;
  second.input = partial;
  second.kept_shape = {outputs};
  second.kept_strides = {chunks};
  second.reduced_shape = {chunks};
  second.reduced_strides = {1};
  reduce_pass(second, 1, out, recorder);
}

}  // namespace wgml::wgsl
