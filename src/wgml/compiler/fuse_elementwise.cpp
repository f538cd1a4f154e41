#include "wgml/compiler/fuse_elementwise.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wgml/ops/op_table.h"

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

// A float attribute of a node as its op reads it: the node's value or the op's default.
double attr_value(const Node& node, const OpDef& op, const std::string& name) {
  if (node.attrs.has(name)) return node.attrs.f(name);
  for (const AttrSpec& spec : op.attrs) {
    if (spec.name == name && spec.default_value) {
      Attrs one;
      one.set(name, *spec.default_value);
      return one.f(name);
    }
  }
  return node.attrs.f(name);  // raises naming the attribute
}

// `e` (an op's forward rule) with each Param made the node's value (or the op's default).
expr::Expr with_params(const expr::Expr& e, const Node& node, const OpDef& op) {
  const expr::Node& x = e.node();
  if (x.fn == expr::Fn::Param) return expr::Expr(attr_value(node, op, x.param));
  if (x.args.empty()) return e;
  std::vector<expr::Expr> children;
  for (const auto& a : x.args)
    children.push_back(with_params(expr::Expr(a), node, op));
  return expr::apply(x.fn, children);
}

constexpr size_t kMaxLeaves = 7;

class Fuser {
 public:
  // A returned value counts as a reader, so it is never absorbed.
  explicit Fuser(const Graph& g) : g_(g), readers_(graph::reader_counts(g)) {}

  // A float32 elementwise op computed on the device, all of whose inputs are float32.
  bool fusible(const Node& node) const {
    const OpDef* op = op_table().find(node.op);
    if (op == nullptr || op->kind != OpKind::Elementwise || node.outputs.size() != 1 ||
        !node.attr_inputs.empty() || !op->forward.defined())
      return false;
    const graph::Value& out = g_.value(node.outputs[0]);
    if (out.placement != graph::Placement::Device || out.dtype != DType::Float32 ||
        !out.shape_known)
      return false;
    for (ValueId v : node.inputs) {
      if (v == graph::kNoValue || g_.value(v).dtype != DType::Float32) return false;
    }
    return true;
  }

  // The expression of value `v` inside the tree rooted at a node whose output has `shape`:
  // the producer's expression when it can be absorbed, else a leaf (a new input). `once`: the
  // reader's rule uses v once (a rule using it twice, as gelu its x, would compute an absorbed
  // tree twice: v stays a leaf, computed once by its own kernel).
  expr::Expr expand(ValueId v, const std::string& shape, bool once) {
    const graph::Value& value = g_.value(v);
    const int p = value.producer;
    // At most kMaxLeaves inputs (plus the output: WebGPU guarantees 8 storage buffers a shader):
    // absorb only while every input of the producer could still become a leaf.
    if (once && p >= 0 && readers_[static_cast<size_t>(v)] == 1 && fusible(g_.nodes[p]) &&
        leaves_.size() + g_.nodes[p].inputs.size() <= kMaxLeaves &&
        graph::sym_shape_str(value.shape) == shape) {
      absorbed_[static_cast<size_t>(p)] = true;
      tree_.push_back(p);
      // Rounded where the unfused graph stored it: fused results equal unfused ones on the CPU
      // (which computes in double) as on WebGPU.
      return expr::round_f32(substitute(g_.nodes[p], g_.nodes[p].inputs, shape));
    }
    for (size_t i = 0; i < leaves_.size(); ++i) {
      if (leaves_[i] == v) return expr::input(static_cast<int>(i));
    }
    leaves_.push_back(v);
    return expr::input(static_cast<int>(leaves_.size() - 1));
  }

  // Node `node`'s forward rule with its inputs expanded and its parameters made literals.
  expr::Expr substitute(const Node& node, const std::vector<ValueId>& inputs,
                        const std::string& shape) {
    const OpDef& op = *op_table().find(node.op);
    std::vector<expr::Expr> args;
    for (size_t i = 0; i < inputs.size(); ++i)
      args.push_back(expand(inputs[i], shape, uses(op.forward, static_cast<int>(i)) == 1));
    names_ += (names_.empty() ? "" : "+") + node.op;
    return expr::substitute(with_params(op.forward, node, op), args);
  }

  Graph run() {
    Graph out = g_;
    out.nodes.clear();
    absorbed_.assign(g_.nodes.size(), false);
    std::vector<Node> rebuilt(g_.nodes.size());
    std::vector<bool> fused(g_.nodes.size(), false);
    // Roots from the last node back, so each tree is as large as the rules allow.
    for (size_t n = g_.nodes.size(); n-- > 0;) {
      const Node& node = g_.nodes[n];
      if (absorbed_[n] || !fusible(node)) continue;
      leaves_.clear();
      names_.clear();
      tree_.clear();
      const std::string shape = graph::sym_shape_str(g_.value(node.outputs[0]).shape);
      const expr::Expr e = substitute(node, node.inputs, shape);
      if (leaves_.size() > kMaxLeaves) {  // the root's own inputs went past the bound
        for (int p : tree_)
          absorbed_[static_cast<size_t>(p)] = false;
        continue;
      }
      if (tree_.empty()) continue;
      auto def = std::make_shared<OpDef>();
      def->name = "fused " + names_;
      def->kind = OpKind::Elementwise;
      def->family = "fused";
      def->forward = e;
      for (size_t i = 0; i < leaves_.size(); ++i)
        def->inputs.push_back({"x" + std::to_string(i), dtypes::kFloat, -1, false, false});
      Node f;
      f.op = kFusedOp;
      f.inputs = leaves_;
      f.outputs = node.outputs;
      f.source = node.source;
      f.fused = std::move(def);
      rebuilt[n] = std::move(f);
      fused[n] = true;
    }
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      if (absorbed_[n]) continue;
      Node node = fused[n] ? rebuilt[n] : g_.nodes[n];
      for (ValueId v : node.outputs)
        out.values[static_cast<size_t>(v)].producer = static_cast<int>(out.nodes.size());
      out.nodes.push_back(std::move(node));
    }
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      if (!absorbed_[n]) continue;
      for (ValueId v : g_.nodes[n].outputs)
        out.values[static_cast<size_t>(v)].producer = -1;
    }
    return out;
  }

 private:
  // How many times `e` reads input `index`.
  static int uses(const expr::Expr& e, int index) {
    const expr::Node& x = e.node();
    if (x.fn == expr::Fn::Input) return x.index == index ? 1 : 0;
    int n = 0;
    for (const auto& a : x.args)
      n += uses(expr::Expr(a), index);
    return n;
  }

  const Graph& g_;
  std::vector<int> readers_;
  std::vector<bool> absorbed_;
  std::vector<ValueId> leaves_;
  std::string names_;
  std::vector<int> tree_;  // the nodes absorbed into the current root
};

}  // namespace

expr::Expr elementwise_expression(const Node& node) {
  if (node.fused) return node.fused->forward;
  const OpDef& op = op_table().get(node.op);
  return with_params(op.forward, node, op);
}

Graph fuse_elementwise(const Graph& graph) {
  return Fuser(graph).run();
}

}  // namespace wgml::compiler
