"""Reductions over any axes with keepdims, against PyTorch."""
import torch

from golden import FLOATS


def float_input(g, shape, dtype, positive=False):
    return g.uniform(shape, 0.5, 1.5, dtype) if positive else g.randn(shape, dtype)


def cases(g):
    axes_variants = [([], 0), ([1], 0), ([0, 2], 1), ([-1], 1), ([1, 2], 0)]
    prims = {
        "sum": lambda x, d, k: torch.sum(x, d, keepdim=k) if d else torch.sum(x),
        "prod": lambda x, d, k: _prod(x, d, k),
        "max": lambda x, d, k: torch.amax(x, d, keepdim=k),
        "min": lambda x, d, k: torch.amin(x, d, keepdim=k),
        "mean": lambda x, d, k: torch.mean(x, d, keepdim=k) if d else torch.mean(x),
        "logsumexp": lambda x, d, k: torch.logsumexp(x, d if d else list(range(x.dim())), k),
        "norm_l1": lambda x, d, k: torch.sum(torch.abs(x), d, keepdim=k) if d else x.abs().sum(),
        "norm_l2": lambda x, d, k: torch.linalg.vector_norm(x, 2, d if d else None, k),
        "var": lambda x, d, k: torch.var(x, d if d else None, keepdim=k),
    }
    for op, fn in prims.items():
        dts = FLOATS + (["int32", "int64"] if op in ("sum", "prod", "max", "min") else [])
        for dtype in dts:
            for axes, keep in axes_variants:
                if dtype in FLOATS:
                    x = float_input(g, (3, 4, 5), dtype, positive=(op == "prod"))
                else:
                    x = g.randint((3, 4, 5), -3 if op == "prod" else -50, 4 if op == "prod" else 50,
                                  dtype)
                ref = (lambda f, d, k: lambda t: f(t, d, k).to(t.dtype))(fn, axes, bool(keep))
                g.case(op, [x], ref, {"axes": axes, "keepdims": keep}, note=f"axes {axes}")
            x = float_input(g, (6, 5, 4), dtype, op == "prod") if dtype in FLOATS else \
                g.randint((6, 5, 4), -2, 3, dtype)
            ref = (lambda f: lambda t: f(t, [0, 1], False).to(t.dtype))(fn)
            g.case(op, [x.permute(2, 0, 1).slice(1, 0, 6, 2)], ref,
                   {"axes": [0, 1], "keepdims": 0}, note="permuted, strided")
        big = g.randn((7, 300), "float32")
        ref = (lambda f: lambda t: f(t, [1], True))(fn)
        g.case(op, [big], ref, {"axes": [1], "keepdims": 1}, note="long rows")
    g.case("var", [g.randn((4, 9))], lambda t: torch.var(t, 1, unbiased=False),
           {"axes": [1], "correction": 0}, note="population variance")
    g.case("logsumexp", [g.randn((3, 4), scale=30)], lambda t: torch.logsumexp(t, 1),
           {"axes": [1]}, note="large values need the max shift")

    for op, fn in (("argmax", torch.argmax), ("argmin", torch.argmin)):
        for dtype in FLOATS + ["int32", "int64"]:
            for axis, keep in ((0, 0), (1, 1), (-1, 0)):
                x = g.randn((4, 5, 6), dtype) if dtype in FLOATS else \
                    g.randint((4, 5, 6), -100, 100, dtype)
                ref = (lambda a, k: lambda t: fn(t, a, k))(axis, bool(keep))
                g.case(op, [x], ref, {"axis": axis, "keepdims": keep})
        ties = g.randint((5, 6), 0, 3, "int32")
        g.case(op, [ties], lambda t: fn(t, 1), {"axis": 1}, note="ties pick the first")
        g.case(op, [g.randn((6, 5)).transpose()], lambda t: fn(t, 0), {"axis": 0},
               note="transposed")
    # Blocks over 2^18 elements are folded by several workgroups, then once more (llvmpipe stops
    # any shader loop after 65535 trips): one long float16 sum, one strided int32 max.
    g.case("sum", [g.randn((2, 300001), "float16")], lambda t: t.sum(1), {"axes": [1]},
           note="long blocks, two passes")
    g.case("max", [g.randint((300001, 2), -10**6, 10**6, "int32")],
           lambda t: torch.amax(t, 0), {"axes": [0]}, note="long strided blocks, two passes")
    g.case("sum", [g.randn((3, 0, 2))], lambda t: t.sum(1), {"axes": [1]}, note="empty axis")
    g.case("max", [g.randn((0, 4))], lambda t: torch.amax(t, 1), {"axes": [1]},
           note="no rows")


def _prod(x, dims, keep):
    if not dims:
        return torch.prod(x)
    for d in sorted([d % x.dim() for d in dims], reverse=True):
        x = torch.prod(x, d, keepdim=keep)
    return x
