"""resize (ONNX Resize: nearest, linear and cubic) against torch F.interpolate (antialias=False).

ONNX <-> torch: nearest = (asymmetric, floor); nearest-exact = (half_pixel, round_prefer_ceil);
linear/bilinear/trilinear align_corners=False = half_pixel; align_corners=True = align_corners;
bicubic = cubic with cubic_coeff_a -0.75 and exclude_outside 0, align_corners the same way.
Rounding modes, cubic coefficients and exclude_outside torch lacks are checked against a direct
float64 transcription of the ONNX spec.
"""
import math

import torch
import torch.nn.functional as F

from golden import FLOATS
TORCH_MODE = {3: "linear", 4: "bilinear", 5: "trilinear"}


def _interp(size=None, scale=None, mode="nearest", align_corners=None):
    """F.interpolate over the spatial axes; integer inputs go through float64 and back."""
    def ref(t):
        out = F.interpolate(t.double(), size=size, scale_factor=scale, mode=mode,
                            align_corners=align_corners)
        return out.to(t.dtype)
    return ref


def _onnx_coord(transform, x, n_in, n_out, scale):
    """Where output position x of an axis reads in the input (coordinate_transformation_mode)."""
    if transform == "align_corners":
        return 0.0 if n_out == 1 else x * (n_in - 1) / (n_out - 1)
    if transform == "asymmetric":
        return x / scale
    if transform == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    if transform == "pytorch_half_pixel" and n_out == 1:
        return 0.0
    return (x + 0.5) / scale - 0.5


def _onnx_nearest(out_shape, transform, nearest_mode, scales=None):
    """ONNX nearest resize: per axis, pick the rounded source coordinate (clamped)."""
    def round_(c):
        if nearest_mode == "floor":
            return math.floor(c)
        if nearest_mode == "ceil":
            return math.ceil(c)
        if nearest_mode == "round_prefer_ceil":
            return math.floor(c + 0.5)
        return math.ceil(c - 0.5)

    def ref(t):
        for axis, (n_in, n_out) in enumerate(zip(t.shape, out_shape)):
            scale = scales[axis] if scales else n_out / n_in
            idx = [min(max(round_(_onnx_coord(transform, x, n_in, n_out, scale)), 0), n_in - 1)
                   for x in range(n_out)]
            t = t.index_select(axis, torch.tensor(idx, dtype=torch.int64))
        return t
    return ref


def _onnx_linear(out_shape, transform, scales=None):
    """ONNX linear resize, one axis at a time, the coordinate clamped into the input."""
    def ref(t):
        out = t.double()
        for axis, (n_in, n_out) in enumerate(zip(t.shape, out_shape)):
            scale = scales[axis] if scales else n_out / n_in
            matrix = torch.zeros((n_out, n_in), dtype=torch.float64)
            for x in range(n_out):
                c = min(max(_onnx_coord(transform, x, n_in, n_out, scale), 0), n_in - 1)
                lo = math.floor(c)
                matrix[x, lo] += 1 - (c - lo)
                matrix[x, min(lo + 1, n_in - 1)] += c - lo
            out = torch.movedim(torch.tensordot(matrix, out, dims=([1], [axis])), 0, axis)
        return out.to(t.dtype)
    return ref


def _onnx_cubic(out_shape, transform, a=-0.75, exclude_outside=False, scales=None):
    """ONNX cubic resize, one axis at a time: the four positions around the source coordinate
    (edge-clamped), weighted by the cubic convolution kernel with coefficient a; exclude_outside
    drops positions outside the input and renormalises."""
    def kernel(d):
        d = abs(d)
        if d <= 1:
            return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
        if d < 2:
            return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
        return 0.0

    def ref(t):
        out = t.double()
        for axis, (n_in, n_out) in enumerate(zip(t.shape, out_shape)):
            scale = scales[axis] if scales else n_out / n_in
            matrix = torch.zeros((n_out, n_in), dtype=torch.float64)
            for x in range(n_out):
                c = _onnx_coord(transform, x, n_in, n_out, scale)
                base = math.floor(c)
                taps = [(i, kernel(c - i)) for i in range(base - 1, base + 3)]
                if exclude_outside:
                    taps = [(i, w) for i, w in taps if 0 <= i < n_in]
                    total = sum(w for _, w in taps)
                    taps = [(i, w / total) for i, w in taps]
                for i, w in taps:
                    matrix[x, min(max(i, 0), n_in - 1)] += w
            out = torch.movedim(torch.tensordot(matrix, out, dims=([1], [axis])), 0, axis)
        return out.to(t.dtype)
    return ref


