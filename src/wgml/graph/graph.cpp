#include "wgml/graph/graph.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"

namespace wgml::graph {

SymExpr dim_expr(const SymDim& dim) {
  if (dim.is_static()) return SymExpr::constant(dim.value);
  if (!dim.expr.is_constant()) return dim.expr;
  return SymExpr::symbol(dim.symbol);
}

SymDim sym_dim(const SymExpr& expr) {
  if (expr.is_constant()) return {expr.constant_value(), "", {}};
  return {-1, expr.str(), expr};
}

std::vector<ValueId> device_constants(const Graph& graph) {
  std::vector<ValueId> out;
  std::vector<bool> seen(graph.values.size(), false);
  for (const Node& node : graph.nodes) {
    if (!node.outputs.empty() && graph.value(node.outputs[0]).placement == Placement::Host)
      continue;
    for (ValueId v : node.inputs) {
      if (v == kNoValue || seen[static_cast<size_t>(v)]) continue;
      if (graph.value(v).placement != Placement::Constant) continue;
      seen[static_cast<size_t>(v)] = true;
      out.push_back(v);
    }
  }
  return out;
}

std::string sym_shape_str(const SymShape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += shape[i].is_static() ? std::to_string(shape[i].value) : shape[i].symbol;
  }
  return out + "]";
}

