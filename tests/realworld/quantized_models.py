"""Quantized models in the styles quantizers write, for make_models.py.

Each builder returns (model, input sets, extra manifest fields). The extras say how to compare:
  "ort_options": session options for the reference. QDQ graphs run with ORT's graph optimizations
      off, so the reference computes what the ONNX graph says (float convolutions between
      DequantizeLinear and QuantizeLinear) rather than ORT's fused integer kernels, which round
      differently.
  "rel_tolerance": a wider relative error for models that quantize activations at run time
      (DynamicQuantizeLinear): an input whose x/scale lies within float32 rounding of a half
      quantizes one step differently in ORT's float32 arithmetic and in wgml's (the CPU device
      divides in double and rounds once; WGSL's f32 division may be 2.5 ulp off, and on the H100
      the scale itself came out one ulp from ORT's), moving the output by scale * w for that
      element: 3e-4 relative on llvmpipe, up to 9.7e-4 on the H100. 2e-3 allows it with margin
      on such GPUs and still catches a wrong zero point or scale (1e-2 and more).
  "quant_step": outputs that are dequantized integers are compared by steps of this size: every
      element within one step of ORT's and at most 1% of them off at all (a product rounded
      exactly on a half can go either way in float32; anything wrong in the arithmetic moves many
      elements by many steps).
  "max_constant_bytes": 1.1 times the file's initializer bytes, the bound on what `wgml info`
      may report as constants resident on the device: quantized weights must stay quantized.
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

QUANT_MODELS = ["quant_dynamic_cnn", "quant_qdq_cnn", "quant_qlinear", "quant_matmul_integer",
                "quant_blocked", "quant_qdq_forms"]


def _initializer_bytes(model):
    return sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)


def _extras(model, **more):
    more["max_constant_bytes"] = int(1.1 * _initializer_bytes(model))
    return more


def quant_dynamic_cnn(env):
    """onnx.quantize's dynamic style: DynamicQuantizeLinear + ConvInteger + Cast + Mul per conv."""
    gw = env.GraphWriter("quant_dynamic_cnn")
    channels = [3, 32, 64, 128]
    x = "input"
    for i, (cin, cout) in enumerate(zip(channels, channels[1:])):
        p = f"/features.{i}"
        w = gw.rng.integers(0, 256, (cout, cin, 3, 3)).astype(np.uint8)
        gw.const(f"features.{i}.weight_quantized", w)
        gw.const(f"features.{i}.weight_zero_point", np.array(128, np.uint8))
        gw.const(f"features.{i}.weight_scale", np.array(0.02 / np.sqrt(cin), np.float32))
        gw.const(f"features.{i}.bias", (0.1 * gw.rng.standard_normal(cout)).reshape(
            1, cout, 1, 1).astype(np.float32))
        q, s, zp = gw.node("DynamicQuantizeLinear", [x],
                           [f"{x}_quantized", f"{x}_scale", f"{x}_zero_point"],
                           name=f"{x}_QuantizeLinear")
        acc = gw.node("ConvInteger", [q, f"features.{i}.weight_quantized", zp,
                                      f"features.{i}.weight_zero_point"],
                      f"{p}/Conv_output_0_output_quantized", name=f"{p}/Conv_quant",
                      strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3])
        f = gw.node("Cast", [acc], f"{p}/Conv_output_0_output_quantized_cast_output",
                    name=f"{p}/Conv_output_0_output_quantized_cast", to=TensorProto.FLOAT)
        scale = gw.node("Mul", [s, f"features.{i}.weight_scale"], f"{p}/Conv_quant_scales_mul",
                        name=f"{p}/Conv_quant_scales_mul")
        y = gw.node("Mul", [f, scale], f"{p}/Conv_output_0", name=f"{p}/Conv_quant_output_scale_mul")
        y = gw.node("Add", [y, f"features.{i}.bias"], f"{p}/Add_output_0", name=f"{p}/Add")
        x = gw.node("Relu", [y], f"{p}/Relu_output_0", name=f"{p}/Relu")
    gw.node("GlobalAveragePool", [x], "pooled", name="/GlobalAveragePool")
    model = env.finish(gw, "main_graph", [env.vi("input", TensorProto.FLOAT,
                                                 ["batch", 3, "height", "width"])],
                       [env.vi("pooled", TensorProto.FLOAT, ["batch", 128, 1, 1])], 13,
                       ("onnx.quantize", "0.1.0"))
    rng = env.rng_for("quant_dynamic_cnn inputs")
    sets = {"b1_40x56": {"input": rng.standard_normal((1, 3, 40, 56)).astype(np.float32)},
            "b2_33x17": {"input": rng.standard_normal((2, 3, 33, 17)).astype(np.float32)}}
    return model, sets, _extras(model, rel_tolerance=2e-3)


