// ONNX converters for elementwise, comparison, logical, cast and reduction ops: one engine op
// each where the op table has it, else a short composition of engine ops (said so below).
// Attribute defaults and input/attribute forms follow the ONNX operator spec of each opset:
// Clip takes min/max as attributes before opset 11 and as inputs from 11; ReduceSum takes axes
// as an input from opset 13, the other reductions from 18 (with noop_with_empty_axes).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

using graph::kNoValue;

std::string dtype_attr(DType t) {
  return std::string(dtype_name(t));
}

// A cast, skipped when `v` already has the type (an unknown type, where inference stopped, casts).
ValueId cast_to(NodeContext& c, ValueId v, DType target) {
  if (c.rank(v) < 0) return c.op1("cast", {v}, {{"dtype", dtype_attr(target)}});
  return c.cast(v, target);
}

// A 0-d constant of `like`'s dtype (binary engine ops need equal dtypes).
ValueId scalar_like(NodeContext& c, double value, ValueId like) {
  return c.scalar(value, c.dtype(like));
}

void one_output(NodeContext& c, ValueId v) {
  c.set_outputs({v});
}

// ONNX op -> the engine op of the same meaning, input for input.
void direct(ConverterTable& t, const std::string& onnx_op, const std::string& engine_op,
            int64_t min_opset = 1) {
  t.add(
      onnx_op,
      [engine_op](NodeContext& c) {
        std::vector<ValueId> inputs;
        for (size_t i = 0; i < c.num_inputs(); ++i)
          inputs.push_back(c.input(i));
        one_output(c, c.op1(engine_op, inputs));
      },
      min_opset);
}

// ---------------------------------------------------------------- unary math compositions
// The engine has no hyperbolic ops besides tanh; these compose them from exp, log and sqrt.
// Float32 rounding of the intermediate terms costs at most a few ulp relative to the result
// for the arguments where the forms do not cancel; sinh cancels near 0, where its relative error
// grows like 6e-8/|x| (still inside ONNX's rtol 1e-3 down to |x| ~ 1e-4, and inside its atol
// below that). Float16 inputs compute in float32 (see composed_unary).
using UnaryBody = ValueId (*)(NodeContext& c, ValueId x);

ValueId sinh_of(NodeContext& c, ValueId x) {
  const ValueId ex = c.op1("exp", {x});
  const ValueId emx = c.op1("exp", {c.op1("neg", {x})});
  return c.op1("mul", {c.op1("sub", {ex, emx}), scalar_like(c, 0.5, x)});
}

ValueId cosh_of(NodeContext& c, ValueId x) {
  const ValueId ex = c.op1("exp", {x});
  const ValueId emx = c.op1("exp", {c.op1("neg", {x})});
  return c.op1("mul", {c.op1("add", {ex, emx}), scalar_like(c, 0.5, x)});
}

// asinh(x) = sign(x) * log(|x| + sqrt(x^2 + 1)), written on |x| so large negative x does not
// cancel.
ValueId asinh_of(NodeContext& c, ValueId x) {
  const ValueId ax = c.op1("abs", {x});
  const ValueId root = c.op1("sqrt", {c.op1("add", {c.op1("square", {x}), scalar_like(c, 1, x)})});
  const ValueId l = c.op1("log", {c.op1("add", {ax, root})});
  return c.op1("mul", {c.op1("sign", {x}), l});
}

// acosh(x) = log(x + sqrt(x^2 - 1)), NaN below 1 as the spec's domain says.
ValueId acosh_of(NodeContext& c, ValueId x) {
  const ValueId root = c.op1("sqrt", {c.op1("sub", {c.op1("square", {x}), scalar_like(c, 1, x)})});
  return c.op1("log", {c.op1("add", {x, root})});
}

// atanh(x) = 0.5 * log((1 + x) / (1 - x)).
ValueId atanh_of(NodeContext& c, ValueId x) {
  const ValueId one = scalar_like(c, 1, x);
  const ValueId q = c.op1("div", {c.op1("add", {one, x}), c.op1("sub", {one, x})});
  return c.op1("mul", {c.op1("log", {q}), scalar_like(c, 0.5, x)});
}

