// A rewrite before the others: common subexpressions merged. Small constants with the same
// dtype, shape and bytes become one value (exporters write a Constant node for each use), then
// a node computing the same op with the same attributes from the same inputs as an earlier one
// is dropped and its readers read the earlier node's outputs. Every op of the table is a pure
// function of its inputs (even the random ones hash a seed), so this never changes a result;
// nodes with bodies (loop, if) are left alone.
#pragma once

#include "wgml/graph/graph.h"

namespace wgml::compiler {

graph::Graph merge_common_subexpressions(const graph::Graph& graph);

}  // namespace wgml::compiler