def _qdq(gw, x, name, scale, zero_point):
    """QuantizeLinear -> DequantizeLinear of an activation (uint8, per tensor)."""
    gw.const(f"{name}_scale", np.array(scale, np.float32))
    gw.const(f"{name}_zero_point", np.array(zero_point, np.uint8))
    q = gw.node("QuantizeLinear", [x, f"{name}_scale", f"{name}_zero_point"], f"{name}_QuantizeLinear_Output",
                name=f"{name}_QuantizeLinear")
    return gw.node("DequantizeLinear", [q, f"{name}_scale", f"{name}_zero_point"],
                   f"{name}_DequantizeLinear_Output", name=f"{name}_DequantizeLinear")


def quant_qdq_cnn(env):
    """The QDQ format most quantized models use today: int8 per-channel weights behind
    DequantizeLinear feeding Conv and Gemm, uint8 activations through Q/DQ pairs."""
    gw = env.GraphWriter("quant_qdq_cnn")
    channels = [3, 32, 64, 96]
    x = _qdq(gw, "input", "input", 0.03, 128)
    for i, (cin, cout) in enumerate(zip(channels, channels[1:])):
        w = gw.rng.integers(-127, 128, (cout, cin, 3, 3)).astype(np.int8)
        gw.const(f"conv{i}.weight_quantized", w)
        gw.const(f"conv{i}.weight_scale", (0.01 + 0.01 * gw.rng.random(cout) / np.sqrt(cin))
                 .astype(np.float32))
        gw.const(f"conv{i}.weight_zero_point", np.zeros(cout, np.int8))
        wf = gw.node("DequantizeLinear", [f"conv{i}.weight_quantized", f"conv{i}.weight_scale",
                                          f"conv{i}.weight_zero_point"],
                     f"conv{i}.weight_DequantizeLinear_Output",
                     name=f"conv{i}.weight_DequantizeLinear", axis=0)
        gw.const(f"conv{i}.bias", (0.1 * gw.rng.standard_normal(cout)).astype(np.float32))
        y = gw.node("Conv", [x, wf, f"conv{i}.bias"], f"/conv{i}/Conv_output_0",
                    name=f"/conv{i}/Conv", strides=[2, 2], pads=[1, 1, 1, 1])
        y = gw.node("Relu", [y], f"/relu{i}/Relu_output_0", name=f"/relu{i}/Relu")
        x = _qdq(gw, y, f"/relu{i}/Relu_output_0", 0.05, 0)
    x = gw.node("GlobalAveragePool", [x], "/pool/GlobalAveragePool_output_0", name="/pool")
    x = gw.node("Flatten", [x], "/Flatten_output_0", name="/Flatten")
    x = _qdq(gw, x, "/Flatten_output_0", 0.02, 0)
    gw.const("fc.weight_quantized", gw.rng.integers(-127, 128, (10, 96)).astype(np.int8))
    gw.const("fc.weight_scale", np.array(0.004, np.float32))
    gw.const("fc.weight_zero_point", np.array(0, np.int8))
    wf = gw.node("DequantizeLinear", ["fc.weight_quantized", "fc.weight_scale",
                                      "fc.weight_zero_point"], "fc.weight_DequantizeLinear_Output",
                 name="fc.weight_DequantizeLinear")
    gw.const("fc.bias", (0.1 * gw.rng.standard_normal(10)).astype(np.float32))
    gw.node("Gemm", [x, wf, "fc.bias"], "logits", name="/fc/Gemm", transB=1)
    model = env.finish(gw, "main_graph", [env.vi("input", TensorProto.FLOAT,
                                                 ["batch", 3, "height", "width"])],
                       [env.vi("logits", TensorProto.FLOAT, ["batch", 10])], 13,
                       ("onnx.quantize", "0.1.0"))
    rng = env.rng_for("quant_qdq_cnn inputs")
    sets = {"b1_32x48": {"input": rng.standard_normal((1, 3, 32, 48)).astype(np.float32)},
            "b3_21x19": {"input": rng.standard_normal((3, 3, 21, 19)).astype(np.float32)}}
    # Activations are quantized at run time here too (QuantizeLinear): rel_tolerance as above.
    return model, sets, _extras(model, ort_options={"graphOptimizationLevel": "disabled"},
                                rel_tolerance=2e-3)


