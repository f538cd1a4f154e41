// Converters for ONNX's neural-network ops: convolutions, pools, normalizations, softmax family,
// MatMul/Gemm and quantization. Each follows the op's spec for opsets 7..21 (the model's opset
// picks the form), mapping onto an engine op where one matches and composing from engine ops
// where none does. The recurrent ops live in onnx_ops_rnn.cpp; Einsum is a tensor converter.
#include "wgml/frontends/onnx/onnx_ops_nn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "wgml/core/error.h"

namespace wgml::onnx {

using graph::kNoValue;

// --- helpers shared with the other nn files (onnx_ops_nn.h)

bool static_shape(const NodeContext& ctx, ValueId v, Ints* out) {
  const graph::SymShape* shape = ctx.shape(v);
  if (shape == nullptr) return false;
  out->clear();
  for (const graph::SymDim& d : *shape) {
    if (!d.is_static()) return false;
    out->push_back(d.value);
  }
  return true;
}

int64_t normalize(const NodeContext& ctx, int64_t axis, int64_t rank, const std::string& what) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    ctx.fail_here(str_cat(what, " ", axis, " is out of range for rank ", rank));
  }
  return a;
}

// Copies the window attributes the node sets (conv and pools share their names with the engine);
// auto_pad "" counts as NOTSET, and pads are dropped under another auto_pad, which ONNX ignores
// them for.
Attrs window_attrs(const NodeContext& ctx, const std::vector<std::string>& int_lists) {
  Attrs attrs;
  std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (auto_pad.empty()) auto_pad = "NOTSET";
  attrs.set("auto_pad", auto_pad);
  for (const std::string& name : int_lists) {
    if (!ctx.has_attr(name)) continue;
    if (name == "pads" && auto_pad != "NOTSET") continue;
    attrs.set(name, ctx.attr_ints(name));
  }
  return attrs;
}

Attrs conv_attrs(const NodeContext& ctx) {
  Attrs attrs = window_attrs(ctx, {"dilations", "kernel_shape", "pads", "strides"});
  attrs.set("group", ctx.attr_int("group", 1));
  return attrs;
}

