#!/usr/bin/python3
"""Writes ONNX test cases for the nn converters' forms that ONNX 1.12's node tests do not cover
into OUT_DIR/node/test_wgml_nn_*: softmax-family axes before opset 13, BatchNormalization,
GroupNormalization 18 and 21, LpPool, LRN with an even size, MVN axes, Gemm at opset 7,
recurrent ops (bidirectional, sequence_lens, layout, activations), quantization per axis and
blocked, ConvTranspose output_padding, float32 Einsum, integer matmul and conv, MaxPool's indices
and MaxUnpool. Expected outputs come from PyTorch (in float64), ONNX's own reference helpers or
NumPy of the spec's formulas, never from wgml. Inputs are seeded random tensors.

usage: extra_cases_nn.py OUT_DIR
"""
import sys

import numpy as np
import torch
from onnx import helper
from onnx.backend.test.case.node.gru import GRU_Helper
from onnx.backend.test.case.node.lstm import LSTM_Helper

from onnx_case_writer import CaseWriter


def rnd(rng, *shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def t64(a):
    return torch.from_numpy(a.astype(np.float64))


def coerced(fn, x, axis):
    axis = axis % x.ndim
    rows = int(np.prod(x.shape[:axis]))
    flat = t64(x).reshape(rows, -1)
    return fn(flat).reshape(x.shape).numpy().astype(np.float32)


def hardmax_rows(t):
    idx = t.argmax(dim=1)
    return torch.nn.functional.one_hot(idx, t.shape[1]).to(t.dtype)


def lp_pool_ref(x, p, k, s, pads, dil, ceil):
    n, c = x.shape[:2]
    sp = x.shape[2:]
    nd = len(sp)
    xp = np.pad(np.abs(x.astype(np.float64)) ** p,
                [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)])
    outs = []
    for i in range(nd):
        ext = dil[i] * (k[i] - 1) + 1
        room = sp[i] + pads[i] + pads[i + nd] - ext
        o = (-(-room // s[i]) if ceil else room // s[i]) + 1
        if ceil and (o - 1) * s[i] >= sp[i] + pads[i]:
            o -= 1
        outs.append(o)
    y = np.zeros((n, c, *outs))
    for idx in np.ndindex(*outs):
        sl = tuple(slice(idx[i] * s[i], idx[i] * s[i] + dil[i] * (k[i] - 1) + 1,
                         dil[i]) for i in range(nd))
        y[(slice(None), slice(None)) + idx] = xp[(slice(None),
                                                  slice(None)) + sl].sum(axis=tuple(range(2,
                                                                                          2 + nd)))
    return (y ** (1.0 / p)).astype(np.float32)


def torch_rnn(kind, x, lens, h0, c0, torch_weights, bidir, nonlin="tanh"):
    T, B, I = x.shape
    H = h0.shape[-1]
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[kind]
    kw = {"nonlinearity": nonlin} if kind == "RNN" else {}
    mod = cls(I, H, bidirectional=bidir, **kw).double()
    with torch.no_grad():
        for name, val in torch_weights.items():
            getattr(mod, name).copy_(torch.from_numpy(val.astype(np.float64)))
    packed = torch.nn.utils.rnn.pack_padded_sequence(t64(x), torch.tensor(lens),
                                                     enforce_sorted=False)
    state = (t64(h0), t64(c0)) if kind == "LSTM" else t64(h0)
    with torch.no_grad():
        out, st = mod(packed, state)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
    D = 2 if bidir else 1
    y = y.reshape(T, B, D, H).permute(0, 2, 1, 3).numpy().astype(np.float32)
    if kind == "LSTM":
        return y, st[0].numpy().astype(np.float32), st[1].numpy().astype(np.float32)
    return y, st.numpy().astype(np.float32), None


def onnx_to_torch_order(kind, a, H):
    # ONNX LSTM gates i,o,f,c -> torch i,f,g,o; GRU z,r,h -> torch r,z,n
    if kind == "LSTM":
        i, o, f, c = np.split(a, 4, axis=0)
        return np.concatenate([i, f, c, o], 0)
    if kind == "GRU":
        z, r, h = np.split(a, 3, axis=0)
        return np.concatenate([r, z, h], 0)
    return a


def rnn_case(w, rng, name, kind, opset, T, B, I, H, bidir, lens, layout=0, nonlin="tanh",
             with_init=True):
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    D = 2 if bidir else 1
    W, R, Bb = rnd(rng, D, G * H, I), rnd(rng, D, G * H, H), rnd(rng, D, 2 * G * H)
    x = rnd(rng, T, B, I)
    h0 = rnd(rng, D, B, H) if with_init else np.zeros((D, B, H), np.float32)
    c0 = rnd(rng, D, B, H) if with_init else np.zeros((D, B, H), np.float32)
    tw = {}
    for d in range(D):
        sfx = "_l0" + ("_reverse" if d == 1 else "")
        tw["weight_ih" + sfx] = onnx_to_torch_order(kind, W[d], H)
        tw["weight_hh" + sfx] = onnx_to_torch_order(kind, R[d], H)
        tw["bias_ih" + sfx] = onnx_to_torch_order(kind, Bb[d, :G * H], H)
        tw["bias_hh" + sfx] = onnx_to_torch_order(kind, Bb[d, G * H:], H)
    y, yh, yc = torch_rnn(kind, x, lens, h0, c0, tw, bidir, nonlin)
    seq = np.array(lens, np.int32)
    ins = [("X", x if layout == 0 else np.ascontiguousarray(x.transpose(1, 0, 2))), ("W", W),
           ("R", R), ("B", Bb), ("seq", seq)]
    names = ["X", "W", "R", "B", "seq"]
    if with_init:
        ins.append(("h0", h0 if layout == 0 else np.ascontiguousarray(h0.transpose(1, 0, 2))))
        names.append("h0")
        if kind == "LSTM":
            ins.append(("c0", c0 if layout == 0 else np.ascontiguousarray(c0.transpose(1, 0, 2))))
            names.append("c0")
    else:
        names += [""] * (1 if kind != "LSTM" else 2)
    if layout == 1:
        y = y.transpose(2, 0, 1, 3)
        yh = yh.transpose(1, 0, 2)
        yc = yc.transpose(1, 0, 2) if yc is not None else None
    outs = [("Y", np.ascontiguousarray(y)), ("Y_h", np.ascontiguousarray(yh))]
    if kind == "LSTM":
        outs.append(("Y_c", np.ascontiguousarray(yc)))
    attrs = dict(hidden_size=H, direction="bidirectional" if bidir else "forward")
    if layout:
        attrs["layout"] = 1
    if kind == "GRU":
        attrs["linear_before_reset"] = 1  # torch's GRU
    if kind == "RNN" and nonlin == "relu":
        attrs["activations"] = ["Relu"] * D
    node = helper.make_node(kind, names, [n for n, _ in outs], **attrs)
    w.case(name, opset, [node], ins, outs)


def np_lstm(x, W, R, Bb, H, f, g, h, clip):
    Wt, Rt = W[0].T.astype(np.float64), R[0].T.astype(np.float64)
    b = Bb[0, :4 * H] + Bb[0, 4 * H:]
    Ht = np.zeros((x.shape[1], H)); Ct = np.zeros((x.shape[1], H))
    ys = []
    for t in range(x.shape[0]):
        gts = x[t] @ Wt + Ht @ Rt + b
        gts = np.clip(gts, -clip, clip)
        i, o, fg, c = np.split(gts, 4, -1)
        i, o, fg, c = f(i), f(o), f(fg), g(c)
        Ct = fg * Ct + i * c
        Ht = o * h(Ct)
        ys.append(Ht)
    return np.stack(ys)[:, None], Ht[None], Ct[None]


def torch_pool_indices(x, k, s, p, d, ceil, column_major=False):
    nd = x.ndim - 2
    fn = {1: torch.nn.functional.max_pool1d, 2: torch.nn.functional.max_pool2d,
          3: torch.nn.functional.max_pool3d}[nd]
    y, idx = fn(t64(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    idx = idx.numpy()
    sp = x.shape[2:]
    if column_major:
        coords = np.unravel_index(idx, sp)
        idx = np.zeros_like(idx)
        mult = 1
        for c, n in zip(coords, sp):
            idx += c * mult
            mult *= n
    plane = int(np.prod(sp))
    offsets = (np.arange(x.shape[0] * x.shape[1]) * plane).reshape(x.shape[0], x.shape[1],
                                                                   *([1] * nd))
    return y.numpy().astype(np.float32), (idx + offsets).astype(np.int64)


def softmaxes(w, rng):
    """Softmax family before opset 13: coerced to 2-D around axis."""
    ops = {"Softmax": lambda t: torch.softmax(t, 1),
           "LogSoftmax": lambda t: torch.log_softmax(t, 1),
           "Hardmax": hardmax_rows}
    for op, fn in ops.items():
        for opset in (7, 11):
            for axis in (None, 0, 2, -1, -3):
                x = rnd(rng, 2, 3, 4, 5)
                if op == "Hardmax":
                    x = np.round(x * 2) / 2  # ties: the first maximum wins
                a = {} if axis is None else {"axis": axis}
                y = coerced(fn, x, 1 if axis is None else axis)
                tag = "default" if axis is None else str(axis).replace("-", "m")
                w.case(f"{op.lower()}_o{opset}_axis_{tag}", opset,
                       [helper.make_node(op, ["x"], ["y"], **a)], [("x", x)], [("y", y)])
        # dynamic shapes: the reshape back reads the shape at run time
        x = rnd(rng, 3, 4, 5)
        if op == "Hardmax":
            x = np.round(x * 2) / 2
        w.case(f"{op.lower()}_o11_dynamic", 11, [helper.make_node(op, ["x"], ["y"], axis=1)],
               [("x", x)], [("y", coerced(fn, x, 1))], dims={"x": ["n", "c", "w"]})
        # opset 13: one axis
        x = rnd(rng, 3, 4, 5)
        if op == "Hardmax":
            x = np.round(x * 2) / 2
        ref = {"Softmax": lambda t: torch.softmax(t, 1),
               "LogSoftmax": lambda t: torch.log_softmax(t, 1),
               "Hardmax": lambda t: torch.nn.functional.one_hot(t.argmax(1), 4)
                                     .permute(0, 2, 1).to(t.dtype)}[op]
        w.case(f"{op.lower()}_o13_axis1_dynamic", 13, [helper.make_node(op, ["x"], ["y"], axis=1)],
               [("x", x)], [("y", ref(t64(x)).numpy().astype(np.float32))],
               dims={"x": ["n", "c", "w"]})


def batch_norms(w, rng):
    """BatchNormalization."""
    x, s, b, m, v = rnd(rng, 2, 3, 4, 5), rnd(rng, 3, 4, 5), rnd(rng, 3, 4, 5), rnd(rng, 3, 4,
                                                                                    5), rnd(rng, 3,
                                                                                            4, 5,
                                                                                            lo=0.5,
                                                                                            hi=2)
    y = (x - m) / np.sqrt(v + 1e-3) * s + b
    w.case("batchnorm_o7_spatial0", 7,
           [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=0,
                             epsilon=1e-3)],
           [("x", x), ("s", s), ("b", b), ("m", m), ("v", v)], [("y", y.astype(np.float32))])
    for opset in (7, 9, 14):
        x, s, b, m, v = rnd(rng, 2, 3, 4), rnd(rng, 3), rnd(rng, 3), rnd(rng, 3), rnd(rng, 3,
                                                                                      lo=0.5, hi=2)
        y = torch.nn.functional.batch_norm(t64(x), t64(m), t64(v), t64(s), t64(b), False, 0.1, 1e-5)
        w.case(f"batchnorm_o{opset}", opset,
               [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
               [("x", x), ("s", s), ("b", b), ("m", m), ("v", v)],
               [("y", y.numpy().astype(np.float32))])


def group_norms(w, rng):
    """GroupNormalization 18 (per group) and 21 (per channel)."""
    x = rnd(rng, 2, 6, 3, 4)
    sg, bg = rnd(rng, 3), rnd(rng, 3)
    xg = x.reshape(2, 3, -1).astype(np.float64)
    yg = (xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-4)
    y18 = (yg * sg[:, None] + bg[:, None]).reshape(x.shape)
    w.case("groupnorm_o18", 18,
           [helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3,
                             epsilon=1e-4)],
           [("x", x), ("s", sg), ("b", bg)], [("y", y18.astype(np.float32))],
           dims={"x": ["n", 6, "h", "w"]})
    sc, bc = rnd(rng, 6), rnd(rng, 6)
    y21 = torch.nn.functional.group_norm(t64(x), 3, t64(sc), t64(bc), 1e-4)
    w.case("groupnorm_o21", 21,
           [helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3,
                             epsilon=1e-4)],
           [("x", x), ("s", sc), ("b", bc)], [("y", y21.numpy().astype(np.float32))])


def lp_pools(w, rng):
    """LpPool / GlobalLpPool."""
    x = rnd(rng, 2, 3, 7, 6)
    w.case("lppool_o11_p2", 11,
           [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 1],
                             pads=[1, 0, 1, 1])],
           [("x", x)], [("y", lp_pool_ref(x, 2, [3, 2], [2, 1], [1, 0, 1, 1], [1, 1], False))])
    w.case("lppool_o11_p3", 11,
           [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2], p=3)],
           [("x", x)], [("y", lp_pool_ref(x, 3, [2, 2], [1, 1], [0, 0, 0, 0], [1, 1], False))])
    w.case("lppool_o18_ceil_dil", 18,
           [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                             dilations=[1, 2], ceil_mode=1, p=1)],
           [("x", x)], [("y", lp_pool_ref(x, 1, [2, 2], [2, 2], [0, 0, 0, 0], [1, 2], True))])
    x1 = rnd(rng, 2, 3, 9)
    w.case("lppool_o18_1d_same", 18,
           [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[4], strides=[2],
                             auto_pad="SAME_UPPER")],
           [("x", x1)], [("y", lp_pool_ref(x1, 2, [4], [2], [1, 2], [1], False))])
    for p in (1, 2, 3):
        y = (np.abs(x.astype(np.float64)) ** p).sum(axis=(2, 3), keepdims=True) ** (1.0 / p)
        w.case(f"globallppool_p{p}", 11, [helper.make_node("GlobalLpPool", ["x"], ["y"], p=p)],
               [("x", x)], [("y", y.astype(np.float32))])


