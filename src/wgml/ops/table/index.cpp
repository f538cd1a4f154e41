// Indexing ops: gather (ONNX Gather), gather_elements (ONNX GatherElements / torch.gather),
// scatter_nd (ONNX ScatterND) and embedding. Index values are checked by the kernels, the shapes
// here.
#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

using Descs = std::vector<TensorDesc>;
using Inputs = std::vector<Tensor>;

// data[:axis] + indices + data[axis+1:]
Descs infer_gather(const OpCall& call, const Inputs& in) {
  const Shape& data = in[0].shape();
  WGML_CHECK(!data.empty(), call.name(), ": data must have at least 1 dimension");
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), data.size(), call.name()));
  Shape out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), in[1].shape().begin(), in[1].shape().end());
  out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.end());
  return {{out, in[0].dtype()}};
}

Descs infer_gather_elements(const OpCall& call, const Inputs& in) {
  const Shape& data = in[0].shape();
  const Shape& indices = in[1].shape();
  WGML_CHECK(!data.empty(), "gather_elements: data must have at least 1 dimension");
  const int axis = normalize_axis(call.attrs.i("axis"), data.size(), "gather_elements");
  bool fits = indices.size() == data.size();
  for (size_t d = 0; fits && d < data.size(); ++d) {
    fits = static_cast<int>(d) == axis || indices[d] <= data[d];
  }
  WGML_CHECK(fits, "gather_elements: indices ", indices, " must have the rank of data ", data,
             " and no larger size on axes other than ", axis);
  return {{indices, in[0].dtype()}};
}

Descs infer_scatter_nd(const OpCall& call, const Inputs& in) {
  const Shape& data = in[0].shape();
  const Shape& indices = in[1].shape();
  const Shape& updates = in[2].shape();
  const std::string& reduction = call.attrs.s("reduction");
  WGML_CHECK(reduction == "none" || reduction == "add" || reduction == "mul" ||
                 reduction == "max" || reduction == "min",
             "scatter_nd: unknown reduction '", reduction,
             "'; expected none, add, mul, max or min");
  WGML_CHECK(!indices.empty() && indices.back() <= static_cast<int64_t>(data.size()),
             "scatter_nd: the last axis of indices ", indices,
             " must exist and be no longer than the rank of data ", data);
  const size_t k = static_cast<size_t>(indices.back());
  Shape expected(indices.begin(), indices.end() - 1);
  expected.insert(expected.end(), data.begin() + static_cast<std::ptrdiff_t>(k), data.end());
  WGML_CHECK(updates == expected, "scatter_nd: updates ", updates, " must have shape ", expected,
             " (indices ", indices, "[:-1] + data ", data, "[", k, ":])");
  return {{data, in[0].dtype()}};
}

Inputs embedding(OpBuilder& b, const OpCall&, const Inputs& in) {
  WGML_CHECK(in[0].rank() == 2, "embedding: weight ", in[0].shape(), " must be 2-d [V, D]");
  return {b.call1("gather", {in[0], in[1]}, {{"axis", int64_t{0}}})};
}

}  // namespace

void declare_index_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("gather", {{"data", kAll}, {"indices", kIndex}}, infer_gather)
      .attr("axis", int64_t{0})
      .doc(
          "ONNX Gather: output data[:axis] + indices + data[axis+1:]; negative indices count "
          "from the end");
  t.kernel("gather_elements", {{"data", kAll}, {"indices", kIndex}}, infer_gather_elements)
      .attr("axis", int64_t{0})
      .doc("ONNX GatherElements / torch.gather: out[i][j] = data[indices[i][j]][j] on axis 0");
  t.kernel("scatter_nd", {{"data", kAll}, {"indices", kIndex}, {"updates", kAll, 0}},
           infer_scatter_nd)
      .attr("reduction", std::string("none"))
      .doc(
          "ONNX ScatterND; reduction none, add, mul, max or min; with none, repeated indices "
          "keep the last update");
  t.composite("embedding", {{"weight", kAll}, {"indices", kIndex}}, embedding)
      .doc("rows of weight [V, D]: gather on axis 0 (torch.nn.functional.embedding)");
}

}  // namespace wgml
