#include "wgml/compiler/move_scales.h"

#include <vector>

#include "wgml/ops/op_table.h"

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

}  // namespace

Graph move_scales_past_matmuls(const Graph& g) {
  // A returned value counts as a reader: it keeps its scaling.
  const std::vector<int> readers = graph::reader_counts(g);

  Graph out = g;
  std::vector<bool> dropped(g.nodes.size(), false);
  std::vector<std::vector<Node>> after(g.nodes.size());  // the muls each matmul gains
  for (size_t m = 0; m < g.nodes.size(); ++m) {
    Node& matmul = out.nodes[m];
    if (matmul.op != "matmul" || matmul.outputs.size() != 1 ||
        out.value(matmul.outputs[0]).dtype != DType::Float32)
      continue;
    for (size_t i = 0; i < 2 && i < matmul.inputs.size(); ++i) {
      // Up through views read by one node only, to a mul by a constant scalar.
      ValueId v = matmul.inputs[i];
      int consumer = static_cast<int>(m);  // the node whose input slot holds v
      while (v != graph::kNoValue && readers[static_cast<size_t>(v)] == 1) {
        const int p = out.value(v).producer;
        if (p < 0) break;
        const Node& producer = out.nodes[static_cast<size_t>(p)];
        const OpDef* op = op_table().find(producer.op);
        if (op != nullptr && op->kind == OpKind::View && producer.inputs.size() == 1 &&
            producer.outputs.size() == 1 && producer.attr_inputs.empty()) {
          consumer = p;
          v = producer.inputs[0];
          continue;
        }
        const bool divides = producer.op == "div";  // x / c: the product is divided instead
        if ((producer.op != "mul" && !divides) || producer.inputs.size() != 2 ||
            dropped[static_cast<size_t>(p)])
          break;
        const int s = graph::float32_scalar(out, producer.inputs[1]).has_value()               ? 1
                      : !divides && graph::float32_scalar(out, producer.inputs[0]).has_value() ? 0
                                                                                               : -1;
        const ValueId other = s < 0 ? graph::kNoValue : producer.inputs[static_cast<size_t>(1 - s)];
        if (other == graph::kNoValue || out.value(other).dtype != DType::Float32 ||
            graph::sym_shape_str(out.value(other).shape) !=
                graph::sym_shape_str(out.value(v).shape))
          break;  // a scalar that broadcasts the operand up is not a plain scaling
        // The consumer reads the unscaled operand; the product is scaled after the matmul.
        for (ValueId& in : out.nodes[static_cast<size_t>(consumer)].inputs)
          if (in == v) in = other;
        dropped[static_cast<size_t>(p)] = true;
        // The matmul now yields a fresh value that the new mul scales into what it yielded;
        // muls added before stay after this one.
        const ValueId current = matmul.outputs[0];
        graph::Value unscaled = out.value(current);
        unscaled.name += "_unscaled";
        out.values.push_back(unscaled);
        const auto fresh = static_cast<ValueId>(out.values.size() - 1);
        Node scale;
        scale.op = producer.op;
        scale.inputs = {fresh, producer.inputs[static_cast<size_t>(s)]};
        scale.outputs = {current};
        scale.source = producer.source + " (moved past " + matmul.source + ")";
        after[m].insert(after[m].begin(), scale);
        matmul.outputs = {fresh};
        break;
      }
    }
  }

  std::vector<Node> nodes;
  for (size_t n = 0; n < out.nodes.size(); ++n) {
    if (dropped[n]) continue;
    nodes.push_back(out.nodes[n]);
    for (Node& scale : after[n])
      nodes.push_back(scale);
  }
  out.nodes = std::move(nodes);
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
