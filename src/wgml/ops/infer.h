// Shape and dtype rules shared by op kinds (elementwise broadcasting, reductions).
#pragma once

#include <vector>

#include "wgml/ops/op_def.h"

namespace wgml {

std::vector<TensorDesc> infer_elementwise(const OpCall& call, const std::vector<Tensor>& inputs);
std::vector<TensorDesc> infer_reduce(const OpCall& call, const std::vector<Tensor>& inputs);

// The output dtypes of `call` from its input dtypes (undefined optional inputs may be given any
// dtype): the entry's dtype rule, else what its kind implies.
std::vector<DType> infer_dtypes(const OpCall& call, const std::vector<DType>& inputs);

// The sorted axes a reduce call folds (`axes`, or `axis` for argmax/argmin).
std::vector<int> reduce_axes(const OpCall& call, size_t rank);

}  // namespace wgml
