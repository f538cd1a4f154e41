"""Unary, binary and ternary elementwise ops against PyTorch."""
import math

import torch
import torch.nn.functional as F

from golden import FLOATS

# op: (torch reference, input domain (lo, hi) or None for randn, dtypes, attrs)
UNARY = {
    "abs": (torch.abs, None, FLOATS + ["int32", "int64", "int8"], {}),
    "neg": (torch.neg, None, FLOATS + ["int32", "int64"], {}),
    "sign": (torch.sign, None, FLOATS + ["int32"], {}),
    "exp": (torch.exp, (-6, 6), FLOATS, {}),
    "log": (torch.log, (0.01, 20), FLOATS, {}),
    "sqrt": (torch.sqrt, (0.0, 20), FLOATS, {}),
    "rsqrt": (torch.rsqrt, (0.01, 20), FLOATS, {}),
    "reciprocal": (torch.reciprocal, (0.05, 5), FLOATS, {}),
    "square": (torch.square, None, FLOATS + ["int32", "int64"], {}),
    "sin": (torch.sin, (-8, 8), FLOATS, {}),
    "cos": (torch.cos, (-8, 8), FLOATS, {}),
    "tan": (torch.tan, (-1.4, 1.4), FLOATS, {}),
    "asin": (torch.asin, (-0.99, 0.99), FLOATS, {}),
    "acos": (torch.acos, (-0.99, 0.99), FLOATS, {}),
    "atan": (torch.atan, (-5, 5), FLOATS, {}),
    "tanh": (torch.tanh, (-5, 5), FLOATS, {}),
    "erf": (torch.erf, (-3, 3), FLOATS, {}),
    "floor": (torch.floor, (-10, 10), FLOATS + ["int32"], {}),
    "ceil": (torch.ceil, (-10, 10), FLOATS + ["int32"], {}),
    "round": (torch.round, (-10, 10), FLOATS + ["int64"], {}),
    "sigmoid": (torch.sigmoid, (-8, 8), FLOATS, {}),
    "relu": (torch.relu, None, FLOATS + ["int32", "int64", "int8"], {}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), None, FLOATS, {"alpha": 0.2}),
    "elu": (lambda x: F.elu(x, 0.7), (-4, 4), FLOATS, {"alpha": 0.7}),
    "celu": (lambda x: F.celu(x, 1.3), (-4, 4), FLOATS, {"alpha": 1.3}),
    "selu": (F.selu, (-4, 4), FLOATS, {}),
    "gelu": (F.gelu, (-5, 5), FLOATS, {}),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), (-5, 5), FLOATS, {}),
    "silu": (F.silu, (-8, 8), FLOATS, {}),
    "softplus": (lambda x: F.softplus(x, beta=2.0, threshold=5.0), (-6, 6), FLOATS,
                 {"beta": 2.0, "threshold": 5.0}),
    "softsign": (F.softsign, None, FLOATS, {}),
    "mish": (F.mish, (-6, 6), FLOATS, {}),
    "hardsigmoid": (F.hardsigmoid, (-5, 5), FLOATS, {}),
    "hardswish": (F.hardswish, (-5, 5), FLOATS, {}),
    "clip": (lambda x: torch.clamp(x, -0.5, 0.8), None, FLOATS, {"min": -0.5, "max": 0.8}),
    "isnan": (torch.isnan, None, FLOATS, {}),
    "isinf": (torch.isinf, None, FLOATS, {}),
}

