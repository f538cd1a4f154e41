#!/usr/bin/python3
"""Writes ONNX test cases for the tensor converters' forms that ONNX 1.12's node tests (generated
at opsets 13-17) do not reach into OUT_DIR/node/test_wgml_tensor_*: old attribute forms, opset
18-21 additions, run-time inputs where the converter prefers constants, dynamic dims, and float32
Einsum/CumSum (the node tests use double). Expected outputs come from NumPy and the formulas of
the ONNX operator spec, never from wgml. Inputs are seeded random tensors.

usage: extra_cases_tensor.py OUT_DIR
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from onnx_case_writer import CaseWriter

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def case(w, name, opset, nodes, inputs, outputs, initializers=(), dims=None):
    """A case whose outputs are declared without a shape (some are dynamic)."""
    w.case(name, opset, nodes, inputs, outputs, initializers, dims, output_shapes=False)


def randf(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


def i64(*v):
    return np.array(v, dtype=np.int64)


def torus_pad(a, begins, ends):  # the spec's torus: output o reads (o - begin) mod n per axis
    for axis, (b, e) in enumerate(zip(begins, ends)):
        n = a.shape[axis]
        a = np.take(a, (np.arange(n + b + e) - b) % n, axis=axis)
    return a


def linear_asym(a, scale):  # one axis, asymmetric, clamped
    n = a.shape[-1]
    out = int(np.floor(n * scale))
    c = np.clip(np.arange(out) / scale, 0, n - 1)
    lo = np.floor(c).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = c - lo
    return a[..., lo] * (1 - w) + a[..., hi] * w


def scatter_elements(data, idx, upd, axis, red):
    out = data.copy()
    for pos in np.ndindex(idx.shape):
        t = list(pos)
        t[axis] = idx[pos] % data.shape[axis]
        t = tuple(t)
        if red == "none":
            out[t] = upd[pos]
        elif red == "add":
            out[t] += upd[pos]
        elif red == "mul":
            out[t] *= upd[pos]
        elif red == "max":
            out[t] = max(out[t], upd[pos])
        elif red == "min":
            out[t] = min(out[t], upd[pos])
    return out


def slices(w, rng):
    """Slice."""
    x = randf(rng, 5, 6, 4)
    case(w, "slice_opset9_attrs", 9,
         [node("Slice", ["x"], ["y"], starts=[1, -4], ends=[INT64_MAX, 5], axes=[0, 1])],
         [("x", x)], [("y", x[1:, -4:5])])
    case(w, "slice_opset9_default_axes", 9,
         [node("Slice", ["x"], ["y"], starts=[0, 1], ends=[3, -1])],
         [("x", x)], [("y", x[0:3, 1:-1])])
    case(w, "slice_neg_step_int_min", 13, [node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
         [("x", x)], [("y", x[::-2, 4:0:-1])],
         initializers=[("s", i64(INT64_MAX, 4)), ("e", i64(INT64_MIN, 0)), ("a", i64(0, 1)),
                       ("st", i64(-2, -1))])
    case(w, "slice_dynamic_starts", 13, [node("Slice", ["x", "s", "e", "a"], ["y"])],
         [("x", x), ("s", i64(-3)), ("e", i64(100))], [("y", x[:, :, -3:])],
         initializers=[("a", i64(-1))])


def reshapes(w, rng):
    """Reshape."""
    x = randf(rng, 2, 3, 4)
    case(w, "reshape_opset13_zero_copies", 13, [node("Reshape", ["x", "s"], ["y"])], [("x", x)],
         [("y", x.reshape(2, 12))], initializers=[("s", i64(0, -1))])
    z = np.zeros((0, 3), np.float32)
    case(w, "reshape_allowzero_empty", 14, [node("Reshape", ["x", "s"], ["y"], allowzero=1)],
         [("x", z)],
         [("y", z.reshape(3, 0))], initializers=[("s", i64(3, 0))])
    case(w, "reshape_dynamic_batch", 13,
         [node("Shape", ["x"], ["sh"]), node("Gather", ["sh", "zero"], ["b"], axis=0),
          node("Unsqueeze", ["b", "ax"], ["b1"]), node("Concat", ["b1", "m1"], ["target"], axis=0),
          node("Reshape", ["x", "target"], ["y"])],
         [("x", x)], [("y", x.reshape(2, -1))],
         initializers=[("zero", np.array(0, np.int64)), ("ax", i64(0)), ("m1", i64(-1))],
         dims={"x": ["N", 3, 4]})


def squeezes(w, rng):
    """Squeeze / Unsqueeze (attributes before 13)."""
    x = randf(rng, 1, 3, 1, 2)
    case(w, "squeeze_opset11_attr", 11, [node("Squeeze", ["x"], ["y"], axes=[-2])], [("x", x)],
         [("y", x.squeeze(2))])
    case(w, "squeeze_opset11_all", 11, [node("Squeeze", ["x"], ["y"])], [("x", x)],
         [("y", x.squeeze())])
    case(w, "squeeze_opset13_no_axes", 13, [node("Squeeze", ["x"], ["y"])], [("x", x)],
         [("y", x.squeeze())])
    case(w, "unsqueeze_opset11_attr", 11, [node("Unsqueeze", ["x"], ["y"], axes=[0, -1])],
         [("x", x)],
         [("y", x[None, ..., None])])


def flattens(w, rng):
    """Flatten."""
    x = randf(rng, 2, 3, 4)
    case(w, "flatten_opset9", 9, [node("Flatten", ["x"], ["y"], axis=2)], [("x", x)],
         [("y", x.reshape(6, 4))])
    case(w, "flatten_dynamic", 13, [node("Flatten", ["x"], ["y"], axis=-1)], [("x", x)],
         [("y", x.reshape(6, 4))],
         dims={"x": ["N", 3, 4]})


def splits(w, rng):
    """Split."""
    x = randf(rng, 7, 4)
    case(w, "split_opset11_attr", 11, [node("Split", ["x"], ["a", "b"], axis=0, split=[3, 4])],
         [("x", x)],
         [("a", x[:3]), ("b", x[3:])])
    case(w, "split_opset11_equal", 11, [node("Split", ["x"], ["a", "b"], axis=1)], [("x", x)],
         [("a", x[:, :2]), ("b", x[:, 2:])])
    case(w, "split_opset13_input", 13, [node("Split", ["x", "s"], ["a", "b", "c"], axis=0)],
         [("x", x)],
         [("a", x[:1]), ("b", x[1:1]), ("c", x[1:])], initializers=[("s", i64(1, 0, 6))])
    case(w, "split_opset13_dynamic_sizes", 13, [node("Split", ["x", "s"], ["a", "b"], axis=-1)],
         [("x", x), ("s", i64(3, 1))], [("a", x[:, :3]), ("b", x[:, 3:])])
    case(w, "split_opset18_num_outputs_uneven", 18,
         [node("Split", ["x"], ["a", "b", "c"], axis=0, num_outputs=3)],
         [("x", x)], [("a", x[:3]), ("b", x[3:6]), ("c", x[6:])])
    case(w, "split_dynamic_dim", 18, [node("Split", ["x"], ["a", "b", "c"], axis=0, num_outputs=3)],
         [("x", x)], [("a", x[:3]), ("b", x[3:6]), ("c", x[6:])], dims={"x": ["N", 4]})


def pads(w, rng):
    """Pad."""
    x = randf(rng, 3, 4)
    case(w, "pad_opset10_attrs", 10, [node("Pad", ["x"], ["y"], pads=[1, 0, 0, 2], value=1.5)],
         [("x", x)],
         [("y", np.pad(x, ((1, 0), (0, 2)), constant_values=1.5))])
    case(w, "pad_opset10_reflect", 10,
         [node("Pad", ["x"], ["y"], pads=[2, 1, 1, 3], mode="reflect")], [("x", x)],
         [("y", np.pad(x, ((2, 1), (1, 3)), mode="reflect"))])
    case(w, "pad_opset11_negative", 11, [node("Pad", ["x", "p", "v"], ["y"])], [("x", x)],
         [("y", np.pad(x, ((0, 2), (0, 0)), constant_values=-3.0)[:, 1:])],
         initializers=[("p", i64(0, -1, 2, 0)), ("v", np.array(-3.0, np.float32))])
    case(w, "pad_opset18_axes", 18, [node("Pad", ["x", "p", "", "a"], ["y"], mode="edge")],
         [("x", x)],
         [("y", np.pad(x, ((0, 0), (2, 1)), mode="edge"))],
         initializers=[("p", i64(2, 1)), ("a", i64(-1))])


    case(w, "pad_opset19_wrap", 19, [node("Pad", ["x", "p"], ["y"], mode="wrap")], [("x", x)],
         [("y", np.pad(x, ((1, 2), (3, 2)), mode="wrap"))], initializers=[("p", i64(1, 3, 2, 2))])
    # Pads longer than the axis: numpy's wrap (ONNX's reference) is not periodic there; the
    # spec's torus is.
    case(w, "pad_opset19_wrap_long", 19, [node("Pad", ["x", "p"], ["y"], mode="wrap")], [("x", x)],
         [("y", torus_pad(x, (1, 6), (5, 2)))], initializers=[("p", i64(1, 6, 5, 2))])
    case(w, "pad_opset19_wrap_crop", 19, [node("Pad", ["x", "p"], ["y"], mode="wrap")], [("x", x)],
         [("y", np.pad(x, ((0, 2), (1, 0)), mode="wrap")[1:, :-1])],
         initializers=[("p", i64(-1, 1, 2, -1))])
    xi = rng.integers(-9, 9, (3, 4)).astype(np.int32)
    case(w, "pad_int_dynamic_pads", 13, [node("Pad", ["x", "p", "v"], ["y"])],
         [("x", xi), ("p", i64(1, 1, 0, 2))],
         [("y", np.pad(xi, ((1, 0), (1, 2)), constant_values=7))],
         initializers=[("v", np.array(7, np.int32))])


def topks(w, rng):
    """TopK."""
    x = randf(rng, 3, 6)
    order = np.argsort(-x, axis=1, kind="stable")[:, :2]
    case(w, "topk_opset9_attr", 9, [node("TopK", ["x"], ["v", "i"], k=2)], [("x", x)],
         [("v", np.take_along_axis(x, order, 1)), ("i", order.astype(np.int64))])
    case(w, "topk_opset10_input", 10, [node("TopK", ["x", "k"], ["v", "i"], axis=0)], [("x", x)],
         [("v", -np.sort(-x, axis=0)[:1]),
          ("i", np.argsort(-x, axis=0, kind="stable")[:1].astype(np.int64))],
         initializers=[("k", i64(1))])
    small = np.argsort(x, axis=1, kind="stable")[:, :3]
    case(w, "topk_smallest_dynamic_k", 11, [node("TopK", ["x", "k"], ["v", "i"], largest=0)],
         [("x", x), ("k", i64(3))],
         [("v", np.take_along_axis(x, small, 1)), ("i", small.astype(np.int64))])


def resizes(w, rng):
    """Resize / Upsample (asymmetric forms)."""
    x = randf(rng, 1, 1, 2, 3)
    up = x.repeat(2, axis=2).repeat(3, axis=3)
    case(w, "upsample_opset7_attr", 7,
         [node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 3.0])], [("x", x)], [("y", up)])
    case(w, "upsample_opset9_input", 9, [node("Upsample", ["x", "s"], ["y"])], [("x", x)],
         [("y", up)],
         initializers=[("s", np.array([1, 1, 2, 3], np.float32))])
    case(w, "resize_opset10_nearest", 10, [node("Resize", ["x", "s"], ["y"], mode="nearest")],
         [("x", x)], [("y", up)],
         initializers=[("s", np.array([1, 1, 2, 3], np.float32))])


    xl = randf(rng, 1, 1, 1, 4)
    case(w, "upsample_opset9_linear", 9, [node("Upsample", ["x", "s"], ["y"], mode="linear")],
         [("x", xl)],
         [("y", linear_asym(xl.astype(np.float64), 2.0).astype(np.float32))],
         initializers=[("s", np.array([1, 1, 1, 2], np.float32))])
    x = randf(rng, 1, 2, 4, 4)
    case(w, "resize_opset18_axes_scales", 18,
         [node("Resize", ["x", "", "s"], ["y"], axes=[2, 3], mode="nearest")],
         [("x", x)], [("y", x.repeat(2, axis=2).repeat(2, axis=3))],
         initializers=[("s", np.array([2, 2], np.float32))])
    case(w, "resize_opset18_not_larger", 18,
         [node("Resize", ["x", "", "", "sz"], ["y"], axes=[2, 3], mode="nearest",
               keep_aspect_ratio_policy="not_larger")],
         [("x", x)], [("y", x.repeat(2, axis=2).repeat(2, axis=3))],
         initializers=[("sz", i64(8, 9))])
    case(w, "resize_opset18_not_smaller", 18,
         [node("Resize", ["x", "", "", "sz"], ["y"], axes=[3, 2], mode="nearest",
               keep_aspect_ratio_policy="not_smaller")],
         [("x", x)], [("y", x.repeat(2, axis=2).repeat(2, axis=3))],
         initializers=[("sz", i64(7, 8))])
    case(w, "resize_opset19_half_pixel_symmetric", 19,
         [node("Resize", ["x", "", "s"], ["y"], mode="nearest",
               coordinate_transformation_mode="half_pixel_symmetric")],
         [("x", x)], [("y", x.repeat(2, axis=3))],
         initializers=[("s", np.array([1, 1, 1, 2], np.float32))])
    case(w, "resize_opset18_antialias_up", 18,
         [node("Resize", ["x", "", "s"], ["y"], mode="linear", antialias=1,
               coordinate_transformation_mode="asymmetric")],
         [("x", xl)], [("y", linear_asym(xl.astype(np.float64), 2.0).astype(np.float32))],
         initializers=[("s", np.array([1, 1, 1, 2], np.float32))])
    case(w, "resize_dynamic_sizes", 13,
         [node("Resize", ["x", "", "", "sz"], ["y"], mode="nearest")],
         [("x", x), ("sz", i64(1, 2, 8, 4))], [("y", x.repeat(2, axis=2))])


def scatters(w, rng):
    """Scatter family."""
    data = randf(rng, 3, 4)
    upd = randf(rng, 2, 4)


    idx_u = np.array([[1, 0, 2, -1], [0, 2, 1, 1]], np.int64)  # unique per column
    case(w, "scatter_opset9", 9, [node("Scatter", ["d", "i", "u"], ["y"], axis=0)],
         [("d", data), ("i", np.abs(idx_u) % 3), ("u", upd)],
         [("y", scatter_elements(data, np.abs(idx_u) % 3, upd, 0, "none"))])
    idx_dup = np.array([[1, 1, 2, -1], [1, 1, -1, 2]], np.int64)
    for red, opset in [("add", 16), ("mul", 16), ("max", 18), ("min", 18)]:
        case(w, f"scatter_elements_{red}", opset,
             [node("ScatterElements", ["d", "i", "u"], ["y"], axis=0, reduction=red)],
             [("d", data), ("i", idx_dup), ("u", upd)],
             [("y", scatter_elements(data, idx_dup, upd, 0, red))])
    idx_ax1 = np.array([[3, -1], [0, 1], [2, 2]], np.int64)
    upd1 = randf(rng, 3, 2)
    case(w, "scatter_elements_axis1_add", 16,
         [node("ScatterElements", ["d", "i", "u"], ["y"], axis=-1, reduction="add")],
         [("d", data), ("i", idx_ax1), ("u", upd1)],
         [("y", scatter_elements(data, idx_ax1, upd1, 1, "add"))])
    d3 = randf(rng, 4, 3)
    nd_idx = np.array([[1], [3], [1]], np.int64)
    nd_upd = randf(rng, 3, 3)
    ref = d3.copy()
    for r in range(3):
        ref[nd_idx[r, 0]] = np.maximum(ref[nd_idx[r, 0]], nd_upd[r])
    case(w, "scatternd_max", 18, [node("ScatterND", ["d", "i", "u"], ["y"], reduction="max")],
         [("d", d3), ("i", nd_idx), ("u", nd_upd)], [("y", ref)])


def gather_nds(w, rng):
    """GatherND."""
    data = randf(rng, 2, 3, 4, 5)
    gi = np.array([[[1, -1], [0, 2]], [[2, 0], [-3, 3]]], np.int64)  # [2, 2, 2], batch_dims 1
    ref = np.stack([np.stack([data[b, gi[b, j, 0],
                                   gi[b, j, 1]] for j in range(2)]) for b in range(2)])
    case(w, "gathernd_batch1_negative", 13, [node("GatherND", ["d", "i"], ["y"], batch_dims=1)],
         [("d", data), ("i", gi)], [("y", ref)])
    gi2 = np.array([[0, 1, 2], [1, -1, 0]], np.int64)
    case(w, "gathernd_full_index", 11, [node("GatherND", ["d", "i"], ["y"])],
         [("d", data), ("i", gi2)],
         [("y", np.stack([data[0, 1, 2], data[1, -1, 0]]))])
    gi3 = np.array([[[1, -2]], [[0, 2]], [[-1, 0]]], np.int64)  # [3, 1, 2], dynamic data dims
    case(w, "gathernd_dynamic_data", 13, [node("GatherND", ["d", "i"], ["y"])],
         [("d", data), ("i", gi3)],
         [("y", np.stack([np.stack([data[tuple(t)] for t in row]) for row in gi3]))],
         dims={"d": ["N", 3, "H", 5]})


def generators(w, rng):
    """generators."""
    case(w, "constant_value_float", 12, [node("Constant", [], ["y"], value_float=2.5)], [],
         [("y", np.array(2.5, np.float32))])
    case(w, "constant_value_ints", 12, [node("Constant", [], ["y"], value_ints=[3, -4, 5])], [],
         [("y", i64(3, -4, 5))])
    case(w, "constant_value_floats", 13, [node("Constant", [], ["y"], value_floats=[0.5, -1.25])],
         [],
         [("y", np.array([0.5, -1.25], np.float32))])
    case(w, "constant_value_int", 13, [node("Constant", [], ["y"], value_int=-7)], [],
         [("y", np.array(-7, np.int64))])
    case(w, "constantofshape_int32_dynamic", 13,
         [node("ConstantOfShape", ["s"], ["y"],
               value=numpy_helper.from_array(np.array([5], np.int32)))],
         [("s", i64(2, 3))], [("y", np.full((2, 3), 5, np.int32))])
    case(w, "range_int64_dynamic", 11, [node("Range", ["a", "b", "c"], ["y"])],
         [("a", np.array(10, np.int64)), ("b", np.array(-3, np.int64)),
          ("c", np.array(-4, np.int64))],
         [("y", np.arange(10, -3, -4, dtype=np.int64))])
    case(w, "range_float_const", 11, [node("Range", ["a", "b", "c"], ["y"])], [],
         [("y", np.arange(0.5, 3.0, 0.75, dtype=np.float32))],
         initializers=[("a", np.array(0.5, np.float32)), ("b", np.array(3.0, np.float32)),
                       ("c", np.array(0.75, np.float32))])
    x = randf(rng, 3, 5)
    case(w, "eyelike_k_neg_int", 9, [node("EyeLike", ["x"], ["y"], k=-1, dtype=TensorProto.INT32)],
         [("x", x)],
         [("y", np.eye(3, 5, k=-1, dtype=np.int32))])
    case(w, "eyelike_dynamic", 9, [node("EyeLike", ["x"], ["y"], k=2)], [("x", x)],
         [("y", np.eye(3, 5, k=2, dtype=np.float32))], dims={"x": ["N", "M"]})
    ind = np.array([[1.7, -1.0], [3.2, 0.0]], np.float32)
    vals = np.array([-2.0, 4.0], np.float32)
    ref = np.full((2, 2, 4), -2.0, np.float32)
    for p in np.ndindex(ind.shape):
        j = int(ind[p])
        ref[p + (j % 4,)] = 4.0
    case(w, "onehot_float_indices", 11, [node("OneHot", ["i", "d", "v"], ["y"])], [("i", ind)],
         [("y", ref)],
         initializers=[("d", np.array(4.0, np.float32)), ("v", vals)])
    ii = np.array([2, -1, 0], np.int32)
    ref = np.zeros((3, 3), np.int64)
    for k, j in enumerate(ii):
        ref[j % 3, k] = 1
    case(w, "onehot_axis0_dynamic_depth", 9, [node("OneHot", ["i", "d", "v"], ["y"], axis=0)],
         [("i", ii), ("d", i64(3))], [("y", ref)], initializers=[("v", i64(0, 1))])


def cumsums(w, rng):
    """CumSum (float32 / int32; ONNX's node tests use double)."""
    x = randf(rng, 3, 4)
    case(w, "cumsum_float_reverse_exclusive", 14,
         [node("CumSum", ["x", "a"], ["y"], reverse=1, exclusive=1)],
         [("x", x)],
         [("y",
           (np.flip(np.cumsum(np.flip(x.astype(np.float64), 1), 1), 1) - x).astype(np.float32))],
         initializers=[("a", np.array(1, np.int32))])
    xi = rng.integers(-50, 50, (3, 4)).astype(np.int32)
    case(w, "cumsum_int32_dynamic_axis", 11, [node("CumSum", ["x", "a"], ["y"])],
         [("x", xi), ("a", np.array(-2, np.int64))],
         [("y", np.cumsum(xi, 0).astype(np.int32))])


def depth_space(w, rng):
    """DepthToSpace / SpaceToDepth with a dynamic batch."""
    x = randf(rng, 2, 8, 2, 3)
    b = 2
    n, c, h, wd = x.shape
    dcr = x.reshape(n, b, b, c // 4, h, wd).transpose(0, 3, 4, 1, 5, 2).reshape(n, c // 4, h * b,
                                                                                wd * b)
    crd = x.reshape(n, c // 4, b, b, h, wd).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // 4, h * b,
                                                                                wd * b)
    case(w, "depthtospace_dcr_dynamic", 13, [node("DepthToSpace", ["x"], ["y"], blocksize=2)],
         [("x", x)],
         [("y", dcr)], dims={"x": ["N", 8, "H", "W"]})
    case(w, "depthtospace_crd_dynamic", 13,
         [node("DepthToSpace", ["x"], ["y"], blocksize=2, mode="CRD")], [("x", x)],
         [("y", crd)], dims={"x": ["N", "C", "H", 3]})
    x = randf(rng, 2, 3, 4, 6)
    n, c, h, wd = x.shape
    s2d = x.reshape(n, c, h // 2, 2, wd // 2, 2).transpose(0, 3, 5, 1, 2, 4).reshape(n, c * 4,
                                                                                     h // 2,
                                                                                     wd // 2)
    case(w, "spacetodepth_dynamic", 13, [node("SpaceToDepth", ["x"], ["y"], blocksize=2)],
         [("x", x)],
         [("y", s2d)], dims={"x": ["N", "C", "H", "W"]})


def data_dependent(w, rng):
    """data-dependent shapes on constants."""
    cond = np.array([True, False, True, True], np.bool_)
    x = randf(rng, 3, 4)
    case(w, "compress_constant_condition", 11, [node("Compress", ["x", "c"], ["y"], axis=-1)],
         [("x", x)],
         [("y", np.compress(cond, x, axis=1))], initializers=[("c", cond)])
    case(w, "compress_flat_constant_condition", 11, [node("Compress", ["x", "c"], ["y"])],
         [("x", x)],
         [("y", np.compress(cond, x))], initializers=[("c", cond)])
    nz = np.array([[0, 2, 0], [1, 0, 3]], np.int32)
    case(w, "nonzero_constant", 13, [node("NonZero", ["c"], ["y"])], [],
         [("y", np.array(np.nonzero(nz), np.int64))],
         initializers=[("c", nz)])
    # Run-time inputs: the count is read back when the model runs (graph::kNarrowOp).
    x = randf(rng, 3, 5, 7)
    x[rng.random(x.shape) < 0.5] = 0
    case(w, "nonzero_runtime_3d", 13, [node("NonZero", ["x"], ["y"])], [("x", x)],
         [("y", np.array(np.nonzero(x), np.int64))], dims={"x": ["N", 5, 7]})
    big = rng.random((40, 300)) < 0.3  # 12000 elements: the device scans in workgroups
    case(w, "nonzero_runtime_bool_12000", 13, [node("NonZero", ["b"], ["y"])], [("b", big)],
         [("y", np.array(np.nonzero(big), np.int64))])
    half = randf(rng, 4, 6).astype(np.float16)
    half[rng.random(half.shape) < 0.4] = 0
    half[1, 2] = np.nan  # NaN is nonzero
    case(w, "nonzero_runtime_float16_nan", 13, [node("NonZero", ["h"], ["y"])], [("h", half)],
         [("y", np.array(np.nonzero(half), np.int64))])
    zero = np.zeros((3, 4), np.float32)  # the empty result: a [2, 0] output
    case(w, "nonzero_runtime_none", 13, [node("NonZero", ["z"], ["y"])], [("z", zero)],
         [("y", np.zeros((2, 0), np.int64))])
    scalar = np.array(2.5, np.float32)
    case(w, "nonzero_runtime_scalar", 13, [node("NonZero", ["s"], ["y"])], [("s", scalar)],
         [("y", np.array(np.nonzero(np.atleast_1d(scalar)), np.int64))])
    # x[mask] as PyTorch exports it: NonZero -> Transpose -> GatherND, then more ops on the
    # data-dependent result, with a dynamic batch.
    x = randf(rng, 4, 6, 5)
    mask = x > 0.3
    case(w, "masked_select_runtime", 13,
         [node("Greater", ["x", "t"], ["m"]), node("NonZero", ["m"], ["nz"]),
          node("Transpose", ["nz"], ["idx"], perm=[1, 0]), node("GatherND", ["x", "idx"], ["g"]),
          node("Mul", ["g", "two"], ["y"]), node("ReduceSum", ["y"], ["s"], keepdims=0)],
         [("x", x)], [("y", x[mask] * 2), ("s", np.array((x[mask] * 2).sum(), np.float32))],
         initializers=[("t", np.array(0.3, np.float32)), ("two", np.array(2, np.float32))],
         dims={"x": ["N", 6, None]})
    # Unique (flattened form): NumPy's unique, and for sorted=0 its groups by first occurrence.
    def unique_ref(a, sorted_=True):
        y, first, inverse, counts = np.unique(a.reshape(-1), return_index=True,
                                              return_inverse=True, return_counts=True)
        if sorted_:
            return y, first, inverse, counts
        regroup = np.argsort(first, kind="stable")
        rank_of = np.empty_like(regroup)
        rank_of[regroup] = np.arange(len(regroup))
        return y[regroup], first[regroup], rank_of[inverse], counts[regroup]

    def unique_case(name, a, sorted_, dims=None):
        outs = [o.astype(a.dtype if k == 0 else np.int64)
                for k, o in enumerate(unique_ref(a, sorted_))]
        case(w, name, 11, [node("Unique", ["x"], ["y", "i", "inv", "c"], sorted=int(sorted_))],
             [("x", a)], list(zip(["y", "i", "inv", "c"], outs)), dims=dims)

    unique_case("unique_runtime_int32_sorted", rng.integers(-20, 30, (4, 30)).astype(np.int32),
                True, dims={"x": ["N", 30]})
    unique_case("unique_runtime_float_unsorted",
                (rng.integers(0, 40, 300) / 4).astype(np.float32), False)
    unique_case("unique_runtime_int64_unsorted", rng.integers(-5, 5, (7, 3)).astype(np.int64),
                False)
    unique_case("unique_runtime_bool", rng.random((3, 4)) < 0.5, True)
    cond = rng.random(5) < 0.5
    cond[0] = True
    x = randf(rng, 3, 7)
    case(w, "compress_runtime_short_condition", 11,
         [node("Compress", ["x", "c"], ["y"], axis=1)], [("x", x), ("c", cond)],
         [("y", np.compress(cond, x, axis=1))])
    cond = rng.random(21) < 0.5
    case(w, "compress_runtime_flat", 11, [node("Compress", ["x", "c"], ["y"])],
         [("x", x), ("c", cond)], [("y", np.compress(cond, x))])


def control_flow(w, rng):
    """If: a load-time condition (from a shape) inlines one branch, a run-time one selects."""
    def branch(name, nodes, out, shape, inits=()):
        return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(
            out, TensorProto.FLOAT, shape)], initializer=[numpy_helper.from_array(a, n)
                                                            for n, a in inits])

    x = randf(rng, 3, 4)
    two = np.array(2, np.float32)
    doubled = branch("then", [node("Mul", ["x", "two"], ["t"])], "t", None, [("two", two)])
    shifted = branch("else", [node("Add", ["x", "one"], ["e"])], "e", None,
                     [("one", np.array(1, np.float32))])
    # rank(x) == 2, known when the model loads: only then_branch is converted, so an else_branch
    # with an op wgml lacks does not matter.
    unsupported = branch("else", [node("Loop", ["x"], ["e"])], "e", None)
    case(w, "if_load_time_condition", 13,
         [node("Shape", ["x"], ["s"]), node("Size", ["s"], ["r"]), node("Equal", ["r", "k"], ["c"]),
          node("If", ["c"], ["y"], then_branch=doubled, else_branch=unsupported)],
         [("x", x)], [("y", x * 2)], initializers=[("k", np.array(2, np.int64))],
         dims={"x": ["N", 4]})
    for flag in (True, False):
        case(w, f"if_runtime_condition_{str(flag).lower()}", 13,
             [node("If", ["c"], ["y"], then_branch=doubled, else_branch=shifted)],
             [("c", np.array(flag)), ("x", x)], [("y", x * 2 if flag else x + 1)],
             dims={"x": ["N", 4]})
    # An unsorted file: the If comes before the node that makes the value its branch reads.
    reads_z = branch("then", [node("Neg", ["z"], ["t"])], "t", None)
    case(w, "if_unsorted_outer_read", 13,
         [node("If", ["c"], ["y"], then_branch=reads_z, else_branch=shifted),
          node("Mul", ["x", "x"], ["z"])],
         [("c", np.array(True)), ("x", x)], [("y", -(x * x))])
    inner = helper.make_node("If", ["c2"], ["t"], then_branch=doubled, else_branch=shifted)
    nested = branch("outer_then", [inner], "t", None)
    case(w, "if_nested_runtime", 13,
         [node("If", ["c1"], ["y"], then_branch=nested, else_branch=shifted)],
         [("c1", np.array([True])), ("c2", np.array(False)), ("x", x)], [("y", x + 1)])


