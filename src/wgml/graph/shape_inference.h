// Symbolic shape inference for the GraphBuilder. Every dynamic dim is an expression over the
// model's symbols (sym_expr.h). A node's output dims come from the op table's own shape rule
// (one set of rules for inference and execution): the rule runs on storage-less meta tensors at
// several assignments of the symbols (small, odd, large, all equal), chosen per node so that a
// 512-tap convolution or a stride-32 backbone finds sizes it accepts, and each output dim is
// reconstructed exactly as an expression of the input dims (dim_fit.h). Shape arithmetic values
// (Host values: Shape -> Gather -> Concat) are replayed at any assignment and their elements get
// expressions too, so a Reshape to [batch, h*w, c] reads as such. A dim that no expression fits
// becomes a fresh symbol; a node that no assignment suits keeps its dtype and loses its shape
// (noted in Graph::inference_note), but never fails the load unless the model has no symbols.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wgml/graph/dim_fit.h"
#include "wgml/graph/graph.h"

namespace wgml::graph {

class ShapeInference {
 public:
  explicit ShapeInference(Graph& graph);
  ~ShapeInference();

  // Registers the symbols of a graph input's (or typed node output's) dims, filling `expr`.
  void declare(SymShape& shape);
  // A symbol not used yet: prefix_1, prefix_2, ...
  std::string fresh_symbol(const std::string& prefix);
  // Infers the shapes and placement of node `index`'s outputs (already in the graph with their
  // dtypes). `may_be_host`: every input is known on the CPU at run time, so small outputs make
  // it a Host node. Raises, naming the node, when its inputs are static and the rule refuses.
  void infer(int index, bool may_be_host);

 private:
  struct Assignment {
    int entry = 0;      // a row of the assignment ladder
    int64_t delta = 0;  // added to symbol `moved` (refining a fit)
    int moved = -1;     // a symbol's index
  };
  struct Memo;
  struct Samples;
  int symbol_index(const std::string& name);
  int64_t symbol_value(const std::string& name, const Assignment& a);
  std::optional<int64_t> evaluate(const SymExpr& e, const Assignment& a);
  // A value's tensor at an assignment: the constant, a meta tensor of its dims, or (Host values)
  // its producer replayed on the CPU. Undefined when it cannot be had there.
  Tensor tensor_at(ValueId v, const Assignment& a, Memo& memo);
  std::vector<Tensor> run_node(const Node& node, bool on_cpu, const Assignment& a, Memo& memo,
                               std::string* error);
  const std::set<std::string>& depends_on(ValueId v);
  std::vector<SymExpr> candidates(const Node& node);
  void add_sample(Samples& s, const Assignment& a, std::vector<Tensor> outputs);
  bool series(const Samples& s, size_t output, int64_t which, std::vector<int64_t>& values) const;
  DimFit fit(const Node& node, const Samples& s, const std::vector<int64_t>& values,
             int64_t axis_from_end) const;
  void refine(const Node& node, bool host, Samples& s, Memo& memo);
  // `exact`: the node depends on no symbol, so its one evaluation gives static shapes.
  void fit_outputs(const Node& node, bool host, bool exact, Samples& s, Memo& memo);
  void note(const Node& node, const std::string& why);

  Graph& graph_;
  std::vector<std::string> symbols_;  // in the order met; a symbol's index picks its values
  std::map<std::string, int> symbol_index_;
  std::map<ValueId, std::set<std::string>> depends_;
  std::map<ValueId, std::vector<std::optional<SymExpr>>> elements_;  // of small Host values
  std::unique_ptr<Memo> ladder_memo_;
};

}  // namespace wgml::graph