def quant_qlinear(env):
    """Operator-oriented quantization: QLinearConv and QLinearMatMul on uint8 activations with
    int8 per-channel weights and an int32 bias, dequantized at the end."""
    gw = env.GraphWriter("quant_qlinear")
    gw.const("x_scale", np.array(0.025, np.float32))
    gw.const("x_zero_point", np.array(120, np.uint8))
    xq = gw.node("QuantizeLinear", ["input", "x_scale", "x_zero_point"], "input_quantized",
                 name="input_QuantizeLinear")
    cin, cout = 8, 48
    gw.const("conv.weight_quantized", gw.rng.integers(-127, 128, (cout, cin, 3, 3)).astype(np.int8))
    gw.const("conv.weight_scale", (0.002 + 0.002 * gw.rng.random(cout)).astype(np.float32))
    gw.const("conv.weight_zero_point", np.zeros(cout, np.int8))
    gw.const("conv.bias_quantized", gw.rng.integers(-2000, 2000, cout).astype(np.int32))
    gw.const("conv_out_scale", np.array(0.04, np.float32))
    gw.const("conv_out_zero_point", np.array(100, np.uint8))
    y = gw.node("QLinearConv", [xq, "x_scale", "x_zero_point", "conv.weight_quantized",
                                "conv.weight_scale", "conv.weight_zero_point", "conv_out_scale",
                                "conv_out_zero_point", "conv.bias_quantized"],
                "conv_out_quantized", name="/conv/Conv_quant", pads=[1, 1, 1, 1])
    # [batch, 48, h, w] -> [batch, h, w, 48] @ [48, 128]
    y = gw.node("Transpose", [y], "conv_out_nhwc", name="/Transpose", perm=[0, 2, 3, 1])
    gw.const("fc.weight_quantized", gw.rng.integers(-127, 128, (cout, 128)).astype(np.int8))
    gw.const("fc.weight_scale", np.array(0.003, np.float32))
    gw.const("fc.weight_zero_point", np.array(0, np.int8))
    gw.const("fc_out_scale", np.array(0.05, np.float32))
    gw.const("fc_out_zero_point", np.array(128, np.uint8))
    z = gw.node("QLinearMatMul", [y, "conv_out_scale", "conv_out_zero_point",
                                  "fc.weight_quantized", "fc.weight_scale", "fc.weight_zero_point",
                                  "fc_out_scale", "fc_out_zero_point"], "fc_out_quantized",
                name="/fc/MatMul_quant")
    gw.node("DequantizeLinear", [z, "fc_out_scale", "fc_out_zero_point"], "output",
            name="output_DequantizeLinear")
    model = env.finish(gw, "main_graph", [env.vi("input", TensorProto.FLOAT,
                                                 ["batch", cin, "height", "width"])],
                       [env.vi("output", TensorProto.FLOAT, ["batch", "height", "width", 128])],
                       13, ("onnx.quantize", "0.1.0"))
    rng = env.rng_for("quant_qlinear inputs")
    sets = {"b1_12x20": {"input": rng.standard_normal((1, cin, 12, 20)).astype(np.float32)},
            "b2_7x5": {"input": rng.standard_normal((2, cin, 7, 5)).astype(np.float32)}}
    return model, sets, _extras(model, quant_step=0.05)


