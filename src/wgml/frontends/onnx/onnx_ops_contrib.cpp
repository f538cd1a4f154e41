// Converters for the com.microsoft contrib ops that ONNX Runtime's transformer optimizer and
// Transformers.js exports carry (spec: ONNX Runtime's ContribOperators.md, domain version 1).
// Each is a composition of op-table ops, checked against onnxruntime-node's CPU EP by
// tests/conformance/extra_cases_contrib.py. SimplifiedLayerNormalization is also registered in
// the default domain, where ONNX Runtime declares it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"
#include "wgml/frontends/onnx/onnx_ops_nn.h"

namespace wgml::onnx {

namespace {

using graph::kNoValue;
constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();

int64_t required_dim(const NodeContext& ctx, ValueId v, int64_t axis, const std::string& what) {
  const int64_t d = ctx.static_dim(v, axis);
  if (d < 0) ctx.fail_here(str_cat("dim ", axis, " of ", what, " must be known at load time"));
  return d;
}

ValueId slice(NodeContext& ctx, ValueId v, int64_t axis, int64_t start, int64_t end) {
  return ctx.op1("slice", {v},
                 {{"starts", Ints{start}}, {"ends", Ints{end}}, {"axes", Ints{axis}}});
}

ValueId reshape0(NodeContext& ctx, ValueId v, const Ints& shape) {
  return ctx.op1("reshape", {v}, {{"shape", shape}, {"allowzero", int64_t{0}}});
}

ValueId unsqueeze(NodeContext& ctx, ValueId v, int64_t axis) {
  return ctx.op1("unsqueeze", {v}, {{"axes", Ints{axis}}});
}

// --- activations

void convert_fast_gelu(NodeContext& ctx) {
  ValueId x = ctx.input(0);
  if (ctx.has_input(1)) x = ctx.op1("add", {x, ctx.input(1)});
  ctx.set_outputs({ctx.op1("gelu_tanh", {x})});
}

void convert_bias_gelu(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1("gelu", {ctx.op1("add", {ctx.input(0), ctx.input(1)})})});
}

// QuickGelu: x * sigmoid(alpha * x).
void convert_quick_gelu(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const double alpha = ctx.attr_float("alpha", 1.702);
  const ValueId ax = ctx.op1("mul", {x, ctx.scalar(alpha, ctx.dtype(x))});
  ctx.set_outputs({ctx.op1("mul", {x, ctx.op1("sigmoid", {ax})})});
}

// BiasAdd: X + bias + skip.
void convert_bias_add(NodeContext& ctx) {
  const ValueId sum = ctx.op1("add", {ctx.input(0), ctx.input(1)});
  ctx.set_outputs({ctx.op1("add", {sum, ctx.input(2)})});
}

// --- normalizations

// RMS normalization over the axes from `first`: x / sqrt(mean(x^2) + epsilon), in float32, then
// in x's type. Returns {normalized, inv_std_var (float32, keepdims)}.
std::pair<ValueId, ValueId> rms_normalize(NodeContext& ctx, ValueId x, int64_t first,
                                          double epsilon) {
  const int64_t rank = ctx.known_rank(x, "the input");
  if (first < 0) first += rank;
  if (first < 0 || first >= rank) ctx.fail_here("axis is out of range");
  Ints axes;
  for (int64_t d = first; d < rank; ++d)
    axes.push_back(d);
  const ValueId x32 = ctx.cast(x, DType::Float32);
  const ValueId ms =
      ctx.op1("mean", {ctx.op1("square", {x32})}, {{"axes", axes}, {"keepdims", int64_t{1}}});
  const ValueId inv = ctx.op1("rsqrt", {ctx.op1("add", {ms, ctx.scalar(epsilon, DType::Float32)})});
  return {ctx.cast(ctx.op1("mul", {x32, inv}), ctx.dtype(x)), inv};
}

// Mean and 1/sqrt(var + epsilon) over the last axis, in float32 (keepdims).
std::pair<ValueId, ValueId> layer_stats(NodeContext& ctx, ValueId x, double epsilon) {
  const ValueId x32 = ctx.cast(x, DType::Float32);
  const Attrs last = {{"axes", Ints{-1}}, {"keepdims", int64_t{1}}};
  const ValueId mean = ctx.op1("mean", {x32}, last);
  const ValueId var = ctx.op1("mean", {ctx.op1("square", {ctx.op1("sub", {x32, mean})})}, last);
  const ValueId inv =
      ctx.op1("rsqrt", {ctx.op1("add", {var, ctx.scalar(epsilon, DType::Float32)})});
  return {mean, inv};
}

