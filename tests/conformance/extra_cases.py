#!/usr/bin/python3
"""Writes ONNX test cases that ONNX 1.12's backend test data lacks into OUT_DIR/node/, in the
same layout (model.onnx, test_data_set_0/input_N.pb, output_N.pb), for wgml_onnx_conformance.

They cover forms of the elementwise and reduction converters the 1.12 data (opsets up to 17)
does not: reductions with axes as an input (opset 18), noop_with_empty_axes, empty reductions,
bool ReduceMax/Min (opset 20), integer ReduceMean/ReduceL2, Gelu (20), Mish (18), Clip bounds
that are run-time values or omitted, float16 hyperbolic functions, BitShift by the full width,
IsInf with both detections off, Dropout's mask, Cast to bool and truncating casts.
Expected outputs come from NumPy and the formulas of the ONNX operator spec (in float64, rounded
once), never from wgml. Inputs are seeded random tensors.

usage: extra_cases.py OUT_DIR
"""
import math
import sys

import numpy as np
from onnx import TensorProto, helper

from onnx_case_writer import CaseWriter


class Writer(CaseWriter):
    """Single-node cases named test_wgml_<name>."""

    def __init__(self, root):
        super().__init__(root, "test_wgml_")

    def case(self, name, op, inputs, outputs, attrs=None, opset=18, initializers=(),
             node_inputs=None):
        """One single-node model. inputs/outputs/initializers: lists of (name, array)."""
        if node_inputs is None:
            node_inputs = [n for n, _ in inputs] + [n for n, _ in initializers]
        node = helper.make_node(op, node_inputs, [n for n, _ in outputs], **(attrs or {}))
        super().case(name, opset, [node], inputs, outputs, initializers)


def f32(a):
    return np.asarray(a).astype(np.float32)


def axes(*values):
    return ("axes", np.array(values, np.int64))


