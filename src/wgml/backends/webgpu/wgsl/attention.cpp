// The attention family on WebGPU: flash-attention style, one dispatch, no [S, T] scores in
// memory. A workgroup takes a block of query rows of one (batch, kv head): the rows of all
// H / Hk query heads that share that key/value head (grouped-query attention), so a decode step
// (S = 1) still fills the workgroup and every key/value tile is read once per group.
// Key and value tiles of TK keys are loaded cooperatively into workgroup memory (K and V tiles
// together within 16 KiB, WebGPU's default maxComputeWorkgroupStorageSize); each invocation keeps
// its query row (pre-multiplied by the scale), running max, running sum and output accumulator
// in registers and applies the online-softmax update per key. D and Dv are literals and the
// per-key dot product and accumulation are unrolled, as are the tile loads, so an invocation's
// loops make about T + T / TK trips: Mesa's llvmpipe stops an invocation's loops after 65535
// trips in all (docs/ARCHITECTURE.md), so there key lengths up to about 64,000 are right.
// Causal and window masks also bound the keys a workgroup visits (tiles wholly masked for all
// its rows are skipped). float16 inputs compute in f32, as everywhere.
#include <algorithm>
#include <cmath>
#include <string>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"
#include "wgml/ops/attention_params.h"

namespace wgml::wgsl {

namespace {

constexpr int64_t kTileBytes = 16384;  // K and V tiles together, f32
constexpr int64_t kMaxTileKeys = 64;

void attention_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& outputs, Recorder& recorder) {
  const AttentionParams p = attention_params(call, inputs);
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const Tensor& q = inputs[0];
  const Tensor& k = inputs[1];
  const Tensor& v = inputs[2];
  const int64_t S = p.q_len, T = p.kv_len, D = p.head_size, Dv = p.v_head_size;
  const int64_t per_key = (D + Dv) * 4;
  WGML_CHECK(per_key <= kTileBytes, call.name(), ": head sizes D = ", D, " and Dv = ", Dv, " need ",
             per_key, " bytes of workgroup memory per key; at most ", kTileBytes,
             " (D + Dv <= ", kTileBytes / 4, ")");
  const int64_t tk = std::max<int64_t>(1, std::min({kMaxTileKeys, kTileBytes / per_key, T}));
  const int64_t rows = p.group * S;  // query rows per (batch, kv head)
  const int64_t wg = rows <= 32 ? 32 : 64;
  const int64_t blocks = (rows + wg - 1) / wg;
  const uint64_t workgroups = static_cast<uint64_t>(p.batch * p.kv_heads * blocks);

  ShaderWriter w(call.name(), recorder.adapter());
  w.input("q", q);
  w.input("k", k);
  w.input("v", v);
  Tensor bias4;
  if (p.has_bias) {
    bias4 = attention_bias4(inputs[3]);
    w.input("bias", bias4);
  }
  w.output("out", out);
  if (p.softcap > 0) w.need("tanh");
  auto U = [](int64_t x) { return u32_literal(x); };
  auto I = [](int64_t x) { return i32_literal(x); };
  w.decl() << "var<workgroup> kt: array<f32, " << tk * D << ">;\n"
           << "var<workgroup> vt: array<f32, " << tk * Dv << ">;\n";
  auto& b = w.body();
  // Which rows and which keys this workgroup takes (uniform: from wid only).
  b << "  if (wid >= " << U(static_cast<int64_t>(workgroups)) << ") { return; }\n"
    << "  let blk = wid % " << U(blocks) << ";\n"
    << "  let bk = wid / " << U(blocks) << ";\n"
    << "  let b = bk / " << U(p.kv_heads) << ";\n"
    << "  let hk = bk % " << U(p.kv_heads) << ";\n"
    << "  let r0 = blk * " << U(wg) << ";\n"
    << "  let r1 = min(r0 + " << U(wg) << ", " << U(rows) << ");\n"
    << "  let one_head = r0 / " << U(S) << " == (r1 - 1u) / " << U(S) << ";\n"
    << "  let i_lo = select(0u, r0 % " << U(S) << ", one_head);\n"
    << "  let i_hi = select(" << U(S - 1) << ", (r1 - 1u) % " << U(S) << ", one_head);\n"
    << "  var kv_lo = 0;\n"
    << "  var kv_hi = " << I(T) << ";\n";
  if (p.causal) b << "  kv_hi = min(kv_hi, i32(i_hi) + " << I(T - S + 1) << ");\n";
  if (p.window > 0) b << "  kv_lo = max(0, i32(i_lo) + " << I(T - S - p.window + 1) << ");\n";
  b << "  let lo = u32(kv_lo);\n"
    << "  let hi = u32(max(kv_hi, kv_lo));\n"
    // This invocation's row.
    << "  let r = r0 + lid;\n"
    << "  let live = r < " << U(rows) << ";\n"
    << "  let rc = min(r, " << U(rows - 1) << ");\n"
    << "  let hq = hk * " << U(p.group) << " + rc / " << U(S) << ";\n"
    << "  let i = rc % " << U(S) << ";\n"
    << "  let last = i32(i) + " << I(T - S) << ";  // the query's position among the keys\n"
    << "  let ninf = -wgml_inf();\n"
    << "  var qr: array<f32, " << D << ">;\n"
    << "  var acc: array<f32, " << Dv << ">;\n"
    << "  var m = ninf;\n"
    << "  var l = 0.0;\n"
    << "  let scale = " << literal(p.scale, "f32") << ";\n";
  for (int64_t d = 0; d < D; ++d)
    b << "  qr[" << d << "] = q_load(" << offset_of(q, {"b", "hq", "i", U(d)}) << ") * scale;\n";
  b << "  for (var t0 = lo; t0 < hi; t0 += " << U(tk) << ") {\n"
    << "    workgroupBarrier();\n";
  // Cooperative tile loads, unrolled: element e of the tile is key e / width, column e % width.
  auto load_tile = [&](const char* tile, const char* src, const Tensor& t, int64_t width) {
    const int64_t n = tk * width;
    for (int64_t c = 0; c * wg < n; ++c) {
      b << "    {\n      let e = lid + " << U(c * wg) << ";\n"
        << "      let kj = t0 + e / " << U(width) << ";\n"
        << "      if (" << ((c + 1) * wg > n ? "e < " + U(n) + " && " : "") << "kj < hi) {\n"
        << "        " << tile << "[e] = " << src << "_load("
        << offset_of(t, {"b", "hk", "kj", "(e % " + U(width) + ")"}) << ");\n"
        << "      }\n    }\n";
    }
  };
  load_tile("kt", "k", k, D);
  load_tile("vt", "v", v, Dv);
  // No break or continue below: the barriers above must stay in uniform control flow.
  b << "    workgroupBarrier();\n"
    << "    if (live) {\n"
    << "      let n = min(" << U(tk) << ", hi - t0);\n"
    << "      for (var j = 0u; j < n; j++) {\n"
    << "        let kj = t0 + j;\n";
  std::string visible = "true";
  if (p.causal) visible += " && i32(kj) <= last";
  if (p.window > 0) visible += " && i32(kj) > last - " + I(p.window);
  b << "        if (" << visible << ") {\n"
    << "          let kb = j * " << U(D) << ";\n"
    << "          var s = 0.0;\n";
  for (int64_t d = 0; d < D; ++d)
    b << "          s += qr[" << d << "] * kt[kb + " << U(d) << "];\n";
  if (p.softcap > 0) {
    const std::string cap = literal(p.softcap, "f32");
    b << "          s = " << cap << " * wgml_tanh(s / " << cap << ");\n";
  }
  if (p.has_bias)
    b << "          s += bias_load(" << offset_of(bias4, {"b", "hq", "i", "kj"}) << ");\n";
  // Online softmax: rescale what was accumulated under the old max.
  b << "          if (s > ninf) {  // a -inf bias masks the key\n"
    << "            let m_new = max(m, s);\n"
    << "            let c = exp(m - m_new);\n"
    << "            let pj = exp(s - m_new);\n"
    << "            l = l * c + pj;\n"
    << "            m = m_new;\n"
    << "            let vb = j * " << U(Dv) << ";\n";
  for (int64_t d = 0; d < Dv; ++d)
    b << "            acc[" << d << "] = acc[" << d << "] * c + pj * vt[vb + " << U(d) << "];\n";
  b << "          }\n"
    << "        }\n"
    << "      }\n"
    << "    }\n"
    << "  }\n"
    << "  if (!live) { return; }\n"
    << "  let inv = select(0.0, 1.0 / l, l > 0.0);  // no visible key: 0\n";
  for (int64_t d = 0; d < Dv; ++d)
    b << "  out_store(" << offset_of(out, {"b", "hq", "i", U(d)}) << ", acc[" << d << "] * inv);\n";
  recorder.run(w.finish(workgroups, static_cast<uint32_t>(wg)));
}

}  // namespace

extern const std::vector<Kernel> kAttentionKernels = {
    {"attention", attention_kernel},
};

}  // namespace wgml::wgsl
