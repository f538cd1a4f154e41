// ONNX converters for tensor, shape and index ops (Constant, Shape, Reshape, Slice, Gather,
// Pad, Resize, ...), for every opset from 7 to 21. Each converter reads the node's attributes with
// the defaults of the model's opset and emits op-table ops; ops the engine lacks are composed from
// ones it has (GatherND from gather, ScatterElements from scatter_nd, DepthToSpace from reshape and
// permute, ...).
//
// Inputs that ONNX passes as tensors but the engine takes as attributes (Reshape's shape, Slice's
// starts, TopK's k, ...) go through `attr_inputs`: the GraphBuilder folds them into attributes when
// they are known at load time, and the executor reads them from Host values otherwise.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

using AttrInputs = std::map<std::string, ValueId>;

std::string dtype_attr(DType dtype) {
  return std::string(dtype_name(dtype));
}

// --- shapes known at load time

std::optional<Shape> static_shape(const NodeContext& ctx, ValueId v) {
  const graph::SymShape* shape = ctx.shape(v);
  if (shape == nullptr) return std::nullopt;
  Shape out;
  for (const graph::SymDim& d : *shape) {
    if (!d.is_static()) return std::nullopt;
    out.push_back(d.value);
  }
  return out;
}

// The rank of input `input`, or an error naming it and saying why it is needed.
int64_t known_rank(NodeContext& ctx, size_t input, const std::string& why) {
  const int64_t rank = ctx.rank(ctx.input(input));
  if (rank < 0)
    ctx.fail_here("the rank of input '" + ctx.node().inputs.at(input) +
                  "' must be known when the model loads " + why);
  return rank;
}

int64_t normalize_axis_here(NodeContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    ctx.fail_here(str_cat("axis ", axis, " is out of range for rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

// The static shape of input `input`, or an error naming it and saying why it is needed.
Shape require_static_shape(NodeContext& ctx, size_t input, const std::string& why) {
  const ValueId v = ctx.input(input);
  std::optional<Shape> shape = static_shape(ctx, v);
  if (!shape) {
    const graph::SymShape* sym = ctx.shape(v);
    ctx.fail_here("needs the static shape of input '" + ctx.node().inputs.at(input) + "' " + why +
                  ", got " + (sym ? graph::sym_shape_str(*sym) : std::string("an unknown shape")));
  }
  return *shape;
}

// --- small constants and helpers

ValueId int64_values(NodeContext& ctx, const Ints& values, const Shape& shape) {
  return ctx.constant_value(Tensor::from_vector(values, shape, DType::Int64));
}

ValueId int64_vector(NodeContext& ctx, const Ints& values) {
  return int64_values(ctx, values, {static_cast<int64_t>(values.size())});
}

// Dim `axis` of v as a [1] int64 value (a constant when static, Host shape arithmetic otherwise).
ValueId dim_value(NodeContext& ctx, ValueId v, int64_t axis) {
  return ctx.shape_of(v, axis, axis + 1);
}

// 0, 1, ..., n-1 (int64) where n is dim `axis` of v: a constant when static.
ValueId index_range(NodeContext& ctx, ValueId v, int64_t axis) {
  const int64_t n = ctx.static_dim(v, axis);
  if (n >= 0) {
    Ints values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      values[static_cast<size_t>(i)] = i;
    return int64_vector(ctx, values);
  }
  return ctx.op1("arange", {}, {{"dtype", std::string("int64")}},
                 {{"limit", dim_value(ctx, v, axis)}});
}

// One entry of a reshape target: a fixed size, or the product of dims `axes` of a value (the
// reshape's default source when `source` is kNoValue) times mul / div.
struct TargetDim {
  int64_t size = -1;
  ValueId source = graph::kNoValue;
  Ints axes;
  int64_t mul = 1, div = 1;
};
TargetDim fixed(int64_t size) {
  return {size, graph::kNoValue, {}, 1, 1};
}
TargetDim from_dim(int64_t axis, int64_t mul = 1, int64_t div = 1) {
  return {-1, graph::kNoValue, {axis}, mul, div};
}
TargetDim product_of(ValueId source, const Ints& axes) {
  return {-1, source, axes, 1, 1};
}

// Reshapes x to `target`, whose dims refer to the dims of `source` (or their own). Static sizes
// become a plain attribute; otherwise the target is computed from the shapes at run time.
ValueId reshape_by(NodeContext& ctx, ValueId x, ValueId source,
                   const std::vector<TargetDim>& target) {
  Ints sizes;
  bool all_static = true;
  for (const TargetDim& t : target) {
    int64_t size = t.size;
    if (size < 0) {
      size = 1;
      for (int64_t axis : t.axes) {
        const int64_t d = ctx.static_dim(t.source == graph::kNoValue ? source : t.source, axis);
        all_static = all_static && d >= 0;
        size = checked_mul(size, d, ctx.source(), ": the target shape's size");
      }
      size = checked_mul(size, t.mul, ctx.source(), ": the target shape's size") / t.div;
    }
    sizes.push_back(size);
  }
  const Attrs attrs{{"allowzero", int64_t{1}}};
  if (all_static) {
    Attrs with_shape = attrs;
    with_shape.set("shape", sizes);
    return ctx.op1("reshape", {x}, with_shape);
  }
  std::vector<ValueId> parts;
  for (const TargetDim& t : target) {
    ValueId d = int64_vector(ctx, {t.size >= 0 ? t.size : 1});
    for (int64_t axis : t.axes) {
      const ValueId dim = dim_value(ctx, t.source == graph::kNoValue ? source : t.source, axis);
      d = t.size < 0 && axis == t.axes.front() ? dim : ctx.op1("mul", {d, dim});
    }
    if (t.mul != 1) d = ctx.op1("mul", {d, int64_vector(ctx, {t.mul})});
    if (t.div != 1) d = ctx.op1("div", {d, int64_vector(ctx, {t.div})});
    parts.push_back(d);
  }
  const ValueId shape = ctx.op1("concat", parts, {{"axis", int64_t{0}}});
  return ctx.op1("reshape", {x}, attrs, {{"shape", shape}});
}

// Maps negative indices into [0, size): where(i < 0, i + size, i). `size` is broadcastable.
ValueId wrap_negative(NodeContext& ctx, ValueId indices, ValueId size) {
  const ValueId negative = ctx.op1("less", {indices, ctx.scalar(0, ctx.dtype(indices))});
  return ctx.op1("where", {negative, ctx.op1("add", {indices, size}), indices});
}

// An input that holds no elements (ONNX's way to leave Resize's roi/scales out before opset 13).
bool is_empty_input(const NodeContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return true;
  if (const Tensor* t = ctx.constant(i)) return t->numel() == 0;
  const graph::SymShape* shape = ctx.shape(ctx.input(i));
  return shape != nullptr && shape->size() == 1 && (*shape)[0].is_static() &&
         (*shape)[0].value == 0;
}

// --- Constant, Shape, Size

void convert_constant(NodeContext& ctx) {
  Tensor value;
  if (ctx.has_attr("value")) {
    value = ctx.attr_tensor("value");
  } else if (ctx.has_attr("value_float")) {
    value = Tensor::from_vector(
        std::vector<float>{static_cast<float>(ctx.attr_float("value_float", 0))}, {},
        DType::Float32);
  } else if (ctx.has_attr("value_floats")) {
    const Floats f = ctx.attr_floats("value_floats");
    value = Tensor::from_vector(std::vector<float>(f.begin(), f.end()),
                                {static_cast<int64_t>(f.size())}, DType::Float32);
  } else if (ctx.has_attr("value_int")) {
    value = Tensor::from_vector(Ints{ctx.attr_int("value_int", 0)}, {}, DType::Int64);
  } else if (ctx.has_attr("value_ints")) {
    const Ints v = ctx.attr_ints("value_ints");
    value = Tensor::from_vector(v, {static_cast<int64_t>(v.size())}, DType::Int64);
  } else if (ctx.has_attr("sparse_value")) {
    ctx.fail_here("sparse_value constants are not supported");
  } else if (ctx.has_attr("value_string") || ctx.has_attr("value_strings")) {
    ctx.fail_here("string constants are not supported (wgml has no string dtype)");
  } else {
    ctx.fail_here("has none of the attributes value, value_float(s) or value_int(s)");
  }
  ctx.set_outputs({ctx.constant_value(value)});
}

void convert_shape(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  int64_t start = 0;
  std::optional<int64_t> end;
  if (ctx.opset() >= 15) {
    start = ctx.attr_int("start", 0);
    if (ctx.has_attr("end")) end = ctx.attr_int("end", 0);
  }
  ctx.set_outputs({ctx.shape_of(x, start, end)});  // the shape op clamps as Shape-15 says
}

void convert_size(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1(graph::kShapeOp, {ctx.input(0)}, {{"numel", int64_t{1}}})});
}

// --- views: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand

void convert_reshape(NodeContext& ctx) {
  // Reshape-5..13: a 0 copies the input's dim; Reshape-14 allowzero=1 makes it a real 0. The
  // engine's default is PyTorch's (allowzero=1), so the ONNX meaning is always passed.
  const int64_t allowzero = ctx.opset() >= 14 ? ctx.attr_int("allowzero", 0) : 0;
  ctx.set_outputs(
      {ctx.op1("reshape", {ctx.input(0)}, {{"allowzero", allowzero}}, {{"shape", ctx.input(1)}})});
}

void convert_flatten(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t axis = ctx.attr_int("axis", 1);
  if (std::optional<Shape> shape = static_shape(ctx, x)) {
    // Spelled out so an empty outer part still gives [0, inner] (the engine's flatten gives 0).
    const auto rank = static_cast<int64_t>(shape->size());
    if (axis < -rank || axis > rank)
      ctx.fail_here(str_cat("axis ", axis, " is out of range for rank ", rank));
    const int64_t split = axis < 0 ? axis + rank : axis;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < split ? outer : inner) *= (*shape)[static_cast<size_t>(d)];
    ctx.set_outputs({ctx.op1("reshape", {x}, {{"shape", Ints{outer, inner}}})});
    return;
  }
  ctx.set_outputs({ctx.op1("flatten", {x}, {{"axis", axis}})});
}

