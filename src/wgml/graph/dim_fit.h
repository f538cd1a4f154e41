// Reconstructing a size a node computes (an output dim, an element of a small shape tensor) as
// an expression of sizes it reads, from evaluations of the op table's own shape rule at several
// assignments of the model's symbols. The form sought is floor((a*X + b)/q) for one candidate X
// (an input dim, a product of input dims, a shape-tensor element, a sum along an axis), which
// covers identity, scaling, offsets (pads, kernel extents), strides and integer resize factors.
// The fit must be exact at every sample; when several offsets b fit, the caller adds samples.
#pragma once

#include <cstdint>
#include <vector>

#include "wgml/graph/sym_expr.h"

namespace wgml::graph {

struct DimFit {
  enum class Kind { Exact, Ambiguous, None };
  Kind kind = Kind::None;
  SymExpr expr;
  bool floor = false;  // of the form floor((a*X + b)/q) with q >= 2
  int64_t q = 1;
};

// `values[s]` is the size at sample s; `candidate_values[s][c]` candidate c's value there.
// Samples are assumed to come from distinct assignments of the symbols.
DimFit fit_dim(const std::vector<SymExpr>& candidates,
               const std::vector<std::vector<int64_t>>& candidate_values,
               const std::vector<int64_t>& values);

// The largest divisor q tried (strides, hop lengths, pooling windows).
inline constexpr int64_t kMaxFitDivisor = 4096;

}  // namespace wgml::graph
