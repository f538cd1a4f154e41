// Binary and ternary elementwise ops, broadcasting NumPy-style. a and b are the inputs, out the
// forward output, g the gradient flowing into out. Gradients are per element; autograd sums them
// over broadcast axes.
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

void declare_binary_ops(OpTable& t) {
  using namespace expr;
  using namespace dtypes;
  const Expr a = input(0), b = input(1), out = output(), g = grad();

  t.elementwise("add", kNumeric, a + b).backward({g, g});
  t.elementwise("sub", kNumeric, a - b).backward({g, -g});
  t.elementwise("mul", kNumeric, a * b).backward({g * b, g * a});
  t.elementwise("div", kNumeric, a / b)
      .backward({g / b, -g * a / (b * b)})
      .doc("integers divide truncating toward zero (ONNX), x/0 gives 0");
  t.elementwise("pow", kNumeric, pow(a, b)).backward({g * b * pow(a, b - 1), g * out * log(a)});
  t.elementwise("maximum", kNumeric, max(a, b))
      .backward({select(a > b, g, select(eq(a, b), g * 0.5, 0)),
                 select(b > a, g, select(eq(a, b), g * 0.5, 0))})
      .doc("NaN propagates");
  t.elementwise("minimum", kNumeric, min(a, b))
      .backward({select(a < b, g, select(eq(a, b), g * 0.5, 0)),
                 select(b < a, g, select(eq(a, b), g * 0.5, 0))})
      .doc("NaN propagates");
  t.elementwise("mod", kNumeric, mod(a, b))
      .backward({g, -g * floor(a / b)})
      .doc("result has the sign of the divisor (torch.remainder, ONNX Mod fmod=0)");
  t.elementwise("fmod", kNumeric, fmod(a, b))
      .backward({g, -g * sign(a / b) * floor(abs(a / b))})
      .doc("result has the sign of the dividend (C fmod, ONNX Mod fmod=1)");
  t.elementwise("prelu", kFloat, select(a > 0, a, a * b))
      .backward({select(a > 0, g, g * b), select(a > 0, 0, g * a)});

  t.elementwise("equal", kAll, eq(a, b)).predicate();
  t.elementwise("not_equal", kAll, ne(a, b)).predicate();
  t.elementwise("less", kNumeric, a < b).predicate();
  t.elementwise("less_equal", kNumeric, a <= b).predicate();
  t.elementwise("greater", kNumeric, a > b).predicate();
  t.elementwise("greater_equal", kNumeric, a >= b).predicate();
  t.elementwise("logical_and", kBool, logical_and(a, b));
  t.elementwise("logical_or", kBool, logical_or(a, b));
  t.elementwise("logical_xor", kBool, logical_xor(a, b));

  t.elementwise("where", kAll, select(input(0), input(1), input(2)))
      .inputs({{"condition", kBool}, {"a", kAll}, {"b", kAll, 1}})
      .output_dtype_from(1)
      .backward({Expr(), select(input(0), g, 0), select(input(0), 0, g)});
}

}  // namespace wgml
