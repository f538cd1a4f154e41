#!/usr/bin/python3
"""Writes ONNX test cases for the com.microsoft contrib ops (ONNX Runtime's transformer
optimizer and Transformers.js exports) into OUT_DIR/node/, in the layout of ONNX's backend test
data, for wgml_onnx_conformance.

These ops are defined by ONNX Runtime, so the expected outputs come from onnxruntime-node's CPU
EP (tests/conformance/ort_run.js, run once for all cases), never from wgml. Inputs are seeded
random tensors; several cases declare dynamic dims.

usage: extra_cases_contrib.py OUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from onnx_case_writer import NP_TO_ONNX, CaseWriter

MS = "com.microsoft"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class ContribCases:
    """Single-node cases named test_wgml_contrib_<name>; outputs computed by ORT in run()."""

    def __init__(self, root):
        self.writer = CaseWriter(root, "test_wgml_contrib_")
        self.pending = []

    def add(self, name, op, inputs, outputs, attrs=None, initializers=(), dims=None,
            node_inputs=None, domain=MS, opset=17, ort_nodes=None):
        """inputs/initializers: lists of (name, array); outputs: names, or (name, numpy dtype)
        pairs for outputs that are not float32 ("" skips an optional output). ort_nodes: for an
        op ONNX Runtime runs only on GPU EPs, the ONNX nodes of its meaning that ORT's CPU EP
        runs instead."""
        if node_inputs is None:
            node_inputs = [n for n, _ in inputs] + [n for n, _ in initializers]
        outs = [(o, np.float32) if isinstance(o, str) else o for o in outputs]
        node = helper.make_node(op, node_inputs, [n for n, _ in outs], domain=domain,
                                **(attrs or {}))
        self.pending.append(dict(name=name, node=node, inputs=inputs, outputs=outs,
                                 initializers=initializers, dims=dims or {}, opset=opset,
                                 ort_nodes=ort_nodes))

    def model(self, case, nodes):
        dims = case["dims"]

        def info(n, a):
            shape = list(a.shape)
            if n in dims:
                shape = [v if d is None else d for d, v in zip(dims[n], a.shape)]
            return helper.make_tensor_value_info(n, NP_TO_ONNX[a.dtype.type], shape)

        graph = helper.make_graph(
            nodes, case["name"], [info(n, a) for n, a in case["inputs"]],
            [helper.make_tensor_value_info(n, NP_TO_ONNX[t], None)
             for n, t in case["outputs"] if n],
            [numpy_helper.from_array(a, n) for n, a in case["initializers"]])
        model = helper.make_model(graph, opset_imports=[
            helper.make_opsetid("", case["opset"]), helper.make_opsetid(MS, 1)])
        model.ir_version = 8
        return model

    def run(self):
        tmp = tempfile.mkdtemp(prefix="wgml_contrib_")
        try:
            jobs = []
            for j, case in enumerate(self.pending):
                onnx.save(self.model(case, case["ort_nodes"] or [case["node"]]), os.path.join(tmp, f"{j}.onnx"))
                feeds = {}
                for i, (n, a) in enumerate(case["inputs"]):
                    np.save(os.path.join(tmp, f"{j}.in{i}.npy"), a)
                    feeds[n] = f"{j}.in{i}.npy"
                jobs.append({"model": f"{j}.onnx", "inputs": feeds,
                             "outputs": [n for n, _ in case["outputs"] if n]})
            with open(os.path.join(tmp, "jobs.json"), "w") as f:
                json.dump(jobs, f)
            env = dict(os.environ, NODE_PATH=os.path.join(REPO, "node_modules"))
            subprocess.run(["node", os.path.join(HERE, "ort_run.js"), tmp], check=True, env=env)
            for j, case in enumerate(self.pending):
                names = [n for n, _ in case["outputs"] if n]
                outs = [(n, np.load(os.path.join(tmp, f"{j}.out{k}.npy")))
                        for k, n in enumerate(names)]
                self.writer.case(case["name"], case["opset"], [case["node"]], case["inputs"],
                                 outs, case["initializers"], case["dims"],
                                 extra_opsets=[(MS, 1)])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def normal(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


BS = ["batch", "seq", None]  # dynamic batch and sequence of [B, S, H] inputs


def activations(c, rng):
    x = normal(rng, 2, 3, 8)
    b = normal(rng, 8)
    c.add("fast_gelu_bias", "FastGelu", [("x", x), ("bias", b)], ["y"], dims={"x": BS})
    # Within +-4: further out ORT's tanh approximation loses the tail's relative precision (at
    # x = -4.66 it gives -1.66e-6 for -2.06e-6), which the comparison's atol does not cover.
    c.add("fast_gelu", "FastGelu", [("x", np.clip(normal(rng, 4, 16) * 2, -4, 4))], ["y"])
    c.add("bias_gelu", "BiasGelu", [("a", normal(rng, 2, 5, 16) * 2)], ["y"],
          initializers=[("b", normal(rng, 16))])
    c.add("gelu", "Gelu", [("x", normal(rng, 3, 7) * 2)], ["y"])
    c.add("quick_gelu", "QuickGelu", [("x", normal(rng, 2, 3, 8) * 3)], ["y"],
          dims={"x": BS})
    c.add("quick_gelu_alpha", "QuickGelu", [("x", normal(rng, 5, 6) * 3)], ["y"],
          {"alpha": 1.25})
    c.add("bias_add", "BiasAdd",
          [("x", normal(rng, 2, 4, 8)), ("bias", normal(rng, 8)), ("skip", normal(rng, 2, 4, 8))],
          ["y"], dims={"x": BS, "skip": BS},
          ort_nodes=[helper.make_node("Add", ["x", "bias"], ["t"]),
                     helper.make_node("Add", ["t", "skip"], ["y"])])


def normalizations(c, rng):
    h = 16
    x, skip = normal(rng, 2, 3, h) * 2 + 0.5, normal(rng, 2, 3, h)
    gamma, beta, bias = normal(rng, h), normal(rng, h), normal(rng, h)
    c.add("skip_layer_norm", "SkipLayerNormalization", [("x", x), ("skip", skip)], ["y"],
          {"epsilon": 1e-5}, initializers=[("gamma", gamma), ("beta", beta)],
          dims={"x": BS, "skip": BS})
    c.add("skip_layer_norm_bias_sum", "SkipLayerNormalization", [("x", x), ("skip", skip)],
          ["y", "", "", "sum"], initializers=[("gamma", gamma), ("beta", beta), ("bias", bias)])
    c.add("skip_layer_norm_no_beta", "SkipLayerNormalization",
          [("x", normal(rng, 1, 5, 32)), ("skip", normal(rng, 1, 5, 32))], ["y"],
          {"epsilon": 1e-6}, initializers=[("gamma", normal(rng, 32))])
    c.add("skip_simplified_layer_norm", "SkipSimplifiedLayerNormalization",
          [("x", x), ("skip", skip)], ["y"], {"epsilon": 1e-6},
          initializers=[("gamma", gamma)], dims={"x": BS, "skip": BS})
    c.add("skip_simplified_layer_norm_bias_sum", "SkipSimplifiedLayerNormalization",
          [("x", x), ("skip", skip)], ["y", "", "", "sum"], {"epsilon": 1e-5},
          initializers=[("gamma", gamma), ("bias", bias)])
    c.add("simplified_layer_norm", "SimplifiedLayerNormalization", [("x", x)], ["y"],
          {"epsilon": 1e-6}, initializers=[("scale", gamma)], dims={"x": BS}, domain="")
    c.add("simplified_layer_norm_axis", "SimplifiedLayerNormalization",
          [("x", normal(rng, 2, 4, 3, 5))], ["y"], {"axis": 2},
          initializers=[("scale", normal(rng, 3, 5))], domain="")


def rotary(c, rng):
    max_pos, heads, head = 16, 3, 8
    half = head // 2
    angle = np.arange(max_pos)[:, None] * (1e-2 ** (np.arange(half)[None, :] / half))
    cos, sin = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    caches = [("cos_cache", cos), ("sin_cache", sin)]
    pos = rng.integers(0, max_pos, (2, 5)).astype(np.int64)
    for interleaved in (0, 1):
        c.add(f"rotary_3d_interleaved{interleaved}", "RotaryEmbedding",
              [("x", normal(rng, 2, 5, heads * head)), ("pos", pos)], ["y"],
              {"interleaved": interleaved, "num_heads": heads}, initializers=caches,
              dims={"x": BS, "pos": ["batch", "seq"]})
        c.add(f"rotary_4d_interleaved{interleaved}", "RotaryEmbedding",
              [("x", normal(rng, 2, heads, 5, head)), ("pos", pos)], ["y"],
              {"interleaved": interleaved}, initializers=caches)
    c.add("rotary_3d_offset", "RotaryEmbedding",
          [("x", normal(rng, 1, 4, heads * head)), ("pos", np.array([3], np.int64))], ["y"],
          {"num_heads": heads}, initializers=caches, dims={"x": [None, "seq", None]})
    # Rotating only part of each head: the caches cover rotary_embedding_dim / 2.
    c.add("rotary_3d_partial", "RotaryEmbedding",
          [("x", normal(rng, 2, 5, heads * head)), ("pos", pos)], ["y"],
          {"num_heads": heads, "rotary_embedding_dim": half},
          initializers=[("cos_cache", cos[:, :half // 2].copy()),
                        ("sin_cache", sin[:, :half // 2].copy())])


def quantize(c, rng):
    x = normal(rng, 2, 3, 4) * 4
    c.add("quantize_linear", "QuantizeLinear", [("x", x)], [("y", np.uint8)],
          initializers=[("scale", np.array(0.05, np.float32)), ("zp", np.array(120, np.uint8))])
    c.add("quantize_linear_axis_int8", "QuantizeLinear", [("x", x)], [("y", np.int8)],
          {"axis": 1}, initializers=[("scale", np.array([0.03, 0.05, 0.07], np.float32)),
                                     ("zp", np.array([-3, 0, 5], np.int8))])
    q = rng.integers(0, 256, (2, 3, 4)).astype(np.uint8)
    c.add("dequantize_linear", "DequantizeLinear", [("q", q)], ["y"],
          initializers=[("scale", np.array(0.02, np.float32)), ("zp", np.array(128, np.uint8))])
    c.add("dequantize_linear_axis", "DequantizeLinear", [("q", q)], ["y"], {"axis": 2},
          initializers=[("scale", (rng.random(4) * 0.1 + 0.01).astype(np.float32)),
                        ("zp", rng.integers(100, 150, 4).astype(np.uint8))])


def pack4(v):
    """Packs 4-bit values two to a byte along the last axis, low nibble first."""
    if v.shape[-1] % 2:
        v = np.concatenate([v, np.zeros(v.shape[:-1] + (1,), v.dtype)], axis=-1)
    return (v[..., 0::2] | (v[..., 1::2] << 4)).astype(np.uint8)


def matmul_nbits(c, rng):
    for bits, K, N, block, zp_kind, bias in ((4, 32, 8, 16, None, False),
                                            (4, 64, 6, 16, "packed", True),
                                            (4, 40, 5, 16, "packed", False),
                                            (8, 32, 8, 16, "packed", False),
                                            (8, 48, 4, 32, None, True),
                                            (4, 32, 8, 32, "float", False)):
        n_blocks = (K + block - 1) // block
        q = rng.integers(0, 2 ** bits, (N, n_blocks * block)).astype(np.uint8)
        b = (pack4(q) if bits == 4 else q).reshape(N, n_blocks, -1)
        scales = (rng.random(N * n_blocks) * 0.1 + 0.01).astype(np.float32)
        inits = [("B", b), ("scales", scales)]
        names = ["a", "B", "scales"]
        if zp_kind == "packed":
            z = rng.integers(0, 2 ** bits, (N, n_blocks)).astype(np.uint8)
            inits.append(("zp", (pack4(z) if bits == 4 else z).reshape(-1)))
            names.append("zp")
        elif zp_kind == "float":
            inits.append(("zp", (rng.random(N * n_blocks) * 15).astype(np.float32)))
            names.append("zp")
        else:
            names.append("")
        if bias:
            names += ["", "bias"]
            inits.append(("bias", normal(rng, N)))
        while names[-1] == "":
            names.pop()
        name = f"matmul_nbits{bits}_k{K}_b{block}" + (f"_zp_{zp_kind}" if zp_kind else "") + \
            ("_bias" if bias else "")
        c.add(name, "MatMulNBits", [("a", normal(rng, 2, 3, K))], ["y"],
              {"K": K, "N": N, "bits": bits, "block_size": block}, initializers=inits,
              node_inputs=names, dims={"a": BS})


def gather_block_quantized(c, rng):
    vocab, d, block = 10, 32, 16
    idx = rng.integers(0, vocab, (2, 3)).astype(np.int64)
    for bits, with_zp in ((4, False), (4, True), (8, True)):
        q = rng.integers(0, 2 ** bits, (vocab, d)).astype(np.uint8)
        data = pack4(q) if bits == 4 else q
        scales = (rng.random((vocab, d // block)) * 0.1 + 0.01).astype(np.float32)
        inits = [("data", data), ("scales", scales)]
        names = ["data", "idx", "scales"]
        if with_zp:
            z = rng.integers(0, 2 ** bits, (vocab, d // block)).astype(np.uint8)
            inits.append(("zp", pack4(z) if bits == 4 else z))
            names.append("zp")
        c.add(f"gather_block_quantized{bits}" + ("_zp" if with_zp else ""),
              "GatherBlockQuantized", [("idx", idx)], ["y"],
              {"bits": bits, "block_size": block, "gather_axis": 0, "quantize_axis": 1},
              initializers=inits, node_inputs=names, dims={"idx": ["batch", "seq"]})


def attention(c, rng):
    heads, h = 2, 4
    d = heads * h
    q, k, v = normal(rng, 2, 3, d), normal(rng, 2, 5, d), normal(rng, 2, 5, d)
    c.add("mha", "MultiHeadAttention", [("q", q), ("k", k), ("v", v)], ["y"],
          {"num_heads": heads}, dims={"q": BS, "k": ["batch", "kv", None],
                                      "v": ["batch", "kv", None]})
    c.add("mha_bias_scale", "MultiHeadAttention", [("q", q), ("k", k), ("v", v)], ["y"],
          {"num_heads": heads, "scale": 0.3}, initializers=[("bias", normal(rng, 3 * d))])
    past_k, past_v = normal(rng, 2, heads, 4, h), normal(rng, 2, heads, 4, h)
    kq, vq = normal(rng, 2, 3, d), normal(rng, 2, 3, d)
    c.add("mha_past_present_attn_bias", "MultiHeadAttention",
          [("q", q), ("k", kq), ("v", vq), ("attn_bias", normal(rng, 1, heads, 3, 7)),
           ("past_k", past_k), ("past_v", past_v)], ["y", "present_k", "present_v"],
          {"num_heads": heads},
          node_inputs=["q", "k", "v", "", "", "attn_bias", "past_k", "past_v"])
    # key_padding_mask: key lengths [B], a 0/1 mask [B, T] (with attention_bias), both over
    # past and new keys.
    c.add("mha_key_lengths", "MultiHeadAttention",
          [("q", q), ("k", k), ("v", v), ("lengths", np.array([3, 5], np.int32))], ["y"],
          {"num_heads": heads}, node_inputs=["q", "k", "v", "", "lengths"])
    c.add("mha_key_mask_2d_bias", "MultiHeadAttention",
          [("q", q), ("k", k), ("v", v), ("mask", np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]],
                                                           np.int32)),
           ("attn_bias", normal(rng, 1, heads, 3, 5))], ["y"],
          {"num_heads": heads, "mask_filter_value": -1000.0},
          node_inputs=["q", "k", "v", "", "mask", "attn_bias"])
    c.add("mha_key_mask_past", "MultiHeadAttention",
          [("q", q), ("k", kq), ("v", vq),
           ("mask", np.array([[1, 0, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 1, 1]], np.int32)),
           ("past_k", past_k), ("past_v", past_v)], ["y", "present_k", "present_v"],
          {"num_heads": heads}, node_inputs=["q", "k", "v", "", "mask", "", "past_k", "past_v"])
    c.add("mha_unidirectional_past", "MultiHeadAttention",
          [("q", q), ("k", kq), ("v", vq), ("past_k", past_k), ("past_v", past_v)],
          ["y", "present_k", "present_v"], {"num_heads": heads, "unidirectional": 1},
          node_inputs=["q", "k", "v", "", "", "", "past_k", "past_v"])


def group_query_attention(c, rng):
    heads, kv_heads, h, b = 4, 2, 16, 2  # ORT rotates heads of multiples of 16
    max_pos = 16
    angle = np.arange(max_pos)[:, None] * (1e-2 ** (np.arange(h // 2)[None, :] / (h // 2)))
    caches = [("cos_cache", np.cos(angle).astype(np.float32)),
              ("sin_cache", np.sin(angle).astype(np.float32))]
    for name, past, s, rotary, extra in (("prompt", 0, 4, 0, {}),
                                         ("decode_rotary", 3, 1, 1, {}),
                                         ("past_rotary_interleaved", 2, 3, 1,
                                          {"rotary_interleaved": 1}),
                                         ("prompt_window_softcap", 0, 5, 0,
                                          {"local_window_size": 2, "softcap": 2.0})):
        total = past + s
        b = 1 if past and s > 1 else 2  # ORT's limit for a chunk after a past
        inputs = [("q", normal(rng, b, s, heads * h)), ("k", normal(rng, b, s, kv_heads * h)),
                  ("v", normal(rng, b, s, kv_heads * h))]
        names = ["q", "k", "v"]
        outs = ["y"]
        if past:
            inputs += [("past_k", normal(rng, b, kv_heads, past, h)),
                       ("past_v", normal(rng, b, kv_heads, past, h))]
            names += ["past_k", "past_v"]
            outs += ["present_k", "present_v"]
        else:
            names += ["", ""]
        inputs += [("seqlens_k", np.full(b, total - 1, np.int32)),
                   ("total_len", np.array(total, np.int32))]
        names += ["seqlens_k", "total_len"]
        inits = []
        if rotary:
            names += ["cos_cache", "sin_cache"]
            inits = caches
        c.add(f"gqa_{name}", "GroupQueryAttention", inputs, outs,
              {"num_heads": heads, "kv_num_heads": kv_heads, "do_rotary": rotary, **extra},
              initializers=inits, node_inputs=names)


def bert_attention(c, rng):
    """com.microsoft Attention: packed QKV projection weights [hidden, hq + hk + hv]."""
    b, s, hidden, heads = 2, 4, 8, 2
    x = normal(rng, b, s, hidden)
    w, bias = normal(rng, hidden, 3 * hidden), normal(rng, 3 * hidden)
    inits = [("weights", w), ("bias", bias)]
    attrs = {"num_heads": heads}
    lengths = np.array([4, 2], np.int32)
    mask2 = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], np.int32)
    mask3 = (rng.random((b, s, s)) > 0.4).astype(np.int32)
    mask3[:, :, 0] = 1
    for name, extra, mask, more in (
            ("", {}, None, {}),
            ("_mask_lengths", {}, lengths, {}),
            ("_mask_start_end", {}, np.array([4, 3, 1, 0], np.int32), {}),
            ("_mask_2d", {}, mask2, {"mask_filter_value": -2.0}),
            ("_mask_3d", {}, mask3, {}),
            ("_unidirectional", {}, None, {"unidirectional": 1}),
            ("_unidirectional_mask_2d", {}, mask2, {"unidirectional": 1, "scale": 0.5})):
        inputs = [("x", x)]
        names = ["x", "weights", "bias"]
        if mask is not None:
            inputs.append(("mask", mask))
            names.append("mask")
        c.add(f"attention{name}", "Attention", inputs, ["y"], {**attrs, **more},
              initializers=inits, node_inputs=names,
              dims={"x": BS} if name in ("", "_mask_2d") else None)
    # Unequal qkv_hidden_sizes (value heads of 6), an explicit scale. (No case without bias:
    # onnxruntime-node 1.30's CPU Attention crashes when it is absent.)
    c.add("attention_qkv_sizes", "Attention", [("x", x)], ["y"],
          {**attrs, "qkv_hidden_sizes": [8, 8, 12], "scale": 0.4},
          initializers=[("weights", normal(rng, hidden, 28)), ("bias", normal(rng, 28))])
    # past [2, B, N, P, H] and present [2, B, N, P + S, H]; a 2-d mask over all P + S keys.
    past = normal(rng, 2, b, heads, 3, hidden // heads)
    c.add("attention_past_present", "Attention", [("x", x), ("past", past)], ["y", "present"],
          attrs, initializers=inits, node_inputs=["x", "weights", "bias", "", "past"])
    c.add("attention_past_unidirectional_mask", "Attention",
          [("x", x), ("mask", np.array([[1, 1, 0, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0, 1]], np.int32)),
           ("past", past)], ["y", "present"], {**attrs, "unidirectional": 1},
          initializers=inits, node_inputs=["x", "weights", "bias", "mask", "past"])
    c.add("attention_attn_bias", "Attention",
          [("x", x), ("mask", lengths), ("attn_bias", normal(rng, 1, heads, s, s))], ["y"], attrs,
          initializers=inits, node_inputs=["x", "weights", "bias", "mask", "", "attn_bias"])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    c = ContribCases(sys.argv[1])
    rng = np.random.default_rng(20240601)
    activations(c, rng)
    normalizations(c, rng)
    rotary(c, rng)
    quantize(c, rng)
    matmul_nbits(c, rng)
    gather_block_quantized(c, rng)
    attention(c, rng)
    group_query_attention(c, rng)
    bert_attention(c, rng)
    c.run()
    print(f"extra_cases_contrib.py: wrote {c.writer.count} cases to {sys.argv[1]}/node")


if __name__ == "__main__":
    main()
