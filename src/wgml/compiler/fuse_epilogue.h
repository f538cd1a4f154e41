// Epilogue fusion, the compiler's second pass: the elementwise node that alone reads the result
// of a matmul or conv (bias, activation, residual add, clip, scale: after fuse_elementwise, one
// node however long the chain) is folded into that node. The kernel applies it as it stores each
// output element, so the product is never written and read back, and one launch goes.
#pragma once

#include <functional>
#include <string>

#include "wgml/graph/graph.h"

namespace wgml::compiler {

// At most this many tensors besides the product an epilogue reads (a bias, a residual): kernels
// bind them beside their own operands, and WebGPU guarantees only 8 storage buffers a shader.
inline constexpr size_t kMaxEpilogueInputs = 2;

// `graph` with each fusible (anchor, elementwise reader) pair made one node: the anchor's op,
// attributes and inputs, then the reader's other inputs, and `epilogue` set to the reader's
// expression with input 0 the anchor's result (graph.h). `takes_epilogue(op)` says which ops the
// device's kernels can finish that way.
graph::Graph fuse_epilogues(const graph::Graph& graph,
                            const std::function<bool(const std::string& op)>& takes_epilogue);

}  // namespace wgml::compiler
