// A rewrite before fusion: an add whose one operand is a product seen through views
// (reshape, permute) and read by nothing else, as in out_proj(attn) viewed back to [B, S, E]
// plus the residual, is computed before the views instead:
//   add(views(y), r)  ->  views(add(y, inverse_views(r)))
// so that epilogue fusion puts the add into y's kernel. Only where the inverse views of r are
// views too (r is a fresh, contiguous value and its strides allow them), so no copy appears.
// The TorchScript exporter writes attention's output projection this way where the dynamo one
// does not: with this, both run the same launches.
#pragma once

#include <functional>
#include <string>

#include "wgml/graph/graph.h"

namespace wgml::compiler {

graph::Graph move_views_past_adds(const graph::Graph& graph,
                                  const std::function<bool(const std::string&)>& takes_epilogue);

}  // namespace wgml::compiler
