#include "wgml/compiler/fuse_epilogue.h"

#include <memory>
#include <vector>

#include "wgml/compiler/fuse_elementwise.h"
#include "wgml/ops/op_table.h"

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

bool float_device_value(const Graph& g, ValueId v) {
  const graph::Value& value = g.value(v);
  return value.dtype == DType::Float32 && value.placement == graph::Placement::Device &&
         value.shape_known;
}

}  // namespace

Graph fuse_epilogues(const Graph& g, const std::function<bool(const std::string& op)>& takes) {
  // Per value: the nodes reading it (a node once, however many of its slots do) and whether
  // the graph returns it. Shape nodes count as graph::reader_counts counts them.
  const std::set<std::string> symbols = graph::input_symbols(g);
  std::vector<std::vector<size_t>> readers(g.values.size());
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (graph::reads_no_data(g, g.nodes[n], symbols)) continue;
    auto note = [&](ValueId v) {
      auto& r = readers[static_cast<size_t>(v)];
      if (r.empty() || r.back() != n) r.push_back(n);
    };
    for (ValueId v : g.nodes[n].inputs)
      if (v != graph::kNoValue) note(v);
    for (const auto& [name, v] : g.nodes[n].attr_inputs)
      note(v);
  }
  std::vector<bool> returned(g.values.size(), false);
  for (ValueId v : g.outputs)
    returned[static_cast<size_t>(v)] = true;

  std::vector<bool> absorbed(g.nodes.size(), false), taken(g.nodes.size(), false);
  std::vector<Node> nodes = g.nodes;
  for (size_t a = 0; a < nodes.size(); ++a) {
    const Node anchor = nodes[a];  // a copy: nodes[reader] is overwritten below
    if (anchor.fused || anchor.outputs.size() != 1 || !takes(anchor.op)) continue;
    const ValueId product = anchor.outputs[0];
    const auto& r = readers[static_cast<size_t>(product)];
    // One reader, not already finishing another product (add(conv, conv) takes one of them).
    if (returned[static_cast<size_t>(product)] || r.size() != 1 || taken[r[0]] ||
        !float_device_value(g, product))
      continue;
    const Node& reader = g.nodes[r[0]];
    const OpDef* op = reader.fused ? reader.fused.get() : op_table().find(reader.op);
    if (op == nullptr || op->kind != OpKind::Elementwise || !op->forward.defined() ||
        reader.outputs.size() != 1 || !reader.attr_inputs.empty() ||
        !float_device_value(g, reader.outputs[0]) ||
        graph::sym_shape_str(g.value(reader.outputs[0]).shape) !=
            graph::sym_shape_str(g.value(product).shape))
      continue;
    // An anchor finished already (a reader of a reader) keeps its epilogue's inputs first and
    // its expression where the product was.
    const size_t had = anchor.epilogue ? anchor.epilogue->inputs.size() - 1 : 0;
    std::vector<ValueId> extra(anchor.inputs.end() - static_cast<std::ptrdiff_t>(had),
                               anchor.inputs.end());
    const expr::Expr value = anchor.epilogue ? anchor.epilogue->forward : expr::input(0);
    std::vector<expr::Expr> args;
    bool fits = true;
    for (ValueId v : reader.inputs) {
      if (v == graph::kNoValue || g.value(v).dtype != DType::Float32) {
        fits = false;
        break;
      }
      if (v == product) {
        args.push_back(value);
        continue;
      }
      if (const std::optional<double> c = graph::float32_scalar(g, v)) {
        args.push_back(expr::Expr(*c));  // a literal: no binding (gelu's 1/sqrt(2), a scale)
        continue;
      }
      size_t k = 0;
      while (k < extra.size() && extra[k] != v)
        ++k;
      if (k == extra.size()) extra.push_back(v);
      args.push_back(expr::input(static_cast<int>(k + 1)));
    }
    if (!fits || extra.size() > kMaxEpilogueInputs) continue;
    auto def = std::make_shared<OpDef>();
    def->name = (anchor.epilogue ? anchor.epilogue->name + "+" : std::string("epilogue ")) +
                (reader.fused ? reader.fused->name.substr(6) : reader.op);  // "fused " dropped
    def->kind = OpKind::Elementwise;
    def->family = "fused";
    def->forward = expr::substitute(elementwise_expression(reader), args);
    for (size_t i = 0; i <= extra.size(); ++i)
      def->inputs.push_back({"x" + std::to_string(i), dtypes::kFloat, -1, false, false});
    Node fused = anchor;
    fused.inputs.resize(anchor.inputs.size() - had);
    fused.inputs.insert(fused.inputs.end(), extra.begin(), extra.end());
    fused.outputs = reader.outputs;
    fused.source = anchor.source + " with " + reader.source;
    fused.epilogue = std::move(def);
    nodes[r[0]] = std::move(fused);  // at the reader's place: every input exists by then
    absorbed[a] = true;
    taken[r[0]] = true;
  }

  Graph out = g;
  out.nodes.clear();
  for (size_t n = 0; n < nodes.size(); ++n)
    if (!absorbed[n]) out.nodes.push_back(std::move(nodes[n]));
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