def lrn_mvn(w, rng):
    """LRN with an even size, MVN with other axes."""
    x = rnd(rng, 2, 6, 3, 4)
    # Not torch's local_response_norm: torch pads size//2 channels before and (size-1)//2 after,
    # ONNX floor((size-1)/2) before and ceil((size-1)/2) after.
    sq = np.pad(x.astype(np.float64) ** 2, [(0, 0), (1, 2), (0, 0), (0, 0)])
    ss = sum(sq[:, i:i + 6] for i in range(4))
    yo = x / (1.5 + 2e-3 / 4 * ss) ** 0.6
    w.case("lrn_even_size", 13,
           [helper.make_node("LRN", ["x"], ["y"], size=4, alpha=2e-3, beta=0.6, bias=1.5)],
           [("x", x)], [("y", yo.astype(np.float32))])
    x = rnd(rng, 2, 3, 4, 5)
    xd = x.astype(np.float64)
    mu = xd.mean(axis=(1, 3), keepdims=True)
    yo = (xd - mu) / (np.sqrt(((xd - mu) ** 2).mean(axis=(1, 3), keepdims=True)) + 1e-9)
    w.case("mvn_axes13", 9,
           [helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes=[1, 3])],
           [("x", x)], [("y", yo.astype(np.float32))])