// SimplifiedLayerNormalization (X, scale) -> (Y, inv_std_var).
void convert_simplified_layer_norm(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const auto [y, inv] =
      rms_normalize(ctx, x, ctx.attr_int("axis", -1), ctx.attr_float("epsilon", 1e-5));
  if (ctx.wants_output(2)) ctx.fail_here("the Mean output is not supported");
  ctx.set_outputs({ctx.op1("mul", {y, ctx.input(1)}), inv});
}

// input + skip (+ bias), the sum every skip normalization starts from.
ValueId skip_sum(NodeContext& ctx, ValueId bias) {
  ValueId sum = ctx.op1("add", {ctx.input(0), ctx.input(1)});
  if (bias != kNoValue) sum = ctx.op1("add", {sum, bias});
  return sum;
}

// SkipLayerNormalization (input, skip, gamma, beta?, bias?) -> (output, mean?, inv_std_var?,
// input_skip_bias_sum?).
void convert_skip_layer_norm(NodeContext& ctx) {
  const double epsilon = ctx.attr_float("epsilon", 1e-12);
  const ValueId sum = skip_sum(ctx, ctx.optional_input(4));
  const ValueId y = ctx.op1("layer_norm", {sum, ctx.input(2), ctx.optional_input(3)},
                            {{"axis", int64_t{-1}}, {"epsilon", epsilon}});
  ValueId mean = kNoValue, inv = kNoValue;
  if (ctx.wants_output(1) || ctx.wants_output(2)) {
    const auto stats = layer_stats(ctx, sum, epsilon);
    mean = stats.first;
    inv = stats.second;
  }
  ctx.set_outputs({y, mean, inv, sum});
}

// SkipSimplifiedLayerNormalization (input, skip, gamma, bias?) -> (output, mean?, inv_std_var?,
// input_skip_bias_sum?); there is no mean in RMS normalization.
void convert_skip_simplified_layer_norm(NodeContext& ctx) {
  const double epsilon = ctx.attr_float("epsilon", 1e-12);
  const ValueId sum = skip_sum(ctx, ctx.optional_input(3));
  const auto [y, inv] = rms_normalize(ctx, sum, -1, epsilon);
  if (ctx.wants_output(1)) ctx.fail_here("the mean output is not supported");
  ctx.set_outputs({ctx.op1("mul", {y, ctx.input(2)}), kNoValue, inv, sum});
}

// --- rotary embedding

// Rotates x4 ([B, S, N, H] with head_axis 2, or [B, N, S, H] with head_axis 1) at positions
// pos [B or 1, S]: its first `rot` values of each head in pairs, the rest unchanged.
ValueId rotate(NodeContext& ctx, ValueId x4, int64_t head_axis, ValueId pos, ValueId cos_cache,
               ValueId sin_cache, bool interleaved, int64_t rot, int64_t head_size) {
  const int64_t half = rot / 2;
  // cos/sin [B, S, half] placed against x4's head axis: [B, S, 1, half] or [B, 1, S, half].
  auto table = [&](ValueId cache) {
    const ValueId g = ctx.op1("gather", {cache, pos}, {{"axis", int64_t{0}}});
    return unsqueeze(ctx, g, head_axis);
  };
  ValueId c = table(cos_cache), s = table(sin_cache);
  const ValueId x_rot = rot < head_size ? slice(ctx, x4, 3, 0, rot) : x4;
  ValueId rotated;
  if (interleaved) {
    const ValueId pairs = reshape0(ctx, x_rot, {0, 0, 0, half, 2});
    const ValueId x1 = slice(ctx, pairs, 4, 0, 1), x2 = slice(ctx, pairs, 4, 1, 2);
    c = unsqueeze(ctx, c, 4);
    s = unsqueeze(ctx, s, 4);
    const ValueId o1 = ctx.op1("sub", {ctx.op1("mul", {x1, c}), ctx.op1("mul", {x2, s})});
    const ValueId o2 = ctx.op1("add", {ctx.op1("mul", {x2, c}), ctx.op1("mul", {x1, s})});
    rotated = reshape0(ctx, ctx.op1("concat", {o1, o2}, {{"axis", int64_t{4}}}), {0, 0, 0, rot});
  } else {
    const ValueId x1 = slice(ctx, x_rot, 3, 0, half), x2 = slice(ctx, x_rot, 3, half, rot);
    const ValueId o1 = ctx.op1("sub", {ctx.op1("mul", {x1, c}), ctx.op1("mul", {x2, s})});
    const ValueId o2 = ctx.op1("add", {ctx.op1("mul", {x2, c}), ctx.op1("mul", {x1, s})});
    rotated = ctx.op1("concat", {o1, o2}, {{"axis", int64_t{3}}});
  }
  if (rot < head_size)
    rotated = ctx.op1("concat", {rotated, slice(ctx, x4, 3, rot, kEnd)}, {{"axis", int64_t{3}}});
  return rotated;
}

