#!/usr/bin/python3
"""Writes small ONNX models in the styles real exporters write, their inputs, and ORT's outputs.

usage: make_models.py OUTDIR [--models a,b] [--no-reference] [--if-changed]

Each model is built with onnx.helper (or exported by torch.onnx.export) with seeded random
weights and declares its dynamic dimensions the way its exporter does (dim_param names, tf2onnx's
'unk__N', paddle2onnx's 'p2o.DynamicDimension.N', or unnamed dims). Written:

  OUTDIR/<model>.onnx
  OUTDIR/<model>/<set>/input.<name>.npy      (seeded random, never all zeros)
  OUTDIR/<model>/<set>/reference.<name>.npy  (onnxruntime-node 1.30, CPU EP; ort_reference.js)
  OUTDIR/manifest.json                       (models, input sets, output names, reference files)
  OUTDIR/done                                (last; hashes the scripts and versions: --if-changed
                                              skips the work when it matches)

The models are:
  stft_conv    an STFT written as a Conv (reflect Pad, 512-tap kernel, stride 160), magnitude
               through Slice / Pow (exponent through a Cast) / Sqrt / Log
  paddle_det   paddle2onnx-style detector: Conv + unfused BatchNormalization + Relu down to 1/32,
               FPN top-down with Resize by `scales` and by `sizes` from Shape -> Slice -> Concat
  small_dims   a token model whose dynamic sequence dim is smaller than 32 (Embedding Gather,
               positions sliced by Shape(tokens)[1], LayerNormalization, Softmax)
  vad_state    a VAD-style recurrent model: an If on Equal(sr, 16000) whose branches give
               different time lengths, and a two-layer GRU cell written with MatMul/Sigmoid/Tanh
  tf2onnx_nhwc tf2onnx-style NHWC model: Transpose -> Conv -> Relu -> Transpose chains, a Reshape
               whose shape comes from Shape -> Gather -> Concat, ReduceMean over axes [1, 2]
  torch_odd    a small CNN from torch.onnx.export (opset 17) with stride-2 padded convs, MaxPool
               ceil_mode=True, adaptive average pooling, Flatten, Linear; odd and tiny inputs
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import quantized_models  # noqa: E402  (the quantized styles, in a file of their own)

ALL_MODELS = ["stft_conv", "paddle_det", "small_dims", "vad_state", "tf2onnx_nhwc",
              "torch_odd"] + quantized_models.QUANT_MODELS


def rng_for(text):
    return np.random.default_rng(zlib.crc32(text.encode()))  # stable across runs


def file_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class GraphWriter:
    """Collects nodes and initializers; weights are seeded random float32."""

    def __init__(self, seed_name):
        self.rng = rng_for(seed_name)
        self.nodes = []
        self.inits = []

    def weight(self, name, shape, scale=None):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
        scale = scale if scale is not None else 1.0 / np.sqrt(max(fan_in, 1))
        return self.const(name, (self.rng.standard_normal(shape) * scale).astype(np.float32))

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def constant_node(self, name, output, array):
        self.nodes.append(helper.make_node("Constant", [], [output], name=name,
                                           value=numpy_helper.from_array(np.asarray(array))))
        return output

    def node(self, op, inputs, outputs, name=None, **attrs):
        outputs = [outputs] if isinstance(outputs, str) else outputs
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs


def finish(gw, name, inputs, outputs, opset, producer=("onnx-helper", "")):
    graph = helper.make_graph(gw.nodes, name, inputs, outputs, gw.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name=producer[0], producer_version=producer[1])
    model.ir_version = 8 if opset <= 17 else 10
    if opset <= 17:  # Debian's onnx 1.12 knows opsets up to 17; ORT checks the newer ones
        onnx.checker.check_model(model, full_check=True)
    return model


def vi(name, elem, dims):
    """A value_info; a dim is an int, a str (dim_param) or None (unnamed)."""
    t = helper.make_tensor_type_proto(elem, None)
    shape = t.tensor_type.shape
    shape.SetInParent()  # a scalar has a shape with no dims, not no shape
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, int):
            dim.dim_value = d
        elif isinstance(d, str):
            dim.dim_param = d
    return helper.make_value_info(name, t)


# ---------------------------------------------------------------------------------------------
# a. stft_conv


def stft_conv():
    gw = GraphWriter("stft_conv")
    n_fft, hop, bins = 512, 160, 257
    n = np.arange(n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)  # periodic Hann
    k = np.arange(bins)[:, None]
    real = np.cos(2 * np.pi * k * n / n_fft) * window
    imag = -np.sin(2 * np.pi * k * n / n_fft) * window
    kernel = np.concatenate([real, imag])[:, None, :].astype(np.float32)  # [514, 1, 512]
    gw.const("model.stft.forward_basis", kernel)
    gw.const("/model/stft/Constant_output_0", np.array([0, 256, 0, 256], np.int64))
    gw.node("Pad", ["signal", "/model/stft/Constant_output_0"], "/model/stft/Pad_output_0",
            name="/model/stft/Pad", mode="reflect")
    gw.const("/model/stft/Constant_1_output_0", np.array([1], np.int64))
    gw.node("Unsqueeze", ["/model/stft/Pad_output_0", "/model/stft/Constant_1_output_0"],
            "/model/stft/Unsqueeze_output_0", name="/model/stft/Unsqueeze")
    gw.node("Conv", ["/model/stft/Unsqueeze_output_0", "model.stft.forward_basis"],
            "/model/stft/Conv_output_0", name="/model/stft/Conv", dilations=[1], group=1,
            kernel_shape=[n_fft], pads=[0, 0], strides=[hop])
    for i, (start, end) in enumerate([(0, bins), (bins, 2 * bins)]):
        gw.const(f"/model/stft/Constant_{2 + 3 * i}_output_0", np.array([start], np.int64))
        gw.const(f"/model/stft/Constant_{3 + 3 * i}_output_0", np.array([end], np.int64))
        gw.const(f"/model/stft/Constant_{4 + 3 * i}_output_0", np.array([1], np.int64))
        gw.node("Slice", ["/model/stft/Conv_output_0", f"/model/stft/Constant_{2 + 3 * i}_output_0",
                          f"/model/stft/Constant_{3 + 3 * i}_output_0",
                          f"/model/stft/Constant_{4 + 3 * i}_output_0"],
                f"/model/stft/Slice_{i}_output_0", name=f"/model/stft/Slice_{i}")
    # torch writes `x ** 2` with an int exponent as Constant -> Cast(to=float) -> Pow.
    gw.constant_node("/model/stft/Constant_8", "/model/stft/Constant_8_output_0",
                     np.array(2, np.int64))
    gw.node("Cast", ["/model/stft/Constant_8_output_0"], "/model/stft/Cast_output_0",
            name="/model/stft/Cast", to=TensorProto.FLOAT)
    gw.node("Pow", ["/model/stft/Slice_0_output_0", "/model/stft/Cast_output_0"],
            "/model/stft/Pow_output_0", name="/model/stft/Pow")
    gw.node("Pow", ["/model/stft/Slice_1_output_0", "/model/stft/Cast_output_0"],
            "/model/stft/Pow_1_output_0", name="/model/stft/Pow_1")
    gw.node("Add", ["/model/stft/Pow_output_0", "/model/stft/Pow_1_output_0"],
            "/model/stft/Add_output_0", name="/model/stft/Add")
    gw.node("Sqrt", ["/model/stft/Add_output_0"], "/model/stft/Sqrt_output_0",
            name="/model/stft/Sqrt")
    gw.const("/model/Constant_output_0", np.array(1e-6, np.float32))
    gw.node("Add", ["/model/stft/Sqrt_output_0", "/model/Constant_output_0"],
            "/model/Add_output_0", name="/model/Add")
    gw.node("Log", ["/model/Add_output_0"], "spec", name="/model/Log")
    model = finish(gw, "main_graph",
                   [vi("signal", TensorProto.FLOAT, ["batch", "samples"])],
                   [vi("spec", TensorProto.FLOAT, ["batch", 257, "Logspec_dim_2"])], 17,
                   ("pytorch", "2.1.0"))
    rng = rng_for("stft_conv inputs")
    sets = {
        "b2_n16000": {"signal": (rng.standard_normal((2, 16000)) * 0.3).astype(np.float32)},
        "b1_n8003": {"signal": (rng.standard_normal((1, 8003)) * 0.3).astype(np.float32)},
    }
    return model, sets


# ---------------------------------------------------------------------------------------------
# b. paddle_det


def paddle_det():
    gw = GraphWriter("paddle_det")
    counter = {"conv2d": 490, "batch_norm": 10, "relu": 0, "tmp": 0}

    def conv(x, cin, cout, k, stride, bn=True, act=True, bias=False):
        idx = counter["conv2d"]
        counter["conv2d"] += 1
        w = gw.weight(f"conv2d_{idx}.w_0", [cout, cin, k, k])
        ins = [x, w]
        if bias:
            ins.append(gw.weight(f"conv2d_{idx}.b_0", [cout], 0.1))
        y = gw.node("Conv", ins, f"conv2d_{idx}.tmp_0", name=f"p2o.Conv.{idx}",
                    dilations=[1, 1], group=1, kernel_shape=[k, k],
                    pads=[k // 2] * 4, strides=[stride, stride])
        if bn:
            b = counter["batch_norm"]
            counter["batch_norm"] += 1
            scale = gw.const(f"batch_norm_{b}.w_0",
                             (1 + 0.1 * gw.rng.standard_normal(cout)).astype(np.float32))
            shift = gw.const(f"batch_norm_{b}.b_0",
                             (0.1 * gw.rng.standard_normal(cout)).astype(np.float32))
            mean = gw.const(f"batch_norm_{b}.w_1",
                            (0.1 * gw.rng.standard_normal(cout)).astype(np.float32))
            var = gw.const(f"batch_norm_{b}.w_2",
                           gw.rng.uniform(0.5, 1.5, cout).astype(np.float32))
            y = gw.node("BatchNormalization", [y, scale, shift, mean, var],
                        f"batch_norm_{b}.tmp_2", name=f"p2o.BatchNormalization.{b}",
                        epsilon=1e-5, momentum=0.9)
        if act:
            r = counter["relu"]
            counter["relu"] += 1
            y = gw.node("Relu", [y], f"relu_{r}.tmp_0", name=f"p2o.Relu.{r}")
        return y

    def tmp(op):
        counter["tmp"] += 1
        return f"p2o.{op}.{counter['tmp']}", f"p2o.{op}.{counter['tmp']}.out"

    def resize_scales(x, factor):
        name, out = tmp("Resize")
        scales = gw.constant_node(f"p2o.Constant.{counter['tmp']}", f"{out}.scales",
                                  np.array([1, 1, factor, factor], np.float32))
        roi = gw.constant_node(f"p2o.Constant.roi.{counter['tmp']}", f"{out}.roi",
                               np.array([], np.float32))
        return gw.node("Resize", [x, roi, scales], out, name=name, mode="nearest",
                       coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    def resize_like(x, like):
        # paddle: Shape(x)[0:2] ++ Shape(like)[2:4] -> Resize(sizes=...)
        sn, s_x = tmp("Shape")
        gw.node("Shape", [x], s_x, name=sn)
        sn2, s_like = tmp("Shape")
        gw.node("Shape", [like], s_like, name=sn2)
        c0 = gw.const(f"p2o.c0.{counter['tmp']}", np.array([0], np.int64))
        c2 = gw.const(f"p2o.c2.{counter['tmp']}", np.array([2], np.int64))
        c4 = gw.const(f"p2o.c4.{counter['tmp']}", np.array([4], np.int64))
        sl, nc = tmp("Slice")
        gw.node("Slice", [s_x, c0, c2], nc, name=sl)
        sl2, hw = tmp("Slice")
        gw.node("Slice", [s_like, c2, c4], hw, name=sl2)
        cn, sizes = tmp("Concat")
        gw.node("Concat", [nc, hw], sizes, name=cn, axis=0)
        rn, out = tmp("Resize")
        # opset 11 requires roi and scales; paddle2onnx passes empty float constants
        roi = gw.const(f"p2o.roi.{counter['tmp']}", np.array([], np.float32))
        scales = gw.const(f"p2o.scales.{counter['tmp']}", np.array([], np.float32))
        return gw.node("Resize", [x, roi, scales, sizes], out, name=rn, mode="nearest",
                       coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    def add(a, b):
        idx = counter["tmp"] = counter["tmp"] + 1
        return gw.node("Add", [a, b], f"elementwise_add_{idx}", name=f"p2o.Add.{idx}")

    x = "x2paddle_image"
    x = conv(x, 3, 8, 3, 2)       # 1/2
    c2 = conv(x, 8, 16, 3, 2)     # 1/4
    c3 = conv(c2, 16, 24, 3, 2)   # 1/8
    c4 = conv(c3, 24, 32, 3, 2)   # 1/16
    c5 = conv(c4, 32, 48, 3, 2)   # 1/32
    f = 16
    in2 = conv(c2, 16, f, 1, 1, bn=False, act=False)
    in3 = conv(c3, 24, f, 1, 1, bn=False, act=False)
    in4 = conv(c4, 32, f, 1, 1, bn=False, act=False)
    in5 = conv(c5, 48, f, 1, 1, bn=False, act=False)
    out4 = add(in4, resize_scales(in5, 2))
    out3 = add(in3, resize_like(out4, in3))
    out2 = add(in2, resize_scales(out3, 2))
    p5 = resize_scales(conv(in5, f, 8, 3, 1, bn=False, act=False), 8)
    p4 = resize_scales(conv(out4, f, 8, 3, 1, bn=False, act=False), 4)
    p3 = resize_scales(conv(out3, f, 8, 3, 1, bn=False, act=False), 2)
    p2 = conv(out2, f, 8, 3, 1, bn=False, act=False)
    fuse = gw.node("Concat", [p5, p4, p3, p2], "concat_0.tmp_0", name="p2o.Concat.0", axis=1)
    head = conv(fuse, 32, 8, 3, 1)
    logit = conv(head, 8, 1, 1, 1, bn=False, act=False, bias=True)
    gw.node("Sigmoid", [logit], "sigmoid_0.tmp_0", name="p2o.Sigmoid.0")
    model = finish(gw, "Model from PaddlePaddle.",
                   [vi("x2paddle_image", TensorProto.FLOAT,
                       [1, 3, "p2o.DynamicDimension.0", "p2o.DynamicDimension.1"])],
                   [vi("sigmoid_0.tmp_0", TensorProto.FLOAT,
                       [1, 1, "p2o.DynamicDimension.2", "p2o.DynamicDimension.3"])], 11,
                   ("PaddlePaddle", "1.0"))
    rng = rng_for("paddle_det inputs")
    sets = {
        "96x160": {"x2paddle_image": rng.standard_normal((1, 3, 96, 160)).astype(np.float32)},
        "64x224": {"x2paddle_image": rng.standard_normal((1, 3, 64, 224)).astype(np.float32)},
    }
    return model, sets


# ---------------------------------------------------------------------------------------------
# c. small_dims


def small_dims():
    gw = GraphWriter("small_dims")
    vocab, d, max_pos, classes = 50, 32, 16, 10
    gw.weight("embed.weight", [vocab, d], 1.0)
    gw.weight("pos_embed", [max_pos, d], 0.5)
    gw.node("Gather", ["embed.weight", "tokens"], "/embed/Gather_output_0",
            name="/embed/Gather")
    gw.node("Shape", ["tokens"], "/Shape_output_0", name="/Shape")
    gw.const("/Constant_output_0", np.array(1, np.int64))
    gw.node("Gather", ["/Shape_output_0", "/Constant_output_0"], "/Gather_output_0",
            name="/Gather", axis=0)
    gw.const("/Constant_1_output_0", np.array([0], np.int64))
    gw.node("Unsqueeze", ["/Gather_output_0", "/Constant_1_output_0"], "/Unsqueeze_output_0",
            name="/Unsqueeze")
    gw.const("/Constant_2_output_0", np.array([0], np.int64))
    gw.node("Slice", ["pos_embed", "/Constant_2_output_0", "/Unsqueeze_output_0",
                      "/Constant_1_output_0"], "/Slice_output_0", name="/Slice")
    gw.node("Add", ["/embed/Gather_output_0", "/Slice_output_0"], "/Add_output_0", name="/Add")
    gw.const("norm.weight", (1 + 0.1 * gw.rng.standard_normal(d)).astype(np.float32))
    gw.const("norm.bias", (0.1 * gw.rng.standard_normal(d)).astype(np.float32))
    gw.node("LayerNormalization", ["/Add_output_0", "norm.weight", "norm.bias"],
            "/norm/LayerNormalization_output_0", name="/norm/LayerNormalization", axis=-1,
            epsilon=1e-5)
    gw.weight("onnx::MatMul_20", [d, classes])
    gw.weight("head.bias", [classes], 0.1)
    gw.node("MatMul", ["/norm/LayerNormalization_output_0", "onnx::MatMul_20"],
            "/head/MatMul_output_0", name="/head/MatMul")
    gw.node("Add", ["head.bias", "/head/MatMul_output_0"], "/head/Add_output_0",
            name="/head/Add")
    gw.node("Softmax", ["/head/Add_output_0"], "probs", name="/Softmax", axis=-1)
    model = finish(gw, "main_graph", [vi("tokens", TensorProto.INT64, ["batch", "sequence"])],
                   [vi("probs", TensorProto.FLOAT, ["batch", "sequence", classes])], 17,
                   ("pytorch", "2.1.0"))
    rng = rng_for("small_dims inputs")
    sets = {
        "b2_s5": {"tokens": rng.integers(1, vocab, (2, 5)).astype(np.int64)},
        "b3_s11": {"tokens": rng.integers(1, vocab, (3, 11)).astype(np.int64)},
    }
    return model, sets


# ---------------------------------------------------------------------------------------------
# d. vad_state


def vad_state():
    gw = GraphWriter("vad_state")
    hidden, feat = 64, 32
    gw.weight("encoder.16k.weight", [feat, 1, 16])
    gw.weight("encoder.16k.bias", [feat], 0.1)
    gw.weight("encoder.8k.weight", [feat, 1, 8])
    gw.weight("encoder.8k.bias", [feat], 0.1)
    gw.const("/Constant_output_0", np.array(16000, np.int64))
    gw.node("Equal", ["sr", "/Constant_output_0"], "/Equal_output_0", name="/Equal")
    gw.const("/Constant_1_output_0", np.array([1], np.int64))
    gw.node("Unsqueeze", ["x", "/Constant_1_output_0"], "/Unsqueeze_output_0", name="/Unsqueeze")

    def branch(tag, weight, bias, k, stride, slice_len):
        # 16 kHz: Conv k16 s8 on the whole chunk; 8 kHz: the first `slice_len` samples, k8 s8.
        nodes = []
        src = "/Unsqueeze_output_0"
        if slice_len:
            nodes.append(helper.make_node("Constant", [], [f"/{tag}/Constant_output_0"],
                                          value=numpy_helper.from_array(
                                              np.array([0], np.int64))))
            nodes.append(helper.make_node("Constant", [], [f"/{tag}/Constant_1_output_0"],
                                          value=numpy_helper.from_array(
                                              np.array([slice_len], np.int64))))
            nodes.append(helper.make_node("Constant", [], [f"/{tag}/Constant_2_output_0"],
                                          value=numpy_helper.from_array(
                                              np.array([2], np.int64))))
            nodes.append(helper.make_node(
                "Slice", [src, f"/{tag}/Constant_output_0", f"/{tag}/Constant_1_output_0",
                          f"/{tag}/Constant_2_output_0"], [f"/{tag}/Slice_output_0"],
                name=f"/{tag}/Slice"))
            src = f"/{tag}/Slice_output_0"
        nodes.append(helper.make_node("Conv", [src, weight, bias], [f"/{tag}/Conv_output_0"],
                                      name=f"/{tag}/Conv", kernel_shape=[k], strides=[stride],
                                      pads=[0, 0], dilations=[1], group=1))
        out = vi(f"/{tag}/Conv_output_0", TensorProto.FLOAT,
                 [f"/{tag}/Conv_output_0_dim_0", feat, f"/{tag}/Conv_output_0_dim_2"])
        return helper.make_graph(nodes, f"{tag}_graph", [], [out])

    then_g = branch("encoder_16k", "encoder.16k.weight", "encoder.16k.bias", 16, 8, 0)
    else_g = branch("encoder_8k", "encoder.8k.weight", "encoder.8k.bias", 8, 8, 200)
    gw.node("If", ["/Equal_output_0"], "/If_output_0", name="/If", then_branch=then_g,
            else_branch=else_g)
    gw.node("Relu", ["/If_output_0"], "/Relu_output_0", name="/Relu")
    gw.node("ReduceMean", ["/Relu_output_0"], "/ReduceMean_output_0", name="/ReduceMean",
            axes=[2], keepdims=0)

    def state_row(i):
        c = gw.const(f"/decoder/Constant_{i}_output_0", np.array(i, np.int64))
        return gw.node("Gather", ["state", c], f"/decoder/Gather_{i}_output_0",
                       name=f"/decoder/Gather_{i}", axis=0)

    def gru(tag, x, h, nin):
        def lin(name, a, n_in):
            w = gw.weight(f"decoder.{tag}.{name}.weight", [n_in, hidden])
            b = gw.weight(f"decoder.{tag}.{name}.bias", [hidden], 0.1)
            m = gw.node("MatMul", [a, w], f"/decoder/{tag}/{name}/MatMul_output_0",
                        name=f"/decoder/{tag}/{name}/MatMul")
            return gw.node("Add", [m, b], f"/decoder/{tag}/{name}/Add_output_0",
                           name=f"/decoder/{tag}/{name}/Add")

        p = f"/decoder/{tag}"
        z = gw.node("Add", [lin("wz", x, nin), lin("uz", h, hidden)], f"{p}/Add_z_output_0")
        z = gw.node("Sigmoid", [z], f"{p}/Sigmoid_z_output_0", name=f"{p}/Sigmoid_z")
        r = gw.node("Add", [lin("wr", x, nin), lin("ur", h, hidden)], f"{p}/Add_r_output_0")
        r = gw.node("Sigmoid", [r], f"{p}/Sigmoid_r_output_0", name=f"{p}/Sigmoid_r")
        rh = gw.node("Mul", [r, lin("un", h, hidden)], f"{p}/Mul_output_0", name=f"{p}/Mul")
        n = gw.node("Add", [lin("wn", x, nin), rh], f"{p}/Add_n_output_0")
        n = gw.node("Tanh", [n], f"{p}/Tanh_output_0", name=f"{p}/Tanh")
        one = gw.const(f"{p}/Constant_output_0", np.array(1.0, np.float32))
        omz = gw.node("Sub", [one, z], f"{p}/Sub_output_0", name=f"{p}/Sub")
        a = gw.node("Mul", [omz, n], f"{p}/Mul_1_output_0", name=f"{p}/Mul_1")
        b = gw.node("Mul", [z, h], f"{p}/Mul_2_output_0", name=f"{p}/Mul_2")
        return gw.node("Add", [a, b], f"{p}/Add_output_0", name=f"{p}/Add")

    h1 = gru("rnn0", "/ReduceMean_output_0", state_row(0), feat)
    h2 = gru("rnn1", h1, state_row(1), hidden)
    axes0 = gw.const("/decoder/Constant_2_output_0", np.array([0], np.int64))
    u1 = gw.node("Unsqueeze", [h1, axes0], "/decoder/Unsqueeze_output_0",
                 name="/decoder/Unsqueeze")
    u2 = gw.node("Unsqueeze", [h2, axes0], "/decoder/Unsqueeze_1_output_0",
                 name="/decoder/Unsqueeze_1")
    gw.node("Concat", [u1, u2], "stateN", name="/decoder/Concat", axis=0)
    gw.weight("decoder.out.weight", [hidden, 1])
    gw.weight("decoder.out.bias", [1], 0.1)
    o = gw.node("MatMul", [h2, "decoder.out.weight"], "/decoder/out/MatMul_output_0",
                name="/decoder/out/MatMul")
    o = gw.node("Add", [o, "decoder.out.bias"], "/decoder/out/Add_output_0",
                name="/decoder/out/Add")
    gw.node("Sigmoid", [o], "output", name="/decoder/Sigmoid")
    model = finish(gw, "main_graph",
                   [vi("x", TensorProto.FLOAT, ["batch", "chunk"]),
                    vi("state", TensorProto.FLOAT, [2, "batch", hidden]),
                    vi("sr", TensorProto.INT64, [])],
                   [vi("output", TensorProto.FLOAT, ["batch", 1]),
                    vi("stateN", TensorProto.FLOAT, [2, "batch", hidden])], 16,
                   ("pytorch", "2.1.0"))
    rng = rng_for("vad_state inputs")
    sets = {
        "sr16000_b1_c512": {
            "x": (rng.standard_normal((1, 512)) * 0.2).astype(np.float32),
            "state": (rng.standard_normal((2, 1, hidden)) * 0.5).astype(np.float32),
            "sr": np.array(16000, np.int64)},
        "sr8000_b2_c256": {
            "x": (rng.standard_normal((2, 256)) * 0.2).astype(np.float32),
            "state": (rng.standard_normal((2, 2, hidden)) * 0.5).astype(np.float32),
            "sr": np.array(8000, np.int64)},
    }
    return model, sets


# ---------------------------------------------------------------------------------------------
# e. tf2onnx_nhwc


def tf2onnx_nhwc():
    gw = GraphWriter("tf2onnx_nhwc")
    pre = "StatefulPartitionedCall/model"
    x = "input_1"

    def block(x, i, cin, cout, stride):
        layer = "conv2d" if i == 0 else f"conv2d_{i}"
        t = gw.node("Transpose", [x], f"{pre}/{layer}/BiasAdd__{6 + 4 * i}:0",
                    name=f"{pre}/{layer}/BiasAdd__{6 + 4 * i}", perm=[0, 3, 1, 2])
        w = gw.weight(f"{pre}/{layer}/Conv2D/ReadVariableOp:0", [cout, cin, 3, 3])
        b = gw.weight(f"{pre}/{layer}/BiasAdd/ReadVariableOp:0", [cout], 0.1)
        c = gw.node("Conv", [t, w, b], f"{pre}/{layer}/BiasAdd:0", name=f"{pre}/{layer}/BiasAdd",
                    auto_pad="SAME_UPPER", dilations=[1, 1], kernel_shape=[3, 3],
                    strides=[stride, stride], group=1)
        r = gw.node("Relu", [c], f"{pre}/{layer}/Relu:0", name=f"{pre}/{layer}/Relu")
        return gw.node("Transpose", [r], f"{pre}/{layer}/Relu__{8 + 4 * i}:0",
                       name=f"{pre}/{layer}/Relu__{8 + 4 * i}", perm=[0, 2, 3, 1])

    x = block(x, 0, 3, 8, 1)
    x = block(x, 1, 8, 16, 2)
    x = block(x, 2, 16, 24, 2)
    # head 1: GlobalAveragePooling2D as ReduceMean over the NHWC spatial axes
    gap = gw.node("ReduceMean", [x], f"{pre}/global_average_pooling2d/Mean:0",
                  name=f"{pre}/global_average_pooling2d/Mean", axes=[1, 2], keepdims=0)
    w = gw.weight(f"{pre}/dense/MatMul/ReadVariableOp:0", [24, 10])
    b = gw.weight(f"{pre}/dense/BiasAdd/ReadVariableOp:0", [10], 0.1)
    m = gw.node("MatMul", [gap, w], f"{pre}/dense/MatMul:0", name=f"{pre}/dense/MatMul")
    gw.node("Add", [m, b], "Identity:0", name=f"{pre}/dense/BiasAdd")
    # head 2: tf.reshape(x, [tf.shape(x)[0], -1, 24]) -> reduce_max over positions
    s = gw.node("Shape", [x], f"{pre}/reshape/Shape:0", name=f"{pre}/reshape/Shape")
    idx = gw.const(f"{pre}/reshape/strided_slice/stack:0", np.array([0], np.int64))
    g = gw.node("Gather", [s, idx], f"{pre}/reshape/strided_slice:0",
                name=f"{pre}/reshape/strided_slice", axis=0)
    rest = gw.const(f"{pre}/reshape/Reshape/shape/1:0", np.array([-1, 24], np.int64))
    shape = gw.node("Concat", [g, rest], f"{pre}/reshape/Reshape/shape:0",
                    name=f"{pre}/reshape/Reshape/shape", axis=0)
    r = gw.node("Reshape", [x, shape], f"{pre}/reshape/Reshape:0", name=f"{pre}/reshape/Reshape")
    mx = gw.node("ReduceMax", [r], f"{pre}/reduce_max/Max:0", name=f"{pre}/reduce_max/Max",
                 axes=[1], keepdims=0)
    gw.node("Mul", [mx, gw.const("ConstMul:0", np.array(0.5, np.float32))], "Identity_1:0",
            name="Identity_1")
    model = finish(gw, "tf2onnx",
                   [vi("input_1", TensorProto.FLOAT, ["unk__12", None, None, 3])],
                   [vi("Identity:0", TensorProto.FLOAT, ["unk__13", 10]),
                    vi("Identity_1:0", TensorProto.FLOAT, ["unk__14", 24])], 15,
                   ("tf2onnx", "1.16.1 15c810"))
    rng = rng_for("tf2onnx_nhwc inputs")
    sets = {
        "b1_33x47": {"input_1": rng.standard_normal((1, 33, 47, 3)).astype(np.float32)},
        "b2_64x64": {"input_1": rng.standard_normal((2, 64, 64, 3)).astype(np.float32)},
    }
    return model, sets


# ---------------------------------------------------------------------------------------------
# f. torch_odd


def torch_odd(tmp_path):
    import torch
    import warnings

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
            self.bn1 = torch.nn.BatchNorm2d(8)
            self.pool = torch.nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.conv3 = torch.nn.Conv2d(16, 16, 3, stride=1, padding=1)
            self.avg = torch.nn.AdaptiveAvgPool2d((1, 1))
            self.fc = torch.nn.Linear(16, 10)

        def forward(self, x):
            x = torch.relu(self.bn1(self.conv1(x)))
            x = self.pool(x)
            x = torch.relu(self.conv2(x))
            x = torch.relu(self.conv3(x)) + x
            x = torch.flatten(self.avg(x), 1)
            return self.fc(x)

    torch.manual_seed(zlib.crc32(b"torch_odd"))
    net = Net()
    with torch.no_grad():
        net.bn1.running_mean.copy_(torch.randn(8) * 0.1)
        net.bn1.running_var.copy_(torch.rand(8) + 0.5)
    net.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.randn(1, 3, 37, 53), tmp_path, opset_version=17,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"},
                                        "logits": {0: "batch"}})
    model = onnx.load(tmp_path)
    rng = rng_for("torch_odd inputs")
    sets = {
        "b2_37x53": {"input": rng.standard_normal((2, 3, 37, 53)).astype(np.float32)},
        "b1_8x8": {"input": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)},
    }
    return model, sets


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def stamp_of(models, no_reference):
    """What the files depend on: these scripts, the model list, numpy/onnx/torch and ORT."""
    import hashlib
    import importlib.metadata
    h = hashlib.sha256()
    for script in ("make_models.py", "quantized_models.py", "ort_reference.js", "../ort_npy.js"):
        with open(os.path.join(HERE, script), "rb") as f:
            h.update(f.read())
    ort = read_text(os.path.join(REPO, "node_modules", "onnxruntime-node", "package.json"))
    torch_version = importlib.metadata.version("torch")  # without importing torch (slow)
    h.update(f"{models} {no_reference} {np.__version__} {onnx.__version__} {torch_version} "
             f"{ort}".encode())
    return h.hexdigest()


BUILDERS = {"stft_conv": stft_conv, "paddle_det": paddle_det, "small_dims": small_dims,
            "vad_state": vad_state, "tf2onnx_nhwc": tf2onnx_nhwc, "torch_odd": torch_odd}
for _name in quantized_models.QUANT_MODELS:
    BUILDERS[_name] = (lambda f: lambda: f(sys.modules[__name__]))(getattr(quantized_models, _name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--models", default="")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip onnxruntime-node (the manifest then has no references)")
    parser.add_argument("--if-changed", action="store_true",
                        help="do nothing if OUTDIR was written by these same scripts")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m] or ALL_MODELS
    out = os.path.abspath(args.outdir)
    stamp = stamp_of(models, args.no_reference)
    if args.if_changed and read_text(os.path.join(out, "done")) == stamp:
        print(f"make_models: {out} is up to date")
        return 0
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)

    manifest = {"models": {}}
    for name in models:
        builder = BUILDERS[name]
        built = builder(os.path.join(out, f"{name}.onnx")) if name == "torch_odd" else builder()
        model, sets = built[:2]
        extras = built[2] if len(built) > 2 else {}  # how to compare (quantized_models.py)
        onnx.save(model, os.path.join(out, f"{name}.onnx"))
        entry = {"file": f"{name}.onnx", "outputs": [o.name for o in model.graph.output],
                 "sets": {}, **extras}
        for set_name, inputs in sets.items():
            set_dir = os.path.join(name, set_name)
            os.makedirs(os.path.join(out, set_dir))
            files = {}
            for input_name, array in inputs.items():
                assert np.any(array != 0), f"{name}/{set_name}/{input_name} is all zeros"
                path = os.path.join(set_dir, f"input.{file_name(input_name)}.npy")
                np.save(os.path.join(out, path), array)
                files[input_name] = path
            entry["sets"][set_name] = {"inputs": files}
        manifest["models"][name] = entry
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)

    if not args.no_reference:
        # Run from the repository root so that require() finds node_modules/onnxruntime-node.
        proc = subprocess.run(["node", os.path.join(HERE, "ort_reference.js"), out], cwd=REPO)
        if proc.returncode != 0:
            print("make_models: ort_reference.js failed", file=sys.stderr)
            return 1
    with open(os.path.join(out, "done"), "w") as f:  # last: a folder without it is rewritten
        f.write(stamp)
    print(f"make_models: wrote {len(models)} models to {out}"
          f"{'' if args.no_reference else ' with onnxruntime-node references'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