def gemms(w, rng):
    """Gemm at opset 7 with a broadcast C row and a column."""
    for tag, cshape in (("row", (1, 5)), ("col", (4, 1)), ("scalar", ())):
        a, bm, c = rnd(rng, 3, 4), rnd(rng, 5, 3), rnd(rng, *cshape)
        y = 0.5 * a.T.astype(np.float64) @ bm.T + 2.0 * c
        w.case(f"gemm_o7_{tag}", 7,
               [helper.make_node("Gemm", ["a", "b", "c"], ["y"], alpha=0.5, beta=2.0, transA=1,
                                 transB=1)],
               [("a", a), ("b", bm), ("c", c)], [("y", y.astype(np.float32))])


def recurrent(w, rng):
    """Recurrent ops against torch (bidirectional, reverse, sequence_lens, layout)."""
    rnn_case(w, rng, "lstm_bidir_seqlens", "LSTM", 14, 5, 3, 4, 6, True, [5, 3, 1])
    rnn_case(w, rng, "lstm_bidir_layout1", "LSTM", 14, 4, 2, 3, 5, True, [4, 2], layout=1)
    rnn_case(w, rng, "lstm_o7_noinit", "LSTM", 7, 4, 2, 3, 5, False, [4, 4], with_init=False)
    rnn_case(w, rng, "gru_bidir_seqlens", "GRU", 14, 5, 3, 4, 6, True, [2, 5, 4])
    rnn_case(w, rng, "gru_o7_lbr", "GRU", 7, 3, 2, 3, 4, False, [3, 3])
    rnn_case(w, rng, "rnn_bidir_relu", "RNN", 14, 4, 3, 2, 5, True, [4, 1, 3], nonlin="relu")
    rnn_case(w, rng, "rnn_bidir_noinit_seqlens", "RNN", 14, 4, 3, 2, 5, True, [4, 1, 3],
             with_init=False)

    # GRU linear_before_reset=0 in reverse: ONNX's own helper on the time-reversed input.
    T, B, I, H = 4, 2, 3, 5
    x, W, R = rnd(rng, T, B, I), rnd(rng, 1, 3 * H, I), rnd(rng, 1, 3 * H, H)
    Bb, h0 = rnd(rng, 1, 6 * H), rnd(rng, 1, B, H)
    Y, Yh = GRU_Helper(X=x[::-1].copy(), W=W, R=R, B=Bb, initial_h=h0).step()
    w.case("gru_reverse_lbr0", 14,
           [helper.make_node("GRU", ["X", "W", "R", "B", "", "h0"], ["Y", "Y_h"], hidden_size=H,
                             direction="reverse")],
           [("X", x), ("W", W), ("R", R), ("B", Bb), ("h0", h0)],
           [("Y", np.ascontiguousarray(Y[::-1]).astype(np.float32)),
            ("Y_h", Yh.astype(np.float32))])
    # LSTM with peepholes, initial c and input_forget=0 through ONNX's helper; Y_c only.
    x, W, R = rnd(rng, T, B, I), rnd(rng, 1, 4 * H, I), rnd(rng, 1, 4 * H, H)
    Bb, P = rnd(rng, 1, 8 * H), rnd(rng, 1, 3 * H)
    h0, c0 = rnd(rng, 1, B, H), rnd(rng, 1, B, H)
    Y, Yh = LSTM_Helper(X=x, W=W, R=R, B=Bb, P=P, initial_h=h0, initial_c=c0).step()
    w.case("lstm_peephole_init", 14,
           [helper.make_node("LSTM", ["X", "W", "R", "B", "", "h0", "c0", "P"], ["", "Y_h"],
                             hidden_size=H)],
           [("X", x), ("W", W), ("R", R), ("B", Bb), ("h0", h0), ("c0", c0), ("P", P)],
           [("Y_h", Yh.astype(np.float32))])

    # LSTM with other activations and clip, numpy of the spec's formulas.
    hs = lambda v: np.clip(0.3 * v + 0.4, 0, 1)
    st = lambda v: 1.2 * np.tanh(0.7 * v)
    sp = lambda v: np.log1p(np.exp(v))
    x, W, R, Bb = rnd(rng, T, B, I), rnd(rng, 1, 4 * H, I), rnd(rng, 1, 4 * H, H), rnd(rng, 1,
                                                                                       8 * H)
    Y, Yh, Yc = np_lstm(x, W, R, Bb, H, hs, st, sp, 0.8)
    w.case("lstm_activations_clip", 14,
           [helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h", "Y_c"], hidden_size=H,
                             clip=0.8,
                             activations=["HardSigmoid", "ScaledTanh", "Softplus"],
                             activation_alpha=[0.3, 1.2], activation_beta=[0.4, 0.7])],
           [("X", x), ("W", W), ("R", R), ("B", Bb)],
           [("Y", Y.astype(np.float32)), ("Y_h", Yh.astype(np.float32)),
            ("Y_c", Yc.astype(np.float32))])