// Axes as an attribute before opset 13 and as input 1 from then on.
void axes_attr_or_input(NodeContext& ctx, int64_t input_from_opset, Attrs& attrs,
                        AttrInputs& dynamic) {
  if (ctx.opset() < input_from_opset) {
    if (ctx.has_attr("axes")) attrs.set("axes", ctx.attr_ints("axes"));
  } else if (ctx.has_input(1)) {
    dynamic["axes"] = ctx.input(1);
  }
}

void convert_squeeze(NodeContext& ctx) {
  Attrs attrs;
  AttrInputs dynamic;
  axes_attr_or_input(ctx, 13, attrs, dynamic);
  ctx.set_outputs({ctx.op1("squeeze", {ctx.input(0)}, attrs, dynamic)});
}

void convert_unsqueeze(NodeContext& ctx) {
  Attrs attrs;
  AttrInputs dynamic;
  axes_attr_or_input(ctx, 13, attrs, dynamic);
  if (!attrs.has("axes") && dynamic.empty()) ctx.fail_here("axes are required");
  ctx.set_outputs({ctx.op1("unsqueeze", {ctx.input(0)}, attrs, dynamic)});
}

void convert_transpose(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  Ints perm = ctx.attr_ints("perm");
  if (!ctx.has_attr("perm")) {
    const int64_t rank = known_rank(ctx, 0, "to reverse its axes (no perm)");
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  }
  ctx.set_outputs({ctx.op1("permute", {x}, {{"perm", perm}})});
}

// Expand broadcasts both ways: the output is broadcast(input shape, shape), as the engine's
// expand does.
void convert_expand(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1("expand", {ctx.input(0)}, {}, {{"shape", ctx.input(1)}})});
}

// --- Concat, Split, Slice, Tile

void convert_concat(NodeContext& ctx) {
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    inputs.push_back(ctx.input(i));
  ctx.set_outputs({ctx.op1("concat", inputs, {{"axis", ctx.required_int("axis")}})});
}

void convert_split(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const auto outputs = static_cast<int64_t>(ctx.node().outputs.size());
  const int64_t rank = known_rank(ctx, 0, "to split it");
  const int64_t axis = normalize_axis_here(ctx, ctx.attr_int("axis", 0), rank);
  const Attrs split_attrs{{"axis", axis}};

  // Explicit sizes: an attribute before opset 13, input 1 from then on.
  std::optional<ValueId> sizes_input;
  if (ctx.opset() < 13 && ctx.has_attr("split")) {
    const Ints sizes = ctx.attr_ints("split");
    if (static_cast<int64_t>(sizes.size()) != outputs)
      ctx.fail_here(
          str_cat("split ", sizes, " has ", sizes.size(), " sizes for ", outputs, " outputs"));
    Attrs attrs = split_attrs;
    attrs.set("sizes", sizes);
    ctx.set_outputs(ctx.op("split", {x}, attrs));
    return;
  }
  if (ctx.opset() >= 13 && ctx.has_input(1)) sizes_input = ctx.input(1);

  if (sizes_input) {
    if (ctx.constant(1) != nullptr) {
      const Ints sizes = ctx.constant_ints(1);
      if (static_cast<int64_t>(sizes.size()) != outputs)
        ctx.fail_here(
            str_cat("split ", sizes, " has ", sizes.size(), " sizes for ", outputs, " outputs"));
      Attrs attrs = split_attrs;
      attrs.set("sizes", sizes);
      ctx.set_outputs(ctx.op("split", {x}, attrs));
      return;
    }
    // Sizes known at run time only: one slice per output between running sums of the sizes.
    const ValueId sizes = ctx.cast(*sizes_input, DType::Int64);
    const ValueId ends = ctx.op1("cumsum", {sizes}, {{"axis", int64_t{0}}});
    const ValueId starts =
        ctx.op1("cumsum", {sizes}, {{"axis", int64_t{0}}, {"exclusive", int64_t{1}}});
    std::vector<ValueId> parts;
    for (int64_t i = 0; i < outputs; ++i) {
      const Attrs pick{{"starts", Ints{i}}, {"ends", Ints{i + 1}}};
      parts.push_back(ctx.op1("slice", {x}, {{"axes", Ints{axis}}},
                              {{"starts", ctx.op1("slice", {starts}, pick)},
                               {"ends", ctx.op1("slice", {ends}, pick)}}));
    }
    ctx.set_outputs(parts);
    return;
  }

  // Equal parts: Split-18's num_outputs, else one per output. Chunks of ceil(dim / n); the last
  // one is smaller when the dim does not divide (Split-18; earlier opsets require it to divide).
  int64_t n = outputs;
  if (ctx.opset() >= 18 && ctx.has_attr("num_outputs")) n = ctx.attr_int("num_outputs", outputs);
  if (n != outputs || n <= 0)
    ctx.fail_here(str_cat("num_outputs ", n, " does not match the ", outputs, " outputs"));
  const int64_t dim = ctx.static_dim(x, axis);
  if (dim >= 0) {
    if (ctx.opset() < 18 && dim % n != 0)
      ctx.fail_here(
          str_cat("axis ", axis, " of size ", dim, " does not split into ", n, " equal parts"));
    const int64_t chunk = (dim + n - 1) / n;
    Ints sizes;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    Attrs attrs = split_attrs;
    attrs.set("sizes", sizes);
    ctx.set_outputs(ctx.op("split", {x}, attrs));
    return;
  }
  // A dynamic dim: slices at multiples of ceil(dim / n); the slice clamps the last end.
  const ValueId d = dim_value(ctx, x, axis);
  const ValueId chunk =
      ctx.op1("div", {ctx.op1("add", {d, int64_vector(ctx, {n - 1})}), int64_vector(ctx, {n})});
  std::vector<ValueId> parts;
  for (int64_t i = 0; i < n; ++i) {
    const ValueId start = ctx.op1("mul", {chunk, int64_vector(ctx, {i})});
    const ValueId end = ctx.op1("mul", {chunk, int64_vector(ctx, {i + 1})});
    parts.push_back(
        ctx.op1("slice", {x}, {{"axes", Ints{axis}}}, {{"starts", start}, {"ends", end}}));
  }
  ctx.set_outputs(parts);
}

