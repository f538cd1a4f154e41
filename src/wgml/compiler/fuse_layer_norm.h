// A rewrite before fusion: layer norm spelled out step by step, as exporters before ONNX's
// LayerNormalization (opset 17) write it, becomes one layer_norm node:
//   d = x - mean(x), y = d / sqrt(mean(d^2) + eps) [* gamma] [+ beta]
// with mean over trailing axes (keepdims), d^2 as pow(d, 2) or d * d, eps a scalar constant and
// gamma, beta constants over the normalized axes. Every intermediate must be read by the next
// step alone. Then the model runs one kernel per layer norm whichever exporter wrote it.
#pragma once

#include "wgml/graph/graph.h"

namespace wgml::compiler {

graph::Graph fuse_layer_norms(const graph::Graph& graph);

}  // namespace wgml::compiler
