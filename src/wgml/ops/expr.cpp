#include "wgml/ops/expr.h"

#include <sstream>

#include "wgml/core/error.h"

namespace wgml::expr {

namespace {
struct FnInfo {
  Fn fn;
  const char* name;
  int arity;
  bool integer_defined;
};

// One row per function: its printed name, arity and whether integers support it.
constexpr FnInfo kFnInfo[] = {
    {Fn::Input, "input", 0, true},
    {Fn::Output, "output", 0, true},
    {Fn::Grad, "grad", 0, true},
    {Fn::Param, "param", 0, true},
    {Fn::Const, "const", 0, true},
    {Fn::Neg, "neg", 1, true},
    {Fn::Abs, "abs", 1, true},
    {Fn::Sign, "sign", 1, true},
    {Fn::Exp, "exp", 1, false},
    {Fn::Log, "log", 1, false},
    {Fn::Sqrt, "sqrt", 1, false},
    {Fn::Sin, "sin", 1, false},
    {Fn::Cos, "cos", 1, false},
    {Fn::Tan, "tan", 1, false},
    {Fn::Tanh, "tanh", 1, false},
    {Fn::Asin, "asin", 1, false},
    {Fn::Acos, "acos", 1, false},
    {Fn::Atan, "atan", 1, false},
    {Fn::Erf, "erf", 1, false},
    {Fn::Erfc, "erfc", 1, false},
    {Fn::Log1p, "log1p", 1, false},
    {Fn::Expm1, "expm1", 1, false},
    {Fn::RoundF32, "round_f32", 1, true},
    {Fn::Floor, "floor", 1, true},
    {Fn::Ceil, "ceil", 1, true},
    {Fn::Round, "round", 1, true},
    {Fn::IsNan, "isnan", 1, true},
    {Fn::IsInf, "isinf", 1, true},
    {Fn::Not, "not", 1, true},
    {Fn::Add, "+", 2, true},
    {Fn::Sub, "-", 2, true},
    {Fn::Mul, "*", 2, true},
    {Fn::Div, "/", 2, true},
    {Fn::Pow, "pow", 2, true},
    {Fn::Max, "max", 2, true},
    {Fn::Min, "min", 2, true},
    {Fn::Mod, "mod", 2, true},
    {Fn::FMod, "fmod", 2, true},
    {Fn::Eq, "==", 2, true},
    {Fn::Ne, "!=", 2, true},
    {Fn::Lt, "<", 2, true},
    {Fn::Le, "<=", 2, true},
    {Fn::Gt, ">", 2, true},
    {Fn::Ge, ">=", 2, true},
    {Fn::And, "&&", 2, true},
    {Fn::Or, "||", 2, true},
    {Fn::Xor, "^^", 2, true},
    {Fn::Select, "select", 3, true},
};

const FnInfo& info(Fn fn) {
  for (const FnInfo& i : kFnInfo) {
    if (i.fn == fn) return i;
  }
  fail("expr: function ", static_cast<int>(fn), " has no info row");
}

bool is_infix(Fn fn) {
  const char* n = info(fn).name;
  return fn_arity(fn) == 2 && !(n[0] >= 'a' && n[0] <= 'z');
}

void print(std::ostringstream& out, const Node& node) {
  switch (node.fn) {
    case Fn::Input:
      out << "x" << node.index;
      return;
    case Fn::Output:
      out << "out";
      return;
    case Fn::Grad:
      out << "grad";
      return;
    case Fn::Param:
      out << node.param;
      return;
    case Fn::Const:
      out << node.value;
      return;
    default:
      break;
  }
  if (is_infix(node.fn)) {
    out << "(";
    print(out, *node.args[0]);
    out << " " << info(node.fn).name << " ";
    print(out, *node.args[1]);
    out << ")";
    return;
  }
  out << info(node.fn).name << "(";
  for (size_t i = 0; i < node.args.size(); ++i) {
    if (i) out << ", ";
    print(out, *node.args[i]);
  }
  out << ")";
}
}  // namespace

const char* fn_name(Fn fn) {
  return info(fn).name;
}
int fn_arity(Fn fn) {
  return info(fn).arity;
}
bool fn_integer_defined(Fn fn) {
  return info(fn).integer_defined;
}

Expr::Expr(double value) {
  auto node = std::make_shared<Node>();
  node->fn = Fn::Const;
  node->value = value;
  node_ = std::move(node);
}

std::string Expr::to_string() const {
  std::ostringstream out;
  print(out, *node_);
  return out.str();
}

static Expr leaf(Fn fn, int index = 0, std::string param = {}) {
  auto node = std::make_shared<Node>();
  node->fn = fn;
  node->index = index;
  node->param = std::move(param);
  return Expr(std::move(node));
}

Expr input(int index) {
  return leaf(Fn::Input, index);
}
Expr output() {
  return leaf(Fn::Output);
}
Expr grad() {
  return leaf(Fn::Grad);
}
Expr param(const std::string& name) {
  return leaf(Fn::Param, 0, name);
}

Expr apply(Fn fn, std::vector<Expr> args) {
  WGML_CHECK(static_cast<int>(args.size()) == fn_arity(fn), "expr: ", fn_name(fn), " takes ",
             fn_arity(fn), " arguments, got ", args.size());
  auto node = std::make_shared<Node>();
  node->fn = fn;
  for (Expr& a : args) {
    WGML_CHECK(a.defined(), "expr: undefined argument to ", fn_name(fn));
    node->args.push_back(a.ptr());
  }
  return Expr(std::move(node));
}

Expr substitute(const Expr& e, const std::vector<Expr>& args) {
  const Node& x = e.node();
  if (x.fn == Fn::Input) return args.at(static_cast<size_t>(x.index));
  if (x.args.empty()) return e;
  std::vector<Expr> children;
  for (const auto& a : x.args)
    children.push_back(substitute(Expr(a), args));
  return apply(x.fn, children);
}

}  // namespace wgml::expr