// A composed unary op; float16 inputs compute in float32 and round once, because intermediate
// terms (x^2 in asinh overflows above 255, exp rounds to 1e-3) lose what the result keeps.
void composed_unary(ConverterTable& t, const std::string& onnx_op, UnaryBody body,
                    int64_t min_opset) {
  t.add(
      onnx_op,
      [body](NodeContext& c) {
        const ValueId x = c.input(0);
        const DType type = c.dtype(x);
        const ValueId wide =
            type == DType::Float16 || type == DType::BFloat16 ? cast_to(c, x, DType::Float32) : x;
        one_output(c, cast_to(c, body(c, wide), type));
      },
      min_opset);
}

// Sign of unsigned integers (the engine's sign takes signed types): x > 0 as 0/1.
void convert_sign(NodeContext& c) {
  const ValueId x = c.input(0);
  if (c.dtype(x) == DType::UInt8) {
    one_output(c, cast_to(c, c.op1("greater", {x, scalar_like(c, 0, x)}), DType::UInt8));
    return;
  }
  one_output(c, c.op1("sign", {x}));
}

// ---------------------------------------------------------------- activations
void add_activations(ConverterTable& t) {
  t.add("LeakyRelu", [](NodeContext& c) {
    one_output(c, c.op1("leaky_relu", {c.input(0)}, {{"alpha", c.attr_float("alpha", 0.01)}}));
  });
  t.add("Elu", [](NodeContext& c) {
    one_output(c, c.op1("elu", {c.input(0)}, {{"alpha", c.attr_float("alpha", 1.0)}}));
  });
  t.add(
      "Celu",
      [](NodeContext& c) {
        one_output(c, c.op1("celu", {c.input(0)}, {{"alpha", c.attr_float("alpha", 1.0)}}));
      },
      12);
  // ONNX's Selu defaults are the float32 roundings of PyTorch's constants.
  t.add("Selu", [](NodeContext& c) {
    one_output(c, c.op1("selu", {c.input(0)},
                        {{"alpha", c.attr_float("alpha", 1.67326319217681884765625)},
                         {"gamma", c.attr_float("gamma", 1.05070102214813232421875)}}));
  });
  t.add("HardSigmoid", [](NodeContext& c) {
    one_output(c,
               c.op1("hardsigmoid", {c.input(0)},
                     {{"alpha", c.attr_float("alpha", 0.2)}, {"beta", c.attr_float("beta", 0.5)}}));
  });
  direct(t, "HardSwish", "hardswish", 14);
  // ONNX Softplus is log(exp(x) + 1); the engine's form is linear above 20, where the two differ
  // by under 1e-8 relative.
  direct(t, "Softplus", "softplus");
  direct(t, "Softsign", "softsign");
  direct(t, "Mish", "mish", 18);
  t.add(
      "Gelu",
      [](NodeContext& c) {
        const std::string approximate = c.attr_string("approximate", "none");
        if (approximate != "none" && approximate != "tanh")
          c.fail_here("attribute 'approximate' is '" + approximate + "', expected none or tanh");
        one_output(c, c.op1(approximate == "tanh" ? "gelu_tanh" : "gelu", {c.input(0)}));
      },
      20);
  // ThresholdedRelu: x where x > alpha, else 0 (composed with where).
  t.add(
      "ThresholdedRelu",
      [](NodeContext& c) {
        const ValueId x = c.input(0);
        const ValueId above = c.op1("greater", {x, scalar_like(c, c.attr_float("alpha", 1.0), x)});
        one_output(c, c.op1("where", {above, x, scalar_like(c, 0, x)}));
      },
      10);
  // Shrink: x + bias below -lambd, x - bias above lambd, else 0 (composed with where; any numeric
  // type).
  t.add(
      "Shrink",
      [](NodeContext& c) {
        const ValueId x = c.input(0);
        const double lambd = c.attr_float("lambd", 0.5), bias = c.attr_float("bias", 0.0);
        const ValueId below = c.op1("less", {x, scalar_like(c, -lambd, x)});
        const ValueId above = c.op1("greater", {x, scalar_like(c, lambd, x)});
        const ValueId low = c.op1("add", {x, scalar_like(c, bias, x)});
        const ValueId high = c.op1("sub", {x, scalar_like(c, bias, x)});
        const ValueId zero = scalar_like(c, 0, x);
        one_output(c, c.op1("where", {below, low, c.op1("where", {above, high, zero})}));
      },
      9);
  // PRelu: the engine's prelu for floats; integer types (opset 9+) compose it with where.
  t.add("PRelu", [](NodeContext& c) {
    const ValueId x = c.input(0);
    ValueId slope = c.input(1);
    // Before opset 7 a 1-d slope holds one value per channel (axis 1), not per last-axis element.
    if (c.opset() < 7 && c.rank(slope) == 1 && c.rank(x) > 2) {
      Ints shape = {0};
      shape.insert(shape.end(), static_cast<size_t>(c.rank(x) - 2), 1);
      slope = c.op1("reshape", {slope}, {{"shape", shape}, {"allowzero", int64_t{0}}});
    }
    if (is_floating(c.dtype(x))) {
      one_output(c, c.op1("prelu", {x, slope}));
      return;
    }
    const ValueId positive = c.op1("greater", {x, scalar_like(c, 0, x)});
    one_output(c, c.op1("where", {positive, x, c.op1("mul", {x, slope})}));
  });
}