// Slice-1: starts/ends/axes attributes; Slice-10: inputs starts, ends, axes, steps. The engine's
// slice clamps out-of-range bounds as ONNX says (INT64_MAX / INT64_MIN included, negative steps
// clamping to [-1, dim-1]).
void convert_slice(NodeContext& ctx) {
  Attrs attrs;
  AttrInputs dynamic;
  if (ctx.opset() < 10) {
    attrs.set("starts", ctx.required_ints("starts"));
    attrs.set("ends", ctx.required_ints("ends"));
    if (ctx.has_attr("axes")) attrs.set("axes", ctx.attr_ints("axes"));
  } else {
    dynamic["starts"] = ctx.input(1);
    dynamic["ends"] = ctx.input(2);
    if (ctx.has_input(3)) dynamic["axes"] = ctx.input(3);
    if (ctx.has_input(4)) dynamic["steps"] = ctx.input(4);
  }
  ctx.set_outputs({ctx.op1("slice", {ctx.input(0)}, attrs, dynamic)});
}

void convert_tile(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1("tile", {ctx.input(0)}, {}, {{"repeats", ctx.input(1)}})});
}

// --- Gather family

void convert_gather(NodeContext& ctx) {
  // A constant scalar index into a static dim picks one slice: a view (exporters split fused
  // QKV projections this way), no kernel. An index out of range is refused here, as the gather
  // kernel would refuse it.
  const Tensor* index = ctx.constant(1);
  const int64_t axis = ctx.attr_int("axis", 0);
  if (index != nullptr && index->rank() == 0 && is_integral(index->dtype())) {
    const int64_t size = ctx.static_dim(ctx.input(0), axis);
    const int64_t rank = ctx.rank(ctx.input(0));
    const int64_t i = ctx.constant_ints(1).at(0);
    if (size >= 0 && rank > 0) {
      if (i < -size || i >= size)
        ctx.fail_here(str_cat("index ", i, " is out of range for axis ", axis, " of size ", size));
      const int64_t at = i < 0 ? i + size : i;
      const int64_t a = axis < 0 ? axis + rank : axis;
      const ValueId one =
          ctx.op1("slice", {ctx.input(0)},
                  {{"starts", Ints{at}}, {"ends", Ints{at + 1}}, {"axes", Ints{a}}});
      ctx.set_outputs({ctx.op1("squeeze", {one}, {{"axes", Ints{a}}})});
      return;
    }
  }
  ctx.set_outputs(
      {ctx.op1("gather", {ctx.input(0), ctx.input(1)}, {{"axis", ctx.attr_int("axis", 0)}})});
}

void convert_gather_elements(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1("gather_elements", {ctx.input(0), ctx.input(1)},
                           {{"axis", ctx.attr_int("axis", 0)}})});
}

// GatherND as one gather over the flattened indexed dims: with b batch dims and k index
// components, data [B..., D1..Dk, R...] becomes [prod(B) * prod(D), R...] and each index tuple
// the row batch * prod(D) + sum(i_j * stride_j). Only data's dims and the tuple length must be
// static; the leading dims of indices may be dynamic.
// GatherND without batch dims over data of any (also dynamic) shape: the k index components
// fold into one row number by Horner's rule over the data's leading dims, and the data becomes a
// table of rows. Shapes come from shape_of, so they are constants when static and Host values
// otherwise.
void gather_nd_rows(NodeContext& ctx, ValueId data, ValueId indices_in, int64_t k) {
  const ValueId dims = ctx.shape_of(data, 0, k);
  const ValueId indices = wrap_negative(ctx, ctx.cast(indices_in, DType::Int64), dims);
  auto component = [&](ValueId v, int64_t j) {
    return ctx.op1("gather", {v, int64_values(ctx, {j}, {})}, {{"axis", int64_t{-1}}});
  };
  ValueId rows = component(indices, 0);
  for (int64_t j = 1; j < k; ++j)
    rows = ctx.op1("add", {ctx.op1("mul", {rows, component(dims, j)}), component(indices, j)});
  // A tuple with any component out of range reads row prod(dims), one past the table, so the
  // gather refuses it (the CPU raises; WebGPU, as for every gather, writes 0) instead of
  // reading a neighbouring row.
  const ValueId outside =
      ctx.op1("logical_or", {ctx.op1("less", {indices, ctx.scalar(0, DType::Int64)}),
                             ctx.op1("greater_equal", {indices, dims})});
  const ValueId any_outside =
      ctx.op1("greater", {ctx.op1("sum", {ctx.cast(outside, DType::Int32)},
                                  {{"axes", Ints{-1}}, {"keepdims", int64_t{0}}}),
                          ctx.scalar(0, DType::Int32)});
  const ValueId rows_total = ctx.op1("prod", {dims}, {{"axes", Ints{0}}, {"keepdims", int64_t{0}}});
  rows = ctx.op1("where", {any_outside, rows_total, rows});
  const ValueId table_shape =
      ctx.op1("concat", {int64_vector(ctx, {-1}), ctx.shape_of(data, k)}, {{"axis", int64_t{0}}});
  const ValueId table = ctx.op1("reshape", {data}, {}, {{"shape", table_shape}});
  ctx.set_outputs({ctx.op1("gather", {table, rows}, {{"axis", int64_t{0}}})});
}

