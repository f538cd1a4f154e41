#include "wgml/compiler/fold_batch_norm.h"

#include <cmath>
#include <string>
#include <vector>

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

bool float_constant(const Graph& g, ValueId v) {
  if (v == graph::kNoValue) return false;
  const graph::Value& value = g.value(v);
  return value.placement == graph::Placement::Constant && value.dtype == DType::Float32;
}

// The channel count C of batch_norm's input [N, C, ...] when its statistics are C constants.
int64_t constant_channels(const Graph& g, const Node& bn) {
  if (bn.inputs.size() != 5 || bn.outputs.size() != 1 || !bn.attr_inputs.empty()) return -1;
  const graph::Value& x = g.value(bn.inputs[0]);
  if (x.dtype != DType::Float32 || !x.shape_known || x.shape.size() < 2 || !x.shape[1].is_static())
    return -1;
  const int64_t channels = x.shape[1].value;
  for (size_t i = 1; i < 5; ++i)
    if (!float_constant(g, bn.inputs[i]) || g.value(bn.inputs[i]).constant.numel() != channels)
      return -1;
  return channels;
}

ValueId add_constant(Graph& g, const std::string& name, const std::vector<double>& values,
                     const Shape& shape) {
  return graph::add_constant(g, name, Tensor::from_vector(values, shape, DType::Float32));
}

// The conv that alone produces `x`, with constant float32 weights [C, ...] and bias, or null.
Node* foldable_conv(Graph& g, ValueId x, const std::vector<int>& readers, int64_t channels) {
  const int p = g.value(x).producer;
  if (p < 0 || readers[static_cast<size_t>(x)] != 1) return nullptr;
  Node& conv = g.nodes[static_cast<size_t>(p)];
  if (conv.op != "conv" || conv.outputs.size() != 1 || !conv.attr_inputs.empty() ||
      conv.inputs.size() < 2 || !float_constant(g, conv.inputs[1]))
    return nullptr;
  const Tensor& w = g.value(conv.inputs[1]).constant;
  if (w.rank() < 1 || w.shape()[0] != channels) return nullptr;
  const bool has_bias = conv.inputs.size() > 2 && conv.inputs[2] != graph::kNoValue;
  if (has_bias && !float_constant(g, conv.inputs[2])) return nullptr;
  return &conv;
}

}  // namespace

Graph fold_batch_norms(const Graph& g) {
  const std::vector<int> readers = graph::reader_counts(g);
  Graph out = g;
  std::vector<bool> dropped(g.nodes.size(), false);
  std::vector<std::vector<Node>> replaced(g.nodes.size());  // mul + add for a lone batch_norm
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node bn = out.nodes[n];
    if (bn.op != "batch_norm") continue;
    const int64_t channels = constant_channels(out, bn);
    if (channels < 0) continue;
    auto param = [&](size_t i) { return out.value(bn.inputs[i]).constant.to_vector<double>(); };
    const std::vector<double> scale = param(1), bias = param(2), mean = param(3), var = param(4);
    const double epsilon = bn.attrs.f("epsilon");
    std::vector<double> gain(static_cast<size_t>(channels)), shift(gain.size());
    for (size_t c = 0; c < gain.size(); ++c) {
      gain[c] = scale[c] / std::sqrt(var[c] + epsilon);
      shift[c] = bias[c] - mean[c] * gain[c];
    }
    const std::string name = out.value(bn.outputs[0]).name;
    if (Node* conv = foldable_conv(out, bn.inputs[0], readers, channels)) {
      const Tensor& w = out.value(conv->inputs[1]).constant;
      std::vector<double> weights = w.to_vector<double>();
      const size_t per_channel = weights.size() / gain.size();
      for (size_t i = 0; i < weights.size(); ++i)
        weights[i] *= gain[i / per_channel];
      std::vector<double> b = shift;
      if (conv->inputs.size() > 2 && conv->inputs[2] != graph::kNoValue) {
        const std::vector<double> old = out.value(conv->inputs[2]).constant.to_vector<double>();
        for (size_t c = 0; c < b.size(); ++c)
          b[c] += old[c] * gain[c];
      }
      const Shape w_shape = w.shape();
      conv->inputs.resize(3);
      conv->inputs[1] = add_constant(out, name + "_folded_w", weights, w_shape);
      conv->inputs[2] = add_constant(out, name + "_folded_b", b, {channels});
      conv->outputs = bn.outputs;
      conv->source += " + " + bn.source + " (folded)";
      dropped[n] = true;
      continue;
    }
    // [C, 1, ...]: per channel over x's [N, C, ...].
    Shape per_channel{channels};
    per_channel.resize(out.value(bn.inputs[0]).shape.size() - 1, 1);
    graph::Value scaled = out.value(bn.outputs[0]);
    scaled.name = name + "_scaled";
    scaled.producer = -1;
    out.values.push_back(scaled);
    const auto scaled_id = static_cast<ValueId>(out.values.size() - 1);
    Node mul, add;
    mul.op = "mul";
    mul.inputs = {bn.inputs[0], add_constant(out, name + "_gain", gain, per_channel)};
    mul.outputs = {scaled_id};
    add.op = "add";
    add.inputs = {scaled_id, add_constant(out, name + "_shift", shift, per_channel)};
    add.outputs = bn.outputs;
    mul.source = add.source = bn.source;
    replaced[n] = {mul, add};
    dropped[n] = true;
  }
  std::vector<Node> nodes;
  for (size_t n = 0; n < out.nodes.size(); ++n) {
    if (!dropped[n]) nodes.push_back(out.nodes[n]);
    for (Node& r : replaced[n])
      nodes.push_back(r);
  }
  out.nodes = std::move(nodes);
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