// ---------------------------------------------------------------- Clip
// Opsets 6..10: attributes min/max (float). From 11: optional inputs min/max (0-d, the input's
// type). Known bounds become the engine clip's attributes; bounds computed at run time clamp
// with maximum/minimum.
void convert_clip(NodeContext& c) {
  const ValueId x = c.input(0);
  const double inf = std::numeric_limits<double>::infinity();
  if (c.opset() < 11) {
    one_output(c, c.op1("clip", {x},
                        {{"min", c.attr_float("min", -inf)}, {"max", c.attr_float("max", inf)}}));
    return;
  }
  // Each bound: a constant (an attribute of the engine's clip), a run-time value, or absent.
  // The lower bound applies first, so min > max gives max everywhere, as the spec says.
  const char* names[2] = {"min", "max"};
  std::optional<double> fixed[2];
  ValueId dynamic[2] = {kNoValue, kNoValue};
  for (size_t i = 0; i < 2; ++i) {
    if (!c.has_input(i + 1)) continue;
    if (const Tensor* bound = c.constant(i + 1)) {
      WGML_CHECK(bound->numel() == 1, c.source(), ": input '", names[i],
                 "' must be a scalar, got shape ", shape_str(bound->shape()));
      fixed[i] = bound->to_vector<double>()[0];
    } else {
      dynamic[i] = c.input(i + 1);
    }
  }
  ValueId out = x;
  if (dynamic[0] == kNoValue && dynamic[1] == kNoValue) {
    Attrs attrs;
    for (size_t i = 0; i < 2; ++i) {
      if (fixed[i]) attrs.set(names[i], *fixed[i]);
    }
    if (!attrs.values().empty()) out = c.op1("clip", {x}, attrs);
    one_output(c, out);
    return;
  }
  for (size_t i = 0; i < 2; ++i) {
    if (fixed[i]) out = c.op1("clip", {out}, {{names[i], *fixed[i]}});
    if (dynamic[i] != kNoValue) out = c.op1(i == 0 ? "maximum" : "minimum", {out, dynamic[i]});
  }
  one_output(c, out);
}