void convert_gather_nd(NodeContext& ctx) {
  const ValueId data = ctx.input(0);
  const ValueId indices_in = ctx.input(1);
  const int64_t b = ctx.opset() >= 12 ? ctx.attr_int("batch_dims", 0) : 0;
  if (b == 0) {
    const int64_t r = ctx.rank(data), q = ctx.rank(indices_in);
    const int64_t k = q >= 1 ? ctx.static_dim(indices_in, q - 1) : -1;
    if (r < 0 || q < 1) ctx.fail_here("needs the ranks of data and indices (indices at least 1)");
    if (k < 1 || k > r)
      ctx.fail_here(str_cat("the last dim of indices (", k < 0 ? "dynamic" : std::to_string(k),
                            ") must be static and in [1, ", r, "] for data of rank ", r));
    gather_nd_rows(ctx, data, indices_in, k);
    return;
  }
  const Shape data_shape = require_static_shape(ctx, 0, "(GatherND with batch_dims flattens it)");
  const auto r = static_cast<int64_t>(data_shape.size());
  const int64_t q = ctx.rank(indices_in);
  if (q < 1) ctx.fail_here("the rank of indices must be known and at least 1");
  if (b < 0 || b >= std::min(r, q))
    ctx.fail_here(str_cat("batch_dims ", b, " must be less than the ranks of data ", data_shape,
                          " and indices (", q, ")"));
  const int64_t k = ctx.static_dim(indices_in, q - 1);
  if (k < 1 || b + k > r)
    ctx.fail_here(str_cat("the last dim of indices (", k < 0 ? "dynamic" : std::to_string(k),
                          ") must be static and in [1, ", r - b, "] for data ", data_shape,
                          " with batch_dims ", b));
  for (int64_t d = 0; d < b; ++d) {
    const int64_t n = ctx.static_dim(indices_in, d);
    if (n >= 0 && n != data_shape[static_cast<size_t>(d)])
      ctx.fail_here(str_cat("batch dim ", d, " of indices is ", n, " but data ", data_shape,
                            " has ", data_shape[static_cast<size_t>(d)]));
  }
  Ints dims, strides(static_cast<size_t>(k));
  int64_t indexed = 1;
  for (int64_t j = k - 1; j >= 0; --j) {
    strides[static_cast<size_t>(j)] = indexed;
    indexed *= data_shape[static_cast<size_t>(b + j)];
  }
  for (int64_t j = 0; j < k; ++j)
    dims.push_back(data_shape[static_cast<size_t>(b + j)]);
  int64_t batch = 1;
  for (int64_t d = 0; d < b; ++d)
    batch *= data_shape[static_cast<size_t>(d)];

  const ValueId indices =
      wrap_negative(ctx, ctx.cast(indices_in, DType::Int64), int64_vector(ctx, dims));
  ValueId rows = ctx.op1("sum", {ctx.op1("mul", {indices, int64_vector(ctx, strides)})},
                         {{"axes", Ints{-1}}, {"keepdims", int64_t{0}}});
  if (b > 0) {
    // Each batch entry starts prod(D) rows further: offsets shaped [B..., 1, ...].
    Ints offsets(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i)
      offsets[static_cast<size_t>(i)] = i * indexed;
    Shape offset_shape(data_shape.begin(), data_shape.begin() + b);
    offset_shape.resize(static_cast<size_t>(q - 1), 1);
    rows = ctx.op1("add", {rows, int64_values(ctx, offsets, offset_shape)});
  }
  Ints flat{batch * indexed};
  flat.insert(flat.end(), data_shape.begin() + b + k, data_shape.end());
  const ValueId table = ctx.op1("reshape", {data}, {{"shape", flat}});
  ctx.set_outputs({ctx.op1("gather", {table, rows}, {{"axis", int64_t{0}}})});
}

void convert_scatter_nd(NodeContext& ctx) {
  const std::string reduction = ctx.opset() >= 16 ? ctx.attr_string("reduction", "none") : "none";
  ctx.set_outputs({ctx.op1("scatter_nd", {ctx.input(0), ctx.input(1), ctx.input(2)},
                           {{"reduction", reduction}})});
}

// ScatterElements (and Scatter-9/10) as scatter_nd: element (i0, .., in) of indices writes data
// at (i0, .., indices[i0..in], .., in), so the ND index tuples are coordinate grids with the
// indices themselves on `axis`.
void convert_scatter_elements(NodeContext& ctx) {
  const ValueId data = ctx.input(0);
  const ValueId indices_in = ctx.input(1);
  const ValueId updates = ctx.input(2);
  const Shape idx_shape = require_static_shape(ctx, 1, "(it builds index tuples)");
  const auto rank = static_cast<int64_t>(idx_shape.size());
  if (rank < 1) ctx.fail_here("indices must have at least one dim");
  const int64_t axis = normalize_axis_here(ctx, ctx.attr_int("axis", 0), rank);
  const std::string reduction = ctx.node().op_type == "ScatterElements" && ctx.opset() >= 16
                                    ? ctx.attr_string("reduction", "none")
                                    : "none";

  Shape tuple_shape = idx_shape;
  tuple_shape.push_back(1);
  const int64_t count = shape_numel(idx_shape);
  std::vector<ValueId> components;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis) {
      const ValueId idx =
          wrap_negative(ctx, ctx.cast(indices_in, DType::Int64), dim_value(ctx, data, axis));
      components.push_back(ctx.op1("unsqueeze", {idx}, {{"axes", Ints{-1}}}));
      continue;
    }
    // The coordinate along d of every element of indices.
    int64_t inner = 1;
    for (int64_t e = d + 1; e < rank; ++e)
      inner *= idx_shape[static_cast<size_t>(e)];
    Ints coords(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      coords[static_cast<size_t>(i)] = (i / inner) % idx_shape[static_cast<size_t>(d)];
    components.push_back(int64_values(ctx, coords, tuple_shape));
  }
  const ValueId tuples = ctx.op1("concat", components, {{"axis", int64_t{-1}}});
  ctx.set_outputs({ctx.op1("scatter_nd", {data, tuples, updates}, {{"reduction", reduction}})});
}

// --- Pad

// Pad mode wrap (Pad-19) per axis: the padded axis reads input (o - begin) mod n, which is a
// slice of the axis tiled often enough. Negative pads crop, as in the other modes.
ValueId pad_wrap(NodeContext& ctx, ValueId x, const Ints& pads) {
  const Shape shape = require_static_shape(ctx, 0, "for wrap padding");
  const size_t rank = shape.size();
  ValueId y = x;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t begin = pads[d], end = pads[d + rank], n = shape[d];
    if (begin == 0 && end == 0) continue;
    const int64_t length = n + begin + end;
    if (length < 0) ctx.fail_here(str_cat("pads ", pads, " crop axis ", d, " below zero"));
    if (n == 0 && length > 0) ctx.fail_here(str_cat("cannot wrap-pad empty axis ", d));
    const int64_t start = n == 0 ? 0 : ((-begin) % n + n) % n;
    const int64_t reps = n == 0 ? 1 : (start + length + n - 1) / n;
    if (reps > 1) {
      Ints repeats(rank, 1);
      repeats[d] = reps;
      y = ctx.op1("tile", {y}, {{"repeats", repeats}});
    }
    y = ctx.op1("slice", {y},
                {{"starts", Ints{start}},
                 {"ends", Ints{start + length}},
                 {"axes", Ints{static_cast<int64_t>(d)}}});
  }
  return y;
}

// Pad-2: pads, mode and value attributes; Pad-11: pads and constant_value inputs; Pad-18: an
// axes input that pads refers to; Pad-19: mode wrap.
void convert_pad(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const std::string mode = ctx.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    ctx.fail_here("unknown mode '" + mode + "'; expected constant, reflect, edge or wrap");
  Attrs attrs{{"mode", mode == "wrap" ? std::string("constant") : mode}};
  AttrInputs dynamic;
  std::optional<Ints> pads;
  if (ctx.opset() < 11) {
    pads = ctx.required_ints("pads");
    attrs.set("value", ctx.attr_float("value", 0.0));
  } else {
    if (ctx.constant(1) != nullptr) pads = ctx.constant_ints(1);
    if (ctx.has_input(2)) dynamic["value"] = ctx.input(2);
    if (ctx.opset() >= 18 && ctx.has_input(3)) {
      // pads covers only `axes`: [begin for each axis..., end for each axis...].
      const Ints axes = ctx.constant_ints(3);
      if (!pads) ctx.fail_here("pads must be known when the model loads when axes is given");
      const int64_t rank = known_rank(ctx, 0, "to apply pads to axes");
      if (pads->size() != 2 * axes.size())
        ctx.fail_here(str_cat("pads ", *pads, " must hold 2 values per axis of ", axes));
      Ints full(static_cast<size_t>(2 * rank), 0);
      for (size_t i = 0; i < axes.size(); ++i) {
        const auto a = static_cast<size_t>(normalize_axis_here(ctx, axes[i], rank));
        full[a] = (*pads)[i];
        full[a + static_cast<size_t>(rank)] = (*pads)[i + axes.size()];
      }
      pads = full;
    }
  }
  if (mode == "wrap") {
    if (!pads) ctx.fail_here("wrap padding needs pads known when the model loads");
    ctx.set_outputs({pad_wrap(ctx, x, *pads)});
    return;
  }
  if (pads) {
    attrs.set("pads", *pads);
  } else {
    dynamic["pads"] = ctx.input(1);
  }
  ctx.set_outputs({ctx.op1("pad", {x}, attrs, dynamic)});
}