def loops(w, rng):
    """Loop: carried values (one growing), per-iteration outputs, captured values, early stops."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info

    def body(nodes, inputs, outputs, inits=()):
        return helper.make_graph(nodes, "body", inputs, outputs,
                                 initializer=[numpy_helper.from_array(a, n) for n, a in inits])

    # acc = acc * 0.5 + x (x captured, dynamic batch); seq grows by one row of acc's sum per
    # iteration; the per-iteration output is acc itself; the body stops once i reaches `stop`.
    x = randf(rng, 2, 3)
    grow = body(
        [node("Mul", ["acc_in", "half"], ["scaled"]), node("Add", ["scaled", "x"], ["acc_out"]),
         node("ReduceSum", ["acc_out"], ["total"], keepdims=1, axes=[0, 1]),
         node("Concat", ["seq_in", "total"], ["seq_out"], axis=0),
         node("Less", ["i", "stop"], ["go"]), node("Identity", ["acc_out"], ["acc_scan"])],
        [vi("i", TensorProto.INT64, []), vi("c", TensorProto.BOOL, []), vi("acc_in", f, None),
         vi("seq_in", f, None)],
        [vi("go", TensorProto.BOOL, []), vi("acc_out", f, None), vi("seq_out", f, None),
         vi("acc_scan", f, None)],
        [("half", np.array(0.5, np.float32)), ("stop", np.array(4, np.int64))])

    def reference(trips, start_acc, start_seq):
        acc, seq, scans = start_acc, start_seq, []
        for i in range(trips):
            acc = (acc * 0.5 + x).astype(np.float32)
            seq = np.concatenate([seq, acc.sum(keepdims=True).reshape(1, 1)], axis=0)
            scans.append(acc)
            if not i < 4:
                break
        return acc, seq, np.stack(scans) if scans else np.zeros((0, 2, 3), np.float32)

    acc0 = randf(rng, 2, 3)
    seq0 = randf(rng, 1, 1)
    for trips in (3, 20):  # 20: the body's condition stops it after 5 iterations
        a, q, sc = reference(trips, acc0, seq0)
        case(w, f"loop_growing_carried_m{trips}", 13,
             [node("Loop", ["m", "c", "acc", "seq"], ["acc_end", "seq_end", "scan"], body=grow)],
             [("m", np.array(trips, np.int64)), ("c", np.array(True)), ("acc", acc0),
              ("seq", seq0), ("x", x)],
             [("acc_end", a), ("seq_end", q), ("scan", sc)])
    case(w, "loop_zero_trips", 13,
         [node("Loop", ["m", "c", "acc", "seq"], ["acc_end", "seq_end", "scan"], body=grow)],
         [("m", np.array(0, np.int64)), ("c", np.array(True)), ("acc", acc0), ("seq", seq0),
          ("x", x)], [("acc_end", acc0), ("seq_end", seq0), ("scan", np.zeros((0, 2, 3),
                                                                            np.float32))])
    # No trip count: a while loop on the body's condition; 12 iterations stacked.
    counter = body(
        [node("Add", ["v_in", "one"], ["v_out"]), node("Gather", ["v_out", "zero"], ["first"]),
         node("Less", ["first", "limit"], ["go"]), node("Mul", ["v_out", "v_out"], ["sq"])],
        [vi("i", TensorProto.INT64, []), vi("c", TensorProto.BOOL, []),
         vi("v_in", TensorProto.FLOAT, [2])],
        [vi("go", TensorProto.BOOL, []), vi("v_out", TensorProto.FLOAT, [2]),
         vi("sq", TensorProto.FLOAT, [2])],
        [("one", np.array(1, np.float32)), ("limit", np.array(12.0, np.float32)),
         ("zero", np.array(0, np.int64))])
    v0 = np.array([0.0, 0.5], np.float32)
    steps = [v0 + k for k in range(1, 13)]
    case(w, "loop_while_condition", 13,
         [node("Loop", ["", "c", "v"], ["v_end", "sq"], body=counter)],
         [("c", np.array(True)), ("v", v0)],
         [("v_end", steps[-1]), ("sq", np.stack([s * s for s in steps]))])


def scans(w, rng):
    """Scan (opset 9+): a running state, two scan inputs (one reversed, one along axis 1), and
    outputs reversed and moved to axis 1."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    body = helper.make_graph(
        [node("Add", ["s_in", "a"], ["s_mid"]), node("Mul", ["s_mid", "b"], ["s_out"]),
         node("Sub", ["s_out", "a"], ["y"]), node("Identity", ["s_out"], ["z"])],
        "scan_body",
        [vi("s_in", f, [3]), vi("a", f, [3]), vi("b", f, [3])],
        [vi("s_out", f, [3]), vi("y", f, [3]), vi("z", f, [3])])
    a = randf(rng, 5, 3)      # scanned along axis 0, reversed
    b = randf(rng, 3, 5)      # scanned along axis 1
    s0 = randf(rng, 3)
    s, ys, zs = s0, [], []
    for i in range(5):
        ai, bi = a[4 - i], b[:, i]
        s = ((s + ai) * bi).astype(np.float32)
        ys.append(s - ai)
        zs.append(s)
    y = np.stack(ys)[::-1]          # output direction reversed
    z = np.stack(zs).transpose()    # output axis 1: [3, 5]
    case(w, "scan_directions_and_axes", 11,
         [node("Scan", ["s0", "a", "b"], ["s_end", "y", "z"], body=body, num_scan_inputs=2,
               scan_input_directions=[1, 0], scan_input_axes=[0, 1],
               scan_output_directions=[1, 0], scan_output_axes=[0, -1])],
         [("s0", s0), ("a", a), ("b", b)], [("s_end", s), ("y", y), ("z", z)],
         dims={"a": ["T", 3], "b": [3, "T"]})


