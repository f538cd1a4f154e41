"""Writes ONNX test cases in the layout of ONNX's backend test data, for wgml_onnx_conformance:
ROOT/node/<name>/model.onnx and test_data_set_0/{input_N.pb, output_N.pb}. Shared by the
extra_cases_*.py generators."""
import os
import shutil

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

FOLDERS = ["node", "pytorch-converted", "pytorch-operator", "simple"]

NP_TO_ONNX = {
    np.float32: TensorProto.FLOAT,
    np.float16: TensorProto.FLOAT16,
    np.float64: TensorProto.DOUBLE,
    np.int32: TensorProto.INT32,
    np.int64: TensorProto.INT64,
    np.uint8: TensorProto.UINT8,
    np.int8: TensorProto.INT8,
    np.bool_: TensorProto.BOOL,
}


class CaseWriter:
    """Case folders named <prefix><name> under ROOT/node/ (the runner wants all four folders)."""

    def __init__(self, root, prefix):
        self.root = root
        self.prefix = prefix
        self.count = 0
        for folder in FOLDERS:
            os.makedirs(os.path.join(root, folder), exist_ok=True)

    def case(
        self, name, opset, nodes, inputs, outputs, initializers=(), dims=None, output_shapes=True,
        extra_opsets=(),
    ):
        """One model. inputs/outputs/initializers: lists of (name, array); dims: {value name:
        [int, symbolic name or None per axis]} to declare dynamic dims; output_shapes=False
        declares the outputs without a shape; extra_opsets: (domain, version) pairs imported
        besides the default domain."""
        dims = dims or {}

        def info(n, a, with_shape=True):
            shape = list(a.shape)
            if n in dims:
                shape = [v if d is None else d for d, v in zip(dims[n], a.shape)]
            return helper.make_tensor_value_info(
                n, NP_TO_ONNX[a.dtype.type], shape if with_shape else None
            )

        graph = helper.make_graph(
            nodes,
            name,
            [info(n, a) for n, a in inputs],
            [info(n, np.asarray(a), output_shapes) for n, a in outputs],
            [numpy_helper.from_array(a, n) for n, a in initializers],
        )
        opsets = [helper.make_opsetid("", opset)]
        opsets += [helper.make_opsetid(d, v) for d, v in extra_opsets]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = 8
        d = os.path.join(self.root, "node", self.prefix + name)
        shutil.rmtree(d, ignore_errors=True)
        data = os.path.join(d, "test_data_set_0")
        os.makedirs(data)
        onnx.save(model, os.path.join(d, "model.onnx"))
        for kind, tensors in (("input", inputs), ("output", outputs)):
            for i, (n, a) in enumerate(tensors):
                with open(os.path.join(data, f"{kind}_{i}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())
        self.count += 1