// --- generators: ConstantOfShape, Range, EyeLike, OneHot

void convert_constant_of_shape(NodeContext& ctx) {
  Tensor value = Tensor::scalar(0.0, DType::Float32);
  if (ctx.has_attr("value")) {
    const Tensor given = ctx.attr_tensor("value");
    if (given.numel() != 1)
      ctx.fail_here(str_cat("value must hold one element, got shape ", given.shape()));
    value = Tensor::from_bytes(given.to_bytes().data(), {}, given.dtype());
  }
  ctx.set_outputs({ctx.op1("expand", {ctx.constant_value(value)}, {}, {{"shape", ctx.input(0)}})});
}

void convert_range(NodeContext& ctx) {
  const DType dtype = ctx.dtype(ctx.input(0));
  ctx.set_outputs(
      {ctx.op1("arange", {}, {{"dtype", dtype_attr(dtype)}},
               {{"start", ctx.input(0)}, {"limit", ctx.input(1)}, {"delta", ctx.input(2)}})});
}

// EyeLike: ones where column - row == k, in the given dtype (default: the input's).
void convert_eye_like(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  if (ctx.rank(x) != 2) ctx.fail_here("input must be 2-d");
  const DType dtype = ctx.has_attr("dtype")
                          ? engine_dtype(static_cast<int32_t>(ctx.attr_int("dtype", 0)),
                                         ctx.source() + " attribute dtype")
                          : ctx.dtype(x);
  const int64_t k = ctx.attr_int("k", 0);
  const ValueId rows = ctx.op1("unsqueeze", {index_range(ctx, x, 0)}, {{"axes", Ints{1}}});
  const ValueId cols = ctx.op1("unsqueeze", {index_range(ctx, x, 1)}, {{"axes", Ints{0}}});
  const ValueId diagonal = ctx.op1(
      "equal", {ctx.op1("sub", {cols, rows}), ctx.scalar(static_cast<double>(k), DType::Int64)});
  ctx.set_outputs({ctx.cast(diagonal, dtype)});
}

// OneHot: off_value everywhere and on_value where the (possibly negative) index hits.
void convert_one_hot(NodeContext& ctx) {
  ValueId indices = ctx.input(0);
  if (!is_integral(ctx.dtype(indices))) indices = ctx.cast(indices, DType::Int64);
  const ValueId values = ctx.input(2);
  AttrInputs dynamic{{"depth", ctx.input(1)}};
  const ValueId hot =
      ctx.op1("one_hot", {indices},
              {{"axis", ctx.attr_int("axis", -1)}, {"dtype", std::string("bool")}}, dynamic);
  const ValueId off = ctx.op1("gather", {values, ctx.scalar(0, DType::Int64)});
  const ValueId on = ctx.op1("gather", {values, ctx.scalar(1, DType::Int64)});
  ctx.set_outputs({ctx.op1("where", {hot, on, off})});
}

// --- Trilu, CumSum, TopK

void convert_trilu(NodeContext& ctx) {
  AttrInputs dynamic;
  if (ctx.has_input(1)) dynamic["k"] = ctx.input(1);
  ctx.set_outputs(
      {ctx.op1("trilu", {ctx.input(0)}, {{"upper", ctx.attr_int("upper", 1)}}, dynamic)});
}

void convert_cumsum(NodeContext& ctx) {
  ctx.set_outputs({ctx.op1(
      "cumsum", {ctx.input(0)},
      {{"exclusive", ctx.attr_int("exclusive", 0)}, {"reverse", ctx.attr_int("reverse", 0)}},
      {{"axis", ctx.input(1)}})});
}

// TopK-1: k attribute; TopK-10: k input; TopK-11: largest and sorted. The engine always sorts,
// which sorted=0 (any order) allows.
void convert_topk(NodeContext& ctx) {
  Attrs attrs{{"axis", ctx.attr_int("axis", -1)}};
  AttrInputs dynamic;
  if (ctx.opset() < 10) {
    attrs.set("k", ctx.required_int("k"));
  } else {
    dynamic["k"] = ctx.input(1);
  }
  if (ctx.opset() >= 11) {
    attrs.set("largest", ctx.attr_int("largest", 1));
    attrs.set("sorted", ctx.attr_int("sorted", 1));
  }
  ctx.set_outputs(ctx.op("topk", {ctx.input(0)}, attrs, dynamic));
}

// --- Resize, Upsample

// Resize-10 and Upsample: scales only, asymmetric coordinates. The spec leaves nearest rounding
// open; as ONNX Runtime, it floors when upsampling and takes the ceiling when downsampling.
void resize_asymmetric(NodeContext& ctx, const std::string& mode, ValueId x,
                       std::optional<Floats> scales, std::optional<ValueId> scales_input) {
  if (mode != "nearest" && mode != "linear")
    ctx.fail_here("unknown mode '" + mode + "'; expected nearest or linear");
  std::string nearest_mode = "floor";
  Attrs attrs{{"mode", mode}, {"coordinate_transformation_mode", std::string("asymmetric")}};
  AttrInputs dynamic;
  if (scales) {
    const bool down = std::any_of(scales->begin(), scales->end(), [](double s) { return s < 1; });
    const bool up = std::any_of(scales->begin(), scales->end(), [](double s) { return s > 1; });
    if (down && up && mode == "nearest")
      ctx.fail_here(str_cat("scales ", *scales, " both up- and downsample; wgml rounds one way"));
    if (down) nearest_mode = "ceil";
    attrs.set("scales", *scales);
  } else {
    dynamic["scales"] = *scales_input;
  }
  attrs.set("nearest_mode", nearest_mode);
  ctx.set_outputs({ctx.op1("resize", {x}, attrs, dynamic)});
}

void convert_upsample(NodeContext& ctx) {
  const std::string mode = ctx.attr_string("mode", "nearest");
  if (ctx.opset() < 9) {
    resize_asymmetric(ctx, mode, ctx.input(0), ctx.attr_floats("scales"), std::nullopt);
  } else if (ctx.constant(1) != nullptr) {
    resize_asymmetric(ctx, mode, ctx.input(0), ctx.constant_floats(1), std::nullopt);
  } else {
    resize_asymmetric(ctx, mode, ctx.input(0), std::nullopt, ctx.input(1));
  }
}

