"""max_pool / avg_pool (ONNX MaxPool/AveragePool) and the global pools, against PyTorch."""
import torch
import torch.nn.functional as F

from golden import FLOATS
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}




def _torch_pad(pads):
    """ONNX pads (begins then ends) to F.pad's order (last axis first, begin and end)."""
    n = len(pads) // 2
    out = []
    for d in reversed(range(n)):
        out += [pads[d], pads[d + n]]
    return out


def _max_ref(kernel, strides, pads, dilations, ceil_mode):
    """torch max pooling; asymmetric ONNX pads go through F.pad(-inf) first."""
    n = len(kernel)

    def ref(t):
        x = t.double()
        sym = pads[:n] == pads[n:]
        if not sym:
            x = F.pad(x, _torch_pad(pads), value=float("-inf"))
        out = MAX_POOL[n](x, kernel, strides, pads[:n] if sym else 0, dilations,
                          ceil_mode=bool(ceil_mode))
        return out.to(t.dtype)
    return ref


def _avg_ref(kernel, strides, pads, ceil_mode, include_pad):
    """torch average pooling; asymmetric ONNX pads pad by hand and count with a ones tensor."""
    n = len(kernel)

    def ref(t):
        if pads[:n] == pads[n:]:
            return AVG_POOL[n](t, kernel, strides, pads[:n], ceil_mode=bool(ceil_mode),
                               count_include_pad=bool(include_pad))
        assert not ceil_mode
        x = F.pad(t, _torch_pad(pads))
        s = AVG_POOL[n](x, kernel, strides, 0, divisor_override=1)
        if include_pad:
            return s / torch.tensor(kernel).prod().double()
        ones = F.pad(torch.ones_like(t), _torch_pad(pads))
        return s / AVG_POOL[n](ones, kernel, strides, 0, divisor_override=1)
    return ref


def _avg_dilated_ref(kernel, strides, pads, dilations, include_pad):
    """2-d dilated average pooling (ONNX opset 19, not in torch) through F.unfold."""
    def ref(t):
        n, c, h, w = t.shape
        cols = F.unfold(t.reshape(n * c, 1, h, w), kernel, dilations, pads[:2], strides)
        ones = F.unfold(torch.ones(1, 1, h, w, dtype=t.dtype), kernel, dilations, pads[:2], strides)
        count = torch.ones_like(ones) if include_pad else ones
        out = cols.sum(1) / count.sum(1)
        oh = (h + 2 * pads[0] - dilations[0] * (kernel[0] - 1) - 1) // strides[0] + 1
        return out.reshape(n, c, oh, -1)
    return ref


def _attrs(kernel, strides=None, pads=None, dilations=None, ceil_mode=0, **extra):
    a = {"kernel_shape": list(kernel)}
    if strides:
        a["strides"] = list(strides)
    if pads:
        a["pads"] = list(pads)
    if dilations:
        a["dilations"] = list(dilations)
    if ceil_mode:
        a["ceil_mode"] = ceil_mode
    a.update(extra)
    return a