def cases(g):
    # torch 'nearest' = (asymmetric, floor): sizes and scales, up and down, 1 and 2 spatial axes.
    nearest = [
        ((2, 3, 7), [2, 3, 15], None, "1-d up, sizes"),
        ((2, 3, 12), [2, 3, 5], None, "1-d down, sizes"),
        ((2, 3, 5, 7), [2, 3, 11, 4], None, "2-d up and down, sizes"),
        ((2, 3, 5, 6), None, [1.0, 1.0, 2.0, 3.0], "2-d integer scales"),
        ((2, 3, 5, 7), None, [1.0, 1.0, 1.7, 0.6], "2-d fractional scales"),
        ((2, 3, 9), None, [1.0, 1.0, 0.5], "1-d half"),
    ]
    for dtype in FLOATS + ["int32", "uint8"]:
        for shape, sizes, scales, note in nearest:
            spatial = sizes[2:] if sizes else None
            sf = scales[2:] if scales else None
            attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                     "nearest_mode": "floor"}
            attrs.update({"sizes": sizes} if sizes else {"scales": scales})
            g.case("resize", [g.sample(shape, dtype)], _interp(spatial, sf, "nearest"), attrs,
                   note=f"torch nearest, {note}")
    # torch 'nearest-exact' = (half_pixel, round_prefer_ceil) = (pytorch_half_pixel, ...) here.
    for dtype in FLOATS:
        for transform in ("half_pixel", "pytorch_half_pixel"):
            for shape, sizes, scales, note in nearest:
                spatial = sizes[2:] if sizes else None
                sf = scales[2:] if scales else None
                attrs = {"mode": "nearest", "coordinate_transformation_mode": transform,
                         "nearest_mode": "round_prefer_ceil"}
                attrs.update({"sizes": sizes} if sizes else {"scales": scales})
                g.case("resize", [g.sample(shape, dtype)], _interp(spatial, sf, "nearest-exact"),
                       attrs, note=f"torch nearest-exact, {transform}, {note}")

    # linear / bilinear / trilinear, align_corners False (half_pixel) and True (align_corners).
    linear = [
        ((2, 3, 7), [2, 3, 15], None, "1-d up, sizes"),
        ((2, 3, 12), [2, 3, 5], None, "1-d down, sizes"),
        ((2, 3, 5, 7), [2, 3, 11, 4], None, "2-d up and down, sizes"),
        ((2, 3, 5, 6), None, [1.0, 1.0, 2.0, 3.0], "2-d integer scales"),
        ((2, 3, 5, 7), None, [1.0, 1.0, 1.7, 0.6], "2-d fractional scales"),
        ((2, 2, 3, 4, 5), [2, 2, 5, 3, 8], None, "3-d, sizes"),
    ]
    for dtype in FLOATS:
        for shape, sizes, scales, note in linear:
            spatial = sizes[2:] if sizes else None
            sf = scales[2:] if scales else None
            for transform, corners in (("half_pixel", False), ("align_corners", True)):
                attrs = {"mode": "linear", "coordinate_transformation_mode": transform}
                attrs.update({"sizes": sizes} if sizes else {"scales": scales})
                g.case("resize", [g.sample(shape, dtype)],
                       _interp(spatial, sf, TORCH_MODE[len(shape)], corners), attrs,
                       note=f"torch {TORCH_MODE[len(shape)]}, {transform}, {note}")
        # pytorch_half_pixel equals half_pixel whenever every output axis is longer than 1.
        g.case("resize", [g.sample((2, 3, 6, 5), dtype)],
               _interp([9, 3], None, "bilinear", False),
               {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel",
                "sizes": [2, 3, 9, 3]}, note="pytorch_half_pixel")

    # Non-contiguous inputs.
    g.case("resize", [g.randn((3, 9, 2, 8)).permute(0, 2, 3, 1).slice(3, 0, 9, 2)],
           _interp([5, 9], None, "bilinear", False),
           {"mode": "linear", "sizes": [3, 2, 5, 9]}, note="permuted, strided, bilinear")
    g.case("resize", [g.randn((2, 3, 4, 6), "float16").flip(2)],
           _interp(None, [2.0, 2.0], "nearest"),
           {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
            "nearest_mode": "floor", "scales": [1.0, 1.0, 2.0, 2.0]}, note="flipped, nearest")

    # Output length 1: half_pixel samples the middle (as torch), pytorch_half_pixel the start.
    g.case("resize", [g.randn((2, 3, 6, 5))], _interp([1, 4], None, "bilinear", False),
           {"mode": "linear", "sizes": [2, 3, 1, 4]}, note="half_pixel to length 1")
    g.case("resize", [g.randn((2, 3, 6, 5))],
           lambda t: F.interpolate(t[:, :, :1], size=[1, 4], mode="bilinear", align_corners=False),
           {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel",
            "sizes": [2, 3, 1, 4]}, note="pytorch_half_pixel to length 1")
    g.case("resize", [g.randn((2, 3, 6, 5))], _interp([1, 4], None, "bilinear", True),
           {"mode": "linear", "coordinate_transformation_mode": "align_corners",
            "sizes": [2, 3, 1, 4]}, note="align_corners to length 1")

    # ONNX rounding modes torch lacks, and the ONNX default (half_pixel, round_prefer_floor).
    for transform in ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                      "tf_half_pixel_for_nn"):
        for nearest_mode in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
            for shape, out in (((2, 3, 5, 7), [2, 3, 9, 3]), ((2, 3, 8), [2, 3, 6])):
                g.case("resize", [g.randn(shape)], _onnx_nearest(out, transform, nearest_mode),
                       {"mode": "nearest", "coordinate_transformation_mode": transform,
                        "nearest_mode": nearest_mode, "sizes": out},
                       note=f"onnx nearest {transform} {nearest_mode}")
    scales = [1.0, 1.0, 2.5, 0.5]
    g.case("resize", [g.randn((2, 3, 4, 6), "float16")],
           _onnx_nearest([2, 3, 10, 3], "half_pixel", "round_prefer_floor", scales),
           {"scales": scales}, note="ONNX defaults, scales")
    # Resizing the batch and channel axes too (ONNX allows any axis).
    g.case("resize", [g.randn((2, 3, 4))],
           _onnx_nearest([3, 5, 4], "asymmetric", "floor"),
           {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
            "nearest_mode": "floor", "sizes": [3, 5, 4]}, note="every axis")

    # Scales whose ratios are no small fractions.
    for transform, nearest_mode, scales in (("asymmetric", "floor", [1.0, 1.0, 1.37, 0.73]),
                                            ("half_pixel", "round_prefer_floor",
                                             [1.0, 1.0, 1.0 / 3.0, 2.2]),
                                            ("half_pixel", "ceil", [1.0, 1.0, 0.1234567, 7.3])):
        shape = (2, 3, 13, 17)
        out = [math.floor(n * s) for n, s in zip(shape, scales)]
        g.case("resize", [g.randn(shape)], _onnx_nearest(out, transform, nearest_mode, scales),
               {"mode": "nearest", "coordinate_transformation_mode": transform,
                "nearest_mode": nearest_mode, "scales": scales},
               note=f"onnx nearest {transform} {nearest_mode}, odd scales")
    g.case("resize", [g.randn((2, 3, 13, 17))], _interp(None, [1.37, 0.1234567], "bilinear"),
           {"mode": "linear", "scales": [1.0, 1.0, 1.37, 0.1234567]}, note="bilinear, odd scales")

    # Cubic: torch bicubic (A = -0.75, edge-clamped), align_corners False (half_pixel) and True.
    bicubic = [
        ((2, 3, 5, 7), [2, 3, 11, 4], None, "up and down, sizes"),
        ((2, 3, 5, 6), None, [1.0, 1.0, 2.0, 3.0], "integer scales"),
        ((2, 3, 8, 7), None, [1.0, 1.0, 0.6, 1.7], "fractional scales"),
        ((1, 2, 4, 4), [1, 2, 2, 9], None, "2 rows, 9 columns"),
    ]
    for dtype in FLOATS:
        for shape, sizes, scales, note in bicubic:
            spatial = sizes[2:] if sizes else None
            sf = scales[2:] if scales else None
            for transform, corners in (("half_pixel", False), ("align_corners", True)):
                attrs = {"mode": "cubic", "coordinate_transformation_mode": transform}
                attrs.update({"sizes": sizes} if sizes else {"scales": scales})
                g.case("resize", [g.sample(shape, dtype)],
                       _interp(spatial, sf, "bicubic", corners), attrs,
                       note=f"torch bicubic, {transform}, {note}")
    g.case("resize", [g.randn((2, 9, 3, 8)).permute(0, 2, 3, 1).slice(3, 0, 9, 2)],
           _interp([5, 11], None, "bicubic", False),
           {"mode": "cubic", "sizes": [2, 3, 5, 11]}, note="permuted, strided, bicubic")
    # ONNX forms torch lacks: A = -0.5, exclude_outside, asymmetric and pytorch_half_pixel,
    # cubic over a 1-d and a 3-d input, and over every axis.
    for transform in ("half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners"):
        for a, exclude in ((-0.5, True), (-0.5, False), (-0.75, True)):
            for shape, out in (((2, 3, 6, 5), [2, 3, 9, 3]), ((2, 3, 8), [2, 3, 13])):
                g.case("resize", [g.randn(shape)], _onnx_cubic(out, transform, a, exclude),
                       {"mode": "cubic", "coordinate_transformation_mode": transform,
                        "cubic_coeff_a": a, "exclude_outside": int(exclude), "sizes": out},
                       note=f"onnx cubic {transform} A={a} exclude_outside={int(exclude)}")
    scales = [1.0, 1.0, 1.37, 0.73]
    g.case("resize", [g.randn((2, 3, 13, 17))],
           _onnx_cubic([2, 3, 17, 12], "half_pixel", -0.5, True, scales),
           {"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1, "scales": scales},
           note="onnx cubic, odd scales")
    g.case("resize", [g.randn((2, 3, 4, 5, 3))], _onnx_cubic([2, 3, 7, 3, 6], "half_pixel"),
           {"mode": "cubic", "sizes": [2, 3, 7, 3, 6]}, note="onnx cubic, 3-d")
    g.case("resize", [g.randn((3, 4, 5), "float16")],
           _onnx_cubic([5, 2, 8], "asymmetric", -0.6), {"mode": "cubic", "cubic_coeff_a": -0.6,
           "coordinate_transformation_mode": "asymmetric", "sizes": [5, 2, 8]},
           note="onnx cubic, every axis, float16")
    g.case("resize", [g.randn((2, 3, 6, 5))],
           _onnx_cubic([2, 3, 9, 3], "tf_half_pixel_for_nn", -0.5, True),
           {"mode": "cubic", "coordinate_transformation_mode": "tf_half_pixel_for_nn",
            "cubic_coeff_a": -0.5, "exclude_outside": 1, "sizes": [2, 3, 9, 3]},
           note="onnx cubic tf_half_pixel_for_nn")
    g.case("resize", [g.randn((2, 3, 7, 5))],
           _onnx_linear([2, 3, 4, 12], "tf_half_pixel_for_nn"),
           {"mode": "linear", "coordinate_transformation_mode": "tf_half_pixel_for_nn",
            "sizes": [2, 3, 4, 12]}, note="onnx linear tf_half_pixel_for_nn")