// Resize-11..21: inputs X, roi, scales, sizes. roi only matters to tf_crop_and_resize, which the
// engine does not have; it raises.
void convert_resize(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const std::string mode = ctx.attr_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    ctx.fail_here("unknown mode '" + mode + "'; expected nearest, linear or cubic");
  if (ctx.opset() < 11) {
    if (mode == "cubic") ctx.fail_here("mode cubic needs opset 11 or later");
    if (ctx.constant(1) != nullptr) {
      resize_asymmetric(ctx, mode, x, ctx.constant_floats(1), std::nullopt);
    } else {
      resize_asymmetric(ctx, mode, x, std::nullopt, ctx.input(1));
    }
    return;
  }
  std::string transform = ctx.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = ctx.attr_string("nearest_mode", "round_prefer_floor");
  if (transform == "tf_crop_and_resize")
    ctx.fail_here("coordinate_transformation_mode " + transform + " is not supported");
  const bool antialias =
      ctx.opset() >= 18 && ctx.attr_int("antialias", 0) != 0 && mode != "nearest";
  const std::string keep_ratio =
      ctx.opset() >= 18 ? ctx.attr_string("keep_aspect_ratio_policy", "stretch") : "stretch";
  const Ints axes = ctx.opset() >= 18 ? ctx.attr_ints("axes") : Ints{};
  const bool has_scales = !is_empty_input(ctx, 2);
  const bool has_sizes = !is_empty_input(ctx, 3);
  if (has_scales == has_sizes) ctx.fail_here("needs exactly one of scales and sizes");

  Attrs attrs{{"mode", mode}, {"nearest_mode", nearest_mode}};
  if (mode == "cubic") {
    attrs.set("cubic_coeff_a", ctx.attr_float("cubic_coeff_a", -0.75));
    attrs.set("exclude_outside", ctx.attr_int("exclude_outside", 0));
  }
  AttrInputs dynamic;
  // Plain full-rank scales or sizes pass through (folded when constant); everything else needs
  // them and the input's shape now.
  const bool simple =
      axes.empty() && !antialias && keep_ratio == "stretch" && transform != "half_pixel_symmetric";
  if (simple) {
    dynamic[has_scales ? "scales" : "sizes"] = ctx.input(has_scales ? 2 : 3);
    attrs.set("coordinate_transformation_mode", transform);
    ctx.set_outputs({ctx.op1("resize", {x}, attrs, dynamic)});
    return;
  }
  const Shape in = require_static_shape(
      ctx, 0, "(for axes, keep_aspect_ratio_policy, antialias or half_pixel_symmetric)");
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> resized;  // the axes scales/sizes refer to
  for (int64_t a : axes)
    resized.push_back(normalize_axis_here(ctx, a, rank));
  if (axes.empty()) {
    for (int64_t a = 0; a < rank; ++a)
      resized.push_back(a);
  }
  Floats scales;  // full rank; empty when resizing to sizes
  Ints sizes;
  if (has_scales) {
    const Floats given = ctx.constant_floats(2);
    if (given.size() != resized.size())
      ctx.fail_here(str_cat("scales ", given, " need one value per resized axis"));
    scales.assign(static_cast<size_t>(rank), 1.0);
    for (size_t i = 0; i < resized.size(); ++i)
      scales[static_cast<size_t>(resized[i])] = given[i];
  } else {
    const Ints given = ctx.constant_ints(3);
    if (given.size() != resized.size())
      ctx.fail_here(str_cat("sizes ", given, " need one value per resized axis"));
    sizes = in;
    for (size_t i = 0; i < resized.size(); ++i)
      sizes[static_cast<size_t>(resized[i])] = given[i];
    if (keep_ratio != "stretch") {
      if (keep_ratio != "not_larger" && keep_ratio != "not_smaller")
        ctx.fail_here("unknown keep_aspect_ratio_policy '" + keep_ratio + "'");
      // One scale for all resized axes; sizes round half up from it, and coordinates follow
      // the scale. The engine's scales floor the size, so this works when the two agree.
      double scale = keep_ratio == "not_larger" ? 1e300 : 0.0;
      for (int64_t a : resized) {
        const double s = static_cast<double>(sizes[static_cast<size_t>(a)]) /
                         static_cast<double>(in[static_cast<size_t>(a)]);
        scale = keep_ratio == "not_larger" ? std::min(scale, s) : std::max(scale, s);
      }
      scales.assign(static_cast<size_t>(rank), 1.0);
      for (int64_t a : resized) {
        const double exact = scale * static_cast<double>(in[static_cast<size_t>(a)]);
        if (std::floor(exact) != std::floor(exact + 0.5))
          ctx.fail_here(str_cat("keep_aspect_ratio_policy ", keep_ratio, " rounds axis ", a,
                                " up to ", std::floor(exact + 0.5),
                                ", which wgml's resize cannot do with scale ", scale));
        scales[static_cast<size_t>(a)] = scale;
      }
      sizes.clear();
    }
  }
  // Output size per axis, for antialias and half_pixel_symmetric.
  for (int64_t a = 0; a < rank; ++a) {
    const auto i = static_cast<size_t>(a);
    const double out = sizes.empty() ? std::floor(static_cast<double>(in[i]) * scales[i])
                                     : static_cast<double>(sizes[i]);
    if (antialias && out < static_cast<double>(in[i]))
      ctx.fail_here("antialias when downsampling (mode " + mode + ") is not supported");
    // half_pixel_symmetric differs from half_pixel only when in * scale is not a whole size.
    if (transform == "half_pixel_symmetric" && sizes.empty() &&
        static_cast<double>(in[i]) * scales[i] != out)
      ctx.fail_here(str_cat("coordinate_transformation_mode half_pixel_symmetric with scale ",
                            scales[i], " on axis ", a, " of size ", in[i], " is not supported"));
  }
  if (transform == "half_pixel_symmetric") transform = "half_pixel";
  attrs.set("coordinate_transformation_mode", transform);
  if (sizes.empty()) {
    attrs.set("scales", scales);
  } else {
    attrs.set("sizes", sizes);
  }
  ctx.set_outputs({ctx.op1("resize", {x}, attrs)});
}

// --- DepthToSpace, SpaceToDepth

void convert_depth_to_space(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  if (ctx.rank(x) != 4) ctx.fail_here("input must be 4-d [N, C, H, W]");
  const int64_t b = ctx.required_int("blocksize");
  if (b < 1 || b > 3037000499)  // blocksize^2 must fit in int64
    ctx.fail_here(str_cat("blocksize ", b, " must be between 1 and 3037000499"));
  const std::string mode = ctx.opset() >= 11 ? ctx.attr_string("mode", "DCR") : "DCR";
  const int64_t c = ctx.static_dim(x, 1);
  if (c >= 0 && c % (b * b) != 0)
    ctx.fail_here(str_cat("channels ", c, " are not a multiple of blocksize^2 = ", b * b));
  ValueId split, moved;
  if (mode == "DCR") {  // channels ordered (block row, block column, depth)
    split = reshape_by(
        ctx, x, x,
        {from_dim(0), fixed(b), fixed(b), from_dim(1, 1, b * b), from_dim(2), from_dim(3)});
    moved = ctx.op1("permute", {split}, {{"perm", Ints{0, 3, 4, 1, 5, 2}}});
  } else if (mode == "CRD") {  // channels ordered (depth, block row, block column)
    split = reshape_by(
        ctx, x, x,
        {from_dim(0), from_dim(1, 1, b * b), fixed(b), fixed(b), from_dim(2), from_dim(3)});
    moved = ctx.op1("permute", {split}, {{"perm", Ints{0, 1, 4, 2, 5, 3}}});
  } else {
    ctx.fail_here("unknown mode '" + mode + "'; expected DCR or CRD");
  }
  ctx.set_outputs({reshape_by(
      ctx, moved, x, {from_dim(0), from_dim(1, 1, b * b), from_dim(2, b), from_dim(3, b)})});
}