// Positions offset + 0..S-1 as [1, S], S being dim `seq_axis` of `like`.
ValueId positions_from(NodeContext& ctx, ValueId offset, ValueId like, int64_t seq_axis) {
  const ValueId s =
      ctx.op1("squeeze", {ctx.shape_of(like, seq_axis, seq_axis + 1)}, {{"axes", Ints{0}}});
  const ValueId steps = ctx.op1("arange", {}, {{"dtype", std::string("int64")}}, {{"limit", s}});
  return ctx.op1("add",
                 {reshape0(ctx, ctx.cast(offset, DType::Int64), {1, 1}), unsqueeze(ctx, steps, 0)});
}

// RotaryEmbedding (input, position_ids, cos_cache, sin_cache). input is [B, S, hidden] or
// [B, N, S, H]; position_ids [B, S], or one offset (the positions are offset + 0..S-1); the caches
// [max_position, rotary_dim / 2]. The first rotary_dim values of each head rotate (pairs
// (i, i + rotary_dim/2), or (2i, 2i + 1) when interleaved), the rest pass through.
void convert_rotary_embedding(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const ValueId cos_cache = ctx.input(2), sin_cache = ctx.input(3);
  const bool interleaved = ctx.attr_int("interleaved", 0) != 0;
  if (ctx.attr_int("is_packed_batching", 0) != 0) ctx.fail_here("packed batching is not supported");
  const int64_t rank = ctx.known_rank(x, "the input");
  if (rank != 3 && rank != 4) ctx.fail_here("the input must be 3-D or 4-D");
  const int64_t half = required_dim(ctx, cos_cache, 1, "cos_cache");
  const int64_t num_heads = ctx.attr_int("num_heads", 0);
  int64_t rot = ctx.attr_int("rotary_embedding_dim", 0);
  if (rot == 0) rot = 2 * half;
  if (rot != 2 * half) ctx.fail_here("rotary_embedding_dim must be twice cos_cache's dim 1");
  int64_t head_size = 0;
  ValueId x4 = x;
  int64_t seq_axis = 2;
  if (rank == 3) {
    head_size = num_heads == 0 ? rot : required_dim(ctx, x, 2, "the input") / num_heads;
    x4 = reshape0(ctx, x, {0, 0, -1, head_size});  // [B, S, N, H]
    seq_axis = 1;
  } else {
    head_size = required_dim(ctx, x, 3, "the input");
  }
  // Positions [B or 1, S].
  ValueId pos = ctx.cast(ctx.input(1), DType::Int64);
  if (ctx.rank(pos) != 2) pos = positions_from(ctx, pos, x, seq_axis);
  const ValueId rotated =
      rotate(ctx, x4, rank == 3 ? 2 : 1, pos, cos_cache, sin_cache, interleaved, rot, head_size);
  ctx.set_outputs({rank == 3 ? reshape0(ctx, rotated, {0, 0, -1}) : rotated});
}

// --- block quantization

// Splits packed 4-bit values along the last axis: [..., D] uint8 -> [..., 2 * D] (low nibble
// first), with integer ops on whatever device holds them.
ValueId unpack_nibbles(NodeContext& ctx, ValueId packed) {
  const int64_t rank = ctx.known_rank(packed, "packed data");
  const ValueId u8 = ctx.cast(packed, DType::UInt8);
  const ValueId sixteen = ctx.scalar(16, DType::UInt8);
  const ValueId lo = unsqueeze(ctx, ctx.op1("mod", {u8, sixteen}), rank);
  const ValueId hi = unsqueeze(ctx, ctx.op1("div", {u8, sixteen}), rank);
  const ValueId both = ctx.op1("concat", {lo, hi}, {{"axis", rank}});
  Ints shape(static_cast<size_t>(rank - 1), 0);
  shape.push_back(-1);
  return reshape0(ctx, both, shape);
}

