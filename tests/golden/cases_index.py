"""Indexing ops: gather, gather_elements, scatter_nd, embedding."""
import torch
import torch.nn.functional as F


from golden import ALL_DTYPES as ALL




def _gather(axis):
    """ONNX Gather: data[:axis] + indices.shape + data[axis+1:]."""
    def ref(data, idx):
        a = axis % data.dim()
        idx = idx.to(torch.int64)
        idx = torch.where(idx < 0, idx + data.shape[a], idx)
        picked = data.index_select(a, idx.reshape(-1))
        return picked.reshape(data.shape[:a] + idx.shape + data.shape[a + 1:])
    return ref


def _gather_elements(axis):
    def ref(data, idx):
        idx = idx.to(torch.int64)
        idx = torch.where(idx < 0, idx + data.shape[axis], idx)
        return torch.gather(data, axis, idx)
    return ref


def _scatter_nd(reduction):
    """ONNX ScatterND's reference loop, applied in order (with none, the last update wins)."""
    def ref(data, idx, updates):
        out = data.clone()
        was_bool = out.dtype == torch.bool
        if was_bool:
            out, updates = out.to(torch.int64), updates.to(torch.int64)
        k = idx.shape[-1]
        count = 1
        for d in idx.shape[:-1]:
            count *= d
        flat_idx = idx.reshape(count, k).tolist()
        flat_up = updates.reshape((len(flat_idx),) + tuple(data.shape[k:]))
        for n, where in enumerate(flat_idx):
            where = tuple(i + data.shape[j] if i < 0 else i for j, i in enumerate(where))
            u = flat_up[n]
            if reduction == "none":
                out[where] = u
            elif reduction == "add":
                out[where] = out[where] + u
            elif reduction == "mul":
                out[where] = out[where] * u
            elif reduction == "max":
                out[where] = torch.maximum(out[where], u)
            else:
                out[where] = torch.minimum(out[where], u)
        return out.to(torch.bool) if was_bool else out
    return ref


def _unique_index_tuples(g, count, dims):
    """`count` distinct index tuples into `dims` (as an int64 list of lists)."""
    total = 1
    for d in dims:
        total *= d
    flat = g.randperm(total)[:count]
    out = []
    for f in flat:
        tup = []
        for d in reversed(dims):
            tup.append(f % d)
            f //= d
        out.append(list(reversed(tup)))
    return out