def reductions(w, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    xd = x.astype(np.float64)
    xi = rng.integers(-50, 50, (3, 4, 5)).astype(np.int32)
    w.case("reduce_mean18_axes_input", "ReduceMean", [("x", x)],
           [("y", f32(xd.mean(axis=(0, 2))))], {"keepdims": 0}, initializers=[axes(0, -1)])
    w.case("reduce_max18_axes_input", "ReduceMax", [("x", x)],
           [("y", x.max(axis=1, keepdims=True))], initializers=[axes(1)])
    w.case("reduce_l2_18_all_axes", "ReduceL2", [("x", x)],
           [("y", f32(np.sqrt((xd ** 2).sum(keepdims=True))))])
    w.case("reduce_sum13_noop", "ReduceSum", [("x", x)], [("y", x)],
           {"noop_with_empty_axes": 1}, opset=13)
    w.case("reduce_prod18_noop_empty_axes", "ReduceProd", [("x", x)], [("y", x)],
           {"noop_with_empty_axes": 1}, initializers=[("axes", np.array([], np.int64))])
    w.case("reduce_sum13_all_keepdims0", "ReduceSum", [("x", x)], [("y", f32(xd.sum()))],
           {"keepdims": 0}, opset=13)
    w.case("reduce_sumsquare18", "ReduceSumSquare", [("x", x)],
           [("y", f32((xd ** 2).sum(axis=2)))], {"keepdims": 0}, initializers=[axes(2)])
    pos = np.abs(x) + 0.1
    w.case("reduce_logsum18", "ReduceLogSum", [("x", pos)],
           [("y", f32(np.log(pos.astype(np.float64).sum(axis=0, keepdims=True))))],
           initializers=[axes(0)])
    w.case("reduce_logsumexp18", "ReduceLogSumExp", [("x", x)],
           [("y", f32(np.log(np.exp(xd).sum(axis=1))))], {"keepdims": 0}, initializers=[axes(1)])
    # Integers: the mean and the root truncate toward zero (the reference casts back).
    w.case("reduce_mean13_int32", "ReduceMean", [("x", xi)],
           [("y", np.trunc(xi.astype(np.float64).mean(axis=1)).astype(np.int32))],
           {"axes": [1], "keepdims": 0}, opset=13)
    w.case("reduce_l2_13_int32", "ReduceL2", [("x", xi)],
           [("y", np.trunc(np.sqrt((xi.astype(np.float64) ** 2).sum(axis=2, keepdims=True)))
             .astype(np.int32))], {"axes": [2]}, opset=13)
    w.case("reduce_l1_13_int32", "ReduceL1", [("x", xi)],
           [("y", np.abs(xi).sum(axis=(0, 1)).astype(np.int32))], {"axes": [0, 1], "keepdims": 0},
           opset=13)
    # Empty reductions (opset 18): the identity of each reduction.
    e = np.zeros((2, 0, 3), np.float32)
    for op, value in (("ReduceSum", 0), ("ReduceProd", 1), ("ReduceMax", -np.inf),
                      ("ReduceMin", np.inf), ("ReduceLogSumExp", -np.inf),
                      ("ReduceLogSum", -np.inf), ("ReduceL2", 0)):
        w.case(f"{op.lower()}_empty_set", op, [("x", e)],
               [("y", np.full((2, 1, 3), value, np.float32))], initializers=[axes(1)])
    b = rng.random((3, 4)) > 0.6
    w.case("reduce_max20_bool", "ReduceMax", [("x", b)], [("y", b.any(axis=1))], {"keepdims": 0},
           opset=20, initializers=[axes(1)])
    w.case("reduce_min20_bool", "ReduceMin", [("x", b)], [("y", b.all(axis=0, keepdims=True))],
           opset=20, initializers=[axes(0)])
    w.case("argmax13_negative_axis", "ArgMax", [("x", x)],
           [("y", x.argmax(axis=-2)[:, None, :].astype(np.int64))], {"axis": -2}, opset=13)
    w.case("argmin13_last_index", "ArgMin", [("x", f32([[2, 1, 1], [3, 3, 0]]))],
           [("y", np.array([2, 2], np.int64))],
           {"axis": 1, "keepdims": 0, "select_last_index": 1}, opset=13)


def activations(w, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    xd = x.astype(np.float64)
    erf = np.vectorize(math.erf)
    w.case("gelu20", "Gelu", [("x", x)], [("y", f32(0.5 * xd * (1 + erf(xd / math.sqrt(2)))))],
           opset=20)
    inner = math.sqrt(2 / math.pi) * (xd + 0.044715 * xd ** 3)
    w.case("gelu20_tanh", "Gelu", [("x", x)], [("y", f32(0.5 * xd * (1 + np.tanh(inner))))],
           {"approximate": "tanh"}, opset=20)
    w.case("mish18", "Mish", [("x", x)], [("y", f32(xd * np.tanh(np.log1p(np.exp(xd)))))])
    # The spec's defaults, not PyTorch's.
    w.case("selu13_defaults", "Selu", [("x", x)],
           [("y", f32(1.05070102214813232421875 *
                      np.where(xd > 0, xd, 1.67326319217681884765625 * np.expm1(xd))))], opset=13)
    w.case("hardsigmoid13_defaults", "HardSigmoid", [("x", x)],
           [("y", f32(np.clip(0.2 * xd + 0.5, 0, 1)))], opset=13)
    xi = rng.integers(-50, 50, (3, 4, 5)).astype(np.int32)
    slope = rng.integers(-9, 9, (5,)).astype(np.int32)
    w.case("prelu16_int32", "PRelu", [("x", xi)], [("y", np.where(xi > 0, xi, xi * slope))],
           opset=16, initializers=[("slope", slope)])
    # Hyperbolic functions are compositions; near 0, far out, and in float16.
    small = f32([1e-5, -3e-4, 2e-2, 0.5, -2.0, 4.0])
    w.case("sinh9_small", "Sinh", [("x", small)], [("y", f32(np.sinh(small.astype(np.float64))))],
           opset=9)
    wide = np.array([-1e3, -2.5, -1e-3, 0, 1e-3, 30])
    w.case("asinh9_wide", "Asinh", [("x", f32(wide))], [("y", f32(np.arcsinh(wide)))], opset=9)
    for op, fn, values in (("Asinh", np.arcsinh, [-300, -2.5, -1e-2, 0.01, 0.5, 3, 300]),
                           ("Sinh", np.sinh, [-3, -0.5, -1e-2, 1e-3, 0.5, 3]),
                           ("Cosh", np.cosh, [-3, -0.5, 0, 0.5, 3]),
                           ("Acosh", np.arccosh, [1, 1.5, 10, 300]),
                           ("Atanh", np.arctanh, [-0.9, -0.1, 0.001, 0.5])):
        h = np.array(values, np.float16)
        w.case(f"{op.lower()}9_float16", op, [("x", h)],
               [("y", fn(h.astype(np.float64)).astype(np.float16))], opset=9)


def clip(w, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    xi = rng.integers(-50, 50, (3, 4, 5)).astype(np.int32)
    lo, hi = np.array(-0.5, np.float32), np.array(0.25, np.float32)
    w.case("clip13_min_only_int32", "Clip", [("x", xi)], [("y", np.maximum(xi, np.int32(-7)))],
           opset=13, initializers=[("lo", np.array(-7, np.int32))])
    w.case("clip13_runtime_bounds", "Clip", [("x", x), ("lo", lo), ("hi", hi)],
           [("y", np.minimum(np.maximum(x, lo), hi))], opset=13)
    w.case("clip13_max_only", "Clip", [("x", x)], [("y", np.minimum(x, np.float32(0.3)))],
           opset=13, initializers=[("hi", np.array(0.3, np.float32))], node_inputs=["x", "", "hi"])
    # min > max gives max everywhere, whichever bound is known when.
    w.case("clip13_min_above_max", "Clip", [("x", x)], [("y", np.full_like(x, 0.1))], opset=13,
           initializers=[("lo", np.array(0.5, np.float32)), ("hi", np.array(0.1, np.float32))])
    w.case("clip13_runtime_min_above_max", "Clip", [("x", x), ("lo", np.array(0.5, np.float32))],
           [("y", np.full_like(x, 0.1))], opset=13,
           initializers=[("hi", np.array(0.1, np.float32))])
    w.case("clip13_const_min_runtime_max", "Clip", [("x", x), ("hi", np.array(0.7, np.float32))],
           [("y", np.clip(x, -0.3, 0.7))], opset=13,
           initializers=[("lo", np.array(-0.3, np.float32))], node_inputs=["x", "lo", "hi"])
    w.case("clip7_attributes", "Clip", [("x", x)], [("y", np.clip(x, -0.2, 0.6))],
           {"min": -0.2, "max": 0.6}, opset=7)


def integers_and_casts(w, rng):
    u = rng.integers(0, 5, (4, 5)).astype(np.uint8)
    w.case("sign13_uint8", "Sign", [("x", u)], [("y", np.sign(u))], opset=13)
    a = rng.integers(-20, 20, (3, 4)).astype(np.int32)
    b = (rng.integers(1, 6, (3, 4)) * np.where(rng.random((3, 4)) > 0.5, 1, -1)).astype(np.int32)
    w.case("div14_int32_truncates", "Div", [("a", a), ("b", b)],
           [("y", np.trunc(a / b).astype(np.int32))], opset=14)
    w.case("mean13_int32", "Mean", [("a", a), ("b", b)],
           [("y", np.trunc((a + b) / 2).astype(np.int32))], opset=13)
    w.case("pow15_int32", "Pow", [("a", a), ("b", np.abs(b))],
           [("y", np.power(a, np.abs(b)).astype(np.int32))], opset=15)
    w.case("sum13_single_input", "Sum", [("x", f32(a))], [("y", f32(a))], opset=13)
    w.case("bitshift11_left_uint8_full_width", "BitShift",
           [("x", np.array([1, 3, 200, 255], np.uint8)), ("s", np.array([1, 7, 8, 2], np.uint8))],
           [("y", np.array([2, 128, 0, 252], np.uint8))], {"direction": "LEFT"}, opset=11)
    w.case("bitshift11_right_uint8_full_width", "BitShift",
           [("x", np.array([1, 255, 200, 255], np.uint8)), ("s", np.array([1, 7, 8, 2], np.uint8))],
           [("y", np.array([0, 1, 0, 63], np.uint8))], {"direction": "RIGHT"}, opset=11)
    special = f32([1, np.inf, -np.inf, np.nan])
    w.case("isinf10_detect_none", "IsInf", [("x", special)], [("y", np.zeros(4, np.bool_))],
           {"detect_positive": 0, "detect_negative": 0}, opset=10)
    w.case("isinf10_negative_only", "IsInf", [("x", special)],
           [("y", np.array([0, 0, 1, 0], np.bool_))], {"detect_positive": 0}, opset=10)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w.case("castlike15_to_float16", "CastLike", [("x", x), ("like", np.zeros(1, np.float16))],
           [("y", x.astype(np.float16))], opset=15)
    w.case("cast13_to_bool", "Cast", [("x", f32([0, 1.5, -2, 0]))],
           [("y", np.array([0, 1, 1, 0], np.bool_))], {"to": TensorProto.BOOL}, opset=13)
    w.case("cast13_to_int8_truncates", "Cast", [("x", f32([-2.7, 1.5, 3.9, -0.5]))],
           [("y", np.array([-2, 1, 3, 0], np.int8))], {"to": TensorProto.INT8}, opset=13)
    w.case("dropout7_mask", "Dropout", [("x", x)], [("y", x), ("m", np.ones_like(x))],
           {"ratio": 0.3}, opset=7)
    w.case("dropout13_training_false_mask", "Dropout", [("x", x)],
           [("y", x), ("m", np.ones(x.shape, np.bool_))], opset=13,
           initializers=[("r", np.array(0.4, np.float32)), ("t", np.array(False))])


def main():
    w = Writer(sys.argv[1])
    rng = np.random.default_rng(20240605)
    reductions(w, rng)
    activations(w, rng)
    clip(w, rng)
    integers_and_casts(w, rng)
    print(f"extra ONNX cases: {w.count} -> {sys.argv[1]}")


if __name__ == "__main__":
    main()