namespace {

// Reshapes `v` to the shape of `like`: a constant shape when static, else read at run time.
ValueId reshape_like(NodeContext& ctx, ValueId v, ValueId like) {
  Ints shape;
  if (static_shape(ctx, like, &shape)) return ctx.op1("reshape", {v}, {{"shape", shape}});
  return ctx.op1("reshape", {v}, {}, {{"shape", ctx.shape_of(like)}});
}

Attrs reduce_keep(const Ints& axes) {
  return {{"axes", axes}, {"keepdims", int64_t{1}}};
}

Ints axes_from(int64_t first, int64_t rank) {
  Ints axes;
  for (int64_t d = first; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

// --- convolution

// A weight that DequantizeLinear of a quantized constant produced is read from its bytes.
void convert_conv(NodeContext& ctx) {
  const ValueId fused =
      dequant_conv(ctx, ctx.input(0), ctx.input(1), ctx.optional_input(2), conv_attrs(ctx));
  if (fused != kNoValue) return ctx.set_outputs({fused});
  ctx.set_outputs(
      {ctx.op1("conv", {ctx.input(0), ctx.input(1), ctx.optional_input(2)}, conv_attrs(ctx))});
}

void convert_conv_transpose(NodeContext& ctx) {
  Attrs attrs = window_attrs(
      ctx, {"dilations", "kernel_shape", "pads", "strides", "output_padding", "output_shape"});
  attrs.set("group", ctx.attr_int("group", 1));
  ctx.set_outputs(
      {ctx.op1("conv_transpose", {ctx.input(0), ctx.input(1), ctx.optional_input(2)}, attrs)});
}

// --- pooling

// MaxPool's Indices output: the flat position in X of each window's (first) maximum, composed
// for static shapes. Every kernel offset gives one strided slice of X padded with -inf (in
// float32, exact for every MaxPool type); argmax over the stacked slices picks the offset, which
// a small table turns back into coordinates. storage_order 1 counts positions column-major.
ValueId max_pool_indices(NodeContext& ctx, ValueId x, const Shape& out_shape) {
  Ints in_shape;
  if (!static_shape(ctx, x, &in_shape)) {
    ctx.fail_here("the Indices output needs the shape of X when the model loads");
  }
  const size_t spatial = in_shape.size() - 2;
  const Ints kernel = ctx.required_ints("kernel_shape");
  const Ints strides = ctx.attr_ints("strides", Ints(spatial, 1));
  const Ints dilations = ctx.attr_ints("dilations", Ints(spatial, 1));
  Ints pads = ctx.attr_ints("pads", Ints(2 * spatial, 0));
  std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (kernel.size() != spatial || strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial) {
    ctx.fail_here("kernel_shape, strides, dilations and pads need one value per spatial axis");
  }
  Ints pad_begin(spatial), pad_end(spatial);
  for (size_t d = 0; d < spatial; ++d) {
    const int64_t in = in_shape[d + 2], s = strides[d];
    const int64_t extent = dilations[d] * (kernel[d] - 1) + 1;
    pad_begin[d] = auto_pad == "VALID" ? 0 : pads[d];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t total = std::max<int64_t>(0, ((in + s - 1) / s - 1) * s + extent - in);
      pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    }
    // Enough at the end for the last window, ceil_mode's included.
    const int64_t last = (out_shape[d + 2] - 1) * s - pad_begin[d] + extent - 1;
    pad_end[d] = std::max<int64_t>(0, last - (in - 1));
  }
  Ints pad_all(2 * spatial + 4, 0);
  for (size_t d = 0; d < spatial; ++d) {
    pad_all[d + 2] = pad_begin[d];
    pad_all[d + spatial + 4] = pad_end[d];
  }
  const ValueId padded =
      ctx.op1("pad", {ctx.cast(x, DType::Float32)},
              {{"pads", pad_all}, {"value", -std::numeric_limits<double>::infinity()}});
  // One candidate per kernel offset (row-major over the kernel, so ties go to the first).
  int64_t offsets = 1;
  for (int64_t k : kernel)
    offsets *= k;
  std::vector<ValueId> candidates;
  std::vector<Ints> offset_of(spatial);  // offset_of[d][k]: kernel index along d of offset k
  for (int64_t k = 0; k < offsets; ++k) {
    Ints starts, ends, axes;
    Ints at(spatial);
    int64_t rest = k;
    for (size_t d = spatial; d-- > 0;) {
      at[d] = rest % kernel[d];
      rest /= kernel[d];
    }
    for (size_t d = 0; d < spatial; ++d) {
      offset_of[d].push_back(at[d]);
      const int64_t start = at[d] * dilations[d];
      starts.push_back(start);
      ends.push_back(start + (out_shape[d + 2] - 1) * strides[d] + 1);
      axes.push_back(static_cast<int64_t>(d + 2));
    }
    const ValueId slice =
        ctx.op1("slice", {padded},
                {{"starts", starts}, {"ends", ends}, {"axes", axes}, {"steps", strides}});
    candidates.push_back(ctx.op1("unsqueeze", {slice}, {{"axes", Ints{0}}}));
  }
  const ValueId stacked = candidates.size() == 1
                              ? candidates[0]
                              : ctx.op1("concat", candidates, {{"axis", int64_t{0}}});
  const ValueId best =
      ctx.op1("argmax", {stacked}, {{"axis", int64_t{0}}, {"keepdims", int64_t{0}}});
  // Position strides inside one [spatial...] plane, then each (n, c) plane's offset.
  const bool column_major = ctx.attr_int("storage_order", 0) != 0;
  Ints plane_stride(spatial, 1);
  int64_t plane = 1;
  for (size_t i = 0; i < spatial; ++i) {
    const size_t d = column_major ? i : spatial - 1 - i;
    plane_stride[d] = plane;
    plane *= in_shape[d + 2];
  }
  const auto int64_const = [&](const Ints& values, const Shape& shape) {
    return ctx.constant_value(Tensor::from_vector(values, shape, DType::Int64));
  };
  const int64_t planes = in_shape[0] * in_shape[1];
  Ints plane_offsets;
  for (int64_t i = 0; i < planes; ++i)
    plane_offsets.push_back(i * plane);
  Shape base_shape = {in_shape[0], in_shape[1]};
  base_shape.insert(base_shape.end(), spatial, 1);
  ValueId index = int64_const(plane_offsets, base_shape);
  for (size_t d = 0; d < spatial; ++d) {
    // (o * stride - pad_begin + kernel index * dilation) * plane stride, as [out_d, 1, ...].
    Ints window_start;
    for (int64_t o = 0; o < out_shape[d + 2]; ++o)
      window_start.push_back(o * strides[d] - pad_begin[d]);
    Shape column(spatial - d, 1);
    column[0] = out_shape[d + 2];
    Ints step = offset_of[d];
    for (int64_t& v : step)
      v *= dilations[d];
    const ValueId pos = ctx.op1(
        "add", {int64_const(window_start, column),
                ctx.op1("gather", {int64_const(step, {offsets}), best}, {{"axis", int64_t{0}}})});
    index =
        ctx.op1("add", {index, ctx.op1("mul", {pos, ctx.scalar(static_cast<double>(plane_stride[d]),
                                                               DType::Int64)})});
  }
  return index;
}

void convert_max_pool(NodeContext& ctx) {
  Attrs attrs = window_attrs(ctx, {"kernel_shape", "strides", "pads", "dilations"});
  if (!ctx.has_attr("kernel_shape")) ctx.fail_here("attribute 'kernel_shape' is required");
  attrs.set("ceil_mode", ctx.attr_int("ceil_mode", 0));
  const ValueId values = ctx.op1("max_pool", {ctx.input(0)}, attrs);
  if (!ctx.wants_output(1)) {
    ctx.set_outputs({values});
    return;
  }
  Ints out_shape;
  if (!static_shape(ctx, values, &out_shape)) {
    ctx.fail_here("the Indices output needs the shape of X when the model loads");
  }
  ctx.set_outputs({values, max_pool_indices(ctx, ctx.input(0), out_shape)});
}

void convert_average_pool(NodeContext& ctx) {
  Attrs attrs = window_attrs(ctx, {"kernel_shape", "strides", "pads", "dilations"});
  if (!ctx.has_attr("kernel_shape")) ctx.fail_here("attribute 'kernel_shape' is required");
  attrs.set("ceil_mode", ctx.attr_int("ceil_mode", 0));
  attrs.set("count_include_pad", ctx.attr_int("count_include_pad", 0));
  ctx.set_outputs({ctx.op1("avg_pool", {ctx.input(0)}, attrs)});
}

// MaxUnpool: zeros of the output's shape with X's values scattered to the flat positions in I
// (MaxPool's Indices). The shape is output_shape when given, else each spatial size grows back
// to (in - 1) * stride + kernel - pads.
void convert_max_unpool(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const ValueId indices = ctx.input(1);
  Attrs shape_attr;
  std::map<std::string, ValueId> shape_input;
  if (ctx.has_input(2)) {
    if (ctx.constant(2) != nullptr) {
      shape_attr.set("shape", ctx.constant_ints(2));
    } else {
      shape_input["shape"] = ctx.cast(ctx.input(2), DType::Int64);
    }
  } else {
    const Ints kernel = ctx.required_ints("kernel_shape");
    const size_t spatial = kernel.size();
    const Ints strides = ctx.attr_ints("strides", Ints(spatial, 1));
    const Ints pads = ctx.attr_ints("pads", Ints(2 * spatial, 0));
    if (strides.size() != spatial || pads.size() != 2 * spatial) {
      ctx.fail_here("strides and pads need one value per spatial axis (pads two)");
    }
    Ints sizes;
    for (size_t d = 0; d < spatial; ++d) {
      const int64_t in = ctx.static_dim(x, static_cast<int64_t>(d + 2));
      if (in < 0) ctx.fail_here("the spatial sizes of X must be known when the model loads");
      sizes.push_back((in - 1) * strides[d] + kernel[d] - pads[d] - pads[d + spatial]);
    }
    shape_input["shape"] =
        ctx.op1("concat",
                {ctx.shape_of(x, 0, 2), ctx.constant_value(Tensor::from_vector(
                                            sizes, {static_cast<int64_t>(spatial)}, DType::Int64))},
                {{"axis", int64_t{0}}});
  }
  const ValueId zeros = ctx.op1("expand", {ctx.scalar(0, ctx.dtype(x))}, shape_attr, shape_input);
  const ValueId flat = ctx.op1("reshape", {zeros}, {{"shape", Ints{-1}}});
  const ValueId scattered =
      ctx.op1("scatter_nd", {flat, ctx.op1("reshape", {indices}, {{"shape", Ints{-1, 1}}}),
                             ctx.op1("reshape", {x}, {{"shape", Ints{-1}}})});
  ctx.set_outputs({reshape_like(ctx, scattered, zeros)});
}

// |x|^p elementwise, and its inverse root, with the cheap forms for p = 1 and 2.
ValueId abs_pow(NodeContext& ctx, ValueId x, int64_t p) {
  if (p == 2) return ctx.op1("square", {x});
  const ValueId a = ctx.op1("abs", {x});
  if (p == 1) return a;
  return ctx.op1("pow", {a, ctx.scalar(static_cast<double>(p), ctx.dtype(x))});
}

ValueId root(NodeContext& ctx, ValueId s, int64_t p) {
  if (p == 2) return ctx.op1("sqrt", {s});
  if (p == 1) return s;
  return ctx.op1("pow", {s, ctx.scalar(1.0 / static_cast<double>(p), ctx.dtype(s))});
}

int64_t lp_order(const NodeContext& ctx) {
  const int64_t p = ctx.attr_int("p", 2);
  if (p < 1) ctx.fail_here(str_cat("p ", p, " must be >= 1"));
  return p;
}

// LpPool: (sum over each window of |x|^p)^(1/p). The window sums are a depthwise convolution
// with a kernel of ones, which pads with zeros, strides, dilates and auto-pads as LpPool does.
void convert_lp_pool(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t p = lp_order(ctx);
  const Ints kernel = ctx.required_ints("kernel_shape");
  const int64_t rank = ctx.known_rank(x, "X");
  if (static_cast<int64_t>(kernel.size()) != rank - 2) {
    ctx.fail_here(str_cat("kernel_shape ", kernel, " needs one value per spatial axis of X (rank ",
                          rank, ")"));
  }
  const int64_t channels = ctx.static_dim(x, 1);
  if (channels < 0) ctx.fail_here("the channel count of X must be known when the model loads");
  Attrs attrs = window_attrs(ctx, {"strides", "pads", "dilations"});
  const size_t spatial = kernel.size();
  // ceil_mode (opset 18) keeps a last partial window: pad the ends with zeros until it is whole.
  if (ctx.attr_int("ceil_mode", 0) != 0 && attrs.s("auto_pad") == "NOTSET") {
    Ints in_shape;
    if (!static_shape(ctx, x, &in_shape)) {
      ctx.fail_here("ceil_mode needs the spatial sizes of X when the model loads");
    }
    Ints pads = ctx.attr_ints("pads", Ints(2 * spatial, 0));
    const Ints strides = ctx.attr_ints("strides", Ints(spatial, 1));
    const Ints dilations = ctx.attr_ints("dilations", Ints(spatial, 1));
    if (pads.size() != 2 * spatial || strides.size() != spatial || dilations.size() != spatial) {
      ctx.fail_here("pads, strides and dilations need one value per spatial axis (pads two)");
    }
    for (size_t d = 0; d < spatial; ++d) {
      const int64_t padded = in_shape[d + 2] + pads[d] + pads[d + spatial];
      const int64_t extent = dilations[d] * (kernel[d] - 1) + 1;
      const int64_t room = padded - extent;
      if (room < 0) continue;  // the engine reports the kernel that does not fit
      int64_t out = (room + strides[d] - 1) / strides[d] + 1;
      // As the other pools: a last window must start inside the input or its begin padding.
      if ((out - 1) * strides[d] >= in_shape[d + 2] + pads[d]) --out;
      const int64_t need = (out - 1) * strides[d] + extent - padded;
      if (need > 0) pads[d + spatial] += need;
    }
    attrs.set("pads", pads);
  }
  attrs.set("group", channels);
  Shape w_shape = {channels, 1};
  w_shape.insert(w_shape.end(), kernel.begin(), kernel.end());
  const DType dtype = ctx.dtype(x);
  const ValueId ones = ctx.op1("expand", {ctx.scalar(1.0, dtype)},
                               {{"shape", Ints(w_shape.begin(), w_shape.end())}});
  const ValueId sums = ctx.op1("conv", {abs_pow(ctx, x, p), ones, kNoValue}, attrs);
  ctx.set_outputs({root(ctx, sums, p)});
}

void convert_global_lp_pool(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t p = lp_order(ctx);
  const int64_t rank = ctx.known_rank(x, "X");
  if (rank < 3) ctx.fail_here("X must be [N, C, D1, ...] with a spatial axis");
  const Ints axes = axes_from(2, rank);
  const ValueId s = ctx.op1("sum", {abs_pow(ctx, x, p)}, reduce_keep(axes));
  ctx.set_outputs({root(ctx, s, p)});
}

// --- normalization

// (x - mean) * rsqrt(var + epsilon) over `axes` (biased variance), with mean and inv_std kept.
struct Standardized {
  ValueId y, mean, inv_std;
};
Standardized standardize(NodeContext& ctx, ValueId x, const Ints& axes, double epsilon) {
  const ValueId mean = ctx.op1("mean", {x}, reduce_keep(axes));
  const ValueId d = ctx.op1("sub", {x, mean});
  const ValueId var = ctx.op1("mean", {ctx.op1("square", {d})}, reduce_keep(axes));
  const ValueId inv_std =
      ctx.op1("rsqrt", {ctx.op1("add", {var, ctx.scalar(epsilon, ctx.dtype(var))})});
  return {ctx.op1("mul", {d, inv_std}), mean, inv_std};
}

// Training mode (opset 14's training_mode=1; before 14, asking for the running statistics):
// normalizes with the batch's own mean and (population) variance over every axis but the
// channel's, and outputs the running statistics updated by momentum.
void convert_batch_norm_training(NodeContext& ctx, const std::vector<ValueId>& params,
                                 double epsilon) {
  if (ctx.wants_output(3) || ctx.wants_output(4)) {
    ctx.fail_here(
        "outputs 3 and 4 (saved_mean, saved_var) of opsets before 14 are not "
        "supported; the running mean and variance (outputs 1, 2) are");
  }
  const ValueId x = ctx.input(0);
  const int64_t rank = ctx.known_rank(x, "X");
  if (rank < 2) ctx.fail_here(str_cat("X must be [N, C, ...], got rank ", rank));
  Ints axes{0};
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  const Attrs over_batch{{"axes", axes}, {"keepdims", int64_t{0}}};
  const ValueId mean = ctx.op1("mean", {x}, over_batch);
  Attrs population = over_batch;
  population.set("correction", int64_t{0});
  const ValueId var = ctx.op1("var", {x}, population);
  const ValueId y =
      ctx.op1("batch_norm", {x, params[0], params[1], mean, var}, {{"epsilon", epsilon}});
  // running = input * momentum + batch * (1 - momentum), in the statistics' own dtype.
  const double momentum = ctx.attr_float("momentum", 0.9);
  auto running = [&](size_t input, ValueId batch) {
    const DType dtype = ctx.dtype(ctx.input(input));
    const ValueId kept = ctx.op1("mul", {ctx.input(input), ctx.scalar(momentum, dtype)});
    const ValueId added =
        ctx.op1("mul", {ctx.cast(batch, dtype), ctx.scalar(1.0 - momentum, dtype)});
    return ctx.op1("add", {kept, added});
  };
  ctx.set_outputs({y, running(3, mean), running(4, var)});
}

void convert_batch_norm(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const DType dtype = ctx.dtype(x);
  // From opset 15 the statistics may have another float type than X.
  std::vector<ValueId> params;
  for (size_t i = 1; i <= 4; ++i)
    params.push_back(ctx.cast(ctx.input(i), dtype));
  const double epsilon = ctx.attr_float("epsilon", 1e-5);
  const bool training = ctx.opset() >= 14 ? ctx.attr_int("training_mode", 0) != 0
                                          : ctx.wants_output(1) || ctx.wants_output(2) ||
                                                ctx.wants_output(3) || ctx.wants_output(4);
  if (training) {
    convert_batch_norm_training(ctx, params, epsilon);
    return;
  }
  for (size_t o = 1; o < ctx.node().outputs.size(); ++o) {
    if (ctx.wants_output(o)) {
      ctx.fail_here("output " + std::to_string(o) + " ('" + ctx.node().outputs[o] +
                    "') is a training statistic, output only when training_mode=1");
    }
  }
  // Opset 7's spatial=0 keeps statistics per channel and position: [C, D1, ...].
  if (ctx.opset() < 9 && ctx.attr_int("spatial", 1) == 0) {
    const ValueId inv_std =
        ctx.op1("rsqrt", {ctx.op1("add", {params[3], ctx.scalar(epsilon, dtype)})});
    const ValueId gain = ctx.op1("mul", {params[0], inv_std});
    const ValueId centered = ctx.op1("sub", {x, params[2]});
    ctx.set_outputs({ctx.op1("add", {ctx.op1("mul", {centered, gain}), params[1]})});
    return;
  }
  ctx.set_outputs({ctx.op1("batch_norm", {x, params[0], params[1], params[2], params[3]},
                           {{"epsilon", epsilon}})});
}

void convert_instance_norm(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1("instance_norm", {ctx.input(0), ctx.input(1), ctx.input(2)},
                           {{"epsilon", ctx.attr_float("epsilon", 1e-5)}})});
}