// ---------------------------------------------------------------- binary and variadic
// Before opset 7, binary ops broadcast only when attribute broadcast=1, and then B's dims line
// up with A's starting at `axis` (default: B's dims are A's last ones). Trailing unit dims make
// that NumPy broadcasting; reshape with allowzero=0 keeps B's own dims (0 copies a dim), so
// symbolic dims need no value. Without broadcast=1 the shapes must be equal, which NumPy
// broadcasting accepts too.
ValueId legacy_broadcast(NodeContext& c, ValueId a, ValueId b) {
  if (c.opset() >= 7 || c.attr_int("broadcast", 0) == 0) return b;
  const int64_t rank_a = c.rank(a), rank_b = c.rank(b);
  if (rank_a < 0 || rank_b < 0) c.fail_here("legacy broadcast needs the ranks of both inputs");
  int64_t axis = c.attr_int("axis", rank_a - rank_b);
  if (axis < 0) axis += rank_a;
  const int64_t trailing = rank_a - axis - rank_b;
  if (axis < 0 || trailing < 0)
    c.fail_here(str_cat("attribute axis=", c.attr_int("axis", 0), " does not fit B (rank ", rank_b,
                        ") into A (rank ", rank_a, ")"));
  if (trailing == 0) return b;
  Ints shape(static_cast<size_t>(rank_b), 0);
  shape.insert(shape.end(), static_cast<size_t>(trailing), 1);
  return c.op1("reshape", {b}, {{"shape", shape}, {"allowzero", int64_t{0}}});
}

// A binary ONNX op with a direct engine counterpart, in either broadcasting form.
void binary(ConverterTable& t, const std::string& onnx_op, const std::string& engine_op,
            int64_t min_opset = 1) {
  t.add(
      onnx_op,
      [engine_op](NodeContext& c) {
        const ValueId a = c.input(0);
        one_output(c, c.op1(engine_op, {a, legacy_broadcast(c, a, c.input(1))}));
      },
      min_opset);
}

// Pow: from opset 12 the exponent may have another numeric type than the base (T1). The result
// has the base's type: a float exponent on an integer base computes in the exponent's float
// type and truncates back, as ONNX's reference (numpy power, then astype) does.
void convert_pow(NodeContext& c) {
  const ValueId base = c.input(0), exponent = legacy_broadcast(c, base, c.input(1));
  const DType tb = c.dtype(base), te = c.dtype(exponent);
  if (tb == te) {
    one_output(c, c.op1("pow", {base, exponent}));
  } else if (!is_floating(tb) && is_floating(te)) {
    one_output(c, cast_to(c, c.op1("pow", {cast_to(c, base, te), exponent}), tb));
  } else {
    one_output(c, c.op1("pow", {base, cast_to(c, exponent, tb)}));
  }
}

// Max, Min, Sum, Mean: one or more inputs, broadcast together (multidirectional from opset 8).
void variadic(ConverterTable& t, const std::string& onnx_op, const std::string& engine_op,
              bool mean) {
  t.add(onnx_op, [engine_op, mean](NodeContext& c) {
    if (c.num_inputs() == 0) c.fail_here("needs at least one input");
    ValueId acc = c.input(0);
    for (size_t i = 1; i < c.num_inputs(); ++i)
      acc = c.op1(engine_op, {acc, c.input(i)});
    if (mean && c.num_inputs() > 1)
      acc = c.op1("div", {acc, scalar_like(c, static_cast<double>(c.num_inputs()), acc)});
    one_output(c, acc);
  });
}

