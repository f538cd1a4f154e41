"""grid_sample (ONNX GridSample) against torch F.grid_sample, and roi_align (ONNX RoiAlign)
against torchvision.ops.roi_align, both computed in float64.

torch covers 2 spatial axes (nearest, bilinear, bicubic) and 3 (nearest, trilinear); one spatial
axis is checked as a 2-d input of height 1 with y = 0, which samples that row exactly (cubic's
other rows get weight 0 there). Grids reach past [-1, 1] so every padding mode is exercised, and
far past it so reflection mirrors more than once.
"""
import math

import torch
import torch.nn.functional as F
import torchvision


TORCH_MODE = {"nearest": "nearest", "linear": "bilinear", "cubic": "bicubic"}


def _torch(mode, padding, align):
    def ref(x, grid):
        return F.grid_sample(x, grid, mode=TORCH_MODE[mode], padding_mode=padding,
                             align_corners=align)
    return ref


def _one_axis(mode, padding, align):
    """[N, C, W] with grid [N, Wo, 1] as [N, C, 1, W] with grid [N, 1, Wo, (x, 0)]."""
    def ref(x, grid):
        grid2 = torch.stack([grid[..., 0], torch.zeros_like(grid[..., 0])], dim=-1)
        out = F.grid_sample(x.unsqueeze(2), grid2.unsqueeze(1), mode=TORCH_MODE[mode],
                            padding_mode=padding, align_corners=align)
        return out.squeeze(2)
    return ref


def _roi_align_torch(out_hw, scale, ratio, aligned):
    def ref(x, rois, batch):
        boxes = torch.cat([batch.to(torch.float64).unsqueeze(1), rois], dim=1)
        return torchvision.ops.roi_align(x, boxes, out_hw, scale, ratio, aligned)
    return ref


def _roi_align_max(out_hw, scale, ratio, half_pixel):
    """ONNX RoiAlign mode max, transcribed in float64: per sample the largest of the four
    weighted corners, then the largest over the bin's samples (ONNX Runtime's definition)."""
    def sample(plane, y, x):
        h, w = plane.shape
        if y < -1.0 or y > h or x < -1.0 or x > w:
            return 0.0
        y, x = max(y, 0.0), max(x, 0.0)
        y0, x0 = int(y), int(x)
        y1, x1 = y0 + 1, x0 + 1
        if y0 >= h - 1:
            y0 = y1 = h - 1
            y = float(y0)
        if x0 >= w - 1:
            x0 = x1 = w - 1
            x = float(x0)
        ly, lx = y - y0, x - x0
        hy, hx = 1 - ly, 1 - lx
        return max(hy * hx * float(plane[y0, x0]), hy * lx * float(plane[y0, x1]),
                   ly * hx * float(plane[y1, x0]), ly * lx * float(plane[y1, x1]))

    def ref(x, rois, batch):
        oh, ow = out_hw
        off = 0.5 if half_pixel else 0.0
        out = torch.zeros((rois.shape[0], x.shape[1], oh, ow), dtype=torch.float64)
        for r in range(rois.shape[0]):
            x1, y1, x2, y2 = (float(v) * scale - off for v in rois[r])
            rw, rh = x2 - x1, y2 - y1
            if not half_pixel:
                rw, rh = max(rw, 1.0), max(rh, 1.0)
            bh, bw = rh / oh, rw / ow
            gh = ratio if ratio > 0 else math.ceil(bh)
            gw = ratio if ratio > 0 else math.ceil(bw)
            for c in range(x.shape[1]):
                plane = x[int(batch[r]), c]
                for ph in range(oh):
                    for pw in range(ow):
                        vals = [sample(plane, y1 + ph * bh + (iy + 0.5) * bh / gh,
                                       x1 + pw * bw + (ix + 0.5) * bw / gw)
                                for iy in range(gh) for ix in range(gw)]
                        out[r, c, ph, pw] = max(vals) if vals else 0.0
        return out
    return ref


def _rois(g, n, count, height, width, reach=1.2, dtype="float32"):
    """Random boxes (x1, y1, x2, y2) over an image, some reaching past its edges."""
    a = g.uniform((count, 2), -0.1 * width, width * reach)
    size = g.uniform((count, 2), 0.5, 0.6 * width)
    boxes = torch.cat([a.tensor, a.tensor + size.tensor], dim=1)
    batch = torch.randint(0, n, (count,), generator=g.rng)
    return g.tensor(boxes.tolist(), dtype), g.tensor(batch.tolist(), "int64")


