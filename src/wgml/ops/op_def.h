// OpDef: one entry of the op table, the single source of truth about an op. The runtime checks
// calls against it, the CPU backend and the WGSL generator implement it, autograd will use its
// backward rules, and the test harness and docs/OPS.md enumerate it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wgml/core/attrs.h"
#include "wgml/core/dtype.h"
#include "wgml/core/shape.h"
#include "wgml/core/tensor.h"
#include "wgml/ops/expr.h"

namespace wgml {

enum class OpKind : uint8_t {
  Elementwise,  // forward is an expression over broadcast inputs
  Reduce,       // folds axes with a combine function
  View,         // metadata only (reshape, permute, slice, ...), copies only when it must
  Kernel,       // a dedicated kernel per backend (matmul, conv, gather, ...)
  Composite,    // built from other ops; a backend may still offer a fused kernel
};
const char* op_kind_name(OpKind kind);

struct AttrSpec {
  std::string name;
  AttrType type;
  std::optional<AttrValue> default_value;  // none: the caller must set it
};

struct InputSpec {
  std::string name;
  DTypeSet dtypes;
  int same_dtype_as = -1;  // index of an earlier input whose dtype this one must equal
  bool optional = false;   // may be passed as an undefined Tensor
  bool variadic = false;   // last input only: repeats one or more times
};

struct TensorDesc {
  Shape shape;
  DType dtype;
};

enum class ErrorMetric : uint8_t {
  MaxRelative,  // max over elements of |got - ref| / (|ref| + atol)
  Frobenius,    // ||got - ref|| / ||ref||
};

// How close a float result must be to the reference; integers and bools must match exactly.
struct Tolerance {
  ErrorMetric metric = ErrorMetric::MaxRelative;
  double float32 = 1e-5;
  double float16 = 2e-3;  // two half-precision ulps: the reference rounds float results once
};

struct OpCall;
struct OpDef;

// What composite and view rules build with: the eager runtime today, a graph builder later.
class OpBuilder {
 public:
  virtual ~OpBuilder() = default;
  virtual std::vector<Tensor> call(const std::string& op, std::vector<Tensor> inputs,
                                   Attrs attrs = {}) = 0;
  Tensor call1(const std::string& op, std::vector<Tensor> inputs, Attrs attrs = {});
  // A 0-d constant of `like`'s dtype on `like`'s device.
  Tensor constant(double value, const Tensor& like);
};

struct ReduceSpec {
  enum class Init : uint8_t { Zero, One, Lowest, Highest };
  expr::Fn combine = expr::Fn::Add;  // Add, Mul, Max or Min
  Init init = Init::Zero;
  bool arg = false;  // argmax/argmin: yields the int64 index of the winner along one axis
};

using InferFn = std::function<std::vector<TensorDesc>(const OpCall&, const std::vector<Tensor>&)>;
// The output dtypes from the input dtypes alone: element types never depend on sizes, so the
// graph builder knows every value's type even where a shape cannot be inferred.
using DTypeFn = std::function<std::vector<DType>(const OpCall&, const std::vector<DType>&)>;
using DecomposeFn =
    std::function<std::vector<Tensor>(OpBuilder&, const OpCall&, const std::vector<Tensor>&)>;

struct OpDef {
  std::string name;
  OpKind kind = OpKind::Kernel;
  std::string family;   // the table file that declares it: "unary", "conv", ...
  std::string summary;  // one line for docs/OPS.md
  std::vector<InputSpec> inputs;
  std::vector<AttrSpec> attrs;
  Tolerance tolerance;

  // Elementwise: the forward rule and one backward rule per input (`grad()` is dL/dout).
  expr::Expr forward;
  std::vector<expr::Expr> backward;
  int dtype_from_input = 0;  // the output takes this input's dtype ...
  bool bool_output = false;  // ... unless the op is a predicate

  ReduceSpec reduce;      // Reduce
  InferFn infer;          // Kernel: output shapes and dtypes
  DTypeFn dtypes;         // set where the outputs are not one value of input 0's dtype
  DecomposeFn decompose;  // View and Composite

  const InputSpec& input_spec(size_t i) const;
};

// An op applied with concrete attributes (validated and completed with defaults).
struct OpCall {
  const OpDef* op = nullptr;
  Attrs attrs;
  // Set by the compiler where the device takes it (Device::takes_epilogue): an elementwise
  // expression applied to each output element as it is stored, input 0 being the op's value and
  // input i the element of epilogue_inputs[i - 1] broadcast to the output's shape.
  const OpDef* epilogue = nullptr;
  std::vector<Tensor> epilogue_inputs = {};
  const std::string& name() const { return op->name; }
};

}  // namespace wgml