// BitShift (opset 11) on unsigned integers: x << y = x * 2^y and x >> y = x / 2^y (truncating),
// both wrapping in the type's width as shifts do; 2^y wraps to 0 for y >= the width, which gives
// the 0 a shift by the whole width gives.
void convert_bitshift(NodeContext& c) {
  const ValueId x = c.input(0), y = c.input(1);
  const std::string direction = c.attr_string("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    c.fail_here("attribute 'direction' is '" + direction + "', expected LEFT or RIGHT");
  const ValueId power = c.op1("pow", {scalar_like(c, 2, x), y});
  one_output(c, c.op1(direction == "LEFT" ? "mul" : "div", {x, power}));
}

void add_binary(ConverterTable& t) {
  binary(t, "Add", "add");
  binary(t, "Sub", "sub");
  binary(t, "Mul", "mul");
  // Integer Div truncates toward zero, in the engine as in ONNX's reference implementation
  // (onnx/reference/ops/op_div.py: "C++-style") and ONNX Runtime.
  binary(t, "Div", "div");
  t.add("Pow", convert_pow);
  t.add(
      "Mod",
      [](NodeContext& c) {
        // fmod=0: the sign of the divisor (Python %); fmod=1: the sign of the dividend (C fmod).
        const bool c_fmod = c.attr_int("fmod", 0) != 0;
        one_output(c, c.op1(c_fmod ? "fmod" : "mod", {c.input(0), c.input(1)}));
      },
      10);
  t.add("BitShift", convert_bitshift, 11);
  variadic(t, "Max", "maximum", false);
  variadic(t, "Min", "minimum", false);
  variadic(t, "Sum", "add", false);
  variadic(t, "Mean", "add", true);
  direct(t, "Where", "where", 9);

  binary(t, "Equal", "equal");
  binary(t, "Less", "less");
  direct(t, "LessOrEqual", "less_equal", 12);
  binary(t, "Greater", "greater");
  direct(t, "GreaterOrEqual", "greater_equal", 12);
  binary(t, "And", "logical_and");
  binary(t, "Or", "logical_or");
  binary(t, "Xor", "logical_xor");
  direct(t, "Not", "logical_not");
}

// ---------------------------------------------------------------- predicates
// IsInf(detect_positive, detect_negative): isinf, narrowed by sign when one is off.
void convert_isinf(NodeContext& c) {
  const ValueId x = c.input(0);
  const bool positive = c.attr_int("detect_positive", 1) != 0;
  const bool negative = c.attr_int("detect_negative", 1) != 0;
  const ValueId inf = c.op1("isinf", {x});
  if (positive && negative) {
    one_output(c, inf);
    return;
  }
  if (!positive && !negative) {
    one_output(c, c.op1("logical_and", {inf, c.op1("logical_not", {inf})}));
    return;
  }
  const ValueId side = c.op1(positive ? "greater" : "less", {x, scalar_like(c, 0, x)});
  one_output(c, c.op1("logical_and", {inf, side}));
}

// ---------------------------------------------------------------- casts and identities
DType cast_target(NodeContext& c, int64_t to) {
  return engine_dtype(static_cast<int32_t>(to), c.source() + " attribute 'to'");
}

// Cast's `to` is an element type number from opset 6; before, the type's name ("FLOAT").
int64_t cast_to_attr(NodeContext& c) {
  const AttributeProto* to = c.node().attribute("to");
  if (to == nullptr || to->type != AttributeProto::String) return c.required_int("to");
  static const char* const kNames[] = {
      "UNDEFINED", "FLOAT", "UINT8",   "INT8",   "UINT16", "INT16",  "INT32",     "INT64",
      "STRING",    "BOOL",  "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128"};
  for (size_t i = 1; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (to->s == kNames[i]) return static_cast<int64_t>(i);
  }
  c.fail_here("attribute 'to' names an unknown type '" + to->s + "'");
}

void convert_cast(NodeContext& c) {
  const ValueId x = c.input(0);
  one_output(c, cast_to(c, x, cast_target(c, cast_to_attr(c))));
}

void convert_cast_like(NodeContext& c) {
  one_output(c, cast_to(c, c.input(0), c.dtype(c.input(1))));
}

void convert_identity(NodeContext& c) {
  if (const ListValue* list = c.list_at(0)) {  // a sequence or optional passes through
    c.set_list_output(0, *list);
    return;
  }
  one_output(c, c.input(0));
}

// Dropout at inference is the identity. Its optional mask output is all true (bool from opset
// 10; the input's type before). From opset 12, training_mode = true draws a uniform number per
// element (onnx_ops_random.cpp: seeded, not ONNX Runtime's values) and keeps x / (1 - ratio)
// where it is at least the ratio; a training_mode known only at run time selects between both.
void convert_dropout(NodeContext& c) {
  const ValueId x = c.input(0);
  if (c.opset() >= 12 && c.has_input(2)) {
    const Tensor* mode = c.constant(2);
    if (mode == nullptr || mode->to_vector<int64_t>().at(0) != 0) {
      const ValueId ratio =
          c.has_input(1) ? c.cast(c.input(1), DType::Float32) : c.scalar(0.5, DType::Float32);
      const ValueId u = random_uniform_like(c, x);
      ValueId keep = c.op1("greater_equal", {u, ratio});
      const ValueId scale =
          c.op1("reciprocal", {c.op1("sub", {c.scalar(1, DType::Float32), ratio})});
      ValueId y = c.op1(
          "where", {keep, c.op1("mul", {x, c.cast(scale, c.dtype(x))}), c.scalar(0, c.dtype(x))});
      if (mode == nullptr) {
        const ValueId training = c.cast(c.input(2), DType::Bool);
        y = c.op1("where", {training, y, x});
        keep = c.op1("logical_or", {keep, c.op1("logical_not", {training})});
      }
      std::vector<ValueId> outputs = {y};
      if (c.node().outputs.size() > 1 && !c.node().outputs[1].empty()) outputs.push_back(keep);
      c.set_outputs(outputs);
      return;
    }
  }
  std::vector<ValueId> outputs = {x};
  if (c.node().outputs.size() > 1 && !c.node().outputs[1].empty()) {
    const DType mask_type = c.opset() >= 10 ? DType::Bool : c.dtype(x);
    const ValueId one = c.scalar(1, mask_type);
    outputs.push_back(c.op1("expand", {one}, {}, {{"shape", c.shape_of(x)}}));
  }
  c.set_outputs(outputs);
}

// ---------------------------------------------------------------- reductions
// The axes of a reduction node; `noop` is set when noop_with_empty_axes asks for the identity.
// Returns kNoValue in *dynamic unless the axes are only known at run time.
Ints reduction_axes(NodeContext& c, int64_t axes_input_opset, ValueId* dynamic, bool* noop) {
  *dynamic = kNoValue;
  *noop = false;
  Ints axes;
  if (c.opset() < axes_input_opset) {
    axes = c.attr_ints("axes");
  } else if (c.has_input(1)) {
    if (c.constant(1)) {
      axes = c.constant_ints(1);
    } else {
      const graph::SymShape* shape = c.shape(c.input(1));
      const bool known_empty = shape && shape->size() == 1 && (*shape)[0].value == 0;
      if (!known_empty) *dynamic = c.input(1);
    }
  }
  if (axes.empty() && *dynamic == kNoValue && c.opset() >= axes_input_opset)
    *noop = c.attr_int("noop_with_empty_axes", 0) != 0;
  if (*dynamic != kNoValue && c.attr_int("noop_with_empty_axes", 0) != 0)
    c.fail_here("noop_with_empty_axes with axes computed at run time is not supported");
  return axes;
}

using ReduceBody = std::function<ValueId(NodeContext& c, ValueId x, const Attrs& attrs,
                                         const std::map<std::string, ValueId>& attr_inputs)>;

void reduction(ConverterTable& t, const std::string& onnx_op, int64_t axes_input_opset,
               ReduceBody body) {
  t.add(onnx_op, [axes_input_opset, body](NodeContext& c) {
    const ValueId x = c.input(0);
    ValueId dynamic = kNoValue;
    bool noop = false;
    const Ints axes = reduction_axes(c, axes_input_opset, &dynamic, &noop);
    if (noop) {
      one_output(c, x);
      return;
    }
    Attrs attrs{{"keepdims", c.attr_int("keepdims", 1)}};
    std::map<std::string, ValueId> attr_inputs;
    if (dynamic != kNoValue)
      attr_inputs["axes"] = dynamic;
    else
      attrs.set("axes", axes);
    one_output(c, body(c, x, attrs, attr_inputs));
  });
}

ReduceBody engine_reduce(const std::string& op) {
  return [op](NodeContext& c, ValueId x, const Attrs& attrs,
              const std::map<std::string, ValueId>& attr_inputs) {
    return c.op1(op, {x}, attrs, attr_inputs);
  };
}

// `float_op` for float inputs; integer inputs (which the engine's composites do not take)
// compose `map` then sum.
ReduceBody float_or_sum_of(const std::string& float_op, const std::string& map) {
  return [float_op, map](NodeContext& c, ValueId x, const Attrs& attrs,
                         const std::map<std::string, ValueId>& attr_inputs) {
    if (is_floating(c.dtype(x))) return c.op1(float_op, {x}, attrs, attr_inputs);
    return c.op1("sum", {c.op1(map, {x})}, attrs, attr_inputs);
  };
}

// The identity of max (or min) for `type`: what ONNX (opset 18) gives for an empty reduction,
// -inf/+inf where the type has infinities, else its lowest/highest value (false/true for bool).
Tensor extreme_filled(const Shape& shape, DType type, bool lowest) {
  const size_t n = static_cast<size_t>(shape_numel(shape));
  if (is_floating(type)) {
    const double inf = std::numeric_limits<double>::infinity();
    return Tensor::from_vector(std::vector<double>(n, lowest ? -inf : inf), shape, type);
  }
  int64_t value = 0;
  dispatch_dtype(type, [&](auto tag) {
    using S = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<S>)
      value = static_cast<int64_t>(lowest ? std::numeric_limits<S>::lowest()
                                          : std::numeric_limits<S>::max());
  });
  return Tensor::from_vector(std::vector<int64_t>(n, value), shape, type);
}

