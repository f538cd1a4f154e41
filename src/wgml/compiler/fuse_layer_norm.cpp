#include "wgml/compiler/fuse_layer_norm.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

// What is known of a graph while matching: producers and readers of each value.
struct Matcher {
  const Graph& g;
  std::vector<std::vector<int>> readers;  // node indices reading each value (once per slot)
  std::vector<int> counts;                // graph::reader_counts: returned values count too

  explicit Matcher(const Graph& graph)
      : g(graph), readers(graph.values.size()), counts(graph::reader_counts(graph)) {
    for (size_t n = 0; n < g.nodes.size(); ++n)
      for (ValueId v : g.nodes[n].inputs)
        if (v != graph::kNoValue) readers[static_cast<size_t>(v)].push_back(static_cast<int>(n));
  }
  // The node that writes `v`, if it is op `op` with plain inputs and one output.
  const Node* made_by(ValueId v, const char* op) const {
    const int p = g.value(v).producer;
    if (p < 0) return nullptr;
    const Node& node = g.nodes[static_cast<size_t>(p)];
    if (node.op != op || node.outputs.size() != 1 || !node.attr_inputs.empty() || node.fused ||
        node.epilogue)
      return nullptr;
    return &node;
  }
  int read_by(ValueId v) const { return counts[static_cast<size_t>(v)]; }
  // A float32 constant that broadcasts over the trailing `normalized` dims alone.
  bool affine_constant(ValueId v, const Shape& normalized) const {
    const graph::Value& c = g.value(v);
    if (c.placement != graph::Placement::Constant || c.dtype != DType::Float32) return false;
    const Shape& s = c.constant.shape();
    if (s.size() > normalized.size()) return false;
    for (size_t d = 0; d < s.size(); ++d)
      if (s[s.size() - 1 - d] != 1 && s[s.size() - 1 - d] != normalized[normalized.size() - 1 - d])
        return false;
    return true;
  }
};

// mean over trailing axes with keepdims: the first normalized axis, or -1 where not.
int trailing_mean_axis(const Graph& g, const Node& mean) {
  if (!mean.attrs.has("axes") || !mean.attrs.has("keepdims") || mean.attrs.i("keepdims") == 0)
    return -1;
  const graph::Value& x = g.value(mean.inputs[0]);
  if (!x.shape_known || x.dtype != DType::Float32) return -1;
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  for (int64_t a : mean.attrs.ints("axes"))
    axes.push_back(a < 0 ? a + rank : a);
  std::sort(axes.begin(), axes.end());
  if (axes.empty()) return -1;
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i)) return -1;
  return static_cast<int>(axes.front());
}

struct Found {
  std::vector<int> steps;  // the nodes replaced, the last one's output kept
  ValueId x, gamma = graph::kNoValue, beta = graph::kNoValue;
  int axis;
  double epsilon;
};

