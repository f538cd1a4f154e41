"""Writes an ONNX model whose initializers live in an external data file, for wgml's reader test.

Usage: make_external_data_model.py OUT_DIR SEED

OUT_DIR gets model.onnx, weights.bin (every initializer, one after another, as ONNX's own
save_model lays them out with offsets and lengths) and <name>.npy with each initializer's values,
written by NumPy from the same arrays: the reference the C++ side compares with.
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main():
    out_dir, seed = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(seed)
    arrays = {
        "w_float": rng.standard_normal((3, 4, 5)).astype(np.float32),
        "b_float": rng.uniform(-2, 2, (5,)).astype(np.float32),
        "idx_int64": rng.integers(-(2**40), 2**40, (7,), dtype=np.int64),
        "shape_int64": rng.integers(1, 9, (2, 3), dtype=np.int64),
        "h_float16": rng.standard_normal((3, 3)).astype(np.float16),
        "n_int32": rng.integers(-(2**31), 2**31 - 1, (4,), dtype=np.int32),
        "q_uint8": rng.integers(0, 256, (6,), dtype=np.uint8),
        "s_int8": rng.integers(-128, 128, (2, 2), dtype=np.int8),
        "m_bool": rng.integers(0, 2, (5,)).astype(np.bool_),
        "scalar_float": np.array(rng.uniform(1, 2), dtype=np.float32),
    }
    initializers = [numpy_helper.from_array(a, name) for name, a in arrays.items()]
    # A graph that uses two of them, so the model is a valid one; the rest are just carried.
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [3, 4, 5])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 4, 5])
    nodes = [
        helper.make_node("Mul", ["x", "w_float"], ["t"]),
        helper.make_node("Add", ["t", "b_float"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "external_data", [x], [y], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(out_dir, "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    for name, a in arrays.items():
        np.save(os.path.join(out_dir, name + ".npy"), a)


if __name__ == "__main__":
    main()