// ReduceMax, ReduceMin and ReduceLogSumExp over an axis of static size 0 (which the engine
// refuses, as PyTorch does) are constants: -inf for max and logsumexp, +inf for min. Returns
// kNoValue unless the shape and axes say so at load time.
ValueId empty_reduction(NodeContext& c, ValueId x, const Attrs& attrs, bool lowest) {
  const graph::SymShape* sym = c.shape(x);
  if (sym == nullptr || !attrs.has("axes")) return kNoValue;
  Shape shape;
  for (const graph::SymDim& d : *sym) {
    if (!d.is_static()) return kNoValue;
    shape.push_back(d.value);
  }
  const std::vector<int> axes = normalize_axes(attrs.ints("axes"), shape.size(), c.source());
  bool empty = false;
  for (int axis : axes)
    empty = empty || shape[static_cast<size_t>(axis)] == 0;
  if (!empty) return kNoValue;
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end();
    if (!reduced)
      out.push_back(shape[d]);
    else if (attrs.i("keepdims"))
      out.push_back(1);
  }
  return c.constant_value(extreme_filled(out, c.dtype(x), lowest));
}

// ReduceMax/ReduceMin; bool inputs (opset 20) reduce as uint8 0/1 (the engine's max and min take
// numbers), which is logical or/and.
ReduceBody max_or_min(const std::string& op) {
  return [op](NodeContext& c, ValueId x, const Attrs& attrs,
              const std::map<std::string, ValueId>& attr_inputs) {
    const ValueId empty = empty_reduction(c, x, attrs, op == "max");
    if (empty != kNoValue) return empty;
    if (c.dtype(x) != DType::Bool) return c.op1(op, {x}, attrs, attr_inputs);
    const ValueId r = c.op1(op, {cast_to(c, x, DType::UInt8)}, attrs, attr_inputs);
    return cast_to(c, r, DType::Bool);
  };
}

