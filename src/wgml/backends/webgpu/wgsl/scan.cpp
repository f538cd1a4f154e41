// Scans along one axis on WebGPU: cumsum (a serial running sum per line, or a workgroup scan of
// chunk totals for long lines) and topk (rank counting for short lines, bitonic sorts of
// (value, index) pairs in workgroup memory, merged across workgroups for lines too long for it).
#include <algorithm>
#include <string>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"

namespace wgml::wgsl {

namespace {

// The input seen as lines along one axis: the other axes, in row-major order, number the lines.
// Outputs are contiguous, so a line starts at (line / inner) * (length * inner) + line % inner
// and steps by inner.
struct Lines {
  Tensor kept;  // the input without the axis: its coordinates pick a line's first element
  Shape kept_shape;
  int64_t count = 1;   // number of lines
  int64_t n = 0;       // input length along the axis
  int64_t stride = 0;  // input stride along the axis (any sign)
  int64_t inner = 1;   // product of the axes after the axis
};

Lines lines_of(const Tensor& x, int axis) {
  Lines l;
  Strides kept_strides;
  for (int d = 0; d < static_cast<int>(x.rank()); ++d) {
    const size_t du = static_cast<size_t>(d);
    if (d == axis) continue;
    l.kept_shape.push_back(x.shape()[du]);
    kept_strides.push_back(x.strides()[du]);
    l.count *= x.shape()[du];
    if (d > axis) l.inner *= x.shape()[du];
  }
  l.n = x.shape()[static_cast<size_t>(axis)];
  l.stride = x.strides()[static_cast<size_t>(axis)];
  l.kept = x.with_view(l.kept_shape, kept_strides, x.offset());
  return l;
}

// Emits `in_base` (storage index of the line's first input element) and `out_base` (index of
// its first element in a contiguous output whose axis has length out_n) for line `line`.
void emit_line(std::ostringstream& b, const Lines& l, const std::string& line, int64_t out_n,
               bool reads_input = true) {
  if (reads_input) {
    emit_coords(b, line, l.kept_shape, "k");
    b << "  let in_base = " << offset_of(l.kept, coord_names("k", l.kept_shape.size())) << ";\n";
  }
  if (l.inner == 1)
    b << "  let out_base = " << line << " * " << out_n << "u;\n";
  else
    b << "  let out_base = (" << line << " / " << l.inner << "u) * " << out_n * l.inner << "u + "
      << line << " % " << l.inner << "u;\n";
}

// `e` as a factor: parenthesised unless it is a single name or literal.
std::string factor(const std::string& e) {
  return e.find(' ') == std::string::npos ? e : "(" + e + ")";
}

// Storage index of element j (a u32 expression) of the current line in the input.
std::string in_at(const Lines& l, const std::string& j) {
  if (l.stride == 1) return "in_base + " + j;
  return "in_base + " + factor(j) + " * " + u32_literal(l.stride);
}

// Index of element j of the current line in a contiguous output.
std::string out_at(const Lines& l, const std::string& j) {
  if (l.inner == 1) return "out_base + " + j;
  return "out_base + " + factor(j) + " * " + std::to_string(l.inner) + "u";
}

// ---- cumsum ----

constexpr int64_t kSerialScan = 64;   // lines up to this length: one invocation each
constexpr int64_t kManyLines = 8192;  // this many lines keep the GPU busy one invocation each
constexpr int64_t kMaxSerialTrips = 4096;
constexpr uint32_t kScanGroup = 256;  // invocations that share a long line

void cumsum_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                   std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), call.name());
  const bool exclusive = call.attrs.i("exclusive") != 0;
  const bool reverse = call.attrs.i("reverse") != 0;
  const Lines l = lines_of(x, axis);
  const std::string type = compute_type(x.dtype());
  const std::string zero = literal(0, type);

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("x", x);
  w.output("out", out);
  auto& b = w.body();
  // The running sum over scan steps [from, to): step s visits position s, or n-1-s reversed.
  // Integers wrap in i32 and the store truncates: sums modulo 2^bits, as the CPU's casts.
  auto scan = [&](const std::string& from, const std::string& to) {
    b << "  for (var s = " << from << "; s < " << to << "; s++) {\n"
      << "    let j = " << (reverse ? std::to_string(l.n - 1) + "u - s" : "s") << ";\n"
      << "    let v = x_load(" << in_at(l, "j") << ");\n";
    if (!exclusive) b << "    acc = acc + v;\n";
    b << "    out_store(" << out_at(l, "j") << ", acc);\n";
    if (exclusive) b << "    acc = acc + v;\n";
    b << "  }\n";
  };

  // Long lines always take the workgroup scan: a serial loop over more than kMaxSerialTrips
  // elements is slow on GPUs and silently cut short on llvmpipe (65535 loop trips at most).
  if (l.n <= kSerialScan || (l.count >= kManyLines && l.n <= kMaxSerialTrips)) {
    emit_line(b, l, "gid", l.n);
    b << "  var acc = " << zero << ";\n";
    scan("0u", std::to_string(l.n) + "u");
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(l.count)));
    return;
  }
  // A long line per workgroup: each invocation sums a chunk of consecutive steps, a
  // Hillis-Steele scan of the chunk totals gives each chunk's start, then the chunks rescan.
  const int64_t chunk = (l.n + kScanGroup - 1) / kScanGroup;
  w.decl() << "var<workgroup> totals: array<" << type << ", " << kScanGroup << ">;\n";
  b << "  if (wid >= " << l.count << "u) { return; }\n";
  emit_line(b, l, "wid", l.n);
  b << "  let first = min(lid * " << chunk << "u, " << l.n << "u);\n"
    << "  let last = min(first + " << chunk << "u, " << l.n << "u);\n"
    << "  var acc = " << zero << ";\n"
    << "  for (var s = first; s < last; s++) {\n"
    << "    acc = acc + x_load(" << in_at(l, reverse ? std::to_string(l.n - 1) + "u - s" : "s")
    << ");\n  }\n"
    << "  totals[lid] = acc;\n"
    << "  workgroupBarrier();\n"
    << "  for (var d = 1u; d < " << kScanGroup << "u; d <<= 1u) {\n"
    << "    var t = " << zero << ";\n"
    << "    if (lid >= d) { t = totals[lid - d]; }\n"
    << "    workgroupBarrier();\n"
    << "    totals[lid] = totals[lid] + t;\n"
    << "    workgroupBarrier();\n"
    << "  }\n"
    << "  acc = " << zero << ";\n"
    << "  if (lid > 0u) { acc = totals[lid - 1u]; }\n";
  scan("first", "last");
  recorder.run(w.finish(static_cast<uint64_t>(l.count), kScanGroup));
}

