"""Softmax and the normalizations (batch/layer/group/instance norm), against PyTorch."""
import torch
import torch.nn.functional as F

from golden import FLOATS


def cases(g):
    for dtype in FLOATS:
        for op, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
            for shape, axis in (((2, 3, 7), -1), ((2, 3, 7), 1), ((4, 6), 0), ((9,), 0)):
                ref = (lambda a: lambda t: fn(t, a))(axis)
                g.case(op, [g.randn(shape, dtype, scale=2.0)], ref, {"axis": axis},
                       note=f"axis {axis}")
            g.case(op, [g.randn((5, 4, 3), dtype).permute(2, 0, 1).slice(2, 0, 4, 2)],
                   lambda t: fn(t, -1), note="permuted, strided")
            g.case(op, [g.randn((3, 6), dtype, scale=40.0)], lambda t: fn(t, -1),
                   note="large values need the max shift")
            g.case(op, [g.randn((2, 5), dtype)], lambda t: fn(t, -1), note="default axis")

        # batch_norm: X [N, C, ...], per-channel scale, bias, running mean and variance.
        for shape in ((4, 3), (2, 3, 5), (2, 4, 3, 5)):
            c = shape[1]
            ins = [g.randn(shape, dtype), g.randn((c,), dtype), g.randn((c,), dtype),
                   g.randn((c,), dtype), g.uniform((c,), 0.5, 2.0, dtype)]
            g.case("batch_norm", ins,
                   lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, False, 0.0, 1e-5),
                   note=f"rank {len(shape)}")
        ins = [g.randn((3, 4, 2, 5), dtype).permute(0, 1, 3, 2), g.randn((4,), dtype),
               g.randn((4,), dtype), g.randn((4,), dtype), g.uniform((4,), 0.1, 1.0, dtype)]
        g.case("batch_norm", ins,
               lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, False, 0.0, 1e-3),
               {"epsilon": 1e-3}, note="permuted input, epsilon 1e-3")

        # layer_norm: normalizes axis..end.
        for shape, axis in (((2, 3, 8), -1), ((2, 3, 8), 1), ((4, 16), 0), ((2, 2, 3, 5), 2)):
            norm = tuple(shape[axis:])
            ins = [g.randn(shape, dtype, scale=3.0), g.randn(norm, dtype), g.randn(norm, dtype)]
            ref = (lambda n: lambda x, w, b: F.layer_norm(x, n, w, b, 1e-5))(norm)
            g.case("layer_norm", ins, ref, {"axis": axis}, note=f"axis {axis}")
        g.case("layer_norm", [g.randn((3, 10), dtype), g.randn((10,), dtype)],
               lambda x, w: F.layer_norm(x, (10,), w, None, 1e-5), note="no bias")
        g.case("layer_norm",
               [g.randn((6, 2, 4), dtype).transpose(), g.randn((6,), dtype), None],
               lambda x, w, b: F.layer_norm(x, (6,), w, None, 1e-5),
               note="transposed, bias passed as None")
        # Scale and bias broadcast to the normalized shape (ONNX allows it); rows of 768 and
        # 2304 elements (the WebGPU kernel's loops and its larger workgroup).
        g.case("layer_norm", [g.randn((2, 3, 8), dtype), g.randn((8,), dtype),
                              g.randn((1, 8), dtype)],
               lambda x, w, b: F.layer_norm(x, (3, 8), w.expand(3, 8), b.expand(3, 8), 1e-5),
               {"axis": 1}, note="scale and bias broadcast")
        for n in (768, 2304):
            g.case("layer_norm", [g.uniform((5, n), 2.0, 6.0, dtype), g.randn((n,), dtype),
                                  g.randn((n,), dtype)],
                   (lambda n: lambda x, w, b: F.layer_norm(x, (n,), w, b, 1e-5))(n),
                   note=f"rows of {n}, offset mean")
        g.case("layer_norm", [g.randn((4, 12), dtype, scale=0.1), g.randn((12,), dtype),
                              g.randn((12,), dtype)],
               lambda x, w, b: F.layer_norm(x, (12,), w, b, 1e-2), {"epsilon": 1e-2},
               note="epsilon 1e-2 on small values")

        # group_norm: per-channel scale and bias (torch; ONNX GroupNormalization-21).
        for shape, groups in (((2, 6, 5), 3), ((2, 6, 3, 4), 2), ((3, 4, 7), 4), ((2, 4, 5), 1)):
            c = shape[1]
            ins = [g.randn(shape, dtype, scale=2.0), g.randn((c,), dtype), g.randn((c,), dtype)]
            ref = (lambda n: lambda x, w, b: F.group_norm(x, n, w, b, 1e-5))(groups)
            g.case("group_norm", ins, ref, {"num_groups": groups}, note=f"{groups} groups")
        ins = [g.randn((2, 5, 4, 6), dtype).permute(0, 3, 2, 1), g.randn((6,), dtype),
               g.randn((6,), dtype)]
        g.case("group_norm", ins, lambda x, w, b: F.group_norm(x, 3, w, b, 1e-5),
               {"num_groups": 3}, note="permuted input")

        # instance_norm: per sample and channel over the spatial axes.
        for shape in ((2, 3, 7), (2, 4, 3, 5), (1, 2, 2, 3, 4)):
            c = shape[1]
            ins = [g.randn(shape, dtype, scale=2.0), g.randn((c,), dtype), g.randn((c,), dtype)]
            g.case("instance_norm", ins,
                   lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-5),
                   note=f"rank {len(shape)}")
        ins = [g.randn((3, 5, 4), dtype).permute(0, 2, 1).slice(2, 0, 5, 2),
               g.randn((4,), dtype), g.randn((4,), dtype)]
        g.case("instance_norm", ins,
               lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
               {"epsilon": 1e-3}, note="permuted, strided, epsilon 1e-3")
