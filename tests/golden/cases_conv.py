"""ONNX Conv and ConvTranspose (1-d, 2-d, 3-d) against torch.nn.functional.

PyTorch pads symmetrically, so asymmetric ONNX pads are applied with F.pad (conv) or by cropping
the unpadded result (conv_transpose); auto_pad is resolved with ONNX's formulas here.
"""
import torch
import torch.nn.functional as F

from golden import FLOATS
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _torch_pad(begins, ends):
    # F.pad lists the last axis first.
    out = []
    for b, e in reversed(list(zip(begins, ends))):
        out += [b, e]
    return out


def _conv_pads(x_shape, w_shape, attrs):
    rank = len(x_shape) - 2
    strides = attrs.get("strides") or [1] * rank
    dil = attrs.get("dilations") or [1] * rank
    pads = attrs.get("pads") or [0] * (2 * rank)
    mode = attrs.get("auto_pad", "NOTSET")
    if mode == "VALID":
        return [0] * rank, [0] * rank
    if mode == "NOTSET":
        return pads[:rank], pads[rank:]
    begins, ends = [], []
    for d in range(rank):
        size, s = x_shape[d + 2], strides[d]
        out = -(-size // s)
        total = max(0, (out - 1) * s + dil[d] * (w_shape[d + 2] - 1) + 1 - size)
        b = total // 2 if mode == "SAME_UPPER" else total - total // 2
        begins.append(b)
        ends.append(total - b)
    return begins, ends


def conv_ref(attrs):
    def ref(x, w, b=None):
        rank = x.dim() - 2
        begins, ends = _conv_pads(x.shape, w.shape, attrs)
        x = F.pad(x, _torch_pad(begins, ends))
        return CONV[rank](x, w, b, stride=attrs.get("strides") or 1,
                          dilation=attrs.get("dilations") or 1, groups=attrs.get("group", 1))
    return ref


def conv_transpose_ref(attrs):
    def ref(x, w, b=None):
        rank = x.dim() - 2
        strides = attrs.get("strides") or [1] * rank
        dil = attrs.get("dilations") or [1] * rank
        out_pad = attrs.get("output_padding") or [0] * rank
        pads = attrs.get("pads") or [0] * (2 * rank)
        begins, ends = pads[:rank], pads[rank:]
        out_shape = (attrs.get("output_shape") or [])[-rank:]
        mode = attrs.get("auto_pad", "NOTSET")
        if out_shape or mode in ("SAME_UPPER", "SAME_LOWER"):
            begins, ends = [], []
            for d in range(rank):
                size = x.shape[d + 2]
                target = out_shape[d] if out_shape else size * strides[d]
                total = strides[d] * (size - 1) + out_pad[d] + dil[d] * (w.shape[d + 2] - 1) + 1 \
                    - target
                half = int(total / 2)  # C++ division (ONNX Runtime): toward zero
                bgn = half if mode == "SAME_UPPER" else total - half
                if total < 0:  # an output beyond the input's reach grows at the end only
                    bgn = 0
                begins.append(bgn)
                ends.append(total - bgn)
        # Unpadded transpose conv, then output_padding appends zeros and pads crop (F.pad with
        # negative sizes); the bias goes on last so the appended positions get it too.
        y = CONV_T[rank](x, w, None, stride=strides, dilation=dil, groups=attrs.get("group", 1))
        y = F.pad(y, _torch_pad([-b for b in begins], [p - e for p, e in zip(out_pad, ends)]))
        if b is not None:
            y = y + b.view([1, -1] + [1] * rank)
        return y
    return ref


def cases(g):
    conv_cases = [
        # (x shape, w shape, bias, attrs, note)
        ((2, 3, 11), (4, 3, 3), True, {}, "1-d defaults"),
        ((2, 3, 11), (4, 3, 3), True, {"strides": [2], "pads": [1, 2], "dilations": [2]},
         "1-d stride, asymmetric pads, dilation"),
        ((1, 4, 9), (4, 1, 4), False, {"group": 4, "pads": [2, 1]}, "1-d depthwise, even kernel"),
        ((2, 4, 9, 8), (6, 2, 3, 2), True,
         {"group": 2, "strides": [2, 1], "pads": [1, 0, 2, 1], "dilations": [1, 2]},
         "2-d groups, stride, asymmetric pads, dilation"),
        ((1, 5, 7, 7), (5, 1, 3, 3), True, {"group": 5, "pads": [1, 1, 1, 1]}, "2-d depthwise"),
        ((2, 3, 6, 5), (6, 1, 3, 3), True, {"group": 3, "strides": [2, 2]},
         "2-d depthwise with channel multiplier 2"),
        ((1, 3, 8, 7), (2, 3, 3, 3), True, {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
         "SAME_UPPER"),
        ((1, 3, 8, 7), (2, 3, 4, 2), False, {"auto_pad": "SAME_LOWER", "strides": [3, 1]},
         "SAME_LOWER, even kernel"),
        ((1, 3, 8, 7), (2, 3, 3, 3), True, {"auto_pad": "VALID", "strides": [2, 3],
                                           "pads": [5, 5, 5, 5]}, "VALID ignores pads"),
        ((2, 3, 5, 5), (4, 3, 1, 1), True, {"kernel_shape": [1, 1]}, "1x1"),
        ((1, 2, 3, 3), (3, 2, 5, 5), True, {"pads": [2, 2, 2, 2], "strides": [2, 2]},
         "kernel larger than the input"),
        ((1, 2, 5, 6, 4), (3, 2, 2, 3, 2), True,
         {"strides": [1, 2, 1], "pads": [1, 0, 1, 0, 1, 1], "dilations": [2, 1, 1]}, "3-d"),
    ]
    for dtype in FLOATS:
        for xs, ws, bias, attrs, note in conv_cases:
            inputs = [g.randn(xs, dtype), g.randn(ws, dtype)] + \
                ([g.randn((ws[0],), dtype)] if bias else [])
            g.case("conv", inputs, conv_ref(attrs), attrs, note=f"{dtype} {note}")
        # Non-contiguous operands: channels-last X permuted to [N, C, H, W], flipped W.
        attrs = {"pads": [1, 0, 1, 2], "strides": [1, 2]}
        x = g.randn((2, 7, 6, 3), dtype).permute(0, 3, 1, 2)
        w = g.randn((4, 3, 3, 3), dtype).flip(2, 3)
        g.case("conv", [x, w, g.randn((4,), dtype)], conv_ref(attrs), attrs,
               note=f"{dtype} permuted X, flipped W")
    attrs = {"pads": [1, 1, 1, 1]}
    g.case("conv", [g.randn((2, 16, 20, 19)), g.randn((8, 16, 3, 3)), g.randn((8,))],
           conv_ref(attrs), attrs, note="larger, long accumulation")

    # Shapes that reach the WebGPU kernels' tiled paths and their ragged edges: depthwise
    # (input tiles in workgroup memory) and implicit GEMM (pixel x channel tiles; 1x1 as GEMM).
    # (x shape, w shape, bias, attrs, dtypes, note)
    f32 = FLOATS[:1]
    tiled_cases = [
        ((1, 4, 70, 75), (4, 1, 3, 3), True, {"group": 4, "pads": [1, 1, 1, 1]}, f32,
         "depthwise 3x3, several tiles"),
        ((2, 3, 40, 41), (6, 1, 3, 3), True,
         {"group": 3, "strides": [2, 2], "dilations": [2, 1], "pads": [2, 1, 1, 2]}, FLOATS,
         "depthwise 3x3 stride 2, multiplier 2, dilation, asymmetric pads"),
        ((1, 8, 23, 29), (8, 1, 5, 5), False,
         {"group": 8, "strides": [2, 2], "auto_pad": "SAME_UPPER"}, f32,
         "depthwise 5x5 stride 2 SAME"),
        ((1, 2, 20, 21), (2, 1, 8, 8), True, {"group": 2, "pads": [3, 4, 3, 4]}, f32,
         "depthwise 8x8 (taps not unrolled)"),
        ((2, 7, 19, 23), (50, 7, 3, 3), True, {"pads": [1, 2, 0, 1], "dilations": [1, 2]},
         FLOATS, "implicit GEMM, ragged pixel, channel and K tiles"),
        ((1, 6, 21, 17), (60, 3, 3, 2), True,
         {"group": 2, "strides": [2, 1], "pads": [1, 0, 1, 1]}, f32, "implicit GEMM, 2 groups"),
        ((1, 32, 7, 7), (64, 32, 3, 3), True, {"pads": [1, 1, 1, 1]}, f32, "implicit GEMM, 7x7"),
        ((2, 20, 13, 11), (36, 20, 1, 1), True, {}, f32, "1x1 as GEMM"),
        ((1, 16, 9, 10), (16, 16, 1, 1), False, {"strides": [2, 2]}, f32, "1x1 stride 2"),
        ((2, 8, 30), (12, 8, 5), True, {"strides": [2], "pads": [2, 1]}, f32,
         "1-d implicit GEMM"),
        ((1, 4, 5, 6, 7), (16, 4, 3, 3, 3), True, {"pads": [1, 1, 1, 1, 1, 1]}, f32,
         "3-d implicit GEMM"),
        # Few pixels and a long K: too few tiles for the device, K split across workgroups
        # whose partial sums a second launch adds (with the bias).
        ((1, 128, 4, 4), (16, 128, 3, 3), True, {"pads": [1, 1, 1, 1]}, f32,
         "implicit GEMM split along K"),
        ((1, 96, 3, 5), (64, 48, 3, 3), True, {"group": 2, "pads": [1, 1, 1, 1]}, f32,
         "implicit GEMM split along K, 2 groups"),
    ]
    for xs, ws, bias, attrs, dtypes, note in tiled_cases:
        for dtype in dtypes:
            inputs = [g.randn(xs, dtype), g.randn(ws, dtype)] + \
                ([g.randn((ws[0],), dtype)] if bias else [])
            g.case("conv", inputs, conv_ref(attrs), attrs, note=f"{dtype} {note}")
    attrs = {"group": 8, "strides": [2, 2], "pads": [1, 1, 1, 1]}
    g.case("conv", [g.randn((1, 33, 35, 8)).permute(0, 3, 1, 2), g.randn((8, 1, 3, 3))],
           conv_ref(attrs), attrs, note="depthwise, channels-last X")
    g.case("conv", [g.randn((2, 9, 10, 24)).permute(0, 3, 1, 2), g.randn((64, 24, 1, 1)),
                    g.randn((64,))], conv_ref({}), {}, note="1x1 GEMM, channels-last X")

    transpose_cases = [
        ((2, 3, 7), (3, 4, 3), True, {}, "1-d defaults"),
        ((2, 3, 7), (3, 4, 3), True, {"strides": [2], "pads": [1, 0], "output_padding": [1]},
         "1-d stride, asymmetric pads, output_padding"),
        ((1, 4, 5, 6), (4, 3, 3, 2), True,
         {"group": 2, "strides": [2, 3], "dilations": [1, 2], "pads": [1, 0, 0, 1],
          "output_padding": [1, 0]}, "2-d groups, strides, dilations, pads, output_padding"),
        ((2, 3, 4, 4), (3, 1, 3, 3), True, {"group": 3, "strides": [2, 2]}, "2-d depthwise"),
        ((1, 2, 4, 4), (2, 3, 3, 3), True, {"strides": [2, 2], "output_shape": [8, 9]},
         "output_shape derives the pads"),
        ((1, 2, 4, 4), (2, 3, 3, 3), True, {"strides": [2, 2], "output_shape": [1, 3, 10, 11]},
         "output_shape beyond the natural size (negative pads), given as [N, C, ...]"),
        ((1, 2, 5, 5), (2, 2, 3, 3), False, {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
         "SAME_UPPER"),
        ((1, 2, 5, 5), (2, 2, 3, 3), True, {"strides": [2, 2], "auto_pad": "SAME_LOWER"},
         "SAME_LOWER"),
        ((1, 2, 3, 2), (2, 2, 2, 2), True, {"strides": [1, 1], "output_padding": [2, 3]},
         "output_padding beyond the stride appends bias-only positions"),
        ((1, 2, 3, 4, 3), (2, 2, 2, 3, 2), True,
         {"strides": [2, 1, 2], "pads": [0, 1, 1, 1, 0, 0]}, "3-d"),
    ]
    for dtype in FLOATS:
        for xs, ws, bias, attrs, note in transpose_cases:
            inputs = [g.randn(xs, dtype), g.randn(ws, dtype)] + \
                ([g.randn((ws[1] * attrs.get("group", 1),), dtype)] if bias else [])
            g.case("conv_transpose", inputs, conv_transpose_ref(attrs), attrs,
                   note=f"{dtype} {note}")
        attrs = {"strides": [2, 1], "pads": [0, 1, 1, 0]}
        x = g.randn((2, 5, 4, 3), dtype).permute(0, 3, 1, 2)
        g.case("conv_transpose", [x, g.randn((2, 3, 3, 3), dtype).permute(1, 0, 2, 3),
                                  g.randn((2,), dtype)],
               conv_transpose_ref(attrs), attrs, note=f"{dtype} permuted X and W")
    conv_dequant_cases(g)


def conv_dequant_ref(attrs):
    """conv with W = (q - zero) * scale per output channel, in float64; int32 x convolves
    exactly (float64 holds these integer sums) and rounds back to int32."""
    def ref(x, q, scale=None, zero=None, b=None):
        shape = (-1,) + (1,) * (q.dim() - 1)
        w = q.to(torch.float64)
        if zero is not None:
            w = w - zero.to(torch.float64).reshape(shape)
        if scale is not None:
            w = w * scale.reshape(shape)
        if x.is_floating_point():
            return conv_ref(attrs)(x, w, b)
        y = conv_ref(attrs)(x.to(torch.float64), w, None if b is None else b.to(torch.float64))
        return y.round().to(torch.int32)
    return ref


def conv_dequant_cases(g):
    # Each WebGPU conv shader with the dequantizing w_load: implicit GEMM (3x3 and 1x1),
    # depthwise, direct.
    shapes = [((2, 8, 9, 9), (16, 8, 3, 3), {"pads": [1, 1, 1, 1]}, "implicit gemm"),
              ((1, 12, 6, 6), (20, 12, 1, 1), {}, "1x1 gemm"),
              ((1, 64, 4, 4), (16, 64, 3, 3), {"pads": [1, 1, 1, 1]}, "implicit gemm split along K"),
              ((1, 8, 10, 10), (8, 1, 3, 3), {"group": 8, "strides": [2, 2], "pads": [1, 1, 1, 1]},
               "depthwise"),
              ((1, 3, 7), (4, 3, 3), {"dilations": [2]}, "1-d direct")]
    for xs, qs, attrs, note in shapes:
        m = qs[0]
        g.case("conv_dequant", [g.randn(xs), g.randint(qs, -128, 128, "int8"),
                                g.uniform((m,), 0.005, 0.05), g.randint((m,), -4, 4, "int8"),
                                g.randn((m,))],
               conv_dequant_ref(attrs), attrs, note=f"int8 per channel, bias, {note}")
        g.case("conv_dequant", [g.randn(xs), g.randint(qs, 0, 256, "uint8"),
                                g.uniform((1,), 0.005, 0.05), g.randint((1,), 120, 136, "uint8")],
               conv_dequant_ref(attrs), attrs, note=f"uint8 per tensor, {note}")
        # ConvInteger: centred int32 activations, exact.
        g.case("conv_dequant", [g.randint(xs, -255, 256, "int32"), g.randint(qs, 0, 256, "uint8"),
                                None, g.randint((m,), 0, 256, "uint8")],
               conv_dequant_ref(attrs), attrs, note=f"int32 x, exact, {note}")
    g.case("conv_dequant", [g.randn((1, 4, 6, 6), "float16"), g.randint((8, 4, 3, 3), -128, 128, "int8"),
                            g.uniform((8,), 0.005, 0.05, "float16")],
           conv_dequant_ref({}), {}, note="float16 x and scale, no zero point")
