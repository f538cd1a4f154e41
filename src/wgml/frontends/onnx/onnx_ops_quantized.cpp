// ONNX's quantization ops (uint8/int8; per tensor, per axis from opset 13, blocked from opset
// 21) and the QDQ form, where DequantizeLinear of a quantized weight feeds MatMul, Gemm or Conv.
// Quantized weights stay in their stored bytes: DequantizeLinear notes what it made, and a
// consumer that reads it in a form the engine's matmul_dequant/conv_dequant take emits that op,
// which dequantizes inside the kernel; the float chain DequantizeLinear also emitted is then
// dead and leaves the graph (graph::remove_dead_nodes). The integer ops (MatMulInteger,
// ConvInteger, QLinear*) multiply centred int32 activations by q - zero_point exactly.
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_ops_nn.h"

namespace wgml::onnx {

using graph::kNoValue;

namespace {

// Brings a scale or zero point onto X's axes: scalars as they are, 1-D tensors along `axis`, and
// blocked ones (opset 21, same rank as X) repeated block_size times along `axis`.
ValueId quant_param(NodeContext& ctx, ValueId param, ValueId x) {
  const int64_t prank = ctx.known_rank(param, "the scale or zero point");
  const int64_t block = ctx.attr_int("block_size", 0);
  if (prank == 0 || (prank == 1 && ctx.static_dim(param, 0) == 1 && block == 0)) return param;
  const int64_t rank = ctx.known_rank(x, "x");
  const int64_t axis = normalize(ctx, ctx.attr_int("axis", 1), rank, "axis");
  if (block > 0) {
    Ints xs, ps;
    if (!static_shape(ctx, x, &xs) || !static_shape(ctx, param, &ps) || ps.size() != xs.size()) {
      ctx.fail_here("blocked quantization needs static shapes of x and of a scale of x's rank");
    }
    const size_t a = static_cast<size_t>(axis);
    // [.., B, ..] -> [.., B, 1, ..] -> [.., B, block, ..] -> [.., B * block, ..] -> crop to x.
    Ints grown = ps;
    grown.insert(grown.begin() + static_cast<int64_t>(a) + 1, block);
    Ints merged = ps;
    merged[a] = ps[a] * block;
    const ValueId u = ctx.op1("unsqueeze", {param}, {{"axes", Ints{axis + 1}}});
    const ValueId e = ctx.op1("expand", {u}, {{"shape", grown}});
    const ValueId r = ctx.op1("reshape", {e}, {{"shape", merged}});
    if (merged[a] < xs[a]) ctx.fail_here("the blocked scale does not cover x along axis");
    return ctx.op1("slice", {r},
                   {{"starts", Ints{0}}, {"ends", Ints{xs[a]}}, {"axes", Ints{axis}}});
  }
  if (prank != 1) ctx.fail_here("a per-axis scale or zero point must be 1-D");
  // [K] -> [K, 1, ...]: K lines up with `axis` under right-aligned broadcasting.
  Ints shape(static_cast<size_t>(rank - axis), 1);
  shape[0] = -1;
  return ctx.op1("reshape", {param}, {{"shape", shape}});
}

// The integer range of a quantized dtype.
void quant_range(const NodeContext& ctx, DType dtype, double* lo, double* hi) {
  if (dtype == DType::UInt8) {
    *lo = 0;
    *hi = 255;
  } else if (dtype == DType::Int8) {
    *lo = -128;
    *hi = 127;
  } else {
    ctx.fail_here(str_cat("quantized type ", dtype_name(dtype),
                          " is not supported (wgml quantizes to uint8 and int8)"));
  }
}

// QuantizeLinear: saturate(round_half_even(x / scale) + zero_point) in the zero point's type
// (uint8 without one, or opset 21's output_dtype).
void convert_quantize(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  DType out = DType::UInt8;
  if (ctx.has_input(2)) {
    out = ctx.dtype(ctx.input(2));
  } else if (ctx.attr_int("output_dtype", 0) != 0) {
    out = engine_dtype(static_cast<int32_t>(ctx.attr_int("output_dtype", 0)),
                       ctx.source() + " output_dtype");
  }
  double lo = 0, hi = 0;
  quant_range(ctx, out, &lo, &hi);
  const ValueId s = ctx.cast(quant_param(ctx, ctx.input(1), x), DType::Float32);
  ValueId q = ctx.op1("round", {ctx.op1("div", {ctx.cast(x, DType::Float32), s})});
  if (ctx.has_input(2)) {
    const ValueId zp = ctx.cast(quant_param(ctx, ctx.input(2), x), DType::Float32);
    q = ctx.op1("add", {q, zp});
  }
  q = ctx.op1("clip", {q}, {{"min", lo}, {"max", hi}});
  ctx.set_outputs({ctx.cast(q, out)});
}

// The integer operand of MatMulInteger/QLinearMatMul minus its zero point, in int32 (exact).
// A 1-D zero point of A is per row ([M] -> [M, 1]); one of B is per column and broadcasts as is.
ValueId centered_int32(NodeContext& ctx, ValueId v, ValueId zero_point, bool is_a) {
  const ValueId v32 = ctx.cast(v, DType::Int32);
  if (zero_point == kNoValue) return v32;
  ValueId zp = ctx.cast(zero_point, DType::Int32);
  if (is_a && ctx.rank(zero_point) == 1 && ctx.rank(v) >= 2) {
    zp = ctx.op1("unsqueeze", {zp}, {{"axes", Ints{1}}});
  }
  return ctx.op1("sub", {v32, zp});
}

// The QLinear ops' common tail: an exact int32 accumulator scaled by `multiplier` into the
// output's quantized type around its zero point, rounding halves to even and saturating.
ValueId requantize(NodeContext& ctx, ValueId acc, ValueId multiplier, ValueId zero_point) {
  const DType out = ctx.dtype(zero_point);
  double lo = 0, hi = 0;
  quant_range(ctx, out, &lo, &hi);
  ValueId y = ctx.op1("round", {ctx.op1("mul", {ctx.cast(acc, DType::Float32), multiplier})});
  y = ctx.op1("add", {y, ctx.cast(zero_point, DType::Float32)});
  return ctx.cast(ctx.op1("clip", {y}, {{"min", lo}, {"max", hi}}), out);
}

// DynamicQuantizeLinear: uint8 quantization over the range of x widened to include 0.
void convert_dynamic_quantize(NodeContext& ctx) {
  const ValueId x = ctx.cast(ctx.input(0), DType::Float32);
  const ValueId zero = ctx.scalar(0, DType::Float32);
  const ValueId lo = ctx.op1("minimum", {ctx.op1("min", {x}), zero});
  const ValueId hi = ctx.op1("maximum", {ctx.op1("max", {x}), zero});
  const ValueId scale = ctx.op1("div", {ctx.op1("sub", {hi, lo}), ctx.scalar(255, DType::Float32)});
  const Attrs byte_range = {{"min", 0.0}, {"max", 255.0}};
  const ValueId zp = ctx.op1(
      "clip", {ctx.op1("round", {ctx.op1("neg", {ctx.op1("div", {lo, scale})})})}, byte_range);
  const ValueId q = ctx.op1(
      "clip", {ctx.op1("add", {ctx.op1("round", {ctx.op1("div", {x, scale})}), zp})}, byte_range);
  ctx.set_outputs({ctx.cast(q, DType::UInt8), scale, ctx.cast(zp, DType::UInt8)});
}

// [M] per-output-channel values shaped [M, 1, ...] for an output of rank `rank`; others as they
// are.
ValueId per_output_channel(NodeContext& ctx, ValueId v, int64_t rank) {
  if (ctx.rank(v) != 1) return v;
  Ints shape(static_cast<size_t>(rank - 1), 1);
  shape[0] = -1;
  return ctx.op1("reshape", {v}, {{"shape", shape}});
}

// DequantizeLinear: (x - zero_point) * scale, in float32, then in scale's type. An int8/uint8 x
// is noted with its parameters for the consumers that read it in place.
void convert_dequantize(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const ValueId scale = ctx.input(1);
  ValueId xf = ctx.cast(x, DType::Float32);
  if (ctx.has_input(2)) {
    const ValueId zp = ctx.cast(quant_param(ctx, ctx.input(2), x), DType::Float32);
    xf = ctx.op1("sub", {xf, zp});
  }
  const ValueId s = ctx.cast(quant_param(ctx, scale, x), DType::Float32);
  const ValueId y = ctx.cast(ctx.op1("mul", {xf, s}), ctx.dtype(scale));
  ctx.set_outputs({y});
  const DType q = ctx.dtype(x);
  const int64_t rank = ctx.rank(x), prank = ctx.rank(scale);
  if ((q != DType::Int8 && q != DType::UInt8) || rank < 1 || prank < 0) return;
  QuantizedWeight w;
  w.q = x;
  w.scale = scale;
  w.zero = ctx.optional_input(2);
  w.block = ctx.attr_int("block_size", 0);
  const bool per_tensor =
      prank == 0 || (prank == 1 && ctx.static_dim(scale, 0) == 1 && w.block == 0);
  w.axis = per_tensor ? -1 : normalize(ctx, ctx.attr_int("axis", 1), rank, "axis");
  ctx.note_quantized(y, w);
}

// A DequantizeLinear parameter of a 2-d weight as matmul_dequant's [Gk, Gn], the weight seen as
// [K, N] (`transposed`: it is stored [N, K]); `k_axis` says whether the quantized axis is k.
ValueId matrix_param(NodeContext& ctx, const QuantizedWeight& w, ValueId p, bool transposed,
                     bool k_axis) {
  if (p == kNoValue) return kNoValue;
  if (w.axis < 0) return ctx.op1("reshape", {p}, {{"shape", Ints{1, 1}}});
  if (w.block == 0) return ctx.op1("reshape", {p}, {{"shape", k_axis ? Ints{-1, 1} : Ints{1, -1}}});
  return transposed ? ctx.op1("permute", {p}, {{"perm", Ints{1, 0}}}) : p;  // blocks along k
}

// A 1-D or one-element zero point of B (per column) as matmul_dequant's [1, N] or [1, 1].
ValueId column_zero(NodeContext& ctx, ValueId zero) {
  if (zero == kNoValue) return kNoValue;
  return ctx.op1("reshape", {zero}, {{"shape", Ints{1, -1}}});
}

// (A - a_zero_point) @ (B - b_zero_point) in int32, exactly. A 2-d B is read in place by
// matmul_dequant; a batched one is centred in int32 first.
ValueId integer_matmul(NodeContext& ctx, ValueId a, ValueId a_zero, ValueId b, ValueId b_zero) {
  const ValueId a32 = centered_int32(ctx, a, a_zero, true);
  if (ctx.rank(b) == 2)
    return ctx.op1("matmul_dequant", {a32, b, kNoValue, column_zero(ctx, b_zero)});
  return ctx.op1("matmul", {a32, centered_int32(ctx, b, b_zero, false)});
}

// MatMulInteger: (A - a_zero_point) @ (B - b_zero_point), accumulated in int32.
void convert_matmul_integer(NodeContext& ctx) {
  ctx.set_outputs({integer_matmul(ctx, ctx.input(0), ctx.optional_input(2), ctx.input(1),
                                  ctx.optional_input(3))});
}

// QLinearMatMul: the int32 product of the centered operands, rescaled by
// a_scale * b_scale / y_scale (one float32 multiplier, as ONNX Runtime), rounded half to even,
// shifted by y_zero_point and saturated.
void convert_qlinear_matmul(NodeContext& ctx) {
  const ValueId acc = integer_matmul(ctx, ctx.input(0), ctx.input(2), ctx.input(3), ctx.input(5));
  ValueId a_scale = ctx.cast(ctx.input(1), DType::Float32);
  if (ctx.rank(a_scale) == 1 && ctx.rank(ctx.input(0)) >= 2) {
    a_scale = ctx.op1("unsqueeze", {a_scale}, {{"axes", Ints{1}}});
  }
  ValueId b_scale = ctx.cast(ctx.input(4), DType::Float32);
  const ValueId multiplier =
      ctx.op1("div", {ctx.op1("mul", {a_scale, b_scale}), ctx.cast(ctx.input(6), DType::Float32)});
  ctx.set_outputs({requantize(ctx, acc, multiplier, ctx.input(7))});
}

// The exact int32 conv of the centred x with w - w_zero_point (per tensor or per output
// channel), plus an int32 bias: conv_dequant in the integer form. Padding counts as the zero
// point (0 once centred), as ONNX Runtime pads.
ValueId integer_conv(NodeContext& ctx, ValueId x, ValueId x_zero, ValueId w, ValueId w_zero,
                     ValueId bias) {
  const ValueId x32 = centered_int32(ctx, x, x_zero, false);
  const ValueId b32 = bias == kNoValue ? kNoValue : ctx.cast(bias, DType::Int32);
  return ctx.op1("conv_dequant", {x32, w, kNoValue, w_zero, b32}, conv_attrs(ctx));
}

// ConvInteger: conv of (x - x_zero_point) and (w - w_zero_point) in int32.
void convert_conv_integer(NodeContext& ctx) {
  ctx.set_outputs({integer_conv(ctx, ctx.input(0), ctx.optional_input(2), ctx.input(1),
                                ctx.optional_input(3), kNoValue)});
}

// QLinearConv: the exact int32 conv (plus the int32 bias), rescaled by x_scale * w_scale /
// y_scale, rounded half to even, shifted by y_zero_point and saturated.
void convert_qlinear_conv(NodeContext& ctx) {
  const int64_t w_rank = ctx.known_rank(ctx.input(3), "w");
  const ValueId acc = integer_conv(ctx, ctx.input(0), ctx.input(2), ctx.input(3), ctx.input(5),
                                   ctx.optional_input(8));
  const ValueId w_scale = per_output_channel(ctx, ctx.cast(ctx.input(4), DType::Float32), w_rank);
  const ValueId multiplier =
      ctx.op1("div", {ctx.op1("mul", {ctx.cast(ctx.input(1), DType::Float32), w_scale}),
                      ctx.cast(ctx.input(6), DType::Float32)});
  ctx.set_outputs({requantize(ctx, acc, multiplier, ctx.input(7))});
}

}  // namespace

ValueId dequant_matmul(NodeContext& ctx, ValueId a, ValueId b, bool transposed) {
  const QuantizedWeight* w = ctx.quantized(b);
  if (w == nullptr || ctx.rank(w->q) != 2 || ctx.rank(a) < 1 || ctx.dtype(a) != ctx.dtype(b))
    return kNoValue;
  // The quantized axis seen on [K, N]: axis 0 of a transposed weight is n.
  const bool k_axis = w->axis >= 0 && (w->axis == 0) != transposed;
  if (w->block > 0 && !k_axis) return kNoValue;  // blocks along n: the float chain
  const ValueId q = transposed ? ctx.op1("permute", {w->q}, {{"perm", Ints{1, 0}}}) : w->q;
  const ValueId scale = matrix_param(ctx, *w, w->scale, transposed, k_axis);
  const ValueId zero = matrix_param(ctx, *w, w->zero, transposed, k_axis);
  const Attrs attrs = {{"bits", int64_t{8}}, {"block", std::max<int64_t>(w->block, 1)}};
  return ctx.op1("matmul_dequant", {a, q, scale, zero}, attrs);
}

ValueId dequant_conv(NodeContext& ctx, ValueId x, ValueId w, ValueId bias, const Attrs& attrs) {
  const QuantizedWeight* qw = ctx.quantized(w);
  // Per tensor or per output channel (axis 0); blocked or other axes take the float chain.
  if (qw == nullptr || qw->block > 0 || qw->axis > 0 || ctx.dtype(x) != ctx.dtype(w))
    return kNoValue;
  const auto one_d = [&](ValueId p) {
    return p == kNoValue ? kNoValue : ctx.op1("reshape", {p}, {{"shape", Ints{-1}}});
  };
  return ctx.op1("conv_dequant", {x, qw->q, one_d(qw->scale), one_d(qw->zero), bias}, attrs);
}

void register_quantized_converters(ConverterTable& t) {
  t.add("QuantizeLinear", convert_quantize, 10);
  t.add("DequantizeLinear", convert_dequantize, 10);
  t.add("DynamicQuantizeLinear", convert_dynamic_quantize, 11);
  t.add("MatMulInteger", convert_matmul_integer, 10);
  t.add("ConvInteger", convert_conv_integer, 10);
  t.add("QLinearConv", convert_qlinear_conv, 10);
  t.add("QLinearMatMul", convert_qlinear_matmul, 10);
}

}  // namespace wgml::onnx