def quantization(w, rng):
    """Quantization: int8 per axis (13) and blocked (21)."""
    x = rnd(rng, 2, 4, 3, lo=-3, hi=3)
    sc = rnd(rng, 4, lo=0.02, hi=0.05)
    zp = rng.integers(-10, 10, size=4).astype(np.int8)
    q = np.clip(np.rint(x / sc[None, :, None]) + zp[None, :, None], -128, 127).astype(np.int8)
    w.case("quantize_int8_axis", 13,
           [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=1)],
           [("x", x), ("s", sc), ("z", zp)], [("y", q)])
    dq = ((q.astype(np.float64) - zp[None, :, None]) * sc[None, :, None]).astype(np.float32)
    w.case("dequantize_int8_axis", 13,
           [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1)],
           [("x", q), ("s", sc), ("z", zp)], [("y", dq)])
    xb = rng.integers(0, 255, size=(2, 6)).astype(np.uint8)
    sb = rnd(rng, 2, 3, lo=0.1, hi=0.5)
    zb = rng.integers(0, 255, size=(2, 3)).astype(np.uint8)
    sfull, zfull = np.repeat(sb, 2, axis=1), np.repeat(zb, 2, axis=1)
    w.case("dequantize_blocked_o21", 21,
           [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1, block_size=2)],
           [("x", xb), ("s", sb), ("z", zb)],
           [("y", ((xb.astype(np.float64) - zfull) * sfull).astype(np.float32))])


