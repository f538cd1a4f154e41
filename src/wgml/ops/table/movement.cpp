// Movement ops that copy data into a new layout: pad, concat, tile, trilu, and the generators
// one_hot and arange.
#include <cmath>

#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

using Descs = std::vector<TensorDesc>;
using Inputs = std::vector<Tensor>;

// ONNX Pad: pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; negative pads crop.
Descs infer_pad(const OpCall& call, const Inputs& in) {
  const Shape& shape = in[0].shape();
  const Ints& pads = call.attrs.ints("pads");
  const std::string& mode = call.attrs.s("mode");
  const size_t rank = shape.size();
  WGML_CHECK(mode == "constant" || mode == "reflect" || mode == "edge", "pad: unknown mode '", mode,
             "'; expected constant, reflect or edge");
  WGML_CHECK(pads.size() == 2 * rank, "pad: pads ", pads, " must hold 2 * rank = ", 2 * rank,
             " values for input ", shape);
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t begin = pads[d], end = pads[d + rank];
    out[d] = checked_add(shape[d], checked_add(begin, end, "pad: pads ", pads), "pad: axis ", d,
                         " of input ", shape, " with pads ", pads);
    WGML_CHECK(out[d] >= 0, "pad: pads ", pads, " crop axis ", d, " of input ", shape,
               " below zero");
    const bool grows = begin > 0 || end > 0;
    if (mode == "edge" && grows) {
      WGML_CHECK(shape[d] > 0, "pad: edge mode cannot pad empty axis ", d, " of input ", shape);
    }
    if (mode == "reflect" && grows) {
      // The reflection excludes the edge element, so it needs pad < size (as PyTorch).
      WGML_CHECK(begin < shape[d] && end < shape[d], "pad: reflect padding ", pads,
                 " must be less than the size of axis ", d, " of input ", shape);
    }
  }
  return {{out, in[0].dtype()}};
}

Descs infer_concat(const OpCall& call, const Inputs& in) {
  const Shape& first = in[0].shape();
  WGML_CHECK(!first.empty(), "concat: cannot concatenate 0-d tensors");
  const int axis = normalize_axis(call.attrs.i("axis"), first.size(), "concat");
  Shape out = first;
  out[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Shape& s = in[i].shape();
    bool same = s.size() == first.size();
    for (size_t d = 0; same && d < s.size(); ++d) {
      same = static_cast<int>(d) == axis || s[d] == first[d];
    }
    WGML_CHECK(same, "concat: input ", i, " has shape ", s, " but input 0 has ", first,
               "; they must match except on axis ", axis);
    out[static_cast<size_t>(axis)] =
        checked_add(out[static_cast<size_t>(axis)], s[static_cast<size_t>(axis)],
                    "concat: the sizes along axis ", axis);
  }
  return {{out, in[0].dtype()}};
}

Descs infer_tile(const OpCall& call, const Inputs& in) {
  const Shape& shape = in[0].shape();
  const Ints& repeats = call.attrs.ints("repeats");
  WGML_CHECK(repeats.size() == shape.size(), "tile: repeats ", repeats,
             " must hold one value per axis of input ", shape);
  Shape out(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    WGML_CHECK(repeats[d] >= 0, "tile: negative repeat in ", repeats);
    out[d] = checked_mul(shape[d], repeats[d], "tile: axis ", d, " of input ", shape, " repeated ",
                         repeats);
  }
  return {{out, in[0].dtype()}};
}

Descs infer_trilu(const OpCall& call, const Inputs& in) {
  WGML_CHECK(in[0].rank() >= 2, call.name(), ": input ", in[0].shape(),
             " must have at least 2 dimensions");
  return {{in[0].shape(), in[0].dtype()}};
}

Descs infer_one_hot(const OpCall& call, const Inputs& in) {
  const int64_t depth = call.attrs.i("depth");
  WGML_CHECK(depth > 0, "one_hot: depth must be positive, got ", depth);
  const DType dtype = dtype_from_name(call.attrs.s("dtype"));
  const int axis = normalize_axis(call.attrs.i("axis"), in[0].rank() + 1, "one_hot");
  Shape out = in[0].shape();
  out.insert(out.begin() + axis, depth);
  return {{out, dtype}};
}

// ONNX Range: max(ceil((limit - start) / delta), 0) values start, start + delta, ...
Descs infer_arange(const OpCall& call, const Inputs&) {
  const double start = call.attrs.f("start"), limit = call.attrs.f("limit");
  const double delta = call.attrs.f("delta");
  const DType dtype = dtype_from_name(call.attrs.s("dtype"));
  WGML_CHECK(dtype != DType::Bool, "arange: dtype bool is not supported");
  WGML_CHECK(delta != 0, "arange: delta must not be 0 (start ", start, ", limit ", limit, ")");
  const double count = std::ceil((limit - start) / delta);
  WGML_CHECK(std::isfinite(count) && count < 9e15, "arange: start ", start, ", limit ", limit,
             ", delta ", delta, " give too many values");
  return {{Shape{count > 0 ? static_cast<int64_t>(count) : 0}, dtype}};
}

}  // namespace

void declare_movement_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("pad", {{"input", kAll}}, infer_pad)
      .required_attr("pads", AttrType::IntList)
      .attr("mode", std::string("constant"))
      .attr("value", 0.0)
      .doc(
          "ONNX Pad: pads [x1_begin, x2_begin, ..., x1_end, ...], negative crops; mode constant, "
          "reflect or edge");
  t.kernel("concat", {{"inputs", kAll, 0, false, true}}, infer_concat)
      .attr("axis", int64_t{0})
      .doc("joins inputs along axis; ONNX requires axis, it defaults to 0 here as torch.cat");
  t.kernel("tile", {{"input", kAll}}, infer_tile)
      .required_attr("repeats", AttrType::IntList)
      .doc("one repeat count per axis (ONNX Tile)");
  t.kernel("trilu", {{"input", kAll}}, infer_trilu)
      .attr("upper", int64_t{1})
      .attr("k", int64_t{0})
      .doc("keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes");
  t.kernel("one_hot", {{"indices", kInt}}, infer_one_hot)
      .required_attr("depth", AttrType::Int)
      .attr("axis", int64_t{-1})
      .attr("dtype", std::string("float32"))
      .doc("negative indices count from depth (ONNX); indices out of range give an all-zero row");
  t.kernel("arange", {}, infer_arange)
      .attr("start", 0.0)
      .required_attr("limit", AttrType::Float)
      .attr("delta", 1.0)
      .attr("dtype", std::string("float32"))
      .doc("ONNX Range: max(ceil((limit - start) / delta), 0) values, computed in double");
}

}  // namespace wgml