// ---- topk ----

constexpr int64_t kRankLimit = 32;   // lines up to this length: one invocation per element
constexpr int64_t kMaxChunk = 4096;  // the most (value, index) pairs one workgroup sorts
constexpr uint32_t kSortGroup = 256;

uint64_t next_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v)
    p <<= 1;
  return p;
}

// Declares below() (the value order) and before() (the output order) in compute type `type`.
void emit_order(ShaderWriter& w, const std::string& type, bool largest) {
  auto& d = w.decl();
  if (type == "f32") {
    w.need("isnan");
    d << "// NaN is above every number (torch.topk); bit tests find it, comparisons may not.\n"
      << "fn below(a: f32, b: f32) -> bool {\n"
      << "  if (wgml_isnan(a)) { return false; }\n"
      << "  if (wgml_isnan(b)) { return true; }\n"
      << "  return a < b;\n}\n";
  } else {
    d << "fn below(a: i32, b: i32) -> bool { return a < b; }\n";
  }
  d << "// Whether (va, ia) goes before (vb, ib): the " << (largest ? "larger" : "smaller")
    << " value first, equal values by lower index\n"
    << "// (ONNX TopK); index -1 marks padding, which goes last.\n"
    << "fn before(va: " << type << ", ia: i32, vb: " << type << ", ib: i32) -> bool {\n"
    << "  if (ib < 0) { return ia >= 0; }\n"
    << "  if (ia < 0) { return false; }\n"
    << "  if (below(" << (largest ? "vb, va" : "va, vb") << ")) { return true; }\n"
    << "  if (below(" << (largest ? "va, vb" : "vb, va") << ")) { return false; }\n"
    << "  return ia < ib;\n}\n";
}