def conv_transpose(w, rng):
    """ConvTranspose with output_shape and output_padding, against torch."""
    x, wt = rnd(rng, 1, 2, 3, 3), rnd(rng, 2, 3, 3, 3)
    y = torch.nn.functional.conv_transpose2d(t64(x), t64(wt), stride=2, padding=1, output_padding=1)
    w.case("convtranspose_output_padding", 11,
           [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1],
                             output_padding=[1, 1])],
           [("x", x), ("w", wt)], [("y", y.numpy().astype(np.float32))])


def einsums(w, rng):
    """Einsum against numpy (float64)."""
    einsums = [
        ("bmm", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("transpose", "ij->ji", [(3, 4)]),
        ("diag", "ii->i", [(4, 4)]),
        ("trace_implicit", "ii", [(4, 4)]),
        ("inner", "i,i", [(5,), (5,)]),
        ("chain", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
        ("ellipsis_broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
        ("attention", "bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
        ("merge_groups", "abc,cd->abd", [(2, 3, 4), (4, 5)]),
        ("sum_all", "ij->", [(3, 4)]),
        ("batch_diag", "bii->bi", [(2, 3, 3)]),
        ("implicit_matmul", "ij,jk", [(2, 3), (3, 4)]),
        ("outer", "i,j->ij", [(3,), (4,)]),
        ("partial_diag", "iij,jk->ik", [(3, 3, 4), (4, 2)]),
        ("multi_contract", "abcd,cde->abe", [(2, 3, 4, 5), (4, 5, 6)]),
        ("spaces", "b i j , b j k -> b k i", [(2, 3, 4), (2, 4, 5)]),
    ]
    for tag, eq, shapes in einsums:
        ins = [(f"x{i}", rnd(rng, *s)) for i, s in enumerate(shapes)]
        y = np.einsum(eq.replace(" ", ""), *[a.astype(np.float64) for _, a in ins])
        w.case(f"einsum_{tag}", 12,
               [helper.make_node("Einsum", [n for n, _ in ins], ["y"], equation=eq)],
               ins, [("y", np.asarray(y).astype(np.float32))])
    # dynamic batch dims
    ins = [("x0", rnd(rng, 2, 3, 4)), ("x1", rnd(rng, 2, 4, 5))]
    w.case("einsum_dynamic", 12,
           [helper.make_node("Einsum", ["x0", "x1"], ["y"], equation="bij,bjk->bki")],
           ins,
           [("y",
             np.einsum("bij,bjk->bki",
                       *[a.astype(np.float64) for _, a in ins]).astype(np.float32))],
           dims={"x0": ["b", "i", 4], "x1": ["b", 4, "k"]})


def integer_matmuls(w, rng):
    """Integer matmuls against numpy."""
    a = rng.integers(0, 255, size=(2, 3, 4)).astype(np.uint8)
    b = rng.integers(-128, 127, size=(4, 5)).astype(np.int8)
    azp = rng.integers(0, 255, size=(3,)).astype(np.uint8)
    bzp = rng.integers(-128, 127, size=(5,)).astype(np.int8)
    acc = (a.astype(np.int64) - azp[:, None]) @ (b.astype(np.int64) - bzp)
    w.case("matmulinteger_per_row_col", 10,
           [helper.make_node("MatMulInteger", ["a", "b", "azp", "bzp"], ["y"])],
           [("a", a), ("b", b), ("azp", azp), ("bzp", bzp)], [("y", acc.astype(np.int32))])


def integer_convs(w, rng):
    """ConvInteger / QLinearConv against torch's float64 conv of the centered integers."""
    for tag, C, k in (("small", 3, 3), ("large_k", 40, 3)):
        x = rng.integers(0, 255, size=(1, C, 6, 5)).astype(np.uint8)
        wt = rng.integers(0, 255, size=(4, C, k, k)).astype(np.uint8)
        xzp = np.array(rng.integers(0, 255), np.uint8)
        wzp = rng.integers(0, 255, size=(4,)).astype(np.uint8)
        xpad = np.pad(x.astype(np.float64) - xzp,
                      [(0, 0), (0, 0), (1, 1), (0, 1)])  # pads = zero point
        acc = torch.nn.functional.conv2d(t64(xpad),
                                         t64(wt.astype(np.float64) - wzp[:, None, None, None]),
                                         stride=(2, 1)).numpy()
        w.case(f"convinteger_{tag}", 10,
               [helper.make_node("ConvInteger", ["x", "w", "xzp", "wzp"], ["y"], pads=[1, 0, 1, 1],
                                 strides=[2, 1])],
               [("x", x), ("w", wt), ("xzp", xzp), ("wzp", wzp)], [("y", acc.astype(np.int32))])
        xs, ys = np.array(0.02, np.float32), np.array(0.5, np.float32)
        ws = rnd(rng, 4, lo=0.001, hi=0.003)
        yzp = np.array(100, np.uint8)
        bias = rng.integers(-1000, 1000, size=(4,)).astype(np.int32)
        mult = (xs * ws / ys).astype(np.float32)[None, :, None, None]
        q = np.clip(np.rint((acc + bias[None, :, None, None]).astype(np.float32) * mult) + 100, 0,
                    255).astype(np.uint8)
        w.case(f"qlinearconv_{tag}", 10,
               [helper.make_node("QLinearConv",
                                 ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "b"], ["y"],
                                 pads=[1, 0, 1, 1], strides=[2, 1])],
               [("x", x), ("xs", xs), ("xzp", xzp), ("w", wt), ("ws", ws), ("wzp", wzp), ("ys", ys),
                ("yzp", yzp), ("b", bias)], [("y", q)])


def max_pool_indices(w, rng):
    """MaxPool's Indices (torch's per-plane indices plus each plane's offset) and MaxUnpool."""
    x = rnd(rng, 2, 3, 7, 6, 5)
    y, i = torch_pool_indices(x, [3, 2, 2], [2, 2, 1], [1, 1, 0], [1, 2, 1], True)
    w.case("maxpool_indices_3d_ceil_dil", 12,
           [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 2, 2],
                             strides=[2, 2, 1],
                             pads=[1, 1, 0, 1, 1, 0], dilations=[1, 2, 1], ceil_mode=1)],
           [("x", x)], [("y", y), ("i", i)])
    x = rnd(rng, 2, 2, 6, 7)
    y, i = torch_pool_indices(x, [3, 3], [2, 2], [1, 1], [1, 1], False, column_major=True)
    w.case("maxpool_indices_storage_order", 11,
           [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 3], strides=[2, 2],
                             pads=[1, 1, 1, 1], storage_order=1)],
           [("x", x)], [("y", y), ("i", i)])
    xu = rng.permutation(256).astype(np.uint8)[:2 * 2 * 8 * 8].reshape(2, 2, 8, 8)
    yu, iu = torch_pool_indices(xu.astype(np.float32), [2, 2], [2, 2], [0, 0], [1, 1], False)
    w.case("maxpool_indices_uint8", 12,
           [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], strides=[2, 2])],
           [("x", xu)], [("y", yu.astype(np.uint8)), ("i", iu)])
    # MaxPool -> MaxUnpool, default and explicit (constant) output shape
    x = rnd(rng, 2, 3, 6, 8)
    yv, iv = torch_pool_indices(x, [2, 2], [2, 2], [0, 0], [1, 1], False)
    ref = torch.nn.functional.max_unpool2d(t64(yv), torch.from_numpy(iv % 48), 2,
                                           2).numpy().astype(np.float32)
    w.case("maxpool_maxunpool", 11,
           [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], strides=[2, 2]),
            helper.make_node("MaxUnpool", ["y", "i"], ["z"], kernel_shape=[2, 2], strides=[2, 2])],
           [("x", x)], [("z", ref)])
    x = rnd(rng, 1, 2, 5, 5)
    yv, iv = torch_pool_indices(x, [2, 2], [2, 2], [0, 0], [1, 1], False)
    # indices are positions in X's planes; unpooled straight into a 5x5 output as ONNX Runtime does
    ref = np.zeros((1, 2, 5, 5), np.float32).reshape(-1)
    ref[iv.reshape(-1)] = yv.reshape(-1)
    w.case("maxunpool_output_shape_const", 11,
           [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], strides=[2, 2]),
            helper.make_node("MaxUnpool", ["y", "i", "shape"], ["z"], kernel_shape=[2, 2],
                             strides=[2, 2])],
           [("x", x)], [("z", ref.reshape(1, 2, 5, 5))],
           initializers=[("shape", np.array([1, 2, 5, 5], np.int64))])


