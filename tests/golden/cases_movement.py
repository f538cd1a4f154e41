"""Movement ops that copy into a new layout: pad, concat, tile, trilu, one_hot, arange."""
import numpy as np
import torch
import torch.nn.functional as F

from golden import ALL_DTYPES as ALL




def _pad(pads, mode, value):
    """ONNX pads [x1_begin, ..., x1_end, ...]: F.pad for constant, np.pad for reflect/edge."""
    def ref(t):
        rank = t.dim()
        begins, ends = pads[:rank], pads[rank:]
        if mode == "constant":
            torch_pads = []
            for d in reversed(range(rank)):
                torch_pads += [begins[d], ends[d]]
            return F.pad(t, torch_pads, value=value)
        grow = [(max(b, 0), max(e, 0)) for b, e in zip(begins, ends)]
        out = torch.from_numpy(np.pad(t.numpy(), grow, mode=mode))
        for d in range(rank):  # negative pads crop after growing
            start, stop = max(-begins[d], 0), out.shape[d] - max(-ends[d], 0)
            out = out.narrow(d, start, stop - start)
        return out
    return ref


def _one_hot(depth, axis, dtype):
    def ref(idx):
        idx = idx.to(torch.int64)
        idx = torch.where(idx < 0, idx + depth, idx)
        valid = (idx >= 0) & (idx < depth)
        hot = F.one_hot(torch.where(valid, idx, torch.zeros_like(idx)), depth)
        hot = hot * valid.unsqueeze(-1).to(hot.dtype)
        return hot.movedim(-1, axis if axis >= 0 else axis + idx.dim() + 1).to(getattr(torch, dtype))
    return ref


def _arange(start, limit, delta, dtype, compute=torch.float64):
    """torch.arange, but empty where the step points away from limit (ONNX Range)."""
    def ref():
        if (limit - start) * delta <= 0:
            return torch.empty(0, dtype=getattr(torch, dtype))
        return torch.arange(start, limit, delta, dtype=compute).to(getattr(torch, dtype))
    return ref