BINARY = {
    "add": (torch.add, None, FLOATS + ["int32", "int64", "uint8", "int8"]),
    "sub": (torch.sub, None, FLOATS + ["int32", "int64"]),
    "mul": (torch.mul, None, FLOATS + ["int32", "int64", "uint8"]),
    "div": (torch.div, "divisor", FLOATS + ["int32", "int64"]),
    "pow": (torch.pow, "pow", FLOATS + ["int32", "int64"]),
    "maximum": (torch.maximum, None, FLOATS + ["int32", "int64"]),
    "minimum": (torch.minimum, None, FLOATS + ["int32", "int64"]),
    "mod": (torch.remainder, "divisor", FLOATS + ["int32", "int64"]),
    "fmod": (torch.fmod, "divisor", FLOATS + ["int32", "int64"]),
    "prelu": (lambda a, b: torch.where(a > 0, a, a * b), None, FLOATS),
    "equal": (torch.eq, "ties", FLOATS + ["int32", "int64", "bool"]),
    "not_equal": (torch.ne, "ties", FLOATS + ["int32", "bool"]),
    "less": (torch.lt, "ties", FLOATS + ["int32", "int64"]),
    "less_equal": (torch.le, "ties", FLOATS + ["int32", "int64"]),
    "greater": (torch.gt, "ties", FLOATS + ["int32", "uint8"]),
    "greater_equal": (torch.ge, "ties", FLOATS + ["int32", "int64"]),
    "logical_and": (torch.logical_and, None, ["bool"]),
    "logical_or": (torch.logical_or, None, ["bool"]),
    "logical_xor": (torch.logical_xor, None, ["bool"]),
}

DIFFERENTIABLE_SKIP = {"isnan", "isinf", "sign", "floor", "ceil", "round"}


def unary_input(g, shape, dtype, domain):
    if dtype == "bool":
        return g.randbool(shape)
    if dtype not in FLOATS:
        return g.randint(shape, -20, 20, dtype) if dtype != "uint8" else g.randint(shape, 0, 20, dtype)
    if domain is None:
        return g.randn(shape, dtype, scale=2.0)
    return g.uniform(shape, domain[0], domain[1], dtype)


def special_values(g, dtype):
    t = g.randn((12,), dtype)
    vals = [math.nan, math.inf, -math.inf, 0.0, -0.0]
    for i, v in enumerate(vals):
        t.base[i * 2] = v
    t.tensor = t.base
    return t


def int_ref(op, fn):
    """PyTorch's integer semantics where they differ from ONNX's, which wgml follows."""
    if op == "div":
        return lambda a, b: torch.div(a, b, rounding_mode="trunc") if not a.is_floating_point() \
            else torch.div(a, b)
    return fn


def binary_inputs(g, shape_a, shape_b, dtype, kind):
    if dtype == "bool":
        return g.randbool(shape_a), g.randbool(shape_b)
    if dtype in FLOATS:
        if kind == "pow":
            return g.uniform(shape_a, 0.1, 3, dtype), g.uniform(shape_b, -2, 2, dtype)
        if kind == "divisor":
            a = g.randn(shape_a, dtype, scale=3.0)
            b = g.uniform(shape_b, 0.3, 2, dtype)
            sign = g.randint(shape_b, 0, 2, "int64").tensor * 2 - 1
            b.base = b.base * sign.to(b.base.dtype)
            b.tensor = b.base
            return a, b
        if kind == "ties":
            a = g.randint(shape_a, -3, 3, "int64")
            b = g.randint(shape_b, -3, 3, "int64")
            for x in (a, b):
                x.base = x.base.to(getattr(__import__("torch"), dtype))
                x.tensor = x.base
            return a, b
        return g.randn(shape_a, dtype, 2.0), g.randn(shape_b, dtype, 2.0)
    if kind == "pow":
        return g.randint(shape_a, -4, 5, dtype), g.randint(shape_b, 0, 5, dtype)
    lo = 0 if dtype == "uint8" else -20
    if kind == "divisor":
        return g.randint(shape_a, lo, 20, dtype), g.randint(shape_b, -7 if lo else 1, 7, dtype,
                                                            nonzero=True)
    if kind == "ties":
        return g.randint(shape_a, max(lo, -3), 3, dtype), g.randint(shape_b, max(lo, -3), 3, dtype)
    return g.randint(shape_a, lo, 20, dtype), g.randint(shape_b, lo, 20, dtype)