// MatMulNBits (A, B, scales, zero_points?, g_idx?, bias?): A [..., K] times the transpose of
// B dequantized: B [N, n_blocks, blob] holds block_size `bits`-bit values per block (4-bit ones
// two to a byte, low nibble first); W[n, k] = (q - zero_point) * scale of block k / block_size.
// One matmul_dequant reads B's bytes in place; scales and zero points (small) are brought to
// its [n_blocks, N] as views.
void convert_matmul_nbits(NodeContext& ctx) {
  const ValueId a = ctx.input(0), b = ctx.input(1), scales = ctx.input(2);
  const int64_t K = ctx.required_int("K"), N = ctx.required_int("N");
  const int64_t bits = ctx.attr_int("bits", 4);
  const int64_t block = ctx.required_int("block_size");
  if (bits != 4 && bits != 8) ctx.fail_here(str_cat("bits ", bits, " is not supported (4 or 8)"));
  if (ctx.has_input(4)) ctx.fail_here("g_idx is not supported");
  if (block < 1) ctx.fail_here(str_cat("block_size ", block, " must be >= 1"));
  const int64_t n_blocks = (K + block - 1) / block;
  const auto transpose = [&](ValueId v) { return ctx.op1("permute", {v}, {{"perm", Ints{1, 0}}}); };
  // 8-bit: q [K, N] (the padding of a ragged last block cut off); 4-bit: q [N, bytes].
  ValueId q = reshape0(ctx, ctx.cast(b, DType::UInt8), {N, -1});
  if (bits == 8) {
    if (n_blocks * block != K) q = slice(ctx, q, 1, 0, K);
    q = transpose(q);
  }
  ValueId zp;
  if (!ctx.has_input(3)) {
    zp = ctx.scalar(bits == 4 ? 8 : 128, DType::UInt8);
  } else if (ctx.dtype(ctx.input(3)) == DType::UInt8 && bits == 4) {
    const ValueId z = unpack_nibbles(ctx, reshape0(ctx, ctx.input(3), {N, -1}));
    zp = transpose(slice(ctx, z, 1, 0, n_blocks));
  } else {
    zp = transpose(reshape0(ctx, ctx.input(3), {N, n_blocks}));
  }
  const ValueId sc = transpose(reshape0(ctx, scales, {N, n_blocks}));
  ValueId y = ctx.op1("matmul_dequant", {a, q, sc, zp}, {{"bits", bits}, {"block", block}});
  if (ctx.has_input(5)) y = ctx.op1("add", {y, ctx.cast(ctx.input(5), ctx.dtype(a))});
  ctx.set_outputs({y});
}

// GatherBlockQuantized (data, indices, scales, zero_points?): Gather along gather_axis of data
// dequantized in blocks of block_size along quantize_axis. uint8 data with bits 4 holds two
// values a byte along its last axis (zero points likewise). The rows are gathered first, still
// quantized, and only they are dequantized.
void convert_gather_block_quantized(NodeContext& ctx) {
  const ValueId data = ctx.input(0), indices = ctx.input(1), scales = ctx.input(2);
  const int64_t bits = ctx.attr_int("bits", 4);
  const int64_t block = ctx.attr_int("block_size", 128);
  if (ctx.dtype(data) != DType::UInt8) ctx.fail_here("data must be uint8 (packed int4 is not)");
  if (bits != 4 && bits != 8) ctx.fail_here(str_cat("bits ", bits, " is not supported (4 or 8)"));
  const int64_t rank = ctx.known_rank(data, "data");
  const int64_t irank = ctx.known_rank(indices, "indices");
  int64_t ga = ctx.attr_int("gather_axis", 0), qa = ctx.attr_int("quantize_axis", 1);
  if (ga < 0) ga += rank;
  if (qa < 0) qa += rank;
  if (ga < 0 || ga >= rank || qa < 0 || qa >= rank || ga == qa)
    ctx.fail_here("gather_axis and quantize_axis must be distinct axes of data");
  // Logical dims of data (the last one doubled when packed) and where qa lands after the gather.
  Ints dims;
  for (int64_t d = 0; d < rank; ++d)
    dims.push_back(required_dim(ctx, data, d, "data"));
  if (bits == 4) dims.back() *= 2;
  const int64_t out_rank = rank + irank - 1;
  const int64_t qo = qa > ga ? qa + irank - 1 : qa;
  const int64_t n_blocks = required_dim(ctx, scales, qa, "scales");
  if (n_blocks * block != dims[static_cast<size_t>(qa)])
    ctx.fail_here("quantize_axis must be a whole number of blocks");
  const Attrs gather_attrs = {{"axis", ga}};
  ValueId q = ctx.op1("gather", {data, indices}, gather_attrs);
  if (bits == 4) q = unpack_nibbles(ctx, q);
  auto along_qa = [&](ValueId v, int64_t mid_a, int64_t mid_b) {
    Ints shape(static_cast<size_t>(qo), 0);
    shape.push_back(mid_a);
    if (mid_b != 0) shape.push_back(mid_b);
    for (int64_t d = qa + 1; d < rank; ++d)
      shape.push_back(dims[static_cast<size_t>(d)]);
    return reshape0(ctx, v, shape);
  };
  q = along_qa(ctx.cast(q, DType::Float32), n_blocks, block);
  const DType type = ctx.dtype(scales);
  const ValueId sc = unsqueeze(
      ctx, ctx.cast(ctx.op1("gather", {scales, indices}, gather_attrs), DType::Float32), qo + 1);
  ValueId zp;
  if (ctx.has_input(3)) {
    ValueId z = ctx.op1("gather", {ctx.input(3), indices}, gather_attrs);
    if (bits == 4) {
      z = unpack_nibbles(ctx, z);
      z = slice(ctx, z, out_rank - 1, 0, required_dim(ctx, scales, -1, "scales"));
    }
    zp = unsqueeze(ctx, ctx.cast(z, DType::Float32), qo + 1);
  } else {
    zp = ctx.scalar(bits == 4 ? 8 : 128, DType::Float32);
  }
  const ValueId y = ctx.op1("mul", {ctx.op1("sub", {q, zp}), sc});
  ctx.set_outputs({ctx.cast(along_qa(y, -1, 0), type)});
}