// Bitonic compare-exchange steps on `key`/`pos` (workgroup arrays of `chunk` pairs) for stages
// size_lo..size_hi and, in each, the distances below min(stage, chunk). Directions follow the
// pair's position in its whole line (`chunk_start` + i), so chunks of one line fit together.
void emit_network(std::ostringstream& b, int64_t chunk, uint32_t group, int64_t size_lo,
                  int64_t size_hi) {
  b << "  for (var stage = " << size_lo << "u; stage <= " << size_hi << "u; stage <<= 1u) {\n"
    << "    for (var dist = min(stage, " << chunk << "u) >> 1u; dist > 0u; dist >>= 1u) {\n"
    << "      for (var p = lid; p < " << chunk / 2 << "u; p += " << group << "u) {\n"
    << "        let i = (p / dist) * 2u * dist + p % dist;\n"
    << "        let l = i + dist;\n"
    << "        let ascending = ((chunk_start + i) & stage) == 0u;\n"
    << "        let l_first = before(key[l], pos[l], key[i], pos[i]);\n"
    << "        let i_first = before(key[i], pos[i], key[l], pos[l]);\n"
    << "        if (select(i_first, l_first, ascending)) {\n"
    << "          let kv = key[i];\n          key[i] = key[l];\n          key[l] = kv;\n"
    << "          let pv = pos[i];\n          pos[i] = pos[l];\n          pos[l] = pv;\n"
    << "        }\n      }\n      workgroupBarrier();\n    }\n  }\n";
}