void add_reductions(ConverterTable& t) {
  reduction(t, "ReduceSum", 13, engine_reduce("sum"));
  reduction(t, "ReduceMax", 18, max_or_min("max"));
  reduction(t, "ReduceMin", 18, max_or_min("min"));
  reduction(t, "ReduceProd", 18, engine_reduce("prod"));
  // ReduceMean and ReduceL2 on integers (the engine's mean and norm_l2 take floats): the sum
  // divided (truncating) by the reduced count, numel(x) / numel(sum); the root of the sum of
  // squares computed in float32 and truncated back.
  reduction(t, "ReduceMean", 18,
            [](NodeContext& c, ValueId x, const Attrs& attrs,
               const std::map<std::string, ValueId>& attr_inputs) {
              if (is_floating(c.dtype(x))) return c.op1("mean", {x}, attrs, attr_inputs);
              const ValueId s = c.op1("sum", {x}, attrs, attr_inputs);
              const Attrs numel{{"numel", int64_t{1}}};
              const ValueId count = c.op1(
                  "div", {c.op1(graph::kShapeOp, {x}, numel), c.op1(graph::kShapeOp, {s}, numel)});
              return c.op1("div", {s, cast_to(c, count, c.dtype(x))});
            });
  reduction(t, "ReduceL1", 18, float_or_sum_of("norm_l1", "abs"));
  reduction(t, "ReduceL2", 18,
            [](NodeContext& c, ValueId x, const Attrs& attrs,
               const std::map<std::string, ValueId>& attr_inputs) {
              if (is_floating(c.dtype(x))) return c.op1("norm_l2", {x}, attrs, attr_inputs);
              const ValueId s = c.op1("sum", {c.op1("square", {x})}, attrs, attr_inputs);
              return cast_to(c, c.op1("sqrt", {cast_to(c, s, DType::Float32)}), c.dtype(x));
            });
  reduction(t, "ReduceSumSquare", 18,
            [](NodeContext& c, ValueId x, const Attrs& attrs,
               const std::map<std::string, ValueId>& attr_inputs) {
              return c.op1("sum", {c.op1("square", {x})}, attrs, attr_inputs);
            });
  // ReduceLogSum = log(sum(x)) (float types).
  reduction(t, "ReduceLogSum", 18,
            [](NodeContext& c, ValueId x, const Attrs& attrs,
               const std::map<std::string, ValueId>& attr_inputs) {
              return c.op1("log", {c.op1("sum", {x}, attrs, attr_inputs)});
            });
  reduction(t, "ReduceLogSumExp", 18,
            [](NodeContext& c, ValueId x, const Attrs& attrs,
               const std::map<std::string, ValueId>& attr_inputs) {
              const ValueId empty = empty_reduction(c, x, attrs, true);
              return empty != kNoValue ? empty : c.op1("logsumexp", {x}, attrs, attr_inputs);
            });

  for (const char* name : {"ArgMax", "ArgMin"}) {
    const std::string engine_op = name == std::string("ArgMax") ? "argmax" : "argmin";
    t.add(name, [engine_op](NodeContext& c) {
      one_output(c, c.op1(engine_op, {c.input(0)},
                          {{"axis", c.attr_int("axis", 0)},
                           {"keepdims", c.attr_int("keepdims", 1)},
                           {"select_last_index", c.attr_int("select_last_index", 0)}}));
    });
  }
}

}  // namespace

