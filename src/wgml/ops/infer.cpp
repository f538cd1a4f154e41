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

std::vector<DType> infer_dtypes(const OpCall& call, const std::vector<DType>& inputs) {
  const OpDef& op = *call.op;
  if (op.dtypes) return op.dtypes(call, inputs);
  auto input = [&](size_t i) {
    WGML_CHECK(i < inputs.size(), op.name, ": no input ", i, " to take the output dtype from");
    return inputs[i];
  };
  switch (op.kind) {
    case OpKind::Elementwise:
      return {op.bool_output ? DType::Bool : input(static_cast<size_t>(op.dtype_from_input))};
    case OpKind::Reduce:
      return {op.reduce.arg ? DType::Int64 : input(0)};
    case OpKind::View:
      if (call.attrs.has("sizes"))  // split: one view per size
        return std::vector<DType>(call.attrs.ints("sizes").size(), input(0));
      return {input(0)};
    case OpKind::Kernel:
    case OpKind::Composite:
      // Generators and casts name their dtype; everything else keeps its first input's.
      if (call.attrs.has("dtype")) return {dtype_from_name(call.attrs.s("dtype"))};
      return {input(0)};
  }
  return {input(0)};
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