void topk_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& x = inputs[0];
  Tensor& values = outputs[0];
  Tensor& indices = outputs[1];
  const int64_t k = call.attrs.i("k");
  if (values.numel() == 0 || k == 0) return;
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), call.name());
  const bool largest = call.attrs.i("largest") != 0;  // sorted=0 still sorts, as the CPU
  const Lines l = lines_of(x, axis);
  const std::string type = compute_type(x.dtype());
  const std::string zero = literal(0, type);

  if (l.n <= kRankLimit) {
    // One invocation per element: its rank is the number of elements that go before it, and
    // ranks below k name its output slot (before() is a strict total order: no collisions).
    ShaderWriter w(call.name(), recorder.adapter());
    w.input("x", x);
    w.output("values", values);
    w.output("indices", indices);
    emit_order(w, type, largest);
    auto& b = w.body();
    b << "  let line = gid / " << l.n << "u;\n  let j = gid % " << l.n << "u;\n";
    emit_line(b, l, "line", k);
    b << "  let v = x_load(" << in_at(l, "j") << ");\n"
      << "  var rank = 0u;\n"
      << "  for (var i = 0u; i < " << l.n << "u; i++) {\n"
      << "    if (before(x_load(" << in_at(l, "i") << "), i32(i), v, i32(j))) { rank++; }\n"
      << "  }\n"
      << "  if (rank < " << k << "u) {\n"
      << "    values_store(" << out_at(l, "rank") << ", v);\n"
      << "    indices_store(" << out_at(l, "rank") << ", i32(j));\n  }\n";
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(l.count * l.n)));
    return;
  }

  // Bitonic sorts of each line padded to a power of two, `line_len` pairs. A workgroup sorts
  // `chunk` pairs in its memory (as many as the adapter's workgroup storage holds).
  const int64_t line_len = static_cast<int64_t>(next_pow2(static_cast<uint64_t>(l.n)));
  int64_t max_chunk = kMaxChunk;
  while (max_chunk > 64 && static_cast<uint64_t>(max_chunk) * 8 >
                               recorder.adapter().max_compute_workgroup_storage_size)
    max_chunk >>= 1;
  const int64_t chunk = std::min(line_len, max_chunk);
  const int64_t chunks_per_line = line_len / chunk;
  const uint32_t group = static_cast<uint32_t>(std::min<int64_t>(kSortGroup, chunk / 2));
  const bool whole_lines = chunks_per_line == 1;
  const int64_t chunks = l.count * chunks_per_line;
  // Lines longer than a chunk live in scratch (keys and positions) between the passes.
  Tensor keys, positions;
  if (!whole_lines) {
    keys = recorder.scratch({l.count * line_len},
                            is_floating(x.dtype()) ? DType::Float32 : DType::Int32);
    positions = recorder.scratch({l.count * line_len}, DType::Int32);
  }

  // One workgroup per chunk: load it (from the input, or the scratch), run stages
  // size_lo..size_hi on it, write it back or, for whole lines, its first k pairs as the result.
  auto local_pass = [&](bool from_input, int64_t size_lo, int64_t size_hi) {
    ShaderWriter w(call.name(), recorder.adapter());
    if (from_input) w.input("x", x);
    if (whole_lines) {
      w.output("values", values);
      w.output("indices", indices);
    } else {
      w.output("keys", keys);
      w.output("positions", positions);
    }
    emit_order(w, type, largest);
    w.decl() << "var<workgroup> key: array<" << type << ", " << chunk << ">;\n"
             << "var<workgroup> pos: array<i32, " << chunk << ">;\n";
    auto& b = w.body();
    b << "  if (wid >= " << chunks << "u) { return; }\n";
    if (whole_lines)
      b << "  let line = wid;\n  let chunk_start = 0u;\n";
    else
      b << "  let line = wid / " << chunks_per_line << "u;\n"
        << "  let chunk_start = (wid % " << chunks_per_line << "u) * " << chunk << "u;\n";
    if (from_input) emit_line(b, l, "line", k);
    b << "  for (var e = lid; e < " << chunk << "u; e += " << group << "u) {\n";
    if (from_input) {
      b << "    let j = chunk_start + e;\n"
        << "    if (j < " << l.n << "u) {\n"
        << "      key[e] = x_load(" << in_at(l, "j") << ");\n"
        << "      pos[e] = i32(j);\n"
        << "    } else {\n"
        << "      key[e] = " << zero << ";\n"
        << "      pos[e] = -1;\n    }\n";
    } else {
      b << "    key[e] = keys_load(wid * " << chunk << "u + e);\n"
        << "    pos[e] = positions_load(wid * " << chunk << "u + e);\n";
    }
    b << "  }\n  workgroupBarrier();\n";
    emit_network(b, chunk, group, size_lo, size_hi);
    if (whole_lines) {
      b << "  for (var r = lid; r < " << k << "u; r += " << group << "u) {\n"
        << "    values_store(" << out_at(l, "r") << ", key[r]);\n"
        << "    indices_store(" << out_at(l, "r") << ", pos[r]);\n  }\n";
    } else {
      b << "  for (var e = lid; e < " << chunk << "u; e += " << group << "u) {\n"
        << "    keys_store(wid * " << chunk << "u + e, key[e]);\n"
        << "    positions_store(wid * " << chunk << "u + e, pos[e]);\n  }\n";
    }
    recorder.run(w.finish(static_cast<uint64_t>(chunks), group));
  };

  // Sort each chunk (stages up to the chunk's length).
  local_pass(true, 2, chunk);
  if (whole_lines) return;

  // Longer stages: the strides of a chunk's length and more exchange across workgroups in
  // scratch, one dispatch each; the shorter strides of the stage run in workgroup memory.
  const int64_t half = line_len / 2;
  for (int64_t size = chunk * 2; size <= line_len; size *= 2) {
    for (int64_t stride = size / 2; stride >= chunk; stride /= 2) {
      ShaderWriter w(call.name(), recorder.adapter());
      w.output("keys", keys);
      w.output("positions", positions);
      emit_order(w, type, largest);
      auto& b = w.body();
      b << "  // stage " << size << ", stride " << stride << ": pair p of line `line`\n"
        << "  let line = gid / " << half << "u;\n"
        << "  let p = gid % " << half << "u;\n"
        << "  let i = (p / " << stride << "u) * " << 2 * stride << "u + p % " << stride << "u;\n"
        << "  let a = line * " << line_len << "u + i;\n"
        << "  let c = a + " << stride << "u;\n"
        << "  let ka = keys_load(a);\n  let pa = positions_load(a);\n"
        << "  let kc = keys_load(c);\n  let pc = positions_load(c);\n"
        << "  let ascending = (i & " << size << "u) == 0u;\n"
        << "  if (select(before(ka, pa, kc, pc), before(kc, pc, ka, pa), ascending)) {\n"
        << "    keys_store(a, kc);\n    positions_store(a, pc);\n"
        << "    keys_store(c, ka);\n    positions_store(c, pa);\n  }\n";
      recorder.run(w.finish_elementwise(static_cast<uint64_t>(l.count * half)));
    }
    local_pass(false, size, size);
  }

  // The first k pairs of each sorted line are the result.
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("keys", keys);
  w.input("positions", positions);
  w.output("values", values);
  w.output("indices", indices);
  auto& b = w.body();
  b << "  let line = gid / " << k << "u;\n  let r = gid % " << k << "u;\n";
  emit_line(b, l, "line", k, false);
  b << "  values_store(" << out_at(l, "r") << ", keys_load(line * " << line_len << "u + r));\n"
    << "  indices_store(" << out_at(l, "r") << ", positions_load(line * " << line_len
    << "u + r));\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(l.count * k)));
}

}  // namespace

extern const std::vector<Kernel> kScanKernels = {
    {"cumsum", cumsum_kernel},
    {"topk", topk_kernel},
};

}  // namespace wgml::wgsl
