// Converters for ONNX ops whose output size depends on the input's values: NonZero, Compress,
// NonMaxSuppression and Unique. All are composed from engine ops that run on the device, then
// narrowed by graph::kNarrowOp:
//   1. m = (x != 0) as int32, incl = its inclusive cumsum, total = its sum (the count);
//   2. a stable partition of the positions, nonzeros first: element i goes to incl[i] - 1 when
//      it is nonzero and to total + (zeros up to i) - 1 otherwise, a permutation of [0, N), so
//      one scatter_nd with distinct targets writes every slot exactly once;
//   3. narrow the permuted positions to `total` (one read back) and gather what the op needs
//      (per-axis coordinates for NonZero, the selected slices for Compress).
// Nothing runs on the CPU unless the input is a load-time constant, when all of it folds.
// Positions are int32: WebGPU's integer arithmetic is 32-bit (as the engine's int64 rule says).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

// 1 where x is nonzero, else 0, as int32 in x's shape (NaN counts as nonzero, as in NumPy).
ValueId nonzero_mask(NodeContext& ctx, ValueId x) {
  const ValueId nz = ctx.op1("not_equal", {x, ctx.scalar(0, ctx.dtype(x))});
  return ctx.cast(nz, DType::Int32);
}

// The position of every element of the int32 `like` along `axis` (0, 1, ..., n-1 there): an
// exclusive cumsum of ones, so no shape needs to be known.
ValueId iota_along(NodeContext& ctx, ValueId like, int64_t axis = 0) {
  const ValueId ones = ctx.op1(
      "add", {ctx.op1("mul", {like, ctx.scalar(0, DType::Int32)}), ctx.scalar(1, DType::Int32)});
  return ctx.op1("cumsum", {ones}, {{"axis", axis}, {"exclusive", int64_t{1}}});
}

// The flat positions (int32, ascending) where the int32 0/1 `mask` holds 1, narrowed at run time
// to their count; `symbol` names that count in inferred shapes.
ValueId nonzero_positions(NodeContext& ctx, ValueId mask, const std::string& symbol) {
  const ValueId flat = ctx.op1("reshape", {mask}, {{"shape", Ints{-1}}});
  const ValueId one = ctx.scalar(1, DType::Int32);
  const ValueId index = iota_along(ctx, flat);
  const ValueId inclusive = ctx.op1("cumsum", {flat}, {{"axis", int64_t{0}}});
  const ValueId total =
      ctx.op1("sum", {flat}, {{"axes", Ints{0}}, {"keepdims", int64_t{1}}});  // [1]
  const ValueId zeros_so_far = ctx.op1("sub", {ctx.op1("add", {index, one}), inclusive});
  const ValueId front = ctx.op1("sub", {inclusive, one});
  const ValueId back = ctx.op1("add", {total, ctx.op1("sub", {zeros_so_far, one})});
  const ValueId target =
      ctx.op1("where", {ctx.op1("cast", {flat}, {{"dtype", std::string("bool")}}), front, back});
  const ValueId permuted =
      ctx.op1("scatter_nd", {index, ctx.op1("unsqueeze", {target}, {{"axes", Ints{1}}}), index});
  return ctx.op1(graph::kNarrowOp, {permuted, total}, {{"symbol", symbol}});
}

// NonZero: [rank, count] int64 coordinates of the nonzero elements in row-major order. A 0-d
// input counts as [1] (NumPy's old rule, and ONNX Runtime's).
void convert_non_zero(NodeContext& ctx) {
  ValueId x = ctx.input(0);
  const int64_t rank = ctx.rank(x);
  if (rank < 0) ctx.fail_here("needs its input's rank, which shape inference could not tell");
  if (rank == 0) x = ctx.op1("reshape", {x}, {{"shape", Ints{1}}});
  const ValueId mask = nonzero_mask(ctx, x);
  const ValueId positions = nonzero_positions(ctx, mask, "nonzero");
  std::vector<ValueId> rows;
  for (int64_t d = 0; d < std::max<int64_t>(rank, 1); ++d) {
    const ValueId flat = ctx.op1("reshape", {iota_along(ctx, mask, d)}, {{"shape", Ints{-1}}});
    const ValueId picked = ctx.op1("gather", {flat, positions}, {{"axis", int64_t{0}}});
    rows.push_back(ctx.op1("unsqueeze", {picked}, {{"axes", Ints{0}}}));
  }
  const ValueId coords =
      rows.size() == 1 ? rows[0] : ctx.op1("concat", rows, {{"axis", int64_t{0}}});
  ctx.set_outputs({ctx.cast(coords, DType::Int64)});
}

