// A lowering before fusion: each float32 `gemm` node (ONNX Gemm, what exporters write for a
// Linear layer on 2-d input) becomes the transposes (views), matmul, scalings and add it stands
// for, so the fusion passes see the matmul and its bias add. The composite would otherwise
// expand only at run time, where no pass can fuse it.
#pragma once

#include "wgml/graph/graph.h"

namespace wgml::compiler {

graph::Graph lower_gemms(const graph::Graph& graph);

}  // namespace wgml::compiler
