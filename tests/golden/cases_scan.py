"""cumsum (ONNX CumSum attributes) and topk (ONNX TopK), against PyTorch."""
import torch

from golden import FLOATS, Input

INTS = ["int32", "int64", "int8"]


def numeric(g, shape, dtype):
    if dtype in FLOATS:
        return g.randn(shape, dtype)
    return g.randint(shape, -5, 6, dtype)  # small: int8 sums of 7 stay in range


def cumsum_ref(axis, exclusive, reverse):
    def ref(t):
        x = t.flip(axis) if reverse else t
        out = torch.cumsum(x, axis, dtype=x.dtype)
        if exclusive:
            out = out - x
        return out.flip(axis) if reverse else out
    return ref


def distinct(g, shape, dtype):
    """A random permutation of distinct values, exact in every dtype: topk indices have no ties."""
    n = 1
    for s in shape:
        n *= s
    values = torch.tensor(g.randperm(n), dtype=torch.float64) - n // 2
    if dtype in FLOATS:
        values = values * 0.25
    return Input(values.reshape(shape).to(getattr(torch, dtype)))


def topk_ref(k, axis, largest):
    def ref(t):
        out = torch.topk(t, k, axis, largest=largest, sorted=True)
        return out.values, out.indices
    return ref


def cases(g):
    for dtype in FLOATS + INTS:
        for axis, exclusive, reverse in ((0, 0, 0), (1, 0, 0), (-1, 1, 0), (2, 0, 1), (1, 1, 1)):
            g.case("cumsum", [numeric(g, (3, 4, 7), dtype)], cumsum_ref(axis, exclusive, reverse),
                   {"axis": axis, "exclusive": exclusive, "reverse": reverse},
                   note=f"axis {axis} exclusive {exclusive} reverse {reverse}")
        g.case("cumsum", [numeric(g, (5, 6, 3), dtype).permute(2, 0, 1).slice(2, 5, 0, -2)],
               cumsum_ref(2, 0, 0), {"axis": 2}, note="permuted, reverse-strided")
        g.case("cumsum", [numeric(g, (9,), dtype)], cumsum_ref(0, 1, 0),
               {"axis": 0, "exclusive": 1}, note="1-d")
    g.case("cumsum", [g.randn((4, 300))], cumsum_ref(1, 0, 0), {"axis": 1}, note="long rows")
    g.case("cumsum", [g.randn((3, 0, 2)).permute(2, 1, 0)], cumsum_ref(0, 0, 0), {"axis": 0},
           note="empty, non-contiguous")
    g.case("cumsum", [g.randint((2, 50), 0, 6, "uint8")], cumsum_ref(1, 0, 0), {"axis": 1},
           note="uint8 wraps modulo 256 as torch does")

    for dtype in FLOATS + INTS:
        for shape, k, axis, largest in (((4, 9), 3, -1, 1), ((4, 9), 2, -1, 0),
                                        ((3, 5, 6), 5, 1, 1), ((3, 5, 6), 3, 0, 0),
                                        ((2, 3, 8), 8, 2, 1), ((7,), 1, 0, 1)):
            g.case("topk", [distinct(g, shape, dtype)], topk_ref(k, axis, bool(largest)),
                   {"k": k, "axis": axis, "largest": largest},
                   note=f"k {k} axis {axis} largest {largest}")
        g.case("topk", [distinct(g, (6, 5, 4), dtype).permute(2, 0, 1).slice(1, 0, 6, 2)],
               topk_ref(2, 1, True), {"k": 2, "axis": 1}, note="permuted, strided")
    g.case("topk", [distinct(g, (3, 10), "float32")], topk_ref(4, -1, True),
           {"k": 4, "sorted": 0}, note="sorted=0 still yields sorted output")
    g.case("topk", [distinct(g, (3, 4), "float32")], topk_ref(0, -1, True), {"k": 0},
           note="k = 0 gives empty outputs")

    # Ties: ONNX TopK puts the lower index first among equal values. torch.topk does not promise
    # an order for ties, so the reference is a stable sort, which is exactly ONNX's rule.
    def stable_topk(k, axis, largest):
        def ref(t):
            values, indices = torch.sort(t, dim=axis, descending=largest, stable=True)
            return values.narrow(axis, 0, k), indices.narrow(axis, 0, k)
        return ref
    for dtype, largest in (("float32", True), ("int32", False), ("float16", False)):
        ties = g.randint((5, 12), 0, 3, dtype)
        g.case("topk", [ties], stable_topk(7, 1, largest), {"k": 7, "largest": int(largest)},
               note="ties: lower index first (ONNX)")
    g.case("topk", [g.randint((10, 3), -2, 2, "int64")], stable_topk(6, 0, True),
           {"k": 6, "axis": 0}, note="ties along axis 0")

    # Longer lines: cumsum's workgroup scan; topk's bitonic sort in one workgroup and, past the
    # workgroup storage (4096 pairs on a 32 KiB adapter), merged across workgroups; NaN inputs.
    g.case("cumsum", [g.randn((1000, 3)).transpose()], cumsum_ref(1, 1, 1),
           {"axis": 1, "exclusive": 1, "reverse": 1}, note="long transposed rows")
    g.case("cumsum", [g.randint((2, 700), -5, 6, "int64")], cumsum_ref(1, 0, 0), {"axis": 1},
           note="long int64 rows")
    g.case("topk", [distinct(g, (3, 200), "float32")], topk_ref(10, -1, True), {"k": 10},
           note="one workgroup per line")
    g.case("topk", [distinct(g, (300, 2), "float16").flip(0)], topk_ref(5, 0, False),
           {"k": 5, "axis": 0, "largest": 0}, note="one workgroup per line, flipped")
    g.case("topk", [distinct(g, (2, 5000), "float32")], topk_ref(7, -1, False),
           {"k": 7, "largest": 0}, note="lines longer than a workgroup sorts")
    g.case("topk", [g.randint((2, 5000), 0, 10, "int32")], stable_topk(300, 1, True),
           {"k": 300}, note="ties in lines longer than a workgroup sorts")
    for shape in ((4, 20), (2, 100)):
        nans = g.randn(shape)
        nans.base.view(-1)[::7] = float("nan")
        for largest in (True, False):
            g.case("topk", [nans], stable_topk(shape[1] // 2, 1, largest),
                   {"k": shape[1] // 2, "largest": int(largest)}, note="NaN is the largest")