def roi_align_cases(g):
    for aligned, transform in ((True, "half_pixel"), (False, "output_half_pixel")):
        for out_hw, scale, ratio in (((3, 4), 1.0, 2), ((2, 2), 0.5, 0), ((5, 3), 0.25, 1),
                                     ((1, 1), 1.0, 0)):
            rois, batch = _rois(g, 2, 6, 10 / scale, 12 / scale)
            g.case("roi_align", [g.randn((2, 3, 10, 12)), rois, batch],
                   _roi_align_torch(out_hw, scale, ratio, aligned),
                   {"coordinate_transformation_mode": transform, "output_height": out_hw[0],
                    "output_width": out_hw[1], "spatial_scale": scale, "sampling_ratio": ratio},
                   note=f"avg, {transform}, out {out_hw}, scale {scale}, ratio {ratio}")
        rois, batch = _rois(g, 2, 5, 9, 11)
        g.case("roi_align", [g.randn((2, 2, 9, 11)), rois, batch],
               _roi_align_max((3, 2), 1.0, 0, aligned),
               {"mode": "max", "coordinate_transformation_mode": transform, "output_height": 3,
                "output_width": 2}, note=f"max, {transform}, adaptive grid")
    rois, batch = _rois(g, 3, 4, 8, 8, dtype="float16")
    g.case("roi_align", [g.randn((3, 2, 8, 8), "float16"), rois, batch],
           _roi_align_torch((2, 3), 1.0, 2, True),
           {"output_height": 2, "output_width": 3, "sampling_ratio": 2}, note="float16")
    rois, batch = _rois(g, 2, 3, 7, 9)
    g.case("roi_align", [g.randn((2, 7, 9, 4)).permute(0, 3, 1, 2), rois, batch],
           _roi_align_torch((2, 2), 1.0, 0, True),
           {"output_height": 2, "output_width": 2}, note="permuted input, adaptive grid")
    rois, batch = _rois(g, 1, 4, 6, 6, reach=2.5)
    g.case("roi_align", [g.randn((1, 2, 6, 6)), rois, batch],
           _roi_align_torch((3, 3), 1.0, 2, False),
           {"coordinate_transformation_mode": "output_half_pixel", "output_height": 3,
            "output_width": 3, "sampling_ratio": 2}, note="boxes mostly outside the image")


def cases(g):
    roi_align_cases(g)
    paddings = ("zeros", "border", "reflection")
    # 2 spatial axes: every mode x padding x align_corners, grids a little past the edges.
    for mode in ("linear", "nearest", "cubic"):
        for padding in paddings:
            for align in (False, True):
                attrs = {"mode": mode, "padding_mode": padding, "align_corners": int(align)}
                g.case("grid_sample", [g.randn((2, 3, 5, 7)), g.uniform((2, 4, 6, 2), -1.3, 1.3)],
                       _torch(mode, padding, align), attrs,
                       note=f"2-d {mode} {padding} align_corners={int(align)}")
    # Far outside: reflection mirrors several times, border clamps, zeros gives 0.
    for mode in ("linear", "nearest", "cubic"):
        for padding in paddings:
            g.case("grid_sample", [g.randn((1, 2, 4, 3)), g.uniform((1, 5, 5, 2), -4.5, 4.5)],
                   _torch(mode, padding, False),
                   {"mode": mode, "padding_mode": padding},
                   note=f"2-d {mode} {padding}, grid far outside")
    # Exact grid positions: edges, centre, and a size-1 axis.
    exact = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(exact, exact, indexing="xy"), dim=-1).unsqueeze(0)
    for mode in ("linear", "nearest", "cubic"):
        for align in (False, True):
            g.case("grid_sample", [g.randn((1, 2, 4, 6)), g.tensor(grid.tolist(), "float32")],
                   _torch(mode, "border", align),
                   {"mode": mode, "padding_mode": "border", "align_corners": int(align)},
                   note=f"2-d {mode}, exact grid positions, align_corners={int(align)}")
        g.case("grid_sample", [g.randn((2, 3, 1, 5)), g.uniform((2, 3, 4, 2), -1.2, 1.2)],
               _torch(mode, "reflection", True),
               {"mode": mode, "padding_mode": "reflection", "align_corners": 1},
               note=f"2-d {mode}, height 1, reflection with align_corners")
    # 3 spatial axes (torch: nearest and trilinear).
    for mode in ("linear", "nearest"):
        for padding in paddings:
            g.case("grid_sample",
                   [g.randn((2, 2, 3, 4, 5)), g.uniform((2, 3, 2, 4, 3), -1.2, 1.2)],
                   _torch(mode, padding, padding == "border"),
                   {"mode": mode, "padding_mode": padding,
                    "align_corners": int(padding == "border")}, note=f"3-d {mode} {padding}")
    # 1 spatial axis.
    for mode in ("linear", "nearest", "cubic"):
        for padding in paddings:
            g.case("grid_sample", [g.randn((2, 3, 6)), g.uniform((2, 9, 1), -1.4, 1.4)],
                   _one_axis(mode, padding, False), {"mode": mode, "padding_mode": padding},
                   note=f"1-d {mode} {padding}")
    # float16, and non-contiguous input and grid.
    for mode in ("linear", "cubic"):
        g.case("grid_sample", [g.randn((2, 3, 5, 7), "float16"),
                               g.uniform((2, 4, 6, 2), -1.1, 1.1, "float16")],
               _torch(mode, "zeros", False), {"mode": mode}, note=f"float16 {mode}")
    g.case("grid_sample",
           [g.randn((2, 6, 5, 3)).permute(0, 3, 1, 2).flip(3),
            g.uniform((2, 4, 2, 7), -1.2, 1.2).permute(0, 1, 3, 2).slice(1, 0, 4, 2)],
           _torch("linear", "reflection", False),
           {"mode": "linear", "padding_mode": "reflection"},
           note="permuted, flipped input; permuted, strided grid")
    g.case("grid_sample", [g.randn((3, 1, 4, 4)).expand(3, 5, 4, 4),
                           g.uniform((1, 3, 3, 2), -1, 1).expand(3, 3, 3, 2)],
           _torch("cubic", "border", True),
           {"mode": "cubic", "padding_mode": "border", "align_corners": 1},
           note="expanded channels and grid")
    # Empty output.
    g.case("grid_sample", [g.randn((2, 3, 4, 4)), g.uniform((2, 0, 3, 2), -1, 1)],
           _torch("linear", "zeros", False), {}, note="empty grid")