// --- attention

// [B, S, N * H] -> [B, N, S, H].
ValueId split_heads(NodeContext& ctx, ValueId v, int64_t heads) {
  const ValueId r = reshape0(ctx, v, {0, 0, heads, -1});
  return ctx.op1("permute", {r}, {{"perm", Ints{0, 2, 1, 3}}});
}

// The additive bias ORT's CPU Attention builds from mask_index (int32): 0 for kept keys,
// mask_filter_value for masked ones, as [B, 1, 1, T] (1-D lengths, 2-D raw mask) or [B, 1, S, T]
// (3-D mask). 1-D [B] holds each sequence's valid key count (right padding: key j is kept when
// j < end); 1-D [2B] adds start positions (left padding: kept when start <= j < end). T = S: no
// past.
ValueId attention_mask_bias(NodeContext& ctx, ValueId mask, ValueId input, double filter,
                            const std::string& what) {
  const DType type = ctx.dtype(input);
  const int64_t rank = ctx.known_rank(mask, what);
  ValueId keep = kNoValue;
  if (rank == 1) {
    const ValueId t = ctx.op1("squeeze", {ctx.shape_of(input, 1, 2)}, {{"axes", Ints{0}}});
    const ValueId j =
        unsqueeze(ctx, ctx.op1("arange", {}, {{"dtype", std::string("int64")}}, {{"limit", t}}), 0);
    const ValueId m = ctx.cast(mask, DType::Int64);
    const int64_t batch = ctx.static_dim(input, 0), n = ctx.static_dim(mask, 0);
    if (batch > 0 && n == 2 * batch) {
      const ValueId end = reshape0(ctx, slice(ctx, m, 0, 0, batch), {-1, 1});
      const ValueId start = reshape0(ctx, slice(ctx, m, 0, batch, kEnd), {-1, 1});
      keep =
          ctx.op1("logical_and", {ctx.op1("less", {j, end}), ctx.op1("greater_equal", {j, start})});
    } else {
      keep = ctx.op1("less", {j, reshape0(ctx, m, {-1, 1})});  // [B, T]
    }
    keep = reshape0(ctx, keep, {0, 1, 1, -1});
  } else if (rank == 2) {
    keep = reshape0(ctx, ctx.op1("greater", {mask, ctx.scalar(0, ctx.dtype(mask))}), {0, 1, 1, -1});
  } else if (rank == 3) {
    keep = unsqueeze(ctx, ctx.op1("greater", {mask, ctx.scalar(0, ctx.dtype(mask))}), 1);
  } else {
    ctx.fail_here(str_cat(what, " of rank ", rank,
                          " is not supported (1-D key lengths [B] or [2B], 2-D [B, T] or 3-D "
                          "[B, S, T] 0/1 masks are)"));
  }
  return ctx.op1("where", {keep, ctx.scalar(0, type), ctx.scalar(filter, type)});
}