// The engine dtype of a stash_type attribute (float32 or float16 here).
DType stash_dtype(const NodeContext& ctx) {
  const int64_t stash = ctx.attr_int("stash_type", 1);
  if (stash == static_cast<int64_t>(ElemType::Float)) return DType::Float32;
  if (stash == static_cast<int64_t>(ElemType::Float16)) return DType::Float16;
  ctx.fail_here(str_cat("stash_type ", stash, " (", elem_type_name(static_cast<int32_t>(stash)),
                        ") is not supported; wgml computes statistics in float32 or float16"));
}

void convert_layer_norm(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const double epsilon = ctx.attr_float("epsilon", 1e-5);
  const int64_t axis = ctx.attr_int("axis", -1);
  const DType stash = stash_dtype(ctx);
  if (!ctx.wants_output(1) && !ctx.wants_output(2)) {
    // The engine computes in float32 whatever X is, at least stash_type's precision.
    ctx.set_outputs({ctx.op1("layer_norm", {x, ctx.input(1), ctx.optional_input(2)},
                             {{"axis", axis}, {"epsilon", epsilon}})});
    return;
  }
  // Mean and InvStdDev wanted: the stages spelled out, the first in float32.
  const int64_t rank = ctx.known_rank(x, "X");
  const int64_t first = axis < 0 ? axis + rank : axis;
  if (first < 0 || first >= rank) ctx.fail_here(str_cat("axis ", axis, " is out of range for X"));
  const DType dtype = ctx.dtype(x);
  const Standardized s =
      standardize(ctx, ctx.cast(x, DType::Float32), axes_from(first, rank), epsilon);
  ValueId y = ctx.op1("mul", {ctx.cast(s.y, dtype), ctx.input(1)});
  if (ctx.has_input(2)) y = ctx.op1("add", {y, ctx.input(2)});
  ctx.set_outputs({y, ctx.cast(s.mean, stash), ctx.cast(s.inv_std, stash)});
}

