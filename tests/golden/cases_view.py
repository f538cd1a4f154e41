"""Views (reshape, permute, expand, slice, flip, squeeze, split, ...), copy and cast."""
import torch

from golden import ALL_DTYPES as ALL




def _slice(t, starts, ends, axes, steps):
    for s, e, a, st in zip(starts, ends, axes, steps):
        picked = list(range(t.shape[a]))[s:e:st]
        t = t.index_select(a, torch.tensor(picked, dtype=torch.int64))
    return t


def cases(g):
    for dtype in ALL:
        x = g.sample((2, 3, 4), dtype)
        g.case("reshape", [x], lambda t: t.reshape(4, -1), {"shape": [4, -1]})
        g.case("reshape", [g.sample((2, 3, 4), dtype).permute(2, 0, 1)],
               lambda t: t.reshape(-1, 2), {"shape": [-1, 2]}, note="non-contiguous copies")
        # Reshapes a strided view allows without a copy (split or merged runs, size-1 dims).
        g.case("reshape", [g.sample((6, 4), dtype).transpose()],
               lambda t: t.reshape(4, 2, 3), {"shape": [4, 2, 3]}, note="transposed, split dim")
        g.case("reshape", [g.sample((5, 3, 4), dtype).permute(1, 0, 2)],
               lambda t: t.reshape(1, 3, 1, 5, 4), {"shape": [1, 3, 1, 5, 4]},
               note="permuted, size-1 dims added")
        g.case("reshape", [g.sample((2, 3, 8), dtype).slice(2, 0, 8, 2)],
               lambda t: t.reshape(6, 2, 2), {"shape": [6, 2, 2]}, note="strided, merged dims")
        g.case("permute", [g.sample((2, 3, 4), dtype)], lambda t: t.permute(1, 2, 0),
               {"perm": [1, 2, 0]})
        g.case("copy", [g.sample((3, 5), dtype).transpose().slice(0, 1, 5, 2)],
               lambda t: t.clone(), note="strided")
        g.case("flip", [g.sample((3, 4, 2), dtype)], lambda t: t.flip([0, 2]), {"axes": [0, 2]})
        g.case("expand", [g.sample((3, 1), dtype)], lambda t: t.expand(2, 3, 4),
               {"shape": [2, 3, 4]})
        for to in ALL:
            src = g.sample((4, 5), dtype)
            if dtype in ("float32", "float16") and to not in ("float32", "float16", "bool"):
                lo = 0 if to == "uint8" else -100
                src = g.uniform((4, 5), lo, 100, dtype)  # in range: out-of-range casts differ
            g.case("cast", [src.transpose()], (lambda d: lambda t: t.to(getattr(torch, d)))(to),
                   {"dtype": to}, note=f"to {to}")
    g.case("reshape", [g.randn((2, 3, 4))], lambda t: t.reshape(2, 12),
           {"shape": [0, -1], "allowzero": 0},
           note="ONNX 0 copies a dimension")
    g.case("transpose", [g.randn((2, 3, 4))], lambda t: t.transpose(0, 2), {"dim0": 0, "dim1": 2})
    g.case("transpose", [g.randn((2, 3, 4))], lambda t: t.transpose(-2, -1))
    g.case("expand", [g.randn((3, 1))], lambda t: t.expand(3, 5), {"shape": [-1, 5]})
    for starts, ends, axes, steps in (([1], [3], [0], [1]), ([0, -1], [100, -100], [0, 2], [2, -1]),
                                      ([-2], [-100], [1], [-3]), ([3], [1], [0], [1])):
        g.case("slice", [g.randn((5, 6, 4))],
               (lambda a: lambda t: _slice(t, *a))((starts, ends, axes, steps)),
               {"starts": starts, "ends": ends, "axes": axes, "steps": steps})
    g.case("squeeze", [g.randn((1, 3, 1, 2))], lambda t: t.squeeze())
    g.case("squeeze", [g.randn((1, 3, 1, 2))], lambda t: t.squeeze(2), {"axes": [-2]})
    g.case("unsqueeze", [g.randn((3, 2))], lambda t: t.unsqueeze(0).unsqueeze(3),
           {"axes": [0, 3]})
    g.case("flatten", [g.randn((2, 3, 4, 5))], lambda t: t.reshape(6, 20), {"axis": 2})
    g.case("flatten", [g.randn((2, 3))], lambda t: t.reshape(1, 6), {"axis": 0})
    g.case("split", [g.randn((7, 4))], lambda t: torch.split(t, [2, 4, 1], 0),
           {"sizes": [2, 4, 1]})
    g.case("split", [g.randn((3, 6)).transpose()], lambda t: torch.split(t, [1, 2], 1),
           {"axis": 1, "sizes": [1, 2]}, note="of a transposed view")