// MultiHeadAttention (query, key, value, bias?, key_padding_mask?, attention_bias?, past_key?,
// past_value?) -> (output, present_key?, present_value?), for 3-D query/key/value [B, S, D]:
// softmax(Q K^T * scale + attention_bias + mask bias) V per head, keys and values after the past
// ones; unidirectional masks keys after each query's position. key_padding_mask takes
// mask_index's forms over all T keys (key lengths [B] or [2B], 0/1 masks [B, T] or [B, S, T]),
// adding mask_filter_value on masked keys as ORT's CPU kernel does.
void convert_multi_head_attention(NodeContext& ctx) {
  const int64_t heads = ctx.required_int("num_heads");
  const ValueId query = ctx.input(0);
  if (!ctx.has_input(1) || !ctx.has_input(2))
    ctx.fail_here("packed query/key/value (no key or value input) is not supported");
  for (size_t i = 0; i < 3; ++i) {
    if (ctx.known_rank(ctx.input(i), "query, key and value") != 3)
      ctx.fail_here("query, key and value must be 3-D [batch, sequence, hidden]");
  }
  const int64_t d = required_dim(ctx, query, 2, "query");
  const int64_t dv = required_dim(ctx, ctx.input(2), 2, "value");
  ValueId q = query, k = ctx.input(1), v = ctx.input(2);
  if (ctx.has_input(3)) {
    const ValueId bias = ctx.input(3);
    q = ctx.op1("add", {q, slice(ctx, bias, 0, 0, d)});
    k = ctx.op1("add", {k, slice(ctx, bias, 0, d, 2 * d)});
    v = ctx.op1("add", {v, slice(ctx, bias, 0, 2 * d, 2 * d + dv)});
  }
  const int64_t head_size = d / heads;
  const double scale = ctx.attr_float("scale", 0.0) != 0.0
                           ? ctx.attr_float("scale", 0.0)
                           : 1.0 / std::sqrt(static_cast<double>(head_size));
  ValueId q4 = split_heads(ctx, q, heads), k4 = split_heads(ctx, k, heads);
  ValueId v4 = split_heads(ctx, v, heads);
  if (ctx.has_input(6)) k4 = ctx.op1("concat", {ctx.input(6), k4}, {{"axis", int64_t{2}}});
  if (ctx.has_input(7)) v4 = ctx.op1("concat", {ctx.input(7), v4}, {{"axis", int64_t{2}}});
  // One fused `attention` op: softmax(Q K^T * scale + attention_bias) V, causal bottom-right
  // aligned (query i at T - S + i) when unidirectional.
  std::vector<ValueId> att_inputs = {q4, k4, v4};
  ValueId bias = ctx.optional_input(5);
  if (ctx.has_input(4)) {
    // [B, T, ...] over every key, past ones included.
    const ValueId keys = ctx.op1("permute", {k4}, {{"perm", Ints{0, 2, 1, 3}}});
    const ValueId masked = attention_mask_bias(
        ctx, ctx.input(4), keys, ctx.attr_float("mask_filter_value", -10000.0), "key_padding_mask");
    bias = bias == kNoValue ? masked : ctx.op1("add", {bias, masked});
  }
  if (bias != kNoValue) att_inputs.push_back(bias);
  const ValueId o4 = ctx.op1(
      "attention", att_inputs,
      {{"scale", scale}, {"causal", int64_t{ctx.attr_int("unidirectional", 0) != 0 ? 1 : 0}}});
  const ValueId o = ctx.op1("permute", {o4}, {{"perm", Ints{0, 2, 1, 3}}});
  ctx.set_outputs({reshape0(ctx, o, {0, 0, -1}), k4, v4});
}

