// GraphBuilder: appends nodes to a Graph while folding constants and inferring types.
//
// Every node is evaluated as it is added:
// - all inputs constant: it runs now on the CPU and its outputs become constants (constant
//   folding, so the Shape/Gather/Concat chains exporters emit disappear when shapes are static);
// - all inputs constant or Host and its outputs small: a Host node (shape arithmetic on the CPU);
// - otherwise a Device node.
// Every output's dtype comes from the op table's dtype rules, independent of sizes; its shape
// from symbolic shape inference (shape_inference.h): dims are expressions over the model's
// symbols ("batch", "4*batch", "floor((h + 31)/32)"), computed with the engine's own shape
// rules, so one set of rules serves inference and execution.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wgml/graph/graph.h"
#include "wgml/graph/shape_inference.h"

namespace wgml::graph {

class GraphBuilder {
 public:
  explicit GraphBuilder(Graph& graph);
  ~GraphBuilder();

  // A graph input; `shape_known` false when the model does not declare its rank.
  ValueId input(const std::string& name, DType dtype, bool shape_known, const SymShape& shape);
  ValueId constant(const Tensor& cpu_tensor, const std::string& name = "");
  // Appends op-table op `op` (or kShapeOp, kNarrowOp) and returns all its outputs. Errors name
  // `source`.
  std::vector<ValueId> add(const std::string& op, const std::vector<ValueId>& inputs,
                           Attrs attrs = {}, std::map<std::string, ValueId> attr_inputs = {},
                           const std::string& source = "");
  // A node whose outputs' types the caller works out (control flow): each output is given its
  // dtype and symbolic shape, or its shape left unknown. Dims named "?" become fresh symbols
  // `prefix_k`.
  struct OutputType {
    bool known = false;
    DType dtype = DType::Float32;
    SymShape shape;
  };
  std::vector<ValueId> add_typed(Node node, const std::vector<OutputType>& types,
                                 const std::string& prefix);
  // A symbol no value has used yet: prefix_1, prefix_2, ...
  std::string fresh_symbol(const std::string& prefix);
  void set_outputs(const std::vector<ValueId>& outputs, const std::vector<std::string>& names);
  void rename(ValueId id, const std::string& name);

  const Value& value(ValueId id) const { return graph_.value(id); }
  const Tensor* constant_of(ValueId id) const;  // nullptr unless Placement::Constant

 private:
  // Whether folding `op` over constant inputs would make results larger than the inputs.
  bool folds_wider(const std::string& op, const std::vector<ValueId>& inputs, const Attrs& attrs);
  std::vector<DType> output_dtypes(const Node& node) const;
  // kNarrowOp: a slice when the count is known now, else a node whose axis 0 gets a new symbol.
  ValueId narrow(ValueId v, ValueId count, const Attrs& attrs, const std::string& source);
  Graph& graph_;
  std::unique_ptr<ShapeInference> inference_;
};

}  // namespace wgml::graph
