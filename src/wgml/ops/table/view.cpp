// Views: metadata-only ops (reshape, permute, expand, slice, flip, squeeze, split, ...) that make
// new views of the same storage, copying only when a layout cannot be expressed by strides.
// `copy` and `cast` are the two kernels that materialise a view.
#include <algorithm>
#include <optional>

#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

using Outputs = std::vector<Tensor>;

Shape resolve_reshape(const OpCall& call, const Shape& in) {
  const Ints& spec = call.attrs.ints("shape");
  const bool allowzero = call.attrs.i("allowzero") != 0;
  Shape out(spec.begin(), spec.end());
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allowzero) {
      WGML_CHECK(i < in.size(), "reshape: 0 at position ", i, " of ", spec,
                 " copies a dimension that input ", in, " lacks");
      out[i] = in[i];
    }
    if (out[i] == -1) {
      WGML_CHECK(infer_at < 0, "reshape: more than one -1 in ", spec);
      infer_at = static_cast<int>(i);
      continue;
    }
    WGML_CHECK(out[i] >= 0, "reshape: invalid size ", out[i], " in ", spec);
    known = checked_mul(known, out[i], "reshape: shape ", spec);
  }
  const int64_t numel = shape_numel(in);
  if (infer_at >= 0) {
    WGML_CHECK(known != 0 && numel % known == 0, "reshape: cannot infer -1 reshaping ", in, " (",
               numel, " elements) into ", spec);
    out[static_cast<size_t>(infer_at)] = numel / known;
  }
  WGML_CHECK(shape_numel(out) == numel, "reshape: cannot reshape ", in, " (", numel,
             " elements) into ", spec, " (", shape_numel(out), " elements)");
  return out;
}

Outputs reshape_view(OpBuilder& b, const OpCall& call, const Outputs& in) {
  const Shape shape = resolve_reshape(call, in[0].shape());
  if (in[0].is_contiguous())
    return {in[0].with_view(shape, contiguous_strides(shape), in[0].offset())};
  if (auto strides = view_strides(in[0].shape(), in[0].strides(), shape))
    return {in[0].with_view(shape, *strides, in[0].offset())};
  const Tensor x = b.call1("copy", {in[0]});
  return {x.with_view(shape, contiguous_strides(shape), x.offset())};
}

Outputs permute_view(OpBuilder&, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  const Ints& perm = call.attrs.ints("perm");
  WGML_CHECK(perm.size() == x.rank(), "permute: perm ", perm, " does not match rank ", x.rank(),
             " of shape ", x.shape());
  Shape shape(x.rank());
  Strides strides(x.rank());
  std::vector<bool> used(x.rank(), false);
  for (size_t i = 0; i < perm.size(); ++i) {
    const int axis = normalize_axis(perm[i], x.rank(), "permute");
    WGML_CHECK(!used[static_cast<size_t>(axis)], "permute: axis ", perm[i], " repeats in ", perm);
    used[static_cast<size_t>(axis)] = true;
    shape[i] = x.shape()[static_cast<size_t>(axis)];
    strides[i] = x.strides()[static_cast<size_t>(axis)];
  }
  return {x.with_view(shape, strides, x.offset())};
}

Outputs transpose_view(OpBuilder& b, const OpCall& call, const Outputs& in) {
  const size_t rank = in[0].rank();
  const int d0 = normalize_axis(call.attrs.i("dim0"), rank, "transpose");
  const int d1 = normalize_axis(call.attrs.i("dim1"), rank, "transpose");
  Ints perm;
  for (size_t i = 0; i < rank; ++i)
    perm.push_back(static_cast<int64_t>(i));
  std::swap(perm[static_cast<size_t>(d0)], perm[static_cast<size_t>(d1)]);
  return {b.call1("permute", {in[0]}, {{"perm", perm}})};
}