def cases(g):
    # pad
    for dtype in ALL:
        g.case("pad", [g.sample((3, 4), dtype)], _pad([1, 2, 0, 3], "constant", 0.0),
               {"pads": [1, 2, 0, 3]}, note=dtype)
    for mode in ("constant", "reflect", "edge"):
        for dtype in ("float32", "float16", "int32"):
            x = g.sample((2, 4, 5), dtype)
            pads = [0, 2, 3, 1, 3, 4]
            g.case("pad", [x], _pad(pads, mode, 1.5 if dtype != "int32" else 7.0),
                   {"pads": pads, "mode": mode, "value": 1.5 if dtype != "int32" else 7.0},
                   note=f"{mode} {dtype}")
        pads = [-1, 2, 1, -2]
        g.case("pad", [g.randn((4, 5))], _pad(pads, mode, -2.0),
               {"pads": pads, "mode": mode, "value": -2.0}, note=f"{mode} with crops")
        g.case("pad", [g.randn((5, 4, 3)).permute(2, 0, 1)], _pad([1, 0, 2, 2, 3, 1], mode, 0.0),
               {"pads": [1, 0, 2, 2, 3, 1], "mode": mode}, note=f"{mode} permuted")
        g.case("pad", [g.randn((6, 7)).slice(1, 6, 0, -2)], _pad([2, 1, 1, 2], mode, 0.0),
               {"pads": [2, 1, 1, 2], "mode": mode}, note=f"{mode} reversed strided")
    g.case("pad", [g.randbool((3, 3))], _pad([1, 1, 1, 1], "constant", 1.0),
           {"pads": [1, 1, 1, 1], "value": 1.0}, note="bool filled with true")
    g.case("pad", [g.randn((4,))], _pad([-4, 2], "constant", 3.0),
           {"pads": [-4, 2], "value": 3.0}, note="crop everything, then pad")
    g.case("pad", [g.randn((0, 3))], _pad([2, 0, 0, 1], "constant", 2.0),
           {"pads": [2, 0, 0, 1], "value": 2.0}, note="empty input")

    # concat
    for dtype in ALL:
        ins = [g.sample((2, n, 3), dtype) for n in (1, 4, 2)]
        g.case("concat", ins, lambda *ts: torch.cat(ts, 1), {"axis": 1}, note=dtype)
    g.case("concat", [g.randn((2, 3)), g.randn((4, 3))], lambda *ts: torch.cat(ts, 0),
           note="default axis 0")
    g.case("concat", [g.randn((3, 2, 4)), g.randn((4, 2, 3)).transpose(), g.randn((3, 2, 1))],
           lambda *ts: torch.cat(ts, -1), {"axis": -1}, note="negative axis, transposed input")
    g.case("concat", [g.randn((5, 2), "float16").slice(0, 0, 5, 2), g.randn((2, 2), "float16")],
           lambda *ts: torch.cat(ts, 0).to(torch.float16), {"axis": 0}, note="strided float16")
    g.case("concat", [g.randn((3, 4))], lambda t: t.clone(), {"axis": 1}, note="one input")
    g.case("concat", [g.randn((2, 0)), g.randn((2, 3))], lambda *ts: torch.cat(ts, 1),
           {"axis": 1}, note="empty input")
    g.case("concat", [g.randn((1, 3)).expand(4, 3), g.randn((4, 3)).flip(0)],
           lambda *ts: torch.cat(ts, 1), {"axis": 1}, note="broadcast and flipped")

    # tile
    for dtype in ALL:
        g.case("tile", [g.sample((2, 3), dtype)], lambda t: t.repeat(2, 3),
               {"repeats": [2, 3]}, note=dtype)
    g.case("tile", [g.randn((3, 1, 2)).permute(2, 0, 1)], lambda t: t.repeat(1, 3, 2),
           {"repeats": [1, 3, 2]}, note="permuted")
    g.case("tile", [g.randn((4,))], lambda t: t.repeat(0), {"repeats": [0]}, note="zero repeats")
    g.case("tile", [g.randn((2, 3), "float16").flip(1)], lambda t: t.repeat(3, 1).half(),
           {"repeats": [3, 1]}, note="flipped float16")

    # trilu
    for dtype in ALL:
        g.case("trilu", [g.sample((4, 5), dtype)], lambda t: torch.triu(t), note=dtype)
        g.case("trilu", [g.sample((2, 5, 4), dtype)], lambda t: torch.tril(t, -1),
               {"upper": 0, "k": -1}, note=dtype + " lower")
    for upper in (0, 1):
        for k in (-7, -2, 0, 1, 3, 9):
            fn = torch.triu if upper else torch.tril
            g.case("trilu", [g.randn((3, 4, 6))], (lambda f, kk: lambda t: f(t, kk))(fn, k),
                   {"upper": upper, "k": k}, note=f"upper={upper} k={k}")
    g.case("trilu", [g.randn((2, 6, 5)).transpose()], lambda t: torch.triu(t, 1), {"k": 1},
           note="transposed")
    g.case("trilu", [g.randn((3, 5), "float16").slice(1, 4, 0, -1)],
           lambda t: torch.tril(t).half(), {"upper": 0}, note="reversed float16")

    # one_hot
    for idt in ("int32", "int64", "int8", "uint8"):
        lo = 0 if idt == "uint8" else -5
        g.case("one_hot", [g.randint((3, 4), lo, 7, idt)], _one_hot(5, -1, "float32"),
               {"depth": 5}, note=f"{idt}, negative and out-of-range")
    for out in ALL:
        g.case("one_hot", [g.randint((6,), -4, 4, "int64")], _one_hot(4, -1, out),
               {"depth": 4, "dtype": out}, note=f"to {out}")
    for axis in (0, 1, -2, -3, 2):
        g.case("one_hot", [g.randint((2, 3), 0, 6, "int64")], _one_hot(6, axis, "float32"),
               {"depth": 6, "axis": axis}, note=f"axis {axis}")
    g.case("one_hot", [g.randint((4, 3), 0, 5, "int32").transpose()],
           _one_hot(5, 1, "float16"), {"depth": 5, "axis": 1, "dtype": "float16"},
           note="transposed indices")
    g.case("one_hot", [g.randint((), 0, 3, "int64")], _one_hot(3, -1, "int64"),
           {"depth": 3, "dtype": "int64"}, note="0-d indices")

    # arange
    ranges = [(0.0, 10.0, 1.0), (2.5, -3.0, -0.75), (-1.0, 1.0, 0.1), (5.0, 2.0, 1.0),
              (1.0, 1.0, 0.5), (0.0, 1000.0, 3.0)]
    for start, limit, delta in ranges:
        for dtype in ("float32", "float16"):
            g.case("arange", [], _arange(start, limit, delta, dtype),
                   {"start": start, "limit": limit, "delta": delta, "dtype": dtype},
                   note=f"[{start}, {limit}) by {delta}")
    for start, limit, delta in ((0, 10, 1), (-7, 20, 3), (10, -10, -4), (3, 3, 1)):
        for dtype in ("int32", "int64", "int8"):
            g.case("arange", [], _arange(start, limit, delta, dtype, getattr(torch, dtype)),
                   {"start": start, "limit": limit, "delta": delta, "dtype": dtype},
                   note=f"{dtype} [{start}, {limit}) by {delta}")
    g.case("arange", [], _arange(0.0, 7.0, 1.0, "float32"),
           {"limit": 7}, note="defaults start 0, delta 1, float32")