// Compress: the slices of x along `axis` (or of x flattened) where the 1-d condition is true;
// a condition shorter than the axis drops the rest, a longer one is an error.
void convert_compress(NodeContext& ctx) {
  ValueId x = ctx.input(0);
  const ValueId condition = ctx.input(1);
  int64_t axis = 0;
  if (ctx.has_attr("axis")) {
    const int64_t rank = ctx.rank(x);
    if (rank < 0) ctx.fail_here("needs its input's rank, which shape inference could not tell");
    axis = ctx.attr_int("axis", 0);
    if (axis < -rank || axis >= rank)
      ctx.fail_here(str_cat("axis ", axis, " is out of range for rank ", rank));
    if (axis < 0) axis += rank;
  } else {
    x = ctx.op1("reshape", {x}, {{"shape", Ints{-1}}});
  }
  const graph::SymShape* cond_shape = ctx.shape(condition);
  const graph::SymShape* x_shape = ctx.shape(x);
  if (cond_shape != nullptr && cond_shape->size() != 1)
    ctx.fail_here(str_cat("condition must be 1-d, got ", graph::sym_shape_str(*cond_shape)));
  if (cond_shape != nullptr && x_shape != nullptr && (*cond_shape)[0].is_static() &&
      (*x_shape)[static_cast<size_t>(axis)].is_static() &&
      (*cond_shape)[0].value > (*x_shape)[static_cast<size_t>(axis)].value)
    ctx.fail_here(str_cat("condition has ", (*cond_shape)[0].value,
                          " entries but the axis it selects along has ",
                          (*x_shape)[static_cast<size_t>(axis)].value));
  const ValueId positions = nonzero_positions(ctx, nonzero_mask(ctx, condition), "compress");
  ctx.set_outputs({ctx.op1("gather", {x, positions}, {{"axis", axis}})});
}

// NonMaxSuppression-10/11: the engine op fills each (batch, class) pair's slots at the upper
// bound (one per box) with (batch, class, box) triples and -1 triples after the last box taken;
// the taken rows are then gathered in order. Absent limit and thresholds take ONNX's defaults
// (no boxes, 0, none).
void convert_non_max_suppression(NodeContext& ctx) {
  auto scalar_or = [&](size_t input, double fallback, DType dtype) {
    return ctx.has_input(input) ? ctx.input(input) : ctx.scalar(fallback, dtype);
  };
  const ValueId slots =
      ctx.op1("non_max_suppression",
              {ctx.input(0), ctx.input(1), scalar_or(2, 0, DType::Int64),
               scalar_or(3, 0, DType::Float32), scalar_or(4, -INFINITY, DType::Float32)},
              {{"center_point_box", ctx.attr_int("center_point_box", 0)}});
  const ValueId rows = ctx.op1("reshape", {slots}, {{"shape", Ints{-1, 3}}});
  const ValueId box =
      ctx.op1("slice", {rows}, {{"starts", Ints{2}}, {"ends", Ints{3}}, {"axes", Ints{1}}});
  const ValueId taken =
      ctx.cast(ctx.op1("greater_equal", {box, ctx.scalar(0, DType::Int64)}), DType::Int32);
  const ValueId positions = nonzero_positions(ctx, taken, "selected");
  ctx.set_outputs({ctx.op1("gather", {rows, positions}, {{"axis", int64_t{0}}})});
}