Outputs expand_view(OpBuilder&, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  Shape target(call.attrs.ints("shape").begin(), call.attrs.ints("shape").end());
  // -1 keeps the input's size (PyTorch); otherwise sizes broadcast both ways (ONNX Expand).
  const size_t lead = target.size() >= x.rank() ? target.size() - x.rank() : 0;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      WGML_CHECK(i >= lead, "expand: -1 at new leading axis ", i, " of ", target);
      target[i] = x.shape()[i - lead];
    }
  }
  const Shape shape = broadcast_shapes(x.shape(), target, "expand");
  Strides strides(shape.size(), 0);
  const size_t offset_axes = shape.size() - x.rank();
  for (size_t d = 0; d < x.rank(); ++d) {
    if (x.shape()[d] == shape[offset_axes + d]) strides[offset_axes + d] = x.strides()[d];
  }
  return {x.with_view(shape, strides, x.offset())};
}

// ONNX Slice semantics: per-axis starts/ends/steps, negative indices count from the end, and
// out-of-range bounds clamp (to [0, dim] going forward, [-1, dim-1] going backward).
Outputs slice_view(OpBuilder&, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  const Ints& starts = call.attrs.ints("starts");
  const Ints& ends = call.attrs.ints("ends");
  Ints axes = call.attrs.ints("axes");
  Ints steps = call.attrs.ints("steps");
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  WGML_CHECK(
      starts.size() == ends.size() && starts.size() == axes.size() && starts.size() == steps.size(),
      "slice: starts ", starts, ", ends ", ends, ", axes ", axes, " and steps ", steps,
      " differ in length");
  Shape shape = x.shape();
  Strides strides = x.strides();
  int64_t offset = x.offset();
  WGML_CHECK(x.rank() > 0 || starts.empty(), "slice: a 0-d tensor has no axis to slice");
  std::vector<bool> seen(x.rank(), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t axis = static_cast<size_t>(normalize_axis(axes[i], x.rank(), "slice"));
    WGML_CHECK(!seen[axis], "slice: axis ", axes[i], " repeats in ", axes);
    seen[axis] = true;
    const int64_t dim = x.shape()[axis], step = steps[i];
    WGML_CHECK(step != 0, "slice: step 0 on axis ", axes[i]);
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0) v += dim;
      return std::min(std::max(v, lo), hi);
    };
    int64_t start, end;
    if (step > 0) {
      start = clamp(std::max<int64_t>(starts[i], -dim - 1), 0, dim);
      end = clamp(std::max<int64_t>(ends[i], -dim - 1), 0, dim);
    } else {
      start = clamp(std::max<int64_t>(starts[i], -dim - 1), 0, dim - 1);
      end = clamp(std::max<int64_t>(ends[i], -dim - 1), -1, dim - 1);
    }
    // ceil((end - start) / step) written so that no step (INT64_MIN included) overflows.
    const int64_t count = step > 0 ? (end > start ? (end - start - 1) / step + 1 : 0)
                                   : (start > end ? 1 - (start - end - 1) / step : 0);
    shape[axis] = count;
    if (count > 0) offset += start * strides[axis];
    if (count > 1) strides[axis] *= step;  // |step| < dim here; a single element needs no stride
  }
  return {x.with_view(shape, strides, offset)};
}

Outputs flip_view(OpBuilder&, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  Strides strides = x.strides();
  int64_t offset = x.offset();
  for (int axis : normalize_axes(call.attrs.ints("axes"), x.rank(), "flip")) {
    const size_t a = static_cast<size_t>(axis);
    if (x.shape()[a] > 0) offset += (x.shape()[a] - 1) * strides[a];
    strides[a] = -strides[a];
  }
  return {x.with_view(x.shape(), strides, offset)};
}

Outputs squeeze_view(OpBuilder&, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  const Ints& given = call.attrs.ints("axes");
  std::vector<bool> drop(x.rank(), false);
  if (given.empty()) {
    for (size_t d = 0; d < x.rank(); ++d)
      drop[d] = x.shape()[d] == 1;
  } else {
    for (int axis : normalize_axes(given, x.rank(), "squeeze")) {
      WGML_CHECK(x.shape()[static_cast<size_t>(axis)] == 1, "squeeze: axis ", axis, " of shape ",
                 x.shape(), " has size ", x.shape()[static_cast<size_t>(axis)], ", not 1");
      drop[static_cast<size_t>(axis)] = true;
    }
  }
  Shape shape;
  Strides strides;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (drop[d]) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return {x.with_view(shape, strides, x.offset())};
}