def misc(w, rng):
    """misc."""
    x = randf(rng, 3, 1)
    case(w, "expand_smaller_shape", 13, [node("Expand", ["x", "s"], ["y"])], [("x", x)],
         [("y", x * np.ones((3, 4), np.float32))], initializers=[("s", i64(4))])
    x = randf(rng, 4, 5)
    case(w, "gather_scalar_index", 13, [node("Gather", ["x", "i"], ["y"], axis=1)], [("x", x)],
         [("y", x[:, -2])],
         initializers=[("i", np.array(-2, np.int64))])
    case(w, "transpose_dynamic_default", 13, [node("Transpose", ["x"], ["y"])], [("x", x)],
         [("y", x.T)],
         dims={"x": ["N", 5]})
    x = randf(rng, 2, 3, 4)
    case(w, "shape_start_end_opset15", 15, [node("Shape", ["x"], ["y"], start=-2, end=10)],
         [("x", x)], [("y", i64(3, 4))])
    case(w, "size_dynamic", 13, [node("Size", ["x"], ["y"])], [("x", x)],
         [("y", np.array(24, np.int64))],
         dims={"x": ["N", 3, 4]})
    case(w, "tile_opset13_const", 13, [node("Tile", ["x", "r"], ["y"])], [("x", x)],
         [("y", np.tile(x, (1, 2, 3)))],
         initializers=[("r", i64(1, 2, 3))])
    case(w, "trilu_lower_const_k", 14, [node("Trilu", ["x", "k"], ["y"], upper=0)], [("x", x)],
         [("y", np.tril(x, -1))],
         initializers=[("k", np.array(-1, np.int64))])
    x = randf(rng, 4, 3, 2)
    lens = np.array([2, 4, 1], np.int64)
    ref = x.copy()
    for bi, L in enumerate(lens):
        ref[:L, bi] = x[:L, bi][::-1]
    case(w, "reversesequence_rank3", 10, [node("ReverseSequence", ["x", "l"], ["y"])],
         [("x", x), ("l", lens)], [("y", ref)])
    x = randf(rng, 3, 4, 5)
    case(w, "concat_dynamic", 13, [node("Concat", ["x", "x"], ["y"], axis=1)], [("x", x)],
         [("y", np.concatenate([x, x], 1))],
         dims={"x": ["N", 4, 5]})
    data = randf(rng, 2, 3, 4)
    gi = np.array([[[1, -1]], [[0, 2]], [[-2, 0]]],
                  np.int64)  # [3, 1, 2] with a dynamic leading dim
    case(w, "gathernd_dynamic_indices", 13, [node("GatherND", ["d", "i"], ["y"])],
         [("d", data), ("i", gi)],
         [("y", np.array([[data[t[0, 0], t[0, 1]]] for t in gi]))], dims={"i": ["N", 1, 2]})


