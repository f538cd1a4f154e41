// Elementwise fusion, the compiler's first pass: a tree of float32 elementwise nodes whose inner
// values have one reader each (and are not graph outputs) becomes one node whose expression is
// the tree's expressions substituted into each other. It runs as one kernel on any device (the
// WGSL generator renders any expression, the CPU interprets it), so the intermediates are never
// written: fewer launches and less memory traffic.
#pragma once

#include "wgml/graph/graph.h"

namespace wgml::compiler {

// The node op of a fused tree; its expression is the node's `fused` OpDef.
inline constexpr const char* kFusedOp = "fused_elementwise";

// `graph` with every fusible tree of two or more nodes replaced by one kFusedOp node (at the
// tree root's place, reading the tree's leaves). Subgraph bodies are left as they are.
graph::Graph fuse_elementwise(const graph::Graph& graph);

// The expression an elementwise node computes over its inputs (input i: its i-th input), its
// attributes made literals: a fused node's own, or its op's forward rule.
expr::Expr elementwise_expression(const graph::Node& node);

}  // namespace wgml::compiler
