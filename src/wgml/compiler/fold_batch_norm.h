// A rewrite before fusion: inference batch_norm with constant statistics is a per-channel scale
// and shift, g = scale / sqrt(var + epsilon) and h = bias - mean * g, computed here once in
// double. Behind a conv whose result nothing else reads, with constant weights, it folds into
// the conv (w * g per output channel, b * g + h), as PyTorch's exporter and ONNX Runtime's
// optimizer do; elsewhere it becomes a mul and an add by constants, which elementwise and
// epilogue fusion then merge. Exports that keep BatchNormalization (dynamo, tf2onnx,
// paddle2onnx, training-mode exports) then run the kernels the folded ones do.
#pragma once

#include "wgml/graph/graph.h"

namespace wgml::compiler {

graph::Graph fold_batch_norms(const graph::Graph& graph);

}  // namespace wgml::compiler
