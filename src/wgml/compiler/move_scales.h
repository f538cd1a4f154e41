// A rewrite before fusion: a matmul operand scaled by a constant scalar (exporters spell
// attention's 1/sqrt(d) as q * s and k * s, or q / sqrt(d), each its own launch) is read
// unscaled and the scalar multiplies (divides) the product instead, where elementwise fusion merges
// the scalars and epilogue fusion puts them into the matmul. Views between the scaling and the
// matmul (transpose, reshape) are kept, now over the unscaled operand.
#pragma once

#include "wgml/graph/graph.h"

namespace wgml::compiler {

graph::Graph move_scales_past_matmuls(const graph::Graph& graph);

}  // namespace wgml::compiler