// GroupQueryAttention (query, key, value, past_key?, past_value?, seqlens_k, total_seq_len,
// cos_cache?, sin_cache?) -> (output, present_key, present_value): causal attention where
// num_heads query heads share kv_num_heads key/value heads, keys and values appended to the
// past ones ([B, kv_heads, P, H]), queries and keys rotated at positions P.. when do_rotary.
// Every sequence of the batch is taken to fill the past (seqlens_k + 1 = P + S: no padding).
void convert_group_query_attention(NodeContext& ctx) {
  const int64_t heads = ctx.required_int("num_heads");
  const int64_t kv_heads = ctx.required_int("kv_num_heads");
  if (!ctx.has_input(1) || !ctx.has_input(2)) ctx.fail_here("packed QKV is not supported");
  for (size_t i = 9; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i)) ctx.fail_here(str_cat("input ", i, " is not supported"));
  }
  if (ctx.attr_int("smooth_softmax", 0) != 0) ctx.fail_here("smooth_softmax is not supported");
  const ValueId query = ctx.input(0);
  const int64_t d = required_dim(ctx, query, 2, "query");
  const int64_t head_size = d / heads;
  ValueId q = reshape0(ctx, query, {0, 0, heads, head_size});  // [B, S, N, H]
  ValueId k = reshape0(ctx, ctx.input(1), {0, 0, kv_heads, head_size});
  const ValueId v = reshape0(ctx, ctx.input(2), {0, 0, kv_heads, head_size});
  const bool has_past = ctx.has_input(3);
  if (ctx.attr_int("do_rotary", 0) != 0) {
    const ValueId cos_cache = ctx.input(7), sin_cache = ctx.input(8);
    const int64_t rot = 2 * required_dim(ctx, cos_cache, 1, "cos_cache");
    const ValueId past_len =
        has_past ? ctx.op1("squeeze", {ctx.shape_of(ctx.input(3), 2, 3)}, {{"axes", Ints{0}}})
                 : ctx.scalar(0, DType::Int64);
    const ValueId pos = positions_from(ctx, past_len, query, 1);
    const bool interleaved = ctx.attr_int("rotary_interleaved", 0) != 0;
    q = rotate(ctx, q, 2, pos, cos_cache, sin_cache, interleaved, rot, head_size);
    k = rotate(ctx, k, 2, pos, cos_cache, sin_cache, interleaved, rot, head_size);
  }
  const Attrs bnsh = {{"perm", Ints{0, 2, 1, 3}}};
  ValueId k4 = ctx.op1("permute", {k}, bnsh), v4 = ctx.op1("permute", {v}, bnsh);
  if (has_past) k4 = ctx.op1("concat", {ctx.input(3), k4}, {{"axis", int64_t{2}}});
  if (ctx.has_input(4)) v4 = ctx.op1("concat", {ctx.input(4), v4}, {{"axis", int64_t{2}}});
  // One fused `attention` op over [B, N, S, H] queries and [B, kv, T, H] keys/values (query head
  // n reads kv head n / group): scale, softcap, then the causal mask bottom-right aligned and
  // local_window_size keys per query, ORT's order.
  const double scale = ctx.attr_float("scale", 0.0) != 0.0
                           ? ctx.attr_float("scale", 0.0)
                           : 1.0 / std::sqrt(static_cast<double>(head_size));
  const int64_t window = ctx.attr_int("local_window_size", -1);
  const ValueId o4 = ctx.op1("attention", {ctx.op1("permute", {q}, bnsh), k4, v4},
                             {{"scale", scale},
                              {"causal", int64_t{1}},
                              {"window", window > 0 ? window : int64_t{-1}},
                              {"softcap", std::max(ctx.attr_float("softcap", 0.0), 0.0)}});
  const ValueId o = ctx.op1("permute", {o4}, bnsh);
  ctx.set_outputs({reshape0(ctx, o, {0, 0, -1}), k4, v4});
}