void register_elementwise_converters(ConverterTable& t) {
  direct(t, "Abs", "abs");
  direct(t, "Neg", "neg");
  t.add("Sign", convert_sign, 9);
  direct(t, "Exp", "exp");
  direct(t, "Log", "log");
  direct(t, "Sqrt", "sqrt");
  direct(t, "Reciprocal", "reciprocal");
  direct(t, "Floor", "floor");
  direct(t, "Ceil", "ceil");
  // ONNX Round rounds halves to even, as the engine's round does.
  direct(t, "Round", "round", 11);
  direct(t, "Sin", "sin", 7);
  direct(t, "Cos", "cos", 7);
  direct(t, "Tan", "tan", 7);
  direct(t, "Asin", "asin", 7);
  direct(t, "Acos", "acos", 7);
  direct(t, "Atan", "atan", 7);
  composed_unary(t, "Sinh", sinh_of, 9);
  composed_unary(t, "Cosh", cosh_of, 9);
  composed_unary(t, "Asinh", asinh_of, 9);
  composed_unary(t, "Acosh", acosh_of, 9);
  composed_unary(t, "Atanh", atanh_of, 9);
  direct(t, "Tanh", "tanh");
  direct(t, "Erf", "erf", 9);
  direct(t, "Sigmoid", "sigmoid");
  direct(t, "Relu", "relu");
  add_activations(t);
  t.add("Clip", convert_clip);
  add_binary(t);
  direct(t, "IsNaN", "isnan", 9);
  t.add("IsInf", convert_isinf, 10);
  t.add("Cast", convert_cast);
  t.add("CastLike", convert_cast_like, 15);
  t.add("Identity", convert_identity);
  t.add("Dropout", convert_dropout);
  add_reductions(t);
}

}  // namespace wgml::onnx