def cases(g):
    # (input shape, kernel, strides, pads (begins then ends), dilations, ceil_mode, note)
    max_cfgs = [
        ((2, 3, 11), [3], [2], [1, 1], [1], 0, "1-d"),
        ((2, 3, 11), [3], [2], [1, 1], [1], 1, "1-d ceil_mode"),
        ((3, 2, 12), [2], [3], [0, 0], [2], 1, "1-d dilated ceil_mode"),
        ((2, 3, 9, 11), [3, 2], [2, 1], [1, 0, 1, 0], [1, 1], 0, "2-d"),
        ((2, 3, 9, 10), [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 1, "2-d ceil_mode, partial window"),
        ((2, 2, 10, 9), [2, 3], [3, 2], [0, 1, 0, 1], [2, 1], 1, "2-d dilated ceil_mode"),
        ((2, 3, 8, 7), [3, 3], [1, 2], [0, 1, 2, 0], [1, 1], 0, "2-d asymmetric pads"),
        ((2, 3, 7, 5), [2, 2], [2, 2], [1, 1, 1, 1], [1, 1], 1,
         "2-d ceil_mode drops a window starting in the end padding"),
        ((2, 2, 5, 6, 7), [2, 3, 2], [2, 1, 2], [1, 1, 0, 1, 1, 0], [1, 1, 1], 1, "3-d"),
    ]
    for dtype in FLOATS:
        for shape, k, s, p, d, ceil, note in max_cfgs:
            g.case("max_pool", [g.sample(shape, dtype)], _max_ref(k, s, p, d, ceil),
                   _attrs(k, s, p, d, ceil), note=note)
    for dtype in ["int32", "int64", "uint8", "int8"]:
        g.case("max_pool", [g.sample((2, 3, 7, 8), dtype)],
               _max_ref([3, 2], [2, 2], [1, 0, 1, 0], [1, 1], 1),
               _attrs([3, 2], [2, 2], [1, 0, 1, 0], ceil_mode=1), note=dtype)
    g.case("max_pool", [g.randn((3, 9, 2, 8)).permute(0, 2, 3, 1).slice(3, 0, 9, 2)],
           _max_ref([2, 2], [1, 2], [0, 0, 0, 0], [1, 1], 0), _attrs([2, 2], [1, 2]),
           note="permuted, strided")
    g.case("max_pool", [g.randn((2, 3, 6, 7), "float16").flip(3)],
           _max_ref([3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 0), _attrs([3, 3], pads=[1, 1, 1, 1]),
           note="flipped")
    g.case("max_pool", [g.randn((2, 3, 7, 8))], _max_ref([3, 3], [2, 2], [1, 0, 1, 1], [1, 1], 0),
           _attrs([3, 3], [2, 2], auto_pad="SAME_UPPER"), note="SAME_UPPER")
    g.case("max_pool", [g.randn((2, 3, 7, 8))], _max_ref([2, 4], [1, 1], [1, 2, 0, 1], [1, 1], 0),
           _attrs([2, 4], auto_pad="SAME_LOWER"), note="SAME_LOWER")
    g.case("max_pool", [g.randn((2, 3, 7, 8))], _max_ref([3, 3], [2, 3], [0] * 4, [1, 1], 0),
           _attrs([3, 3], [2, 3], auto_pad="VALID"), note="VALID")
    g.case("max_pool", [g.randn((2, 3, 5, 5))], _max_ref([5, 5], [1, 1], [0] * 4, [1, 1], 0),
           _attrs([5, 5]), note="kernel as large as the input")

    avg_cfgs = [
        ((2, 3, 11), [3], [2], [1, 1], 0, "1-d"),
        ((2, 3, 11), [4], [3], [2, 2], 1, "1-d ceil_mode"),
        ((2, 3, 9, 11), [3, 2], [2, 1], [1, 0, 1, 0], 0, "2-d"),
        ((2, 3, 9, 10), [3, 3], [2, 2], [1, 1, 1, 1], 1, "2-d ceil_mode, partial window"),
        ((3, 2, 8, 9), [2, 4], [3, 3], [1, 2, 1, 2], 1, "2-d ceil_mode overhang"),
        ((2, 3, 8, 7), [3, 3], [1, 2], [0, 1, 2, 0], 0, "2-d asymmetric pads"),
        ((2, 3, 7, 5), [2, 2], [2, 2], [1, 1, 1, 1], 1,
         "2-d ceil_mode drops a window starting in the end padding"),
        ((2, 2, 5, 6, 7), [2, 3, 2], [2, 1, 2], [1, 1, 0, 1, 1, 0], 1, "3-d"),
    ]
    for dtype in FLOATS:
        for shape, k, s, p, ceil, note in avg_cfgs:
            for include in (0, 1):
                g.case("avg_pool", [g.sample(shape, dtype)], _avg_ref(k, s, p, ceil, include),
                       _attrs(k, s, p, None, ceil, count_include_pad=include),
                       note=f"{note}, count_include_pad={include}")
        for include in (0, 1):
            g.case("avg_pool", [g.sample((2, 3, 9, 10), dtype)],
                   _avg_dilated_ref([2, 3], [2, 1], [1, 1, 1, 1], [2, 3], include),
                   _attrs([2, 3], [2, 1], [1, 1, 1, 1], [2, 3], count_include_pad=include),
                   note=f"dilated (ONNX only), count_include_pad={include}")
    g.case("avg_pool", [g.randn((3, 9, 2, 8), "float16").permute(0, 2, 3, 1).slice(3, 1, 9, 2)],
           _avg_ref([2, 3], [1, 1], [1, 1, 1, 1], 0, 1),
           _attrs([2, 3], pads=[1, 1, 1, 1], count_include_pad=1), note="permuted, strided")
    g.case("avg_pool", [g.randn((2, 3, 7, 8))], _avg_ref([3, 3], [2, 2], [1, 0, 1, 1], 0, 0),
           _attrs([3, 3], [2, 2], auto_pad="SAME_UPPER"), note="SAME_UPPER")
    g.case("avg_pool", [g.randn((2, 3, 7, 8))], _avg_ref([2, 4], [1, 1], [1, 2, 0, 1], 0, 1),
           _attrs([2, 4], auto_pad="SAME_LOWER", count_include_pad=1), note="SAME_LOWER")
    g.case("avg_pool", [g.randn((2, 4, 40, 40))], _avg_ref([7, 7], [3, 3], [3, 3, 3, 3], 1, 0),
           _attrs([7, 7], [3, 3], [3, 3, 3, 3], ceil_mode=1), note="large windows")

    for dtype in FLOATS:
        for shape in ((2, 3, 9), (2, 3, 5, 7), (2, 2, 3, 4, 5)):
            axes = list(range(2, len(shape)))
            g.case("global_avg_pool", [g.randn(shape, dtype)],
                   (lambda a: lambda t: t.mean(a, keepdim=True))(axes), note=f"rank {len(shape)}")
            g.case("global_max_pool", [g.randn(shape, dtype)],
                   (lambda a: lambda t: t.amax(a, keepdim=True))(axes), note=f"rank {len(shape)}")
        g.case("global_avg_pool", [g.randn((3, 5, 4, 2), dtype).permute(0, 3, 1, 2)],
               lambda t: t.mean([2, 3], keepdim=True), note="permuted")
        g.case("global_max_pool", [g.randn((3, 5, 4, 2), dtype).permute(0, 3, 1, 2)],
               lambda t: t.amax([2, 3], keepdim=True), note="permuted")
    for dtype in ["int32", "int64", "uint8", "int8"]:
        g.case("global_max_pool", [g.sample((2, 3, 4, 5), dtype)],
               lambda t: t.amax([2, 3], keepdim=True), note=dtype)