def quant_matmul_integer(env):
    """Dynamically quantized linear layers as in a quantized transformer: DynamicQuantizeLinear +
    MatMulInteger (int8 weights) + Cast + Mul + Add."""
    gw = env.GraphWriter("quant_matmul_integer")
    dims = [64, 256, 64]
    x = "hidden_states"
    for i, (k, n) in enumerate(zip(dims, dims[1:])):
        p = f"/layer.{i}/dense/MatMul"
        gw.const(f"layer.{i}.weight_quantized", gw.rng.integers(-127, 128, (k, n)).astype(np.int8))
        gw.const(f"layer.{i}.weight_scale", np.array(0.05 / np.sqrt(k), np.float32))
        gw.const(f"layer.{i}.weight_zero_point", np.array(0, np.int8))
        gw.const(f"layer.{i}.bias", (0.1 * gw.rng.standard_normal(n)).astype(np.float32))
        q, s, zp = gw.node("DynamicQuantizeLinear", [x], [f"{x}_quantized", f"{x}_scale",
                                                          f"{x}_zero_point"],
                           name=f"{x}_QuantizeLinear")
        acc = gw.node("MatMulInteger", [q, f"layer.{i}.weight_quantized", zp,
                                        f"layer.{i}.weight_zero_point"],
                      f"{p}_output_quantized", name=f"{p}_quant")
        f = gw.node("Cast", [acc], f"{p}_output_quantized_cast_output",
                    name=f"{p}_output_quantized_cast", to=TensorProto.FLOAT)
        scale = gw.node("Mul", [s, f"layer.{i}.weight_scale"], f"{p}_quant_scales_mul",
                        name=f"{p}_quant_scales_mul")
        y = gw.node("Mul", [f, scale], f"{p}_output_0", name=f"{p}_quant_output_scale_mul")
        y = gw.node("Add", [y, f"layer.{i}.bias"], f"/layer.{i}/dense/Add_output_0",
                    name=f"/layer.{i}/dense/Add")
        x = gw.node("Tanh", [y], f"/layer.{i}/Tanh_output_0", name=f"/layer.{i}/Tanh") \
            if i == 0 else y
    gw.node("Identity", [x], "last_hidden_state", name="/Identity")
    model = env.finish(gw, "main_graph", [env.vi("hidden_states", TensorProto.FLOAT,
                                                 ["batch_size", "sequence_length", 64])],
                       [env.vi("last_hidden_state", TensorProto.FLOAT,
                               ["batch_size", "sequence_length", 64])], 13,
                       ("onnx.quantize", "0.1.0"))
    rng = env.rng_for("quant_matmul_integer inputs")
    sets = {"b1_s7": {"hidden_states": rng.standard_normal((1, 7, 64)).astype(np.float32)},
            "b2_s33": {"hidden_states": rng.standard_normal((2, 33, 64)).astype(np.float32)}}
    return model, sets, _extras(model, rel_tolerance=2e-3)


