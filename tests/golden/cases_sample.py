"""grid_sample (ONNX GridSample) against torch F.grid_sample, computed in float64.

torch covers 2 spatial axes (nearest, bilinear, bicubic) and 3 (nearest, trilinear); one spatial
axis is checked as a 2-d input of height 1 with y = 0, which samples that row exactly (cubic's
other rows get weight 0 there). Grids reach past [-1, 1] so every padding mode is exercised, and
far past it so reflection mirrors more than once.
"""
import torch
import torch.nn.functional as F


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


def cases(g):
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