// Attention (input, weights, bias?, mask_index?, past?, attention_bias?, past_sequence_length?)
// -> (output, present?): BERT-style self-attention with packed projection weights [hidden,
// hq + hk + hv] (qkv_hidden_sizes, equal thirds by default; hq = hk). One matmul (+ bias) gives
// Q, K and V, split into num_heads heads; scores Q K^T * scale + mask bias (mask_filter_value on
// masked keys, as ORT adds it rather than -inf) + attention_bias [B or 1, N or 1, S, T];
// unidirectional masks later keys (bottom-right aligned). Output [B, S, hv]. past [2, B, N, P, H]
// puts P keys and values before the new ones; present is all of them, [2, B, N, P + S, H].
void convert_attention(NodeContext& ctx) {
  const int64_t heads = ctx.required_int("num_heads");
  if (ctx.has_input(6))
    ctx.fail_here("past_sequence_length (a GPU buffer-sharing input) is not supported");
  if (ctx.attr_int("do_rotary", 0) != 0) ctx.fail_here("do_rotary is not supported");
  const ValueId input = ctx.input(0), weights = ctx.input(1);
  if (ctx.known_rank(input, "input") != 3)
    ctx.fail_here("input must be 3-D [batch, sequence, hidden]");
  Ints sizes = ctx.attr_ints("qkv_hidden_sizes");
  if (sizes.empty()) {
    const int64_t total = required_dim(ctx, weights, 1, "weights");
    if (total % 3 != 0)
      ctx.fail_here(str_cat("weights' dim 1 (", total, ") must split into equal thirds"));
    sizes = {total / 3, total / 3, total / 3};
  }
  if (sizes.size() != 3 || sizes[0] != sizes[1] || heads <= 0)
    ctx.fail_here("qkv_hidden_sizes must be 3 sizes with equal query and key sizes");
  for (int64_t s : sizes) {
    if (s <= 0 || s % heads != 0)
      ctx.fail_here(
          str_cat("qkv_hidden_sizes ", s, " is not a positive multiple of num_heads ", heads));
  }
  ValueId x = dequant_matmul(ctx, input, weights, false);  // QDQ weights read in place
  if (x == kNoValue) x = ctx.op1("matmul", {input, weights});
  if (ctx.has_input(2)) x = ctx.op1("add", {x, ctx.input(2)});
  const int64_t hq = sizes[0];
  const ValueId q4 = split_heads(ctx, slice(ctx, x, 2, 0, hq), heads);
  ValueId k4 = split_heads(ctx, slice(ctx, x, 2, hq, 2 * hq), heads);
  ValueId v4 = split_heads(ctx, slice(ctx, x, 2, 2 * hq, 2 * hq + sizes[2]), heads);
  if (ctx.has_input(4)) {  // past [2, B, N, P, H]: keys then values, before the new ones
    const auto part = [&](int64_t i) {
      return ctx.op1("gather", {ctx.input(4), ctx.scalar(static_cast<double>(i), DType::Int64)},
                     {{"axis", int64_t{0}}});
    };
    k4 = ctx.op1("concat", {part(0), k4}, {{"axis", int64_t{2}}});
    v4 = ctx.op1("concat", {part(1), v4}, {{"axis", int64_t{2}}});
  }
  ValueId bias = kNoValue;
  if (ctx.has_input(3)) {
    // Over all P + S keys: [B, T, ...].
    const ValueId keys = ctx.op1("permute", {k4}, {{"perm", Ints{0, 2, 1, 3}}});
    bias = attention_mask_bias(ctx, ctx.input(3), keys,
                               ctx.attr_float("mask_filter_value", -10000.0), "mask_index");
  }
  if (ctx.has_input(5))
    bias = bias == kNoValue ? ctx.input(5) : ctx.op1("add", {bias, ctx.input(5)});
  const double scale = ctx.attr_float("scale", 0.0) != 0.0
                           ? ctx.attr_float("scale", 0.0)
                           : 1.0 / std::sqrt(static_cast<double>(hq / heads));
  std::vector<ValueId> att_inputs = {q4, k4, v4};
  if (bias != kNoValue) att_inputs.push_back(bias);
  const ValueId o4 = ctx.op1(
      "attention", att_inputs,
      {{"scale", scale}, {"causal", int64_t{ctx.attr_int("unidirectional", 0) != 0 ? 1 : 0}}});
  const ValueId o = ctx.op1("permute", {o4}, {{"perm", Ints{0, 2, 1, 3}}});
  ValueId present = kNoValue;
  if (ctx.wants_output(1)) {
    if (sizes[1] != sizes[2]) ctx.fail_here("present needs equal key and value sizes");
    present = ctx.op1("concat", {unsqueeze(ctx, k4, 0), unsqueeze(ctx, v4, 0)},
                      {{"axis", int64_t{0}}});  // [2, B, N, P + S, H]
  }
  ctx.set_outputs({reshape0(ctx, o, {0, 0, -1}), present});
}

// QuantizeLinear/DequantizeLinear of com.microsoft: ONNX's forms (per tensor, per axis).
void same_as_onnx(NodeContext& ctx) {
  const Converter* c = converter_table().find("", ctx.node().op_type);
  WGML_CHECK(c != nullptr, ctx.source(), ": no ONNX converter to delegate to");
  c->convert(ctx);
}

}  // namespace

void register_contrib_converters(ConverterTable& t) {
  const std::string ms = kMicrosoftDomain;
  t.add_in_domain(ms, "FastGelu", convert_fast_gelu);
  t.add_in_domain(ms, "BiasGelu", convert_bias_gelu);
  t.add_in_domain(ms, "Gelu",
                  [](NodeContext& ctx) { ctx.set_outputs({ctx.op1("gelu", {ctx.input(0)})}); });
  t.add_in_domain(ms, "QuickGelu", convert_quick_gelu);
  t.add_in_domain(ms, "BiasAdd", convert_bias_add);
  t.add_in_domain(ms, "SkipLayerNormalization", convert_skip_layer_norm);
  t.add_in_domain(ms, "SkipSimplifiedLayerNormalization", convert_skip_simplified_layer_norm);
  t.add_in_domain(ms, "SimplifiedLayerNormalization", convert_simplified_layer_norm);
  t.add("SimplifiedLayerNormalization", convert_simplified_layer_norm);  // ORT's default-domain op
  t.add_in_domain(ms, "RotaryEmbedding", convert_rotary_embedding);
  t.add_in_domain(ms, "QuantizeLinear", same_as_onnx);
  t.add_in_domain(ms, "DequantizeLinear", same_as_onnx);
  t.add_in_domain(ms, "MatMulNBits", convert_matmul_nbits);
  t.add_in_domain(ms, "GatherBlockQuantized", convert_gather_block_quantized);
  t.add_in_domain(ms, "MultiHeadAttention", convert_multi_head_attention);
  t.add_in_domain(ms, "GroupQueryAttention", convert_group_query_attention);
  t.add_in_domain(ms, "Attention", convert_attention);
}

}  // namespace wgml::onnx
