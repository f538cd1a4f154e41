#include "wgml/ops/infer.h"

#include <algorithm>

#include "wgml/core/error.h"

namespace wgml {

std::vector<TensorDesc> infer_elementwise(const OpCall& call, const std::vector<Tensor>& inputs) {
  Shape shape = inputs[0].shape();
  for (size_t i = 1; i < inputs.size(); ++i) {
    shape = broadcast_shapes(shape, inputs[i].shape(), call.name());
  }
  const DType dtype = call.op->bool_output
                          ? DType::Bool
                          : inputs[static_cast<size_t>(call.op->dtype_from_input)].dtype();
  return {{shape, dtype}};
}

std::vector<int> reduce_axes(const OpCall& call, size_t rank) {
  if (call.op->reduce.arg) {
    WGML_CHECK(rank > 0, call.name(), ": needs a tensor of rank >= 1");
    return {normalize_axis(call.attrs.i("axis"), rank, call.name())};
  }
  return normalize_axes(call.attrs.ints("axes"), rank, call.name());
}

std::vector<TensorDesc> infer_reduce(const OpCall& call, const std::vector<Tensor>& inputs) {
  const Tensor& x = inputs[0];
  const std::vector<int> axes = reduce_axes(call, x.rank());
  const bool keepdims = call.attrs.i("keepdims") != 0;
  Shape shape;
  for (size_t d = 0; d < x.rank(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end();
    if (reduced) {
      // Max, min and arg reductions have no identity: an empty axis is an error, as in PyTorch.
      const bool has_identity = call.op->reduce.init == ReduceSpec::Init::Zero ||
                                call.op->reduce.init == ReduceSpec::Init::One;
      WGML_CHECK(x.shape()[d] > 0 || (has_identity && !call.op->reduce.arg), call.name(),
                 ": cannot reduce the empty axis ", d, " of shape ", x.shape());
      if (keepdims) shape.push_back(1);
    } else {
      shape.push_back(x.shape()[d]);
    }
  }
  return {{shape, call.op->reduce.arg ? DType::Int64 : x.dtype()}};
}

}  // namespace wgml