def cases(g):
    for op, (fn, domain, dts, attrs) in UNARY.items():
        for dtype in dts:
            grads = dtype == "float32" and op not in DIFFERENTIABLE_SKIP
            g.case(op, [unary_input(g, (3, 5), dtype, domain)], fn, attrs, grads=grads)
            g.case(op, [unary_input(g, (), dtype, domain)], fn, attrs, note="0-d")
            g.case(op, [unary_input(g, (4, 6, 5), dtype, domain).permute(2, 0, 1)], fn, attrs,
                   note="permuted")
            g.case(op, [unary_input(g, (9, 8), dtype, domain).slice(1, 7, 0, -2)], fn, attrs,
                   note="negative step slice")
            g.case(op, [unary_input(g, (1, 7), dtype, domain).expand(3, 7)], fn, attrs,
                   note="expanded")
            g.case(op, [unary_input(g, (1000,), dtype, domain)], fn, attrs, note="several blocks")
        if op in ("isnan", "isinf", "abs", "neg", "relu", "sign"):
            g.case(op, [special_values(g, "float32")], fn, attrs, note="nan/inf/zeros")
    g.case("logical_not", [g.randbool((3, 4))], torch.logical_not)
    g.case("logical_not", [g.randbool((4, 3)).transpose()], torch.logical_not, note="transposed")

    shapes = [((3, 4), (3, 4), ""), ((2, 3, 4), (4,), "broadcast"),
              ((3, 1), (1, 5), "broadcast both"), ((), (2, 3), "0-d"), ((5, 1, 3), (4, 1), "rank")]
    for op, (fn, kind, dts) in BINARY.items():
        for dtype in dts:
            ref = int_ref(op, fn)
            for sa, sb, note in shapes:
                a, b = binary_inputs(g, sa, sb, dtype, kind)
                grads = dtype == "float32" and note == "" and kind != "ties" and \
                    op not in ("logical_and", "logical_or", "logical_xor")
                g.case(op, [a, b], ref, grads=grads, note=note)
            a, b = binary_inputs(g, (6, 4), (4, 6), dtype, kind)
            g.case(op, [a.slice(0, 1, 6, 2).flip(1), b.transpose().slice(0, 0, 3)], ref,
                   note="strided, flipped, transposed")
    # NaN and infinities against every kind of value (a GPU driver may fold float comparisons
    # as if NaN never occurred).
    for op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
        a = special_values(g, "float32")
        b = special_values(g, "float32").flip(0)
        g.case(op, [a, b], BINARY[op][0], note="nan/inf/zeros")
    for dtype in FLOATS + ["int64", "bool"]:
        cond = g.randbool((3, 4))
        if dtype == "bool":
            a, b = g.randbool((1, 4)), g.randbool((3, 1))
        elif dtype in FLOATS:
            a, b = g.randn((1, 4), dtype), g.randn((3, 1), dtype)
        else:
            a, b = g.randint((1, 4), -9, 9, dtype), g.randint((3, 1), -9, 9, dtype)
        g.case("where", [cond, a, b], torch.where, note="broadcast")
    g.case("where", [g.randbool((3, 4)), g.randn((3, 4)), g.randn((3, 4))], torch.where,
           grads=True)
    g.case("relu", [g.randn((0, 3))], torch.relu, note="empty")
    g.case("add", [g.randn((2, 0, 3)).permute(1, 2, 0), g.randn((3, 1))], torch.add,
           note="empty, non-contiguous")
    # Over 2^20 elements each invocation takes four elements a grid apart (a loop on WebGPU):
    # a broadcast float32 add, a transposed float16 multiply, a uint8 sum with sub-word stores.
    g.case("add", [g.randn((1031, 1029)), g.randn((1029,))], torch.add, note="1M, broadcast")
    g.case("mul", [g.randn((1025, 1030), "float16").transpose(), g.randn((1030, 1), "float16")],
           torch.mul, note="1M float16, transposed")
    g.case("add", [g.randint((1030, 1027), 0, 256, "uint8"), g.randint((1027,), 0, 256, "uint8")],
           torch.add, note="1M uint8, wraps")