def quant_blocked(env):
    """Opset 21 blocked weight quantization (as for LLM weights): int8 [K, N] with one scale per
    32 rows of each column, DequantizeLinear(block_size=32) feeding MatMul."""
    gw = env.GraphWriter("quant_blocked")
    k, n, block = 256, 320, 32
    gw.const("proj.weight_quantized", gw.rng.integers(-127, 128, (k, n)).astype(np.int8))
    gw.const("proj.weight_scale", (0.001 + 0.002 * gw.rng.random((k // block, n))).astype(
        np.float32))
    gw.const("proj.weight_zero_point", gw.rng.integers(-3, 4, (k // block, n)).astype(np.int8))
    wf = gw.node("DequantizeLinear", ["proj.weight_quantized", "proj.weight_scale",
                                      "proj.weight_zero_point"], "proj.weight", name="proj_dq",
                 axis=0, block_size=block)
    gw.node("MatMul", ["x", wf], "y", name="/proj/MatMul")
    model = env.finish(gw, "main_graph", [env.vi("x", TensorProto.FLOAT, ["batch", "seq", k])],
                       [env.vi("y", TensorProto.FLOAT, ["batch", "seq", n])], 21,
                       ("onnx.quantize", "0.1.0"))
    rng = env.rng_for("quant_blocked inputs")
    sets = {"b1_s3": {"x": rng.standard_normal((1, 3, k)).astype(np.float32)},
            "b2_s17": {"x": rng.standard_normal((2, 17, k)).astype(np.float32)}}
    # ORT's optimizer turns DequantizeLinear + MatMul into MatMulNBits, which quantizes x too
    # (0.6% off the graph's exact result here): the reference runs the graph as written.
    return model, sets, _extras(model, ort_options={"graphOptimizationLevel": "disabled"})


def _dequantized(gw, name, q, scale, zero, **attrs):
    """A quantized constant behind DequantizeLinear (zero None: no zero point)."""
    gw.const(f"{name}_quantized", q)
    gw.const(f"{name}_scale", scale.astype(np.float32))
    inputs = [f"{name}_quantized", f"{name}_scale"]
    if zero is not None:
        gw.const(f"{name}_zero_point", zero)
        inputs.append(f"{name}_zero_point")
    return gw.node("DequantizeLinear", inputs, f"{name}_dequantized", name=f"{name}_dq", **attrs)


def quant_qdq_forms(env):
    """The weight layouts quantizers write behind DequantizeLinear, one branch each, all read
    in place by wgml except the last: Gemm transB=1 with int8 per output channel (axis 0 of
    [N, K]), MatMul with uint8 per column (axis 1) and zero points, MatMul blocked along N (not
    along k: wgml dequantizes it as a float chain), Conv with uint8 per tensor, depthwise Conv
    with int8 per channel."""
    gw = env.GraphWriter("quant_qdq_forms")
    k, n, c = 96, 40, 8
    r = gw.rng
    w = _dequantized(gw, "gemm.weight", r.integers(-127, 128, (n, k)).astype(np.int8),
                     0.002 + 0.01 * r.random(n), r.integers(-3, 4, n).astype(np.int8), axis=0)
    gw.const("gemm.bias", (0.1 * r.standard_normal(n)).astype(np.float32))
    gw.node("Gemm", ["x", w, "gemm.bias"], "gemm_out", name="/gemm", transB=1, alpha=0.5)
    w = _dequantized(gw, "mm.weight", r.integers(0, 256, (k, n)).astype(np.uint8),
                     0.002 + 0.01 * r.random(n), r.integers(120, 136, n).astype(np.uint8), axis=1)
    gw.node("MatMul", ["x", w], "matmul_out", name="/matmul")
    w = _dequantized(gw, "mmn.weight", r.integers(-127, 128, (k, n)).astype(np.int8),
                     0.002 + 0.01 * r.random((k, n // 8)), None, axis=1, block_size=8)
    gw.node("MatMul", ["x", w], "blocked_n_out", name="/matmul_blocked_n")
    w = _dequantized(gw, "conv.weight", r.integers(0, 256, (16, c, 3, 3)).astype(np.uint8),
                     np.array(0.004), np.array(128, np.uint8))
    gw.node("Conv", ["image", w], "conv_out", name="/conv", pads=[1, 1, 1, 1])
    w = _dequantized(gw, "dw.weight", r.integers(-127, 128, (c, 1, 3, 3)).astype(np.int8),
                     0.01 + 0.02 * r.random(c), np.zeros(c, np.int8), axis=0)
    gw.node("Conv", ["image", w], "depthwise_out", name="/depthwise", group=c, strides=[2, 2],
            pads=[1, 1, 1, 1])
    model = env.finish(
        gw, "main_graph",
        [env.vi("x", TensorProto.FLOAT, ["batch", k]),
         env.vi("image", TensorProto.FLOAT, ["batch", c, "height", "width"])],
        [env.vi(o, TensorProto.FLOAT, dims) for o, dims in
         [("gemm_out", ["batch", n]), ("matmul_out", ["batch", n]), ("blocked_n_out", ["batch", n]),
          ("conv_out", ["batch", 16, "height", "width"]),
          ("depthwise_out", ["batch", c, None, None])]], 21,
        ("onnx.quantize", "0.1.0"))
    rng = env.rng_for("quant_qdq_forms inputs")
    sets = {"b1_9x13": {"x": rng.standard_normal((1, k)).astype(np.float32),
                        "image": rng.standard_normal((1, c, 9, 13)).astype(np.float32)},
            "b5_32x32": {"x": rng.standard_normal((5, k)).astype(np.float32),
                         "image": rng.standard_normal((5, c, 32, 32)).astype(np.float32)}}
    # The reference runs the graph as written (ORT's optimizer would fuse its own way).
    return model, sets, _extras(model, ort_options={"graphOptimizationLevel": "disabled"})