void convert_group_norm(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t groups = ctx.required_int("num_groups");
  const double epsilon = ctx.attr_float("epsilon", 1e-5);
  stash_dtype(ctx);  // validates stash_type (21); the statistics are computed in float32
  if (ctx.opset() >= 21) {
    ctx.set_outputs({ctx.op1("group_norm", {x, ctx.input(1), ctx.input(2)},
                             {{"num_groups", groups}, {"epsilon", epsilon}})});
    return;
  }
  // Opset 18: scale and bias hold one value per group, applied to the grouped [N, G, rest];
  // the statistics in float32 as the engine's norms compute them.
  if (groups <= 0) ctx.fail_here(str_cat("num_groups ", groups, " must be positive"));
  const ValueId grouped = ctx.op1("reshape", {ctx.cast(x, DType::Float32)},
                                  {{"shape", Ints{0, groups, -1}}, {"allowzero", int64_t{0}}});
  const ValueId y = ctx.cast(standardize(ctx, grouped, {2}, epsilon).y, ctx.dtype(x));
  const Attrs column = {{"shape", Ints{groups, 1}}};
  const ValueId scaled = ctx.op1("mul", {y, ctx.op1("reshape", {ctx.input(1)}, column)});
  const ValueId shifted = ctx.op1("add", {scaled, ctx.op1("reshape", {ctx.input(2)}, column)});
  ctx.set_outputs({reshape_like(ctx, shifted, x)});
}

