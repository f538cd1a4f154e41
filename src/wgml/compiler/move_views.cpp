#include "wgml/compiler/move_views.h"

#include <optional>
#include <vector>

#include "wgml/ops/op_table.h"

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

std::optional<Shape> static_shape(const graph::Value& v) {
  if (!v.shape_known) return std::nullopt;
  Shape shape;
  for (const graph::SymDim& d : v.shape) {
    if (!d.is_static()) return std::nullopt;
    shape.push_back(d.value);
  }
  return shape;
}

// A view step of the chain, undone: the inverse permutation, or the reshape back.
struct Inverse {
  std::string op;
  Attrs attrs;
  Shape shape;  // the shape it yields
};

// The view nodes from `u` up to the product they show (last first), and the steps that undo
// them applied to a contiguous tensor of u's shape; nullopt where any of that fails.
struct Chain {
  std::vector<int> nodes;  // from the add's side up
  ValueId product;
  std::vector<Inverse> inverse;
};

std::optional<Chain> view_chain(const Graph& g, ValueId u, const std::vector<int>& readers,
                                const std::function<bool(const std::string&)>& takes) {
  Chain c;
  std::optional<Shape> shape = static_shape(g.value(u));
  if (!shape) return std::nullopt;
  Strides strides = contiguous_strides(*shape);
  ValueId v = u;
  while (true) {
    if (readers[static_cast<size_t>(v)] != 1) return std::nullopt;
    const int p = g.value(v).producer;
    if (p < 0) return std::nullopt;
    const Node& node = g.nodes[static_cast<size_t>(p)];
    if (node.outputs.size() != 1 || node.fused || node.epilogue) return std::nullopt;
    if (node.op != "permute" && node.op != "reshape") {
      if (c.nodes.empty() || !takes(node.op) || g.value(v).dtype != DType::Float32)
        return std::nullopt;
      c.product = v;
      return c;
    }
    const std::optional<Shape> before = static_shape(g.value(node.inputs[0]));
    if (!before) return std::nullopt;
    Inverse step;
    step.shape = *before;
    if (node.op == "permute") {
      const Ints& perm = node.attrs.ints("perm");
      if (perm.size() != shape->size()) return std::nullopt;
      Ints back(perm.size());
      Strides s(perm.size());
      for (size_t i = 0; i < perm.size(); ++i) {
        const int64_t axis = perm[i] < 0 ? perm[i] + static_cast<int64_t>(perm.size()) : perm[i];
        back[static_cast<size_t>(axis)] = static_cast<int64_t>(i);
        s[static_cast<size_t>(axis)] = strides[i];
      }
      step.op = "permute";
      step.attrs = Attrs{{"perm", back}};
      strides = s;
    } else {
      const std::optional<Strides> s = view_strides(*shape, strides, *before);
      if (!s) return std::nullopt;  // the residual would need a copy
      step.op = "reshape";
      step.attrs = Attrs{{"shape", Ints(before->begin(), before->end())}};
      strides = *s;
    }
    c.nodes.push_back(p);
    c.inverse.push_back(step);
    shape = *before;
    v = node.inputs[0];
  }
}

// Whether `r` is a contiguous value of its own: written by a kernel (not a view), an input or a
// constant.
bool contiguous_value(const Graph& g, ValueId r) {
  const int p = g.value(r).producer;
  if (p < 0) return true;
  const Node& node = g.nodes[static_cast<size_t>(p)];
  if (node.fused || node.epilogue) return true;
  const OpDef* op = op_table().find(node.op);
  return op != nullptr && op->kind != OpKind::View && op->kind != OpKind::Composite;
}

ValueId new_value(Graph& g, const graph::Value& like, const Shape& shape, const char* suffix) {
  graph::Value v = like;
  v.name += suffix;
  v.producer = -1;
  v.placement = graph::Placement::Device;
  v.constant = Tensor();
  v.shape.clear();
  for (int64_t d : shape)
    v.shape.push_back(graph::SymDim(d, ""));
  v.shape_known = true;
  g.values.push_back(v);
  return static_cast<ValueId>(g.values.size() - 1);
}

}  // namespace

Graph move_views_past_adds(const Graph& g,
                           const std::function<bool(const std::string&)>& takes_epilogue) {
  const std::vector<int> readers = graph::reader_counts(g);
  Graph out = g;
  std::vector<bool> moved(g.nodes.size(), false);     // chain nodes re-emitted later
  std::vector<std::vector<Node>> at(g.nodes.size());  // what replaces each add
  std::vector<bool> replaced(g.nodes.size(), false);
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& add = g.nodes[n];
    if (add.op != "add" || add.inputs.size() != 2 || add.outputs.size() != 1 ||
        g.value(add.outputs[0]).dtype != DType::Float32)
      continue;
    for (size_t side = 0; side < 2; ++side) {
      const ValueId u = add.inputs[side], r = add.inputs[1 - side];
      const std::optional<Shape> us = static_shape(g.value(u)), rs = static_shape(g.value(r));
      if (!us || !rs || *us != *rs || g.value(r).dtype != DType::Float32 ||
          g.value(r).placement != graph::Placement::Device || !contiguous_value(g, r))
        continue;
      const std::optional<Chain> chain = view_chain(g, u, readers, takes_epilogue);
      bool free = chain.has_value();
      for (size_t i = 0; free && i < chain->nodes.size(); ++i)
        free = !moved[static_cast<size_t>(chain->nodes[i])];
      if (!free) continue;
      // r undone through the inverse steps, added to the product, then the chain as it was.
      std::vector<Node>& nodes = at[n];
      ValueId x = r;
      for (const Inverse& step : chain->inverse) {
        Node view;
        view.op = step.op;
        view.attrs = step.attrs;
        view.inputs = {x};
        x = new_value(out, g.value(r), step.shape, "_undone");
        view.outputs = {x};
        view.source = add.source + " (residual seen as the product)";
        nodes.push_back(view);
      }
      Node sum = add;
      sum.inputs = {chain->product, x};
      sum.outputs = {new_value(out, g.value(chain->product), *static_shape(out.value(x)), "_plus")};
      nodes.push_back(sum);
      ValueId carried = sum.outputs[0];
      for (auto it = chain->nodes.rbegin(); it != chain->nodes.rend(); ++it) {
        Node step = g.nodes[static_cast<size_t>(*it)];
        step.inputs[0] = carried;
        if (it + 1 == chain->nodes.rend()) step.outputs = add.outputs;
        carried = step.outputs[0];
        nodes.push_back(step);
        moved[static_cast<size_t>(*it)] = true;
      }
      replaced[n] = true;
      break;
    }
  }
  std::vector<Node> nodes;
  for (size_t n = 0; n < out.nodes.size(); ++n) {
    if (replaced[n]) {
      for (Node& node : at[n])
        nodes.push_back(std::move(node));
    } else if (!moved[n]) {
      nodes.push_back(std::move(out.nodes[n]));
    }
  }
  out.nodes = std::move(nodes);
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
