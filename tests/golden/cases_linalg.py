"""matmul (NumPy semantics, broadcast batches) and ONNX Gemm, against PyTorch."""
import torch

from golden import FLOATS


def _operand(g, shape, dtype):
    # Small integers keep integer products far from overflow.
    return g.randn(shape, dtype) if dtype in FLOATS else g.randint(shape, -9, 10, dtype)


def cases(g):
    shapes = [
        ((5, 7), (7, 3), "2-d, odd sizes"),
        ((7,), (7,), "1-d @ 1-d gives a scalar"),
        ((7,), (7, 4), "1-d @ 2-d"),
        ((3, 7), (7,), "2-d @ 1-d"),
        ((2, 3, 5, 6), (6, 4), "batch @ 2-d"),
        ((6,), (2, 6, 3), "1-d @ batch"),
        ((2, 3, 6), (6,), "batch @ 1-d"),
        ((2, 1, 4, 5), (3, 5, 2), "batch dims broadcast"),
        ((1, 4, 5), (3, 5, 6), "size-1 batch broadcasts"),
        ((0, 3), (3, 4), "empty rows"),
        ((4, 0), (0, 3), "empty inner dimension gives zeros"),
    ]
    for dtype in FLOATS + ["int32", "int64"]:
        for sa, sb, note in shapes:
            g.case("matmul", [_operand(g, sa, dtype), _operand(g, sb, dtype)], torch.matmul,
                   note=f"{dtype} {note}")
    for dtype in FLOATS:
        a = g.randn((9, 6), dtype)
        b = g.randn((5, 4, 9), dtype)
        g.case("matmul", [a.transpose(), b.permute(0, 2, 1)],
               torch.matmul, note=f"{dtype} transposed operands")
        g.case("matmul", [g.randn((3, 8, 5), dtype).slice(1, 0, 8, 2),
                          g.randn((5, 1), dtype).expand(5, 6)],
               torch.matmul, note=f"{dtype} strided and expanded operands")
    g.case("matmul", [g.randn((70, 300)), g.randn((300, 130))], torch.matmul,
           note="larger than one cache block in k and n")
    g.case("matmul", [g.randn((17, 513)), g.randn((513, 260))], torch.matmul,
           note="ragged blocks")
    # The WebGPU kernel's paths: whole tiles with ragged edges, vec4 loads of row-major and
    # transposed operands, batches in the grid or folded into rows, and the split-k shader of
    # products with at most 4 rows on one side once k >= 32.
    g.case("matmul", [g.randn((130, 68)), g.randn((68, 260))], torch.matmul,
           note="tiles with ragged edges, vec4 loads")
    g.case("matmul", [g.randn((130, 67)), g.randn((67, 259))], torch.matmul,
           note="tiles with ragged edges, element loads")
    g.case("matmul", [g.randn((36, 70)).transpose(), g.randn((66, 36)).transpose()],
           torch.matmul, note="transposed views, vec4 loads along m and k")
    g.case("matmul", [g.randn((2, 1, 40, 36)), g.randn((3, 36, 44))], torch.matmul,
           note="batch broadcast in the grid")
    g.case("matmul", [g.randn((2, 3, 40, 36)), g.randn((36, 44))], torch.matmul,
           note="batch folded into rows")
    for dtype in FLOATS + ["int32", "int64"]:
        g.case("matmul", [_operand(g, (300,), dtype), _operand(g, (300, 70), dtype)],
               torch.matmul, note=f"{dtype} vector @ matrix, long k")
        g.case("matmul", [_operand(g, (70, 301), dtype), _operand(g, (301,), dtype)],
               torch.matmul, note=f"{dtype} matrix @ vector, k not a multiple of 4")
        g.case("matmul", [_operand(g, (70, 36), dtype), _operand(g, (36, 66), dtype)],
               torch.matmul, note=f"{dtype} tiles")
    g.case("matmul", [g.randn((3, 256)), g.randn((70, 256)).transpose()], torch.matmul,
           note="3 rows @ transposed matrix, long k")
    g.case("matmul", [g.randn((2, 4, 64)), g.randn((2, 64, 33)).slice(2, 0, 33, 2)],
           torch.matmul, note="4 rows, batched, strided columns")
    g.case("matmul", [g.randn((2, 3, 256)), g.randn((256,))], torch.matmul,
           note="batch @ vector, long k")
    g.case("matmul", [g.randn((513,)), g.randn((513,))], torch.matmul, note="long dot product")

    def gemm_ref(alpha, beta, ta, tb):
        def ref(a, b, c=None):
            a = a.t() if ta else a
            b = b.t() if tb else b
            out = alpha * (a @ b)
            if c is not None and beta != 0:
                out = out + beta * c
            return out
        return ref

    m, k, n = 5, 7, 4
    for dtype in FLOATS:
        for ta in (0, 1):
            for tb in (0, 1):
                a = g.randn((k, m) if ta else (m, k), dtype)
                b = g.randn((n, k) if tb else (k, n), dtype)
                c = g.randn((m, n), dtype)
                g.case("gemm", [a, b, c], gemm_ref(0.5, 2.0, ta, tb),
                       {"alpha": 0.5, "beta": 2.0, "transA": ta, "transB": tb},
                       note=f"{dtype} transA={ta} transB={tb}")
        for c_shape in [(n,), (1, n), (m, 1), (1,), ()]:
            g.case("gemm", [g.randn((m, k), dtype), g.randn((k, n), dtype),
                            g.randn(c_shape, dtype)],
                   gemm_ref(1.0, 1.0, 0, 0), note=f"{dtype} C {list(c_shape)} broadcasts")
        g.case("gemm", [g.randn((m, k), dtype), g.randn((k, n), dtype)],
               gemm_ref(1.5, 1.0, 0, 0), {"alpha": 1.5}, note=f"{dtype} without C")
        g.case("gemm", [g.randn((m, k), dtype), g.randn((n, k), dtype).transpose(),
                        g.randn((m, n), dtype)], gemm_ref(1.0, 0.0, 0, 0), {"beta": 0.0},
               note=f"{dtype} beta=0 ignores C, transposed view B")
    for dtype in ["int32", "int64"]:
        g.case("gemm", [_operand(g, (k, m), dtype), _operand(g, (k, n), dtype),
                        _operand(g, (n,), dtype)], gemm_ref(2, 3, 1, 0),
               {"alpha": 2.0, "beta": 3.0, "transA": 1}, note=f"{dtype} integer gemm")