// MeanVarianceNormalization: (X - E[X]) / (sqrt(Var[X]) + 1e-9) over `axes` (the spec's function
// body adds its epsilon to the standard deviation).
void convert_mvn(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const Ints axes = ctx.attr_ints("axes", Ints{0, 2, 3});
  const ValueId mean = ctx.op1("mean", {x}, reduce_keep(axes));
  const ValueId d = ctx.op1("sub", {x, mean});
  const ValueId std_dev =
      ctx.op1("sqrt", {ctx.op1("mean", {ctx.op1("square", {d})}, reduce_keep(axes))});
  const ValueId denom = ctx.op1("add", {std_dev, ctx.scalar(1e-9, ctx.dtype(x))});
  ctx.set_outputs({ctx.op1("div", {d, denom})});
}

// LRN: x / (bias + alpha / size * square_sum)^beta, the square sum running over `size`
// neighbouring channels. It is an average pool of x^2 over the channel axis (seen as the first
// spatial axis of [N, 1, C, D...]) with zero padding counted, times size.
void convert_lrn(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t size = ctx.required_int("size");
  if (size < 1) ctx.fail_here(str_cat("size ", size, " must be >= 1"));
  const double alpha = ctx.attr_float("alpha", 1e-4);
  const double beta = ctx.attr_float("beta", 0.75);
  const double bias = ctx.attr_float("bias", 1.0);
  const int64_t rank = ctx.known_rank(x, "X");
  if (rank < 3) ctx.fail_here("X must be [N, C, D1, ...]");
  const DType dtype = ctx.dtype(x);
  const size_t spatial = static_cast<size_t>(rank - 1);  // C and D1... in the [N, 1, ...] view
  Ints kernel(spatial, 1), pads(2 * spatial, 0);
  kernel[0] = size;
  pads[0] = (size - 1) / 2;
  pads[spatial] = size - 1 - pads[0];
  const ValueId sq = ctx.op1("unsqueeze", {ctx.op1("square", {x})}, {{"axes", Ints{1}}});
  const ValueId avg =
      ctx.op1("avg_pool", {sq},
              {{"kernel_shape", kernel}, {"pads", pads}, {"count_include_pad", int64_t{1}}});
  const ValueId mean_sq = ctx.op1("squeeze", {avg}, {{"axes", Ints{1}}});
  // alpha / size * square_sum = alpha * mean_sq.
  const ValueId base = ctx.op1(
      "add", {ctx.op1("mul", {mean_sq, ctx.scalar(alpha, dtype)}), ctx.scalar(bias, dtype)});
  const ValueId scale = ctx.op1("pow", {base, ctx.scalar(-beta, dtype)});
  ctx.set_outputs({ctx.op1("mul", {x, scale})});
}