void convert_space_to_depth(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  if (ctx.rank(x) != 4) ctx.fail_here("input must be 4-d [N, C, H, W]");
  const int64_t b = ctx.required_int("blocksize");
  if (b < 1 || b > 3037000499)  // blocksize^2 must fit in int64
    ctx.fail_here(str_cat("blocksize ", b, " must be between 1 and 3037000499"));
  for (int64_t axis : {2, 3}) {
    const int64_t d = ctx.static_dim(x, axis);
    if (d >= 0 && d % b != 0)
      ctx.fail_here(str_cat("dim ", axis, " of size ", d, " is not a multiple of blocksize ", b));
  }
  const ValueId split = reshape_by(
      ctx, x, x,
      {from_dim(0), from_dim(1), from_dim(2, 1, b), fixed(b), from_dim(3, 1, b), fixed(b)});
  const ValueId moved = ctx.op1("permute", {split}, {{"perm", Ints{0, 3, 5, 1, 2, 4}}});
  ctx.set_outputs({reshape_by(
      ctx, moved, x, {from_dim(0), from_dim(1, b * b), from_dim(2, 1, b), from_dim(3, 1, b)})});
}

// --- ReverseSequence

// Along the time axis, batch entry b reads time len[b] - 1 - t for t < len[b] and t after it:
// a gather_elements with those indices broadcast over the other axes.
void convert_reverse_sequence(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t time_axis = ctx.attr_int("time_axis", 0);
  const int64_t batch_axis = ctx.attr_int("batch_axis", 1);
  const int64_t rank = known_rank(ctx, 0, "to reverse sequences");
  if (rank < 2 || time_axis == batch_axis || time_axis < 0 || time_axis > 1 || batch_axis < 0 ||
      batch_axis > 1)
    ctx.fail_here(str_cat("time_axis ", time_axis, " and batch_axis ", batch_axis,
                          " must be 0 and 1 in some order, on an input of rank >= 2"));
  const ValueId time = ctx.op1("unsqueeze", {index_range(ctx, x, time_axis)}, {{"axes", Ints{1}}});
  const ValueId lengths =
      ctx.op1("unsqueeze", {ctx.cast(ctx.input(1), DType::Int64)}, {{"axes", Ints{0}}});  // [1, B]
  const ValueId reversed =
      ctx.op1("sub", {ctx.op1("sub", {lengths, ctx.scalar(1, DType::Int64)}), time});
  ValueId source = ctx.op1("where", {ctx.op1("less", {time, lengths}), reversed, time});  // [T, B]
  if (time_axis == 1) source = ctx.op1("permute", {source}, {{"perm", Ints{1, 0}}});
  Ints trailing;
  for (int64_t d = 2; d < rank; ++d)
    trailing.push_back(d);
  if (!trailing.empty()) source = ctx.op1("unsqueeze", {source}, {{"axes", trailing}});
  const ValueId full = ctx.op1("expand", {source}, {}, {{"shape", ctx.shape_of(x)}});
  ctx.set_outputs({ctx.op1("gather_elements", {x, full}, {{"axis", time_axis}})});
}

// --- Einsum

// Labels: letters as themselves, ellipsis dims as kEllipsisLabel + position (right-aligned
// across operands, as NumPy broadcasts them).
using Labels = std::vector<int>;
constexpr int kEllipsisLabel = 1000;

struct EinsumOperand {
  ValueId value;
  Labels labels;
};

bool has_label(const Labels& labels, int label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

// "ij,jk->ik" (spaces allowed, "..." for broadcast dims) into operand and output labels. Without
// "->" the output is the ellipsis dims, then the letters used once, in alphabetical order.
std::vector<Labels> parse_einsum(NodeContext& ctx, const std::string& equation,
                                 const std::vector<int64_t>& ranks, Labels& output) {
  std::string eq;
  for (char c : equation) {
    if (c != ' ') eq += c;
  }
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms(1);
  for (char c : lhs) {
    if (c == ',') {
      terms.emplace_back();
    } else {
      terms.back() += c;
    }
  }
  if (terms.size() != ranks.size())
    ctx.fail_here(str_cat("equation '", equation, "' has ", terms.size(), " operands but the node ",
                          ranks.size(), " inputs"));
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  int64_t ellipsis_rank = 0;
  std::vector<int64_t> ellipsis_dims(terms.size(), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    const auto letters =
        static_cast<int64_t>(std::count_if(terms[i].begin(), terms[i].end(), is_letter));
    const bool has_ellipsis = terms[i].find("...") != std::string::npos;
    ellipsis_dims[i] = ranks[i] - letters;
    if (ellipsis_dims[i] < 0 || (!has_ellipsis && ellipsis_dims[i] != 0))
      ctx.fail_here(str_cat("term '", terms[i], "' of equation '", equation, "' does not match ",
                            "the rank ", ranks[i], " of input ", i));
    ellipsis_rank = std::max(ellipsis_rank, ellipsis_dims[i]);
  }
  // Parses one term; `dims` ellipsis dims stand for the last `dims` ellipsis labels.
  auto parse_term = [&](const std::string& term, int64_t dims) {
    Labels labels;
    bool seen_ellipsis = false;
    for (size_t pos = 0; pos < term.size();) {
      if (term.compare(pos, 3, "...") == 0 && !seen_ellipsis) {
        for (int64_t j = 0; j < dims; ++j)
          labels.push_back(kEllipsisLabel + static_cast<int>(ellipsis_rank - dims + j));
        seen_ellipsis = true;
        pos += 3;
      } else if (is_letter(term[pos])) {
        labels.push_back(term[pos++]);
      } else {
        ctx.fail_here(str_cat("equation '", equation, "' has an unexpected '", term[pos], "'"));
      }
    }
    return labels;
  };
  std::vector<Labels> inputs;
  for (size_t i = 0; i < terms.size(); ++i)
    inputs.push_back(parse_term(terms[i], ellipsis_dims[i]));
  output.clear();
  if (arrow != std::string::npos) {
    output = parse_term(eq.substr(arrow + 2), ellipsis_rank);
    for (size_t j = 0; j < output.size(); ++j) {
      const bool used = std::any_of(inputs.begin(), inputs.end(),
                                    [&](const Labels& l) { return has_label(l, output[j]); });
      if (!used || std::count(output.begin(), output.end(), output[j]) > 1)
        ctx.fail_here(str_cat("output labels of equation '", equation,
                              "' must each appear once and in an input"));
    }
  } else {
    for (int64_t j = 0; j < ellipsis_rank; ++j)
      output.push_back(kEllipsisLabel + static_cast<int>(j));
    Labels once;
    for (const Labels& l : inputs) {
      for (int label : l) {
        if (label >= kEllipsisLabel) continue;
        int count = 0;
        for (const Labels& other : inputs)
          count += static_cast<int>(std::count(other.begin(), other.end(), label));
        if (count == 1) once.push_back(label);
      }
    }
    std::sort(once.begin(), once.end());
    output.insert(output.end(), once.begin(), once.end());
  }
  return inputs;
}

// The diagonal of every label repeated within the operand ("ii->i"): the two axes go last,
// merge, and a slice with step n + 1 picks the diagonal.
EinsumOperand take_diagonals(NodeContext& ctx, EinsumOperand op) {
  for (;;) {
    size_t p = 0, q = 0;
    for (size_t i = 0; i < op.labels.size() && q == 0; ++i) {
      for (size_t j = i + 1; j < op.labels.size(); ++j) {
        if (op.labels[i] == op.labels[j]) {
          p = i;
          q = j;
          break;
        }
      }
    }
    if (q == 0) return op;
    const auto rank = static_cast<int64_t>(op.labels.size());
    Ints perm;
    Labels labels;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == static_cast<int64_t>(p) || d == static_cast<int64_t>(q)) continue;
      perm.push_back(d);
      labels.push_back(op.labels[static_cast<size_t>(d)]);
    }
    perm.push_back(static_cast<int64_t>(p));
    perm.push_back(static_cast<int64_t>(q));
    labels.push_back(op.labels[p]);
    const ValueId moved = ctx.op1("permute", {op.value}, {{"perm", perm}});
    std::vector<TargetDim> target;
    for (int64_t d = 0; d < rank - 2; ++d)
      target.push_back(from_dim(d));
    target.push_back(product_of(moved, {rank - 2, rank - 1}));
    const ValueId merged = reshape_by(ctx, moved, moved, target);
    const ValueId step = ctx.op1("add", {dim_value(ctx, moved, rank - 1), int64_vector(ctx, {1})});
    op.value = ctx.op1("slice", {merged},
                       {{"starts", Ints{0}},
                        {"ends", Ints{std::numeric_limits<int64_t>::max()}},
                        {"axes", Ints{-1}}},
                       {{"steps", step}});
    op.labels = labels;
  }
}

