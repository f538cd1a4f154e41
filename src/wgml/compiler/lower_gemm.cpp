#include "wgml/compiler/lower_gemm.h"

#include <string>
#include <vector>

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

// Appends nodes and values to a graph under construction.
class Emitter {
 public:
  Emitter(Graph& g, const Node& from) : g_(g), from_(from) {}

  ValueId value(const graph::SymShape& shape, bool known) {
    graph::Value v;
    v.name = "lowered_" + std::to_string(g_.values.size());
    v.shape = shape;
    v.shape_known = known;
    g_.values.push_back(v);
    return static_cast<ValueId>(g_.values.size() - 1);
  }
  ValueId scalar(double x) {
    return graph::add_constant(g_, "lowered_" + std::to_string(g_.values.size()),
                               Tensor::scalar(x, DType::Float32));
  }
  // Node `op` of `inputs` writing `out`.
  void node(const std::string& op, std::vector<ValueId> inputs, ValueId out) {
    Node n;
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {out};
    n.source = from_.source;
    nodes.push_back(std::move(n));
  }
  std::vector<Node> nodes;

 private:
  Graph& g_;
  const Node& from_;
};

bool lowerable(const Graph& g, const Node& node) {
  if (node.op != "gemm" || node.outputs.size() != 1 || !node.attr_inputs.empty()) return false;
  for (ValueId v : node.inputs)
    if (v != graph::kNoValue && g.value(v).dtype != DType::Float32) return false;
  const graph::Value& out = g.value(node.outputs[0]);
  return out.dtype == DType::Float32 && out.placement == graph::Placement::Device &&
         out.shape_known && out.shape.size() == 2;
}

}  // namespace

Graph lower_gemms(const Graph& g) {
  Graph out = g;
  out.nodes.clear();
  for (const Node& node : g.nodes) {
    if (!lowerable(g, node)) {
      out.nodes.push_back(node);
      continue;
    }
    Emitter e(out, node);
    const ValueId result = node.outputs[0];
    const graph::SymShape shape = g.value(result).shape;  // [M, N]
    auto attr_or = [&](const char* name, double fallback) {
      return node.attrs.has(name) ? node.attrs.f(name) : fallback;
    };
    const double alpha = attr_or("alpha", 1), beta = attr_or("beta", 1);
    const bool has_c = node.inputs.size() > 2 && node.inputs[2] != graph::kNoValue && beta != 0;
    // A' and B' as transposed views where asked.
    std::vector<ValueId> operands;
    for (size_t i = 0; i < 2; ++i) {
      ValueId v = node.inputs[i];
      const char* flag = i == 0 ? "transA" : "transB";
      if (node.attrs.has(flag) && node.attrs.i(flag) != 0) {
        const graph::Value& in = g.value(v);
        graph::SymShape t = in.shape;
        if (t.size() == 2) std::swap(t[0], t[1]);
        const ValueId tv = e.value(t, in.shape_known && t.size() == 2);
        e.node("transpose", {v}, tv);
        v = tv;
      }
      operands.push_back(v);
    }
    // The last step writes the node's own output value.
    const bool scaled = alpha != 1;
    ValueId y = scaled || has_c ? e.value(shape, true) : result;
    e.node("matmul", operands, y);
    if (scaled) {
      const ValueId s = has_c ? e.value(shape, true) : result;
      e.node("mul", {y, e.scalar(alpha)}, s);
      y = s;
    }
    if (has_c) {
      ValueId c = node.inputs[2];
      if (beta != 1) {
        const graph::Value& in = g.value(c);
        const ValueId cs = e.value(in.shape, in.shape_known);
        e.node("mul", {c, e.scalar(beta)}, cs);
        c = cs;
      }
      e.node("add", {y, c}, result);
    }
    for (Node& n : e.nodes)
      out.nodes.push_back(std::move(n));
  }
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