// --- softmax family

using AlongAxis = ValueId (*)(NodeContext&, ValueId, int64_t axis);

ValueId softmax_along(NodeContext& ctx, ValueId x, int64_t axis) {
  return ctx.op1("softmax", {x}, {{"axis", axis}});
}

ValueId log_softmax_along(NodeContext& ctx, ValueId x, int64_t axis) {
  return ctx.op1("log_softmax", {x}, {{"axis", axis}});
}

// 1 at the first maximum along the axis, 0 elsewhere.
ValueId hardmax_along(NodeContext& ctx, ValueId x, int64_t axis) {
  const int64_t depth = ctx.static_dim(x, axis);
  const DType dtype = ctx.dtype(x);
  if (depth >= 0) {
    const ValueId index = ctx.op1("argmax", {x}, {{"axis", axis}, {"keepdims", int64_t{0}}});
    return ctx.op1("one_hot", {index},
                   {{"depth", depth}, {"axis", axis}, {"dtype", std::string(dtype_name(dtype))}});
  }
  // A dynamic axis: mark the maxima, then keep the first, where the running count is one.
  const ValueId is_max = ctx.op1("equal", {x, ctx.op1("max", {x}, reduce_keep({axis}))});
  const ValueId count = ctx.op1("cumsum", {ctx.cast(is_max, DType::Int32)}, {{"axis", axis}});
  const ValueId first =
      ctx.op1("logical_and", {is_max, ctx.op1("equal", {count, ctx.scalar(1, DType::Int32)})});
  return ctx.cast(first, dtype);
}