// Unique without axis: the flattened input sorted stably (topk ascending, equal values keep the
// lower index first), group starts where a value differs from its predecessor, then the starts
// narrowed to their count. sorted=0 reorders the groups by their first occurrence.
void convert_unique(NodeContext& ctx) {
  if (ctx.has_attr("axis"))
    ctx.fail_here(
        "Unique along an axis (unique slices) is not supported; only the flattened "
        "form (no axis attribute)");
  const bool sorted = ctx.attr_int("sorted", 1) != 0;
  ValueId flat = ctx.op1("reshape", {ctx.input(0)}, {{"shape", Ints{-1}}});
  const DType dtype = ctx.dtype(flat);
  if (dtype == DType::Bool) flat = ctx.cast(flat, DType::UInt8);  // topk sorts numbers
  const ValueId n = ctx.shape_of(flat);                           // [1] int64
  const std::vector<ValueId> sort =
      ctx.op("topk", {flat}, {{"axis", int64_t{0}}, {"largest", int64_t{0}}}, {{"k", n}});
  const ValueId values = sort.at(0);
  const ValueId order = ctx.cast(sort.at(1), DType::Int32);  // sorted slot -> input index
  const ValueId iota = iota_along(ctx, order);
  const ValueId previous =
      ctx.op1("gather",
              {values, ctx.op1("maximum", {ctx.op1("sub", {iota, ctx.scalar(1, DType::Int32)}),
                                           ctx.scalar(0, DType::Int32)})},
              {{"axis", int64_t{0}}});
  const ValueId first =
      ctx.op1("logical_or", {ctx.op1("not_equal", {values, previous}),
                             ctx.op1("equal", {iota, ctx.scalar(0, DType::Int32)})});
  const ValueId starts_mask = ctx.cast(first, DType::Int32);
  const ValueId group = ctx.op1("sub", {ctx.op1("cumsum", {starts_mask}, {{"axis", int64_t{0}}}),
                                        ctx.scalar(1, DType::Int32)});
  const ValueId starts = nonzero_positions(ctx, starts_mask, "unique");  // [U] int32
  ValueId y = ctx.op1("gather", {values, starts}, {{"axis", int64_t{0}}});
  ValueId first_index = ctx.op1("gather", {order, starts}, {{"axis", int64_t{0}}});
  const ValueId u = ctx.shape_of(starts);  // [1] int64, known when the model runs
  const ValueId ends =
      ctx.op1("concat",
              {ctx.op1("slice", {starts}, {{"starts", Ints{1}}, {"ends", Ints{INT64_MAX}}}),
               ctx.cast(n, DType::Int32)},
              {{"axis", int64_t{0}}});
  ValueId counts = ctx.op1("sub", {ends, starts});
  // inverse[order[i]] = group[i]: the group of every input element, by sorted rank.
  ValueId inverse =
      ctx.op1("scatter_nd", {group, ctx.op1("unsqueeze", {order}, {{"axes", Ints{1}}}), group});
  if (!sorted) {
    // Groups by first occurrence: sort their first indices; rank_of maps a sorted rank to its
    // position in that order.
    const std::vector<ValueId> by_first =
        ctx.op("topk", {first_index}, {{"axis", int64_t{0}}, {"largest", int64_t{0}}}, {{"k", u}});
    const ValueId regroup = ctx.cast(by_first.at(1), DType::Int32);
    const ValueId rank_of = ctx.op1(
        "scatter_nd",
        {regroup, ctx.op1("unsqueeze", {regroup}, {{"axes", Ints{1}}}), iota_along(ctx, regroup)});
    y = ctx.op1("gather", {y, regroup}, {{"axis", int64_t{0}}});
    first_index = by_first.at(0);
    counts = ctx.op1("gather", {counts, regroup}, {{"axis", int64_t{0}}});
    inverse = ctx.op1("gather", {rank_of, inverse}, {{"axis", int64_t{0}}});
  }
  ctx.set_outputs({ctx.cast(y, dtype), ctx.cast(first_index, DType::Int64),
                   ctx.cast(inverse, DType::Int64), ctx.cast(counts, DType::Int64)});
}

}  // namespace

void register_data_dependent_converters(ConverterTable& t) {
  t.add("Unique", convert_unique, 11);
  t.add("NonZero", convert_non_zero, 9);
  t.add("Compress", convert_compress, 9);
  t.add("NonMaxSuppression", convert_non_max_suppression, 10);
}

}  // namespace wgml::onnx