// Sums the labels that nothing after this point needs.
EinsumOperand sum_unneeded(NodeContext& ctx, EinsumOperand op, const Labels& needed) {
  Ints axes;
  Labels kept;
  for (size_t i = 0; i < op.labels.size(); ++i) {
    if (has_label(needed, op.labels[i])) {
      kept.push_back(op.labels[i]);
    } else {
      axes.push_back(static_cast<int64_t>(i));
    }
  }
  if (axes.empty()) return op;
  return {ctx.op1("sum", {op.value}, {{"axes", axes}, {"keepdims", int64_t{0}}}), kept};
}

// One pair as a batched matmul: a [batch, left, contracted] @ b [batch, contracted, right], each
// group merged into one dim, then the groups split again.
EinsumOperand contract_pair(NodeContext& ctx, const EinsumOperand& a, const EinsumOperand& b,
                            const Labels& needed) {
  Labels batch, left, contracted, right;
  for (int l : a.labels) {
    if (!has_label(b.labels, l)) {
      left.push_back(l);
    } else {
      (has_label(needed, l) ? batch : contracted).push_back(l);
    }
  }
  for (int l : b.labels) {
    if (!has_label(a.labels, l)) right.push_back(l);
  }
  auto arrange = [&](const EinsumOperand& op, const std::vector<const Labels*>& groups) {
    Ints perm;
    for (const Labels* g : groups) {
      for (int l : *g) {
        perm.push_back(std::find(op.labels.begin(), op.labels.end(), l) - op.labels.begin());
      }
    }
    return ctx.op1("permute", {op.value}, {{"perm", perm}});
  };
  const auto nb = static_cast<int64_t>(batch.size());
  auto span = [](int64_t from, size_t count) {
    Ints axes;
    for (size_t i = 0; i < count; ++i)
      axes.push_back(from + static_cast<int64_t>(i));
    return axes;
  };
  const ValueId ap = arrange(a, {&batch, &left, &contracted});
  const ValueId bp = arrange(b, {&batch, &contracted, &right});
  std::vector<TargetDim> a_target, b_target;
  for (int64_t d = 0; d < nb; ++d) {
    a_target.push_back(from_dim(d));
    b_target.push_back(from_dim(d));
  }
  a_target.push_back(product_of(ap, span(nb, left.size())));
  a_target.push_back(
      product_of(ap, span(nb + static_cast<int64_t>(left.size()), contracted.size())));
  b_target.push_back(product_of(bp, span(nb, contracted.size())));
  b_target.push_back(
      product_of(bp, span(nb + static_cast<int64_t>(contracted.size()), right.size())));
  const ValueId product =
      ctx.op1("matmul", {reshape_by(ctx, ap, ap, a_target), reshape_by(ctx, bp, bp, b_target)});
  std::vector<TargetDim> out_target;
  for (int64_t d = 0; d < nb; ++d)
    out_target.push_back(from_dim(d));  // the broadcast batch dims of the product
  for (int64_t axis : span(nb, left.size()))
    out_target.push_back(product_of(ap, {axis}));
  for (int64_t axis : span(nb + static_cast<int64_t>(contracted.size()), right.size()))
    out_target.push_back(product_of(bp, {axis}));
  Labels labels = batch;
  labels.insert(labels.end(), left.begin(), left.end());
  labels.insert(labels.end(), right.begin(), right.end());
  return {reshape_by(ctx, product, product, out_target), labels};
}

// Einsum from diagonals, sums and one batched matmul per operand pair, left to right.
void convert_einsum(NodeContext& ctx) {
  const std::string equation = ctx.attr_string("equation", "");
  std::vector<int64_t> ranks;
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    ranks.push_back(known_rank(ctx, i, "to read the equation"));
  Labels output;
  const std::vector<Labels> labels = parse_einsum(ctx, equation, ranks, output);
  std::vector<EinsumOperand> operands;
  for (size_t i = 0; i < labels.size(); ++i)
    operands.push_back(take_diagonals(ctx, {ctx.input(i), labels[i]}));
  // The labels needed once operands 0..i have been combined: the output's and later operands'.
  auto needed_after = [&](size_t i) {
    Labels needed = output;
    for (size_t j = i + 1; j < operands.size(); ++j)
      needed.insert(needed.end(), operands[j].labels.begin(), operands[j].labels.end());
    return needed;
  };
  EinsumOperand acc = sum_unneeded(ctx, operands[0], needed_after(0));
  for (size_t i = 1; i < operands.size(); ++i) {
    const Labels needed = needed_after(i);
    Labels for_b = needed;
    for_b.insert(for_b.end(), acc.labels.begin(), acc.labels.end());
    const EinsumOperand b = sum_unneeded(ctx, operands[i], for_b);
    acc = contract_pair(ctx, acc, b, needed);
  }
  acc = sum_unneeded(ctx, acc, output);
  Ints perm;
  for (int l : output)
    perm.push_back(std::find(acc.labels.begin(), acc.labels.end(), l) - acc.labels.begin());
  bool identity = true;
  for (size_t j = 0; j < perm.size(); ++j)
    identity = identity && perm[j] == static_cast<int64_t>(j);
  ctx.set_outputs({identity ? acc.value : ctx.op1("permute", {acc.value}, {{"perm", perm}})});
}

}  // namespace

void register_tensor_converters(ConverterTable& t) {
  t.add("Constant", convert_constant);
  t.add("Shape", convert_shape);
  t.add("Size", convert_size);
  t.add("Reshape", convert_reshape, 5);
  t.add("Flatten", convert_flatten);
  t.add("Squeeze", convert_squeeze);
  t.add("Unsqueeze", convert_unsqueeze);
  t.add("Transpose", convert_transpose);
  t.add("Expand", convert_expand);
  t.add("Concat", convert_concat);
  t.add("Split", convert_split);
  t.add("Slice", convert_slice);
  t.add("Tile", convert_tile, 6);
  t.add("Gather", convert_gather);
  t.add("GatherElements", convert_gather_elements);
  t.add("GatherND", convert_gather_nd);
  t.add("ScatterND", convert_scatter_nd);
  t.add("ScatterElements", convert_scatter_elements);
  t.add("Scatter", convert_scatter_elements);
  t.add("Pad", convert_pad, 2);
  t.add("ConstantOfShape", convert_constant_of_shape);
  t.add("Range", convert_range);
  t.add("EyeLike", convert_eye_like);
  t.add("OneHot", convert_one_hot);
  t.add("Trilu", convert_trilu);
  t.add("CumSum", convert_cumsum);
  t.add("TopK", convert_topk);
  t.add("Upsample", convert_upsample, 7);
  t.add("Resize", convert_resize);
  t.add("DepthToSpace", convert_depth_to_space);
  t.add("SpaceToDepth", convert_space_to_depth);
  t.add("ReverseSequence", convert_reverse_sequence);
  t.add("Einsum", convert_einsum, 12);
}

}  // namespace wgml::onnx