Tensor evaluate_shape_op(const Shape& shape, const Attrs& attrs) {
  if (attrs.has("numel"))
    return Tensor::scalar(static_cast<double>(shape_numel(shape)), DType::Int64);
  const auto rank = static_cast<int64_t>(shape.size());
  // ONNX Shape-15: negative bounds count from the end, then both clamp to [0, rank].
  auto clamp_bound = [rank](int64_t b) {
    return std::clamp(b < 0 ? b + rank : b, int64_t{0}, rank);
  };
  const int64_t start = clamp_bound(attrs.has("start") ? attrs.i("start") : 0);
  const int64_t end = clamp_bound(attrs.has("end") ? attrs.i("end") : rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(shape[static_cast<size_t>(i)]);
  return Tensor::from_vector(dims, {static_cast<int64_t>(dims.size())}, DType::Int64);
}

namespace {

// The values of an integer attribute's tensor; a float tensor's must be finite and within int64
// (NaN or 1e300 has no integer value, and converting it would be undefined behaviour).
Ints integers_of(const Tensor& tensor, const std::string& what) {
  if (is_integral(tensor.dtype())) return tensor.to_vector<int64_t>();
  Ints out;
  for (double v : tensor.to_vector<double>()) {
    WGML_CHECK(std::isfinite(v) && v >= -9.2233720368547758e18 && v < 9.2233720368547758e18, what,
               " holds ", v, ", which is not an integer in range");
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

}  // namespace

void bind_attr_inputs(const std::string& op, Attrs& attrs,
                      const std::map<std::string, Tensor>& values, const std::string& source) {
  const OpDef& def = op_table().get(op);
  for (const auto& [name, tensor] : values) {
    const AttrSpec* spec = nullptr;
    for (const AttrSpec& s : def.attrs) {
      if (s.name == name) spec = &s;
    }
    WGML_CHECK(spec != nullptr, source, ": ", op, " has no attribute '", name, "'");
    WGML_CHECK(is_integral(tensor.dtype()) || is_floating(tensor.dtype()), source, ": attribute '",
               name, "' of ", op, " comes from a ", tensor.dtype(), " tensor");
    switch (spec->type) {
      case AttrType::Int:
        WGML_CHECK(tensor.numel() == 1, source, ": attribute '", name,
                   "' needs one integer, the tensor holds ", tensor.numel(), " (shape ",
                   tensor.shape(), ")");
        attrs.set(name, integers_of(tensor, source + ": attribute '" + name + "'")[0]);
        break;
      case AttrType::Float:
        WGML_CHECK(tensor.numel() == 1, source, ": attribute '", name,
                   "' needs one number, the tensor holds ", tensor.numel(), " (shape ",
                   tensor.shape(), ")");
        attrs.set(name, tensor.to_vector<double>()[0]);
        break;
      case AttrType::IntList:
        WGML_CHECK(tensor.rank() <= 1, source, ": attribute '", name,
                   "' needs a 1-d tensor, got shape ", tensor.shape());
        attrs.set(name, integers_of(tensor, source + ": attribute '" + name + "'"));
        break;
      case AttrType::FloatList:
        WGML_CHECK(tensor.rank() <= 1, source, ": attribute '", name,
                   "' needs a 1-d tensor, got shape ", tensor.shape());
        attrs.set(name, tensor.to_vector<double>());
        break;
      case AttrType::String:
        fail(source, ": attribute '", name, "' of ", op,
             " is a string; it cannot come from a tensor");
    }
  }
}

void rethrow_at(const Node& node, const std::exception& error) {
  const std::string message = error.what();
  // Errors already located (nested composites) keep their first location.
  if (!node.source.empty() && message.rfind(node.source, 0) != 0)
    throw Error(node.source + " (" + node.op + "): " + message);
  throw Error(message);
}

bool is_plain_symbol(const SymDim& dim) {
  return !dim.is_static() && dim_expr(dim) == SymExpr::symbol(dim.symbol);
}

std::set<std::string> input_symbols(const Graph& graph) {
  std::set<std::string> symbols;
  for (const InputSpec& spec : graph.inputs)
    for (const SymDim& d : spec.shape)
      if (is_plain_symbol(d)) symbols.insert(d.symbol);
  return symbols;
}

bool shape_from_inputs(const Graph& graph, ValueId v, const std::set<std::string>& symbols) {
  const Value& value = graph.value(v);
  if (!value.shape_known) return false;
  std::set<std::string> used;
  for (const SymDim& d : value.shape)
    if (!d.is_static()) dim_expr(d).collect_symbols(used);
  for (const std::string& s : used)
    if (!symbols.count(s)) return false;
  return true;
}

bool reads_no_data(const Graph& graph, const Node& node, const std::set<std::string>& symbols) {
  return node.op == kShapeOp && node.inputs.size() == 1 &&
         shape_from_inputs(graph, node.inputs[0], symbols);
}

std::optional<double> float32_scalar(const Graph& graph, ValueId v) {
  const Value& value = graph.value(v);
  if (value.placement != Placement::Constant || value.dtype != DType::Float32 ||
      value.constant.numel() != 1)
    return std::nullopt;
  return value.constant.to_vector<double>().at(0);
}

std::vector<int> reader_counts(const Graph& graph) {
  const std::set<std::string> symbols = input_symbols(graph);
  std::vector<int> readers(graph.values.size(), 0);
  for (const Node& node : graph.nodes) {
    // Shape reads no data: where the executor can tell the shape without the tensor, it needs
    // none, and the value may be fused away.
    if (reads_no_data(graph, node, symbols)) continue;
    for (ValueId v : node.inputs)
      if (v != kNoValue) ++readers[static_cast<size_t>(v)];
    for (const auto& [name, v] : node.attr_inputs)
      ++readers[static_cast<size_t>(v)];
  }
  for (ValueId v : graph.outputs)
    ++readers[static_cast<size_t>(v)];
  return readers;
}

ValueId add_constant(Graph& graph, const std::string& name, const Tensor& constant) {
  Value v;
  v.name = name;
  v.placement = Placement::Constant;
  v.dtype = constant.dtype();
  v.shape_known = true;
  for (int64_t d : constant.shape())
    v.shape.push_back(SymDim(d, ""));
  v.constant = constant;
  graph.values.push_back(v);
  return static_cast<ValueId>(graph.values.size() - 1);
}

void set_producers(Graph& graph) {
  for (Value& v : graph.values)
    v.producer = -1;
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (ValueId v : graph.nodes[n].outputs)
      graph.values[static_cast<size_t>(v)].producer = static_cast<int>(n);
}

void remove_dead_nodes(Graph& graph) {
  std::vector<bool> read(graph.values.size(), false);
  for (ValueId v : graph.outputs)
    read[static_cast<size_t>(v)] = true;
  std::vector<bool> keep(graph.nodes.size(), false);
  for (size_t n = graph.nodes.size(); n-- > 0;) {
    const Node& node = graph.nodes[n];
    for (ValueId v : node.outputs)
      keep[n] = keep[n] || read[static_cast<size_t>(v)];
    if (!keep[n]) continue;
    for (ValueId v : node.inputs) {
      if (v != kNoValue) read[static_cast<size_t>(v)] = true;
    }
    for (const auto& [name, v] : node.attr_inputs)
      read[static_cast<size_t>(v)] = true;
  }
  std::vector<Node> kept;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    for (ValueId v : graph.nodes[n].outputs)
      graph.values[static_cast<size_t>(v)].producer = keep[n] ? static_cast<int>(kept.size()) : -1;
    if (!keep[n]) continue;
    kept.push_back(std::move(graph.nodes[n]));
  }
  graph.nodes = std::move(kept);
}

}  // namespace wgml::graph