// Before opset 13 these ops see X as 2-D [d0 * ... * d(axis-1), d(axis) * ... * d(n-1)] and
// normalize each row; from 13 they work along one axis.
void convert_softmax_family(NodeContext& ctx, AlongAxis along) {
  const ValueId x = ctx.input(0);
  if (ctx.opset() >= 13) {
    const int64_t axis = ctx.attr_int("axis", -1);
    const int64_t rank = ctx.rank(x);  // unknown: the engine op resolves a negative axis
    ctx.set_outputs({along(ctx, x, rank >= 0 ? normalize(ctx, axis, rank, "axis") : axis)});
    return;
  }
  const int64_t axis = ctx.attr_int("axis", 1);
  const int64_t rank = ctx.rank(x);
  int64_t first = axis;
  if (rank >= 0) {
    first = axis < 0 ? axis + rank : axis;
    if (first < 0 || first > rank) ctx.fail_here(str_cat("axis ", axis, " is out of range"));
    // The rows are exactly the last axis: no reshape needed.
    if (first == rank - 1) {
      ctx.set_outputs({along(ctx, x, rank - 1)});
      return;
    }
  }
  const ValueId flat = ctx.op1("flatten", {x}, {{"axis", first}});
  ctx.set_outputs({reshape_like(ctx, along(ctx, flat, 1), x)});
}

// --- linear algebra

// Det of [..., n, n] for n up to 3, by the closed forms (cofactor expansion); larger matrices
// would need a pivoting elimination, which no engine op offers.
void convert_det(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t rank = ctx.known_rank(x, "X");
  if (rank < 2) ctx.fail_here(str_cat("X must be [..., n, n], got rank ", rank));
  const int64_t n = ctx.static_dim(x, rank - 1);
  if (n < 0 || ctx.static_dim(x, rank - 2) != n) {
    ctx.fail_here("X must end in square [n, n] matrices whose size is known when the model loads");
  }
  if (n > 3) ctx.fail_here(str_cat("matrices of size ", n, " are not supported (at most 3)"));
  auto at = [&](int64_t i, int64_t j) {  // element (i, j) of every matrix: [...]
    auto pick = [&](ValueId v, int64_t index) {
      return ctx.op1("gather", {v, ctx.scalar(static_cast<double>(index), DType::Int64)},
                     {{"axis", rank - 2}});
    };
    return pick(pick(x, i), j);
  };
  auto mul = [&](ValueId a, ValueId b) { return ctx.op1("mul", {a, b}); };
  auto minor2 = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    return ctx.op1("sub", {mul(at(r0, c0), at(r1, c1)), mul(at(r0, c1), at(r1, c0))});
  };
  if (n == 1) {
    ctx.set_outputs({at(0, 0)});
  } else if (n == 2) {
    ctx.set_outputs({minor2(0, 1, 0, 1)});
  } else {
    const ValueId expansion = ctx.op1(
        "add",
        {ctx.op1("sub", {mul(at(0, 0), minor2(1, 2, 1, 2)), mul(at(0, 1), minor2(1, 2, 0, 2))}),
         mul(at(0, 2), minor2(1, 2, 0, 1))});
    ctx.set_outputs({expansion});
  }
}

void convert_matmul(NodeContext& ctx) {
  const ValueId fused = dequant_matmul(ctx, ctx.input(0), ctx.input(1), false);
  if (fused != kNoValue) return ctx.set_outputs({fused});
  ctx.set_outputs({ctx.op1("matmul", {ctx.input(0), ctx.input(1)})});
}

// A quantized B read in place: matmul_dequant, then Gemm's alpha * . + beta * C.
ValueId dequant_gemm(NodeContext& ctx) {
  if (ctx.attr_int("transA", 0) != 0) return kNoValue;
  ValueId y = dequant_matmul(ctx, ctx.input(0), ctx.input(1), ctx.attr_int("transB", 0) != 0);
  if (y == kNoValue) return kNoValue;
  const DType type = ctx.dtype(y);
  const double alpha = ctx.attr_float("alpha", 1.0), beta = ctx.attr_float("beta", 1.0);
  if (alpha != 1) y = ctx.op1("mul", {y, ctx.scalar(alpha, type)});
  if (ctx.has_input(2) && beta != 0) {
    const ValueId c = ctx.input(2);
    y = ctx.op1("add", {y, beta == 1 ? c : ctx.op1("mul", {c, ctx.scalar(beta, type)})});
  }
  return y;
}