// The layer norm whose division is node `n`, if it is one.
std::optional<Found> match(const Matcher& m, int n) {
  const Graph& g = m.g;
  const Node& div = g.nodes[static_cast<size_t>(n)];
  if (div.op != "div" || div.inputs.size() != 2 || div.outputs.size() != 1) return std::nullopt;
  const ValueId d = div.inputs[0], s = div.inputs[1];
  const Node* sqrt = m.made_by(s, "sqrt");
  const Node* sub = m.made_by(d, "sub");
  if (!sqrt || !sub || m.read_by(s) != 1) return std::nullopt;
  const Node* add = m.made_by(sqrt->inputs[0], "add");
  if (!add || m.read_by(sqrt->inputs[0]) != 1) return std::nullopt;
  Found f;
  // mean(d^2) + eps, either way round.
  const size_t eps_slot = graph::float32_scalar(g, add->inputs[1]) ? 1 : 0;
  const std::optional<double> epsilon = graph::float32_scalar(g, add->inputs[eps_slot]);
  if (!epsilon) return std::nullopt;
  f.epsilon = *epsilon;
  const ValueId v = add->inputs[1 - eps_slot];
  const Node* var = m.made_by(v, "mean");
  if (!var || m.read_by(v) != 1) return std::nullopt;
  const ValueId p = var->inputs[0];
  const Node* square = m.made_by(p, "pow");
  const bool is_pow = square && square->inputs[0] == d &&
                      graph::float32_scalar(g, square->inputs[1]) == std::optional<double>(2.0);
  if (!is_pow) square = m.made_by(p, "mul");
  const bool is_mul = !is_pow && square && square->inputs[0] == d && square->inputs[1] == d;
  if ((!is_pow && !is_mul) || m.read_by(p) != 1 || m.read_by(d) != (is_pow ? 2 : 3))
    return std::nullopt;
  f.x = sub->inputs[0];
  const Node* mean = m.made_by(sub->inputs[1], "mean");
  if (!mean || mean->inputs[0] != f.x || m.read_by(sub->inputs[1]) != 1) return std::nullopt;
  f.axis = trailing_mean_axis(g, *mean);
  if (f.axis < 0 || trailing_mean_axis(g, *var) != f.axis ||
      mean->attrs.ints("axes").size() != var->attrs.ints("axes").size())
    return std::nullopt;
  const graph::Value& x = g.value(f.x);
  Shape normalized;
  for (size_t a = static_cast<size_t>(f.axis); a < x.shape.size(); ++a) {
    if (!x.shape[a].is_static()) return std::nullopt;
    normalized.push_back(x.shape[a].value);
  }
  for (const Node* step : {mean, sub, square, var, add, sqrt})
    f.steps.push_back(g.value(step->outputs[0]).producer);
  f.steps.push_back(n);
  // Then * gamma and + beta, each the only reader of what comes before it.
  ValueId y = div.outputs[0];
  for (const char* op : {"mul", "add"}) {
    const auto& readers = m.readers[static_cast<size_t>(y)];
    if (m.read_by(y) != 1 || readers.size() != 1) break;
    const Node& next = g.nodes[static_cast<size_t>(readers[0])];
    if (next.op != op || next.inputs.size() != 2 || next.outputs.size() != 1) break;
    const ValueId other = next.inputs[0] == y ? next.inputs[1] : next.inputs[0];
    if (!m.affine_constant(other, normalized)) break;
    (next.op == "mul" ? f.gamma : f.beta) = other;
    f.steps.push_back(readers[0]);
    y = next.outputs[0];
  }
  return f;
}

}  // namespace

Graph fuse_layer_norms(const Graph& g) {
  const Matcher m(g);
  Graph out = g;
  std::vector<bool> dropped(g.nodes.size(), false);
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const std::optional<Found> f = match(m, static_cast<int>(n));
    if (!f) continue;
    const int last = f->steps.back();
    for (int step : f->steps)
      dropped[static_cast<size_t>(step)] = step != last;
    Node& ln = out.nodes[static_cast<size_t>(last)];
    ValueId gamma = f->gamma;
    if (gamma == graph::kNoValue) {
      const graph::SymShape& xs = g.value(f->x).shape;
      Shape normalized;
      for (size_t a = static_cast<size_t>(f->axis); a < xs.size(); ++a)
        normalized.push_back(xs[a].value);
      gamma = graph::add_constant(
          out, "layer_norm_ones_" + std::to_string(out.values.size()),
          Tensor::from_vector(std::vector<float>(static_cast<size_t>(shape_numel(normalized)), 1),
                              normalized, DType::Float32));
    }
    ln.source = g.nodes[n].source + " ... " + ln.source + " (a layer norm)";
    ln.op = "layer_norm";
    ln.inputs = {f->x, gamma, f->beta};
    ln.attrs = Attrs{{"axis", int64_t{f->axis}}, {"epsilon", f->epsilon}};
  }
  std::vector<Node> nodes;
  for (size_t n = 0; n < out.nodes.size(); ++n)
    if (!dropped[n]) nodes.push_back(std::move(out.nodes[n]));
  out.nodes = std::move(nodes);
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
