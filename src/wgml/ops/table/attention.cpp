// Fused scaled-dot-product attention: softmax(q k^T * scale (+ softcap, bias, masks)) v in one
// op, so a device can run it without materialising the [B, H, S, T] scores.
//
// Semantics (ops/attention_params.h holds the parameters; the CPU kernel is the reference):
//   q [B, H, S, D], k [B, Hk, T, D], v [B, Hk, T, Dv], H a multiple of Hk (grouped-query
//   attention: query head h reads key/value head h / (H / Hk)); optional bias broadcastable to
//   [B, H, S, T], of q's dtype. For query i and key j:
//     s = (q_i . k_j) * scale                      scale 0 means 1/sqrt(D)
//     s = softcap * tanh(s / softcap)              when softcap > 0
//     s = s + bias[b, h, i, j]                     when bias is given (-inf masks the key)
//     key j is masked when causal != 0 and j > i + T - S (bottom-right aligned: the last query
//     sees every key, as ONNX Runtime's GroupQueryAttention after a past), or when window > 0
//     and j <= i + T - S - window (ORT's local_window_size: each query sees its own position and
//     the window - 1 keys before it).
//   The order (scale, softcap, bias, masks) is ORT GroupQueryAttention's, checked against
//   onnxruntime-node. out[b, h, i] = sum_j p_j v_j with p = softmax over the unmasked keys; a row
//   with no unmasked key (or only -inf scores) outputs 0, not NaN.
#include <cmath>
#include <string>

#include "wgml/core/error.h"
#include "wgml/ops/attention_params.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

AttentionParams attention_params(const OpCall& call, const std::vector<Tensor>& in) {
  const std::string& op = call.name();
  WGML_CHECK(in.size() >= 3, op, ": needs q, k and v");
  const Shape& q = in[0].shape();
  const Shape& k = in[1].shape();
  const Shape& v = in[2].shape();
  WGML_CHECK(q.size() == 4, op, ": q ", q, " must be 4-D [batch, heads, query length, head size]");
  WGML_CHECK(k.size() == 4, op, ": k ", k, " must be 4-D [batch, kv heads, key length, head size]");
  WGML_CHECK(v.size() == 4, op, ": v ", v,
             " must be 4-D [batch, kv heads, key length, value head size]");
  AttentionParams p;
  p.batch = q[0];
  p.heads = q[1];
  p.q_len = q[2];
  p.head_size = q[3];
  p.kv_heads = k[1];
  p.kv_len = k[2];
  p.v_head_size = v[3];
  WGML_CHECK(k[0] == p.batch && v[0] == p.batch, op, ": batch differs: q ", q, ", k ", k, ", v ", v,
             " (dim 0 must be equal)");
  WGML_CHECK(v[1] == p.kv_heads, op, ": k has ", p.kv_heads, " heads (dim 1 of ", k, ") but v has ",
             v[1], " (dim 1 of ", v, ")");
  WGML_CHECK(v[2] == p.kv_len, op, ": k has ", p.kv_len, " keys (dim 2 of ", k, ") but v has ",
             v[2], " values (dim 2 of ", v, ")");
  WGML_CHECK(k[3] == p.head_size, op, ": head size of q (dim 3 of ", q, ") is ", p.head_size,
             " but of k (dim 3 of ", k, ") is ", k[3]);
  WGML_CHECK(p.kv_heads > 0 ? p.heads % p.kv_heads == 0 : p.heads == 0, op, ": q's ", p.heads,
             " heads (dim 1 of ", q, ") must be a multiple of k/v's ", p.kv_heads,
             " heads (dim 1 of ", k, ")");
  p.group = p.kv_heads > 0 ? p.heads / p.kv_heads : 1;
  p.has_bias = in.size() > 3 && in[3].defined();
  if (p.has_bias) {
    const Shape& bias = in[3].shape();
    const Shape full = {p.batch, p.heads, p.q_len, p.kv_len};
    WGML_CHECK(bias.size() <= 4, op, ": bias ", bias,
               " has more than 4 dims; it must broadcast to ", full,
               " [batch, heads, query length, key length]");
    for (size_t d = 0; d < bias.size(); ++d) {
      const int64_t want = full[4 - bias.size() + d];
      WGML_CHECK(bias[d] == 1 || bias[d] == want, op, ": bias ", bias, " does not broadcast to ",
                 full, ": its dim ", d, " is ", bias[d], ", expected 1 or ", want);
    }
  }
  const double scale = call.attrs.f("scale");
  p.scale = scale != 0.0 ? scale : 1.0 / std::sqrt(static_cast<double>(p.head_size));
  WGML_CHECK(std::isfinite(p.scale), op, ": scale ", scale, " must be finite");
  p.causal = call.attrs.i("causal") != 0;
  p.window = call.attrs.i("window");
  WGML_CHECK(p.window == -1 || p.window > 0, op, ": window ", p.window,
             " must be -1 (none) or a positive number of keys");
  p.softcap = call.attrs.f("softcap");
  WGML_CHECK(p.softcap >= 0.0 && std::isfinite(p.softcap), op, ": softcap ", p.softcap,
             " must be 0 (off) or positive");
  return p;
}

namespace {

std::vector<TensorDesc> infer_attention(const OpCall& call, const std::vector<Tensor>& in) {
  const AttentionParams p = attention_params(call, in);
  return {{{p.batch, p.heads, p.q_len, p.v_head_size}, in[0].dtype()}};
}

}  // namespace

void declare_attention_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("attention",
           {{"q", kFloat}, {"k", kFloat, 0}, {"v", kFloat, 0}, {"bias", kFloat, 0, true}},
           infer_attention)
      .attr("scale", 0.0)
      .attr("causal", int64_t{0})
      .attr("window", int64_t{-1})
      .attr("softcap", 0.0)
      .tolerance(Tolerance{ErrorMetric::Frobenius})
      .doc(
          "fused softmax(q k^T * scale) v: q [B, H, S, D], k [B, Hk, T, D], v [B, Hk, T, Dv] "
          "(H a multiple of Hk), optional additive bias broadcast to [B, H, S, T]; softcap "
          "(s = c * tanh(s / c)) before the bias, causal bottom-right aligned (j <= i + T - S), "
          "window w keeps j > i + T - S - w (ORT local_window_size); fully masked rows give 0");
}

}  // namespace wgml