def einsums(w, rng):
    """Einsum (float32; ONNX's node tests use double)."""

    def es(name, eq, arrays, dims=None, opset=12):
        names = [f"x{i}" for i in range(len(arrays))]
        ref = np.einsum(eq, *[a.astype(np.float64) if a.dtype == np.float32 else a for a in arrays])
        ref = np.asarray(ref).astype(arrays[0].dtype)
        case(w, name, opset, [node("Einsum", names, ["y"], equation=eq)],
             list(zip(names, arrays)), [("y", ref)], dims=dims)

    es("einsum_batch_matmul", "bij, bjk -> bik", [randf(rng, 2, 3, 4), randf(rng, 2, 4, 5)])
    es("einsum_transpose", "ij->ji", [randf(rng, 3, 4)])
    es("einsum_batch_diagonal", "...ii ->...i", [randf(rng, 2, 3, 4, 4)])
    es("einsum_inner_prod", "i,i", [randf(rng, 5), randf(rng, 5)])
    es("einsum_sum", "ij->i", [randf(rng, 3, 4)])
    es("einsum_trace_int", "ii", [rng.integers(-9, 9, (4, 4)).astype(np.int32)])
    es("einsum_implicit", "ij,jk", [randf(rng, 3, 4), randf(rng, 4, 2)])
    es("einsum_outer", "i,j->ij", [randf(rng, 3), randf(rng, 4)])
    es("einsum_three", "ij,jk,kl->li", [randf(rng, 2, 3), randf(rng, 3, 4), randf(rng, 4, 5)])
    es("einsum_broadcast_ellipsis", "...ij,...jk->...ik",
       [randf(rng, 2, 1, 3, 4), randf(rng, 5, 4, 2)])
    es("einsum_attention_dynamic", "bhqd,bhkd->bhqk",
       [randf(rng, 2, 3, 4, 8), randf(rng, 2, 3, 5, 8)],
       dims={"x0": ["B", 3, "Q", 8], "x1": ["B", 3, "K", 8]})
    es("einsum_multi_group", "abcd,cdbe->aeb", [randf(rng, 2, 3, 4, 5), randf(rng, 4, 5, 3, 6)])
    es("einsum_unused_label", "ij,k->i", [randf(rng, 3, 4), randf(rng, 5)])


def main():
    w = CaseWriter(sys.argv[1], "test_wgml_tensor_")
    rng = np.random.default_rng(7)
    for section in (
        slices,
        reshapes,
        squeezes,
        flattens,
        splits,
        pads,
        topks,
        resizes,
        scatters,
        gather_nds,
        generators,
        cumsums,
        depth_space,
        data_dependent,
        control_flow,
        loops,
        scans,
        misc,
        einsums,
    ):
        section(w, rng)
    print(f"extra ONNX tensor cases: {w.count} -> {sys.argv[1]}")


if __name__ == "__main__":
    main()
