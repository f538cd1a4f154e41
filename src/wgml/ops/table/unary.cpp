// Unary elementwise ops. Each entry: name, dtypes, forward rule, backward rule.
// x is the input, out the forward output, g the gradient flowing into out.
#include <limits>

#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

void declare_unary_ops(OpTable& t) {
  using namespace expr;
  using namespace dtypes;
  const Expr x = input(0), out = output(), g = grad();
  const double kSqrt2 = 1.4142135623730951, kTwoOverSqrtPi = 1.1283791670955126;
  const double kSqrt2OverPi = 0.7978845608028654;

  t.elementwise("abs", kNumeric, abs(x)).backward({g * sign(x)});
  t.elementwise("neg", kSigned, -x).backward({-g});
  t.elementwise("sign", kSigned, sign(x)).backward({g * 0});
  t.elementwise("exp", kFloat, exp(x)).backward({g * out});
  t.elementwise("log", kFloat, log(x)).backward({g / x});
  t.elementwise("sqrt", kFloat, sqrt(x)).backward({g * 0.5 / out});
  t.elementwise("rsqrt", kFloat, 1 / sqrt(x)).backward({g * -0.5 * out / x});
  t.elementwise("reciprocal", kFloat, 1 / x).backward({-g * out * out});
  t.elementwise("square", kNumeric, x * x).backward({g * 2 * x});
  t.elementwise("sin", kFloat, sin(x)).backward({g * cos(x)});
  t.elementwise("cos", kFloat, cos(x)).backward({-g * sin(x)});
  t.elementwise("tan", kFloat, tan(x)).backward({g * (1 + out * out)});
  t.elementwise("asin", kFloat, asin(x)).backward({g / sqrt(1 - x * x)});
  t.elementwise("acos", kFloat, acos(x)).backward({-g / sqrt(1 - x * x)});
  t.elementwise("atan", kFloat, atan(x)).backward({g / (1 + x * x)});
  t.elementwise("tanh", kFloat, tanh(x)).backward({g * (1 - out * out)});
  t.elementwise("erf", kFloat, erf(x)).backward({g * kTwoOverSqrtPi * exp(-(x * x))});
  t.elementwise("floor", kNumeric, floor(x)).backward({g * 0});
  t.elementwise("ceil", kNumeric, ceil(x)).backward({g * 0});
  t.elementwise("round", kNumeric, round(x)).backward({g * 0}).doc("halves round to even");

  t.elementwise("sigmoid", kFloat, 1 / (1 + exp(-x))).backward({g * out * (1 - out)});
  t.elementwise("relu", kSigned, max(x, 0)).backward({select(x > 0, g, 0)});
  t.elementwise("leaky_relu", kFloat, select(x > 0, x, x * param("alpha")))
      .attr("alpha", 0.01)
      .backward({select(x > 0, g, g * param("alpha"))});
  t.elementwise("elu", kFloat, select(x > 0, x, param("alpha") * expm1(x)))
      .attr("alpha", 1.0)
      .backward({select(x > 0, g, g * (out + param("alpha")))});
  t.elementwise("celu", kFloat, max(x, 0) + min(0, param("alpha") * expm1(x / param("alpha"))))
      .attr("alpha", 1.0)
      .backward({select(x > 0, g, g * exp(x / param("alpha")))});
  t.elementwise("selu", kFloat, param("gamma") * select(x > 0, x, param("alpha") * expm1(x)))
      .attr("alpha", 1.6732632423543772)
      .attr("gamma", 1.0507009873554805)
      .backward({select(x > 0, g * param("gamma"), g * (out + param("gamma") * param("alpha")))});
  // erfc(-x/sqrt2) = 1 + erf(x/sqrt2) without the cancellation for negative x (float32 backends).
  t.elementwise("gelu", kFloat, 0.5 * x * erfc(-x / kSqrt2))
      .backward({g * (0.5 * (1 + erf(x / kSqrt2)) +
                      x * exp(-0.5 * x * x) * (kTwoOverSqrtPi / (2 * kSqrt2)))})
      .doc("exact form, with erf");
  {
    const Expr inner = kSqrt2OverPi * (x + 0.044715 * x * x * x);
    const Expr th = tanh(inner);
    // 0.5 * (1 + tanh(u)) = 1 / (1 + exp(-2u)): the same value without cancellation for x < 0.
    t.elementwise("gelu_tanh", kFloat, x / (1 + exp(-2 * inner)))
        .backward({g * (0.5 * (1 + th) +
                        0.5 * x * (1 - th * th) * kSqrt2OverPi * (1 + 3 * 0.044715 * x * x))})
        .doc("tanh approximation (PyTorch approximate='tanh')");
  }
  {
    const Expr s = 1 / (1 + exp(-x));
    t.elementwise("silu", kFloat, x * s).backward({g * s * (1 + x * (1 - s))});
  }
  {
    const Expr bx = param("beta") * x;
    t.elementwise("softplus", kFloat,
                  select(bx > param("threshold"), x, log1p(exp(bx)) / param("beta")))
        .attr("beta", 1.0)
        .attr("threshold", 20.0)
        .backward({select(bx > param("threshold"), g, g / (1 + exp(-bx)))})
        .doc("linear above threshold, as in PyTorch");
  }
  t.elementwise("softsign", kFloat, x / (1 + abs(x))).backward({g / ((1 + abs(x)) * (1 + abs(x)))});
  {
    const Expr sp = log1p(exp(x));
    const Expr th = tanh(sp);
    const Expr s = 1 / (1 + exp(-x));
    t.elementwise("mish", kFloat, x * th).backward({g * (th + x * (1 - th * th) * s)});
  }
  {
    const Expr lin = param("alpha") * x + param("beta");
    t.elementwise("hardsigmoid", kFloat, max(0, min(1, lin)))
        .attr("alpha", 1.0 / 6.0)
        .attr("beta", 0.5)
        .backward({select(logical_and(lin > 0, lin < 1), g * param("alpha"), 0)})
        .doc("max(0, min(1, alpha*x + beta)); defaults are PyTorch's");
  }
  t.elementwise("hardswish", kFloat, x * max(0, min(1, x / 6 + 0.5)))
      .backward({select(x < -3, 0, select(x > 3, g, g * (2 * x + 3) / 6))});
  t.elementwise("clip", kNumeric, min(max(x, param("min")), param("max")))
      .attr("min", -std::numeric_limits<double>::infinity())
      .attr("max", std::numeric_limits<double>::infinity())
      .backward({select(logical_and(x >= param("min"), x <= param("max")), g, 0)})
      .doc("clamp to [min, max]");

  t.elementwise("logical_not", kBool, logical_not(x));
  t.elementwise("isnan", kFloat, isnan(x)).predicate();
  t.elementwise("isinf", kFloat, isinf(x)).predicate();
}

}  // namespace wgml
