#include "wgml/compiler/merge_common.h"

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "wgml/core/attrs.h"
#include "wgml/core/error.h"

namespace wgml::compiler {

namespace {

using graph::Graph;
using graph::Node;
using graph::ValueId;

// Constants up to this size are compared by content; larger ones (weights) are left as they
// are: hashing them would cost load time for what exporters never duplicate.
constexpr int64_t kMaxMergedConstantBytes = 4096;

std::string constant_key(const graph::Value& v) {
  std::string key = str_cat(dtype_name(v.constant.dtype()), shape_str(v.constant.shape()), ":");
  const std::vector<uint8_t> bytes = v.constant.to_bytes();
  key.append(bytes.begin(), bytes.end());
  return key;
}

// Exact: floats by their bits, strings with their lengths.
std::string attr_key(const AttrValue& value) {
  auto bits = [](double d) {
    uint64_t u = 0;
    std::memcpy(&u, &d, sizeof u);
    return std::to_string(u);
  };
  if (const auto* i = std::get_if<int64_t>(&value)) return "i" + std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return "f" + bits(*d);
  if (const auto* s = std::get_if<std::string>(&value))
    return "s" + std::to_string(s->size()) + ":" + *s;
  std::string key = std::holds_alternative<Ints>(value) ? "I[" : "F[";
  if (const auto* ints = std::get_if<Ints>(&value))
    for (int64_t i : *ints)
      key += std::to_string(i) + ",";
  if (const auto* floats = std::get_if<Floats>(&value))
    for (double d : *floats)
      key += bits(d) + ",";
  return key + "]";
}

std::string node_key(const Node& node) {
  std::string key = node.op + "(";
  for (ValueId v : node.inputs)
    key += std::to_string(v) + ",";
  key += ")";
  for (const auto& [name, v] : node.attr_inputs)
    key += name + "=#" + std::to_string(v) + ";";
  for (const auto& [name, value] : node.attrs.values())
    key += name + "=" + attr_key(value) + ";";
  return key + "->" + std::to_string(node.outputs.size());
}

}  // namespace

Graph merge_common_subexpressions(const Graph& g) {
  Graph out = g;
  std::vector<ValueId> same(g.values.size());  // each value's replacement (itself if none)
  for (size_t i = 0; i < same.size(); ++i)
    same[i] = static_cast<ValueId>(i);
  auto renamed = [&](ValueId v) { return v == graph::kNoValue ? v : same[static_cast<size_t>(v)]; };

  std::map<std::string, ValueId> constants;
  for (size_t i = 0; i < g.values.size(); ++i) {
    const graph::Value& v = g.values[i];
    if (v.placement != graph::Placement::Constant || !v.constant.defined() ||
        v.constant.numel() * static_cast<int64_t>(dtype_size(v.constant.dtype())) >
            kMaxMergedConstantBytes)
      continue;
    same[i] = constants.emplace(constant_key(v), static_cast<ValueId>(i)).first->second;
  }

  std::map<std::string, size_t> seen;  // node key -> index in `nodes`
  std::vector<Node> nodes;
  for (Node node : g.nodes) {
    for (ValueId& v : node.inputs)
      v = renamed(v);
    for (auto& [name, v] : node.attr_inputs)
      v = renamed(v);
    if (!node.bodies.empty() || node.fused || node.epilogue) {
      nodes.push_back(std::move(node));
      continue;
    }
    const auto [it, fresh] = seen.emplace(node_key(node), nodes.size());
    if (fresh) {
      nodes.push_back(std::move(node));
      continue;
    }
    const Node& first = nodes[it->second];
    for (size_t o = 0; o < node.outputs.size(); ++o)
      same[static_cast<size_t>(node.outputs[o])] = first.outputs[o];
  }
  out.nodes = std::move(nodes);
  for (ValueId& v : out.outputs)
    v = renamed(v);
  graph::set_producers(out);
  return out;
}

}  // namespace wgml::compiler
