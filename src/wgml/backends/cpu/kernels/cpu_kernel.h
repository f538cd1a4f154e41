// CPU reference kernels: the specification every other backend is checked against, so they
// favour clarity; fast paths (SIMD, threads, blocking) come in later issues behind the same names.
#pragma once

#include <string>
#include <vector>

#include "wgml/core/tensor.h"
#include "wgml/ops/expr.h"
#include "wgml/ops/op_def.h"

namespace wgml {

using CpuKernelFn = void (*)(const OpCall& call, const std::vector<Tensor>& inputs,
                             std::vector<Tensor>& outputs);

struct CpuKernel {
  const char* op;
  CpuKernelFn fn;
};

// Each backends/cpu/kernels/<family>.cpp lists its kernels; see cpu_kernel.cpp for the families.
CpuKernelFn find_cpu_kernel(const std::string& op);

// Evaluates an elementwise expression over `operands` broadcast to `out`'s shape. Leaves:
// Input(i) is operands[i]; backward rules pass the forward output and the incoming gradient as
// operands[num_inputs] and operands[num_inputs + 1].
void cpu_eval_expression(const expr::Expr& expression, const Attrs& attrs,
                         const std::vector<Tensor>& operands, Tensor& out, size_t num_inputs);

void cpu_reduce(const OpCall& call, const Tensor& input, Tensor& out);

// Host pointer to the first element of a CPU tensor's view.
template <typename T>
T* cpu_data(const Tensor& t) {
  return static_cast<T*>(t.storage()->host_data()) + t.offset();
}

// `t` itself when contiguous, else a contiguous copy.
Tensor cpu_contiguous(const Tensor& t);

// Copies `src` into the contiguous `dst` of the same shape, converting the dtype.
void cpu_copy_convert(const Tensor& src, Tensor& dst);

// The elements of a CPU tensor converted to C (double for floats, int64 for integers).
template <typename C>
std::vector<C> cpu_values(const Tensor& t) {
  return t.to_vector<C>();
}

}  // namespace wgml
