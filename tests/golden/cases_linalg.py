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
    # Too few tiles for the device and a long k: k split across workgroups, partial sums added
    # by a second launch (a ragged last slice; batches; a transposed B).
    g.case("matmul", [g.randn((16, 1000)), g.randn((1000, 24))], torch.matmul,
           note="split along k")
    g.case("matmul", [g.randn((2, 12, 700)), g.randn((700, 40)).transpose().transpose()],
           torch.matmul, note="split along k, batched")
    g.case("matmul", [g.randn((12, 900)), g.randn((20, 900)).transpose()], torch.matmul,
           note="split along k, transposed B")
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
    dequant_cases(g)


def _dequant_matrix_ref(bits, block):
    """a @ W, W [K, N] = (q - zero) * scale (ops/dequant_params.h), in float64 (int64 exactly
    for int32 a)."""
    def ref(a, q, scale=None, zero=None):
        k = a.shape[-1]
        if bits == 8:
            qv = q.to(torch.int64)
        else:  # uint8 [N, Kb], two k's per byte, low nibble first
            q = q.to(torch.int64)
            qv = torch.stack([q & 15, q >> 4], dim=-1).reshape(q.shape[0], -1)[:, :k].t()
        n = qv.shape[1]

        def grid(p):
            p = p.to(torch.float64).reshape(1, 1) if p.numel() == 1 else p.to(torch.float64)
            return p.repeat_interleave(block, dim=0)[:k] if p.shape[0] > 1 else p.expand(k, n)

        w = qv.to(torch.float64)
        if zero is not None:
            w = w - grid(zero)
        if a.is_floating_point():
            if scale is not None:
                w = w * grid(scale)
            return a @ w
        return (a.to(torch.int64) @ w.to(torch.int64)).to(torch.int32)
    return ref


def _dequant_case(g, a, q, scale, zero, bits=8, block=1, note=""):
    attrs = {"bits": bits, "block": block} if bits != 8 or block != 1 else {}
    inputs = [a, q, scale, zero]
    while inputs[-1] is None:
        inputs.pop()
    g.case("matmul_dequant", inputs, _dequant_matrix_ref(bits, block), attrs, note=note)


def dequant_cases(g):
    # The WebGPU matmul's three shaders read W through the dequantizing b_at: tiles (ragged
    # edges), the split-k shader of <= 4 rows (k along rows of a transposed q), direct loops.
    for m, k, n, shader in [(70, 68, 66, "tiles"), (3, 256, 70, "split k"), (5, 7, 3, "direct")]:
        a = g.randn((m, k))
        g.case("matmul_dequant", [a, g.randint((k, n), -128, 128, "int8"),
                                  g.uniform((1, n), 0.01, 0.1), g.randint((1, n), -5, 5, "int8")],
               _dequant_matrix_ref(8, 1), note=f"int8 per column, {shader}")
        g.case("matmul_dequant", [g.randn((2, m, k)), g.randint((n, k), 0, 256, "uint8").transpose(),
                                  g.uniform((1, 1), 0.01, 0.1), g.randint((1, 1), 100, 156, "uint8")],
               _dequant_matrix_ref(8, 1), note=f"uint8 [N, K] transposed, per tensor, batched, {shader}")
    # Blocks along k (opset-21 blocked DequantizeLinear, MatMulNBits), the last one ragged.
    k, n, block = 70, 36, 16
    groups = -(-k // block)
    _dequant_case(g, g.randn((40, k)), g.randint((k, n), -128, 128, "int8"),
                  g.uniform((groups, n), 0.01, 0.1), g.randint((groups, n), -9, 9, "int8"),
                  block=block, note="int8 in k blocks of 16, ragged")
    _dequant_case(g, g.randn((k,)), g.randint((k, n), -128, 128, "int8"),
                  g.uniform((k, 1), 0.01, 0.1), None, note="1-d a, per row (k) scale, no zero")
    # 4-bit MatMulNBits layout: q [N, Kb], scale and zero given transposed ([N, groups] stored).
    for m, k, n, block, shader in [(33, 45, 40, 16, "tiles"), (1, 256, 70, 32, "split k"),
                                   (2, 9, 3, 8, "direct")]:
        groups = -(-k // block)
        kb = groups * block // 2
        _dequant_case(g, g.randn((m, k)), g.randint((n, kb), 0, 256, "uint8"),
                      g.uniform((n, groups), 0.01, 0.1).transpose(),
                      g.randint((n, groups), 0, 16, "uint8").transpose(), bits=4, block=block,
                      note=f"4-bit, uint8 zero points, {shader}")
    _dequant_case(g, g.randn((4, 64), "float16"), g.randint((70, 32), 0, 256, "uint8"),
                  g.uniform((2, 70), 0.01, 0.1, "float16"), None, bits=4, block=32,
                  note="float16 a and scale, 4-bit without zero points (0)")
    _dequant_case(g, g.randn((6, 64)), g.randint((5, 32), 0, 256, "uint8"),
                  g.uniform((1, 5), 0.01, 0.1), g.uniform((1, 5), 6, 9), bits=4, block=64,
                  note="4-bit, float zero points")
    # int32 a (MatMulInteger's centred activations): exact integer products, no scale.
    for m, k, n in [(70, 300, 66), (2, 300, 9)]:
        _dequant_case(g, g.randint((m, k), -255, 256, "int32"), g.randint((k, n), -128, 128, "int8"),
                      None, g.randint((1, n), -128, 128, "int8"),
                      note=f"int32 a, exact ({m} rows)")