def _random_tuples(g, count, dims):
    """`count` random index tuples (negative ones included) with the first one repeated."""
    cols = [g.randint((count, 1), -d, d, "int64").tensor for d in dims]
    t = torch.cat(cols, 1)
    t[count // 2] = t[0]
    return t.tolist()


def cases(g):
    # gather
    for dtype in ALL:
        for idt in ("int32", "int64"):
            g.case("gather", [g.sample((5, 3), dtype), g.randint((4,), -5, 5, idt)],
                   _gather(0), note=f"{dtype} data, {idt} indices")
    for axis in (0, 1, 2, -1, -2):
        data = g.randn((4, 5, 6))
        idx = g.randint((2, 3), -(data.tensor.shape[axis]), data.tensor.shape[axis], "int64")
        g.case("gather", [data, idx], _gather(axis), {"axis": axis}, note=f"axis {axis}")
    g.case("gather", [g.randn((6, 4), "float16").transpose(), g.randint((3, 2), 0, 6, "int32")],
           _gather(1), {"axis": 1}, note="transposed float16 data")
    g.case("gather", [g.randn((5, 3)), g.randint((2, 4), -5, 5, "int64").transpose()],
           _gather(0), note="transposed indices")
    g.case("gather", [g.randn((5, 3)), g.randint((0, 2), 0, 5, "int64")], _gather(0),
           note="empty indices")
    g.case("gather", [g.randn((5, 3)), g.randint((), -5, 5, "int64")], _gather(0),
           note="0-d index drops the axis")
    g.case("gather", [g.randn((7, 3)).slice(0, 6, 0, -2), g.randint((5,), 0, 3, "int64")],
           _gather(-1), {"axis": -1}, note="reversed strided data")

    # gather_elements
    for dtype in ALL:
        g.case("gather_elements", [g.sample((4, 5), dtype), g.randint((3, 5), -4, 4, "int64")],
               _gather_elements(0), note=dtype)
    for axis in (0, 1, 2, -1):
        data = g.randn((4, 5, 3))
        n = data.tensor.shape[axis]
        g.case("gather_elements", [data, g.randint((2, 3, 2), -n, n, "int32")],
               _gather_elements(axis), {"axis": axis}, note=f"axis {axis}, smaller indices")
    g.case("gather_elements",
           [g.randn((5, 4), "float16").transpose(), g.randint((3, 4), 0, 4, "int64").transpose()],
           _gather_elements(1), {"axis": 1}, note="transposed float16 data and indices")
    g.case("gather_elements", [g.randn((3, 4)), g.randint((3, 8), 0, 4, "int64")],
           _gather_elements(-1), {"axis": -1}, note="indices longer than data on the axis")

    # scatter_nd
    for dtype in ALL:
        data = g.sample((4, 3, 2), dtype)
        idx = g.tensor(_unique_index_tuples(g, 3, [4, 3]), "int64")
        g.case("scatter_nd", [data, idx, g.sample((3, 2), dtype)], _scatter_nd("none"),
               note=f"{dtype} slices")
    for reduction in ("none", "add", "mul", "max", "min"):
        for dtype in ("float32", "float16", "int32", "int64"):
            data = g.sample((5, 4), dtype)
            if reduction == "none":
                where = _unique_index_tuples(g, 6, [5, 4])
            else:  # repeated indices combine in order
                where = _random_tuples(g, 7, [5, 4])
            idx = g.tensor(where, "int64")
            updates = g.sample((len(where),), dtype)
            if reduction == "mul" and dtype in ("int32", "int64"):
                updates = g.randint((len(where),), -3, 4, dtype)
            g.case("scatter_nd", [data, idx, updates], _scatter_nd(reduction),
                   {"reduction": reduction}, note=f"{reduction} {dtype} elements")
        rows = [[[1], [3]], [[2], [-4]]] if reduction == "none" else _random_tuples(g, 4, [4])
        rows = torch.tensor(rows).reshape(2, 2, 1).tolist()
        g.case("scatter_nd", [g.randn((3, 4, 2)).permute(1, 0, 2), g.tensor(rows, "int64"),
                              g.randn((2, 2, 3, 2))],
               _scatter_nd(reduction), {"reduction": reduction},
               note=f"{reduction} rows of permuted data, batched indices")
    g.case("scatter_nd", [g.randn((2, 3)), g.tensor([[]], "int64"), g.randn((1, 2, 3))],
           _scatter_nd("none"), note="empty index tuple replaces everything")
    g.case("scatter_nd", [g.randn((4, 3)), g.tensor([[1], [3]], "int32"),
                          g.randn((3, 2)).transpose()],
           _scatter_nd("add"), {"reduction": "add"}, note="int32 indices, transposed updates")

    # embedding
    for dtype in ("float32", "float16", "int64"):
        for idt in ("int32", "int64"):
            g.case("embedding", [g.sample((10, 4), dtype), g.randint((2, 3), 0, 10, idt)],
                   lambda w, i: F.embedding(i.to(torch.int64), w), note=f"{dtype} {idt}")
    g.case("embedding", [g.randn((6, 10)).transpose(), g.randint((5,), 0, 10, "int64")],
           lambda w, i: F.embedding(i, w), note="transposed weight")
    g.case("embedding", [g.randn((7, 3)), g.randint((), 0, 7, "int64")],
           lambda w, i: F.embedding(i, w), note="0-d index")