void convert_gemm(NodeContext& ctx) {
  const ValueId fused = dequant_gemm(ctx);
  if (fused != kNoValue) return ctx.set_outputs({fused});
  const Attrs attrs = {{"alpha", ctx.attr_float("alpha", 1.0)},
                       {"beta", ctx.attr_float("beta", 1.0)},
                       {"transA", ctx.attr_int("transA", 0)},
                       {"transB", ctx.attr_int("transB", 0)}};
  ctx.set_outputs({ctx.op1("gemm", {ctx.input(0), ctx.input(1), ctx.optional_input(2)}, attrs)});
}

// GridSample-16 (4-D, modes bilinear / nearest / bicubic) and -20 (any spatial rank, modes
// linear / nearest / cubic). wgml takes either spelling and any rank at every opset: a superset
// of both forms, since the op table's grid_sample is rank-generic.
void convert_grid_sample(NodeContext& ctx) {
  const std::string given = ctx.attr_string("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
  const std::map<std::string, std::string> modes = {{"bilinear", "linear"},
                                                    {"linear", "linear"},
                                                    {"nearest", "nearest"},
                                                    {"bicubic", "cubic"},
                                                    {"cubic", "cubic"}};
  const auto mode = modes.find(given);
  if (mode == modes.end())
    ctx.fail_here("unknown mode '" + given + "'; expected linear (bilinear), nearest or cubic " +
                  "(bicubic)");
  const Attrs attrs{{"mode", mode->second},
                    {"padding_mode", ctx.attr_string("padding_mode", "zeros")},
                    {"align_corners", ctx.attr_int("align_corners", 0)}};
  ctx.set_outputs({ctx.op1("grid_sample", {ctx.input(0), ctx.input(1)}, attrs)});
}

// RoiAlign-10 (output_half_pixel coordinates) and -16 (coordinate_transformation_mode, default
// half_pixel).
void convert_roi_align(NodeContext& ctx) {
  const Attrs attrs{
      {"mode", ctx.attr_string("mode", "avg")},
      {"coordinate_transformation_mode",
       ctx.opset() >= 16 ? ctx.attr_string("coordinate_transformation_mode", "half_pixel")
                         : std::string("output_half_pixel")},
      {"output_height", ctx.attr_int("output_height", 1)},
      {"output_width", ctx.attr_int("output_width", 1)},
      {"sampling_ratio", ctx.attr_int("sampling_ratio", 0)},
      {"spatial_scale", ctx.attr_float("spatial_scale", 1.0)}};
  ctx.set_outputs({ctx.op1("roi_align", {ctx.input(0), ctx.input(1), ctx.input(2)}, attrs)});
}

}  // namespace

void register_nn_converters(ConverterTable& t) {
  t.add("Conv", convert_conv);
  t.add("ConvTranspose", convert_conv_transpose);
  t.add("MaxPool", convert_max_pool);
  t.add("AveragePool", convert_average_pool);
  t.add("MaxUnpool", convert_max_unpool, 9);
  t.add("GlobalAveragePool",
        [](NodeContext& ctx) { ctx.set_outputs({ctx.op1("global_avg_pool", {ctx.input(0)})}); });
  t.add("GlobalMaxPool",
        [](NodeContext& ctx) { ctx.set_outputs({ctx.op1("global_max_pool", {ctx.input(0)})}); });
  t.add("LpPool", convert_lp_pool);
  t.add("GlobalLpPool", convert_global_lp_pool);
  t.add("BatchNormalization", convert_batch_norm);
  t.add("InstanceNormalization", convert_instance_norm);
  t.add("LayerNormalization", convert_layer_norm, 17);
  t.add("GroupNormalization", convert_group_norm, 18);
  t.add("MeanVarianceNormalization", convert_mvn);
  t.add("LRN", convert_lrn);
  t.add("Softmax", [](NodeContext& ctx) { convert_softmax_family(ctx, softmax_along); });
  t.add("LogSoftmax", [](NodeContext& ctx) { convert_softmax_family(ctx, log_softmax_along); });
  t.add("Hardmax", [](NodeContext& ctx) { convert_softmax_family(ctx, hardmax_along); });
  t.add("MatMul", convert_matmul);
  t.add("Gemm", convert_gemm);
  t.add("Det", convert_det, 11);
  t.add("GridSample", convert_grid_sample, 16);
  t.add("RoiAlign", convert_roi_align, 10);
  register_quantized_converters(t);
  register_rnn_converters(t);
  register_loss_converters(t);
}

}  // namespace wgml::onnx