Outputs unsqueeze_view(OpBuilder&, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  const Ints& given = call.attrs.ints("axes");
  const size_t rank = x.rank() + given.size();
  const std::vector<int> axes = normalize_axes(given, rank, "unsqueeze");
  Shape shape;
  Strides strides;
  size_t next = 0;
  for (size_t d = 0; d < rank; ++d) {
    if (std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end()) {
      shape.push_back(1);
      strides.push_back(1);
    } else {
      shape.push_back(x.shape()[next]);
      strides.push_back(x.strides()[next]);
      ++next;
    }
  }
  return {x.with_view(shape, strides, x.offset())};
}

Outputs flatten_view(OpBuilder& b, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = call.attrs.i("axis");
  WGML_CHECK(axis >= -rank && axis <= rank, "flatten: axis ", axis, " is out of range for rank ",
             rank);
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer = checked_mul(outer, x.shape()[static_cast<size_t>(d)], "flatten: input ", x.shape());
  const int64_t inner = outer == 0 ? 0 : x.numel() / outer;
  return {b.call1("reshape", {x}, {{"shape", Ints{outer, inner}}})};
}

Outputs split_view(OpBuilder& b, const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  WGML_CHECK(x.rank() > 0, "split: a 0-d tensor has no axis to split");
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), "split");
  const Ints& sizes = call.attrs.ints("sizes");
  int64_t total = 0;
  for (int64_t s : sizes) {
    WGML_CHECK(s >= 0, "split: negative size in ", sizes);
    total = checked_add(total, s, "split: sizes ", sizes);
  }
  WGML_CHECK(total == x.shape()[static_cast<size_t>(axis)], "split: sizes ", sizes, " sum to ",
             total, " but axis ", axis, " of ", x.shape(), " has ", x.shape()[size_t(axis)]);
  Outputs out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(b.call1(
        "slice", {x}, {{"starts", Ints{start}}, {"ends", Ints{start + s}}, {"axes", Ints{axis}}}));
    start += s;
  }
  return out;
}

std::vector<TensorDesc> same_as_input(const OpCall&, const std::vector<Tensor>& in) {
  return {{in[0].shape(), in[0].dtype()}};
}

}  // namespace

void declare_view_ops(OpTable& t) {
  using namespace dtypes;
  t.view("reshape", kAll, reshape_view)
      .required_attr("shape", AttrType::IntList)
      .attr("allowzero", int64_t{1})
      .doc("-1 infers a size; with allowzero=0 a 0 copies the input's size (ONNX)");
  t.view("permute", kAll, permute_view).required_attr("perm", AttrType::IntList);
  t.view("transpose", kAll, transpose_view).attr("dim0", int64_t{-2}).attr("dim1", int64_t{-1});
  t.view("expand", kAll, expand_view)
      .required_attr("shape", AttrType::IntList)
      .doc("broadcast without copying (stride 0)");
  t.view("slice", kAll, slice_view)
      .required_attr("starts", AttrType::IntList)
      .required_attr("ends", AttrType::IntList)
      .attr("axes", Ints{})
      .attr("steps", Ints{})
      .doc("any step, negative included, as a strided view");
  t.view("flip", kAll, flip_view).attr("axes", Ints{}).doc("a view with negative strides");
  t.view("squeeze", kAll, squeeze_view).attr("axes", Ints{});
  t.view("unsqueeze", kAll, unsqueeze_view).required_attr("axes", AttrType::IntList);
  t.view("flatten", kAll, flatten_view).attr("axis", int64_t{1}).doc("to 2-d around axis (ONNX)");
  t.view("split", kAll, split_view)
      .attr("axis", int64_t{0})
      .required_attr("sizes", AttrType::IntList)
      .doc("one view per size");

  t.kernel("copy", {{"input", kAll}}, same_as_input).doc("materialise a view contiguously");
  t.kernel(
       "cast", {{"input", kAll}},
       [](const OpCall& call, const std::vector<Tensor>& in) {
         return std::vector<TensorDesc>{{in[0].shape(), dtype_from_name(call.attrs.s("dtype"))}};
       })
      .required_attr("dtype", AttrType::String)
      .doc("floats to integers truncate toward zero; NaN and out-of-range values give 0");
}

}  // namespace wgml