def training_and_det(w, rng):
    """BatchNormalization in training mode; Det of 1x1 and 3x3 matrices."""
    def batch_norm_training(x, s, b, mean, var, momentum, eps):
        axes = tuple(d for d in range(x.ndim) if d != 1)
        xd = x.astype(np.float64)
        bm, bv = xd.mean(axis=axes), xd.var(axis=axes)
        shape = [1, -1] + [1] * (x.ndim - 2)
        y = (xd - bm.reshape(shape)) / np.sqrt(bv.reshape(shape) + eps) * s.reshape(shape)
        y = y + b.reshape(shape)
        return [y, mean * momentum + bm * (1 - momentum), var * momentum + bv * (1 - momentum)]

    x, s, b, m = rnd(rng, 3, 4, 5), rnd(rng, 4), rnd(rng, 4), rnd(rng, 4)
    v = rnd(rng, 4, lo=0.5, hi=2)
    outs = batch_norm_training(x, s, b, m, v, 0.9, 1e-5)
    w.case("batchnorm_o14_training_rank3", 14,
           [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"],
                             training_mode=1)],
           [("x", x), ("s", s), ("b", b), ("m", m), ("v", v)],
           [(n, a.astype(np.float32)) for n, a in zip(["y", "rm", "rv"], outs)])
    x = rnd(rng, 2, 3, 4, 2)
    s, b, m, v = rnd(rng, 3), rnd(rng, 3), rnd(rng, 3), rnd(rng, 3, lo=0.5, hi=2)
    outs = batch_norm_training(x, s, b, m, v, 0.7, 1e-3)
    w.case("batchnorm_o9_running_stats", 9,
           [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"],
                             momentum=0.7, epsilon=1e-3)],
           [("x", x), ("s", s), ("b", b), ("m", m), ("v", v)],
           [(n, a.astype(np.float32)) for n, a in zip(["y", "rm", "rv"], outs)])
    for n in (1, 3):
        a = rnd(rng, 2, 3, n, n)
        w.case(f"det_{n}x{n}", 11, [helper.make_node("Det", ["a"], ["d"])], [("a", a)],
               [("d", np.linalg.det(a.astype(np.float64)).astype(np.float32))])


def main():
    w = CaseWriter(sys.argv[1], "test_wgml_nn_")
    rng = np.random.default_rng(7)
    torch.manual_seed(0)
    for section in (softmaxes, batch_norms, group_norms, lp_pools, lrn_mvn, gemms, recurrent,
                    quantization, conv_transpose, einsums, integer_matmuls, integer_convs,
                    max_pool_indices, training_and_det):
        section(w, rng)
    print(f"extra ONNX nn cases: {w.count} -> {sys.argv[1]}")


if __name__ == "__main__":
    main()
