// The expression language of the op table: elementwise forward and backward rules are written
// as typed C++ expressions (`max(x, 0)`, `select(x > 0, g, 0)`) that build an AST. The CPU
// backend interprets the AST, the WGSL generator renders it; no expression is ever a string.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace wgml::expr {

enum class Fn : uint8_t {
  // Leaves.
  Input,   // the op's input `index`
  Output,  // the op's forward output (backward rules only)
  Grad,    // the gradient flowing into the output (backward rules only)
  Param,   // a float attribute of the op, by name
  Const,   // a literal
  // Unary.
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Sqrt,
  Sin,
  Cos,
  Tan,
  Tanh,
  Asin,
  Acos,
  Atan,
  Erf,
  Erfc,      // 1 - erf, without the cancellation for large x
  Log1p,     // log(1 + x), exact near 0
  Expm1,     // exp(x) - 1, exact near 0
  RoundF32,  // x rounded to float32: where a fused expression had a stored float32 value (the
             // CPU computes in double; WGSL's f32 already is)
  Floor,
  Ceil,
  Round,
  IsNan,
  IsInf,
  Not,
  // Binary.
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Mod,
  FMod,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  And,
  Or,
  Xor,
  // Ternary: select(cond, if_true, if_false).
  Select,
};

const char* fn_name(Fn fn);
int fn_arity(Fn fn);  // 0 for leaves
// Whether the function is defined on integers (exactly, in int64); the others need floats.
bool fn_integer_defined(Fn fn);

struct Node {
  Fn fn = Fn::Const;
  int index = 0;      // Input
  double value = 0;   // Const
  std::string param;  // Param
  std::vector<std::shared_ptr<const Node>> args;
};

class Expr {
 public:
  Expr() = default;
  Expr(double value);  // NOLINT: literals mix freely with expressions, as in `x * 0.5`
  Expr(int value) : Expr(static_cast<double>(value)) {}  // NOLINT
  explicit Expr(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }
  const Node& node() const { return *node_; }
  const std::shared_ptr<const Node>& ptr() const { return node_; }
  std::string to_string() const;  // "max(x0, 0)" for docs and error messages

 private:
  std::shared_ptr<const Node> node_;
};

Expr input(int index);
Expr output();
Expr grad();
Expr param(const std::string& name);
Expr apply(Fn fn, std::vector<Expr> args);
// `e` with every input(i) replaced by args[i] (an expression substituted into another).
Expr substitute(const Expr& e, const std::vector<Expr>& args);

#define WGML_EXPR_UNARY(name, fn)   \
  inline Expr name(const Expr& a) { \
    return apply(Fn::fn, {a});      \
  }
WGML_EXPR_UNARY(abs, Abs)
WGML_EXPR_UNARY(sign, Sign)
WGML_EXPR_UNARY(exp, Exp)
WGML_EXPR_UNARY(log, Log)
WGML_EXPR_UNARY(sqrt, Sqrt)
WGML_EXPR_UNARY(sin, Sin)
WGML_EXPR_UNARY(cos, Cos)
WGML_EXPR_UNARY(tan, Tan)
WGML_EXPR_UNARY(tanh, Tanh)
WGML_EXPR_UNARY(asin, Asin)
WGML_EXPR_UNARY(acos, Acos)
WGML_EXPR_UNARY(atan, Atan)
WGML_EXPR_UNARY(erf, Erf)
WGML_EXPR_UNARY(erfc, Erfc)
WGML_EXPR_UNARY(log1p, Log1p)
WGML_EXPR_UNARY(expm1, Expm1)
WGML_EXPR_UNARY(round_f32, RoundF32)
WGML_EXPR_UNARY(floor, Floor)
WGML_EXPR_UNARY(ceil, Ceil)
WGML_EXPR_UNARY(round, Round)
WGML_EXPR_UNARY(isnan, IsNan)
WGML_EXPR_UNARY(isinf, IsInf)
WGML_EXPR_UNARY(logical_not, Not)
#undef WGML_EXPR_UNARY

#define WGML_EXPR_BINARY(name, fn)                 \
  inline Expr name(const Expr& a, const Expr& b) { \
    return apply(Fn::fn, {a, b});                  \
  }
WGML_EXPR_BINARY(operator+, Add)
WGML_EXPR_BINARY(operator-, Sub)
WGML_EXPR_BINARY(operator*, Mul)
WGML_EXPR_BINARY(operator/, Div)
WGML_EXPR_BINARY(operator<, Lt)
WGML_EXPR_BINARY(operator<=, Le)
WGML_EXPR_BINARY(operator>, Gt)
WGML_EXPR_BINARY(operator>=, Ge)
WGML_EXPR_BINARY(pow, Pow)
WGML_EXPR_BINARY(max, Max)
WGML_EXPR_BINARY(min, Min)
WGML_EXPR_BINARY(mod, Mod)
WGML_EXPR_BINARY(fmod, FMod)
WGML_EXPR_BINARY(eq, Eq)
WGML_EXPR_BINARY(ne, Ne)
WGML_EXPR_BINARY(logical_and, And)
WGML_EXPR_BINARY(logical_or, Or)
WGML_EXPR_BINARY(logical_xor, Xor)
#undef WGML_EXPR_BINARY

inline Expr operator-(const Expr& a) {
  return apply(Fn::Neg, {a});
}
inline Expr select(const Expr& cond, const Expr& a, const Expr& b) {
  return apply(Fn::Select, {cond, a, b});
}

}  // namespace wgml::expr
