// Elementwise expressions on the CPU: the expression DAG is flattened into a register program
// once per call, then run over blocks of elements so the interpretation cost is amortised.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/backends/cpu/kernels/scalar_math.h"

namespace wgml {

namespace {

constexpr int64_t kBlock = 256;

struct Instr {
  expr::Fn fn;
  int args[3] = {-1, -1, -1};  // registers of the arguments
  int operand = -1;            // leaves that read an operand
  double value = 0;            // constants (and resolved params)
};

struct Program {
  std::vector<Instr> code;  // register i holds the result of code[i]
};

int emit(const expr::Node& node, const Attrs& attrs, size_t num_inputs, Program& program,
         std::map<const expr::Node*, int>& seen) {
  auto it = seen.find(&node);
  if (it != seen.end()) return it->second;  // shared subexpressions are computed once
  Instr instr;
  instr.fn = node.fn;
  switch (node.fn) {
    case expr::Fn::Input:
      instr.operand = node.index;
      break;
    case expr::Fn::Output:
      instr.operand = static_cast<int>(num_inputs);
      break;
    case expr::Fn::Grad:
      instr.operand = static_cast<int>(num_inputs) + 1;
      break;
    case expr::Fn::Param:
      instr.fn = expr::Fn::Const;
      instr.value = attrs.f(node.param);
      break;
    case expr::Fn::Const:
      instr.value = node.value;
      break;
    default:
      for (size_t i = 0; i < node.args.size(); ++i) {
        instr.args[i] = emit(*node.args[i], attrs, num_inputs, program, seen);
      }
  }
  program.code.push_back(instr);
  const int reg = static_cast<int>(program.code.size()) - 1;
  seen[&node] = reg;
  return reg;
}

// Operand strides as seen from the output's index space (0 along broadcast axes).
Strides broadcast_strides(const Tensor& t, const Shape& out_shape) {
  Strides strides(out_shape.size(), 0);
  const size_t lead = out_shape.size() - t.rank();
  for (size_t d = 0; d < t.rank(); ++d) {
    if (t.shape()[d] != 1) strides[lead + d] = t.strides()[d];
  }
  return strides;
}

// Literals and float attributes in the compute type; integers saturate (clip's default bounds
// are infinite).
template <typename C>
C constant_as(double v) {
  if constexpr (std::is_floating_point_v<C>) {
    return v;
  } else {
    if (std::isnan(v)) return 0;
    if (v <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
    if (v >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(v);
  }
}

template <typename C>
void run(const Program& program, const std::vector<Tensor>& operands, Tensor& out) {
  const Shape& shape = out.shape();
  const size_t rank = shape.size();
  const int64_t total = out.numel();
  const size_t num_operands = operands.size();
  std::vector<Strides> strides;
  std::vector<bool> linear;  // contiguous and unbroadcast: element i is at offset + i
  for (const Tensor& t : operands) {
    strides.push_back(broadcast_strides(t, shape));
    linear.push_back(t.is_contiguous() && t.shape() == shape);
  }
  std::vector<C> regs(program.code.size() * kBlock);
  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> offsets(num_operands);
  for (size_t k = 0; k < num_operands; ++k)
    offsets[k] = operands[k].offset();

  for (int64_t start = 0; start < total; start += kBlock) {
    const int64_t n = std::min(kBlock, total - start);
    // Gather each operand's block, converting to the compute type.
    for (size_t r = 0; r < program.code.size(); ++r) {
      const Instr& instr = program.code[r];
      if (instr.operand < 0) continue;
      const size_t k = static_cast<size_t>(instr.operand);
      C* dst = &regs[r * kBlock];
      dispatch_dtype(operands[k].dtype(), [&](auto tag) {
        using S = typename decltype(tag)::type;
        const S* base = static_cast<const S*>(operands[k].storage()->host_data());
        if (linear[k]) {
          const S* src = base + operands[k].offset() + start;
          for (int64_t i = 0; i < n; ++i)
            dst[i] = load_as<S, C>(src[i]);
          return;
        }
        // Walk the output index space from `start` with this operand's strides.
        std::vector<int64_t> idx(rank);
        int64_t rest = start, at = operands[k].offset();
        for (size_t d = rank; d-- > 0;) {
          idx[d] = rest % shape[d];
          rest /= shape[d];
          at += idx[d] * strides[k][d];
        }
        for (int64_t i = 0; i < n; ++i) {
          dst[i] = load_as<S, C>(base[at]);
          for (size_t d = rank; d-- > 0;) {
            at += strides[k][d];
            if (++idx[d] < shape[d]) break;
            at -= strides[k][d] * shape[d];
            idx[d] = 0;
          }
        }
      });
    }
    for (size_t r = 0; r < program.code.size(); ++r) {
      const Instr& instr = program.code[r];
      if (instr.operand >= 0) continue;
      C* dst = &regs[r * kBlock];
      const C* a = instr.args[0] >= 0 ? &regs[size_t(instr.args[0]) * kBlock] : nullptr;
      const C* b = instr.args[1] >= 0 ? &regs[size_t(instr.args[1]) * kBlock] : nullptr;
      const C* c = instr.args[2] >= 0 ? &regs[size_t(instr.args[2]) * kBlock] : nullptr;
      switch (expr::fn_arity(instr.fn)) {
        case 0:
          std::fill(dst, dst + n, constant_as<C>(instr.value));
          break;
        case 1:
          for (int64_t i = 0; i < n; ++i)
            dst[i] = scalar::unary(instr.fn, a[i]);
          break;
        case 2:
          for (int64_t i = 0; i < n; ++i)
            dst[i] = scalar::binary(instr.fn, a[i], b[i]);
          break;
        default:  // select
          for (int64_t i = 0; i < n; ++i)
            dst[i] = a[i] != 0 ? b[i] : c[i];
      }
    }
    const C* result = &regs[(program.code.size() - 1) * kBlock];
    dispatch_dtype(out.dtype(), [&](auto tag) {
      using S = typename decltype(tag)::type;
      S* dst = cpu_data<S>(out) + start;
      for (int64_t i = 0; i < n; ++i)
        dst[i] = store_as<S>(result[i]);
    });
  }
}

}  // namespace

void cpu_eval_expression(const expr::Expr& expression, const Attrs& attrs,
                         const std::vector<Tensor>& operands, Tensor& out, size_t num_inputs) {
  WGML_CHECK(out.is_contiguous(), "elementwise: the output must be contiguous");
  Program program;
  std::map<const expr::Node*, int> seen;
  emit(expression.node(), attrs, num_inputs, program, seen);
  bool any_float = is_floating(out.dtype());
  for (const Tensor& t : operands)
    any_float = any_float || is_floating(t.dtype());
  if (any_float) {
    run<double>(program, operands, out);
  } else {
    run<int64_t>(program, operands, out);
  }
}

}  // namespace wgml
