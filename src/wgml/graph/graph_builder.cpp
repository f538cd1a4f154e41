#include "wgml/graph/graph_builder.h"

#include <algorithm>

#include "wgml/core/error.h"
#include "wgml/graph/meta_device.h"
#include "wgml/ops/infer.h"
#include "wgml/ops/op_table.h"
#include "wgml/runtime/dispatch.h"

namespace wgml::graph {

namespace {

// Constant folding never widens a large constant: a result above this size that is larger than
// its inputs (a generator such as ConstantOfShape, or a quantized weight cast to float or int32)
// is computed on the device at run time instead, so a model's resident constants stay what its
// file stores (int8 weights stay int8) and loading never allocates far more than the file holds.
constexpr double kWideningFoldBytes = 4.0 * 1024;
constexpr double kWideningFactor = 1.25;
// An 8-bit constant with more elements than this is a quantized weight (not a zero point): no
// fold widens it, however small.
constexpr int64_t kQuantizedScalarElements = 16;

Tensor meta_like(const Tensor& t) {
  if (&t.device() == &meta_device()) return t;
  return Tensor::empty(t.shape(), t.dtype(), meta_device());
}

// A placeholder of the right type for an attribute that a run-time value will give.
AttrValue placeholder(AttrType type) {
  switch (type) {
    case AttrType::Int:
      return int64_t{0};
    case AttrType::Float:
      return 0.0;
    case AttrType::IntList:
      return Ints{};
    case AttrType::FloatList:
      return Floats{};
    case AttrType::String:
      return std::string();
  }
  return int64_t{0};
}

}  // namespace

GraphBuilder::GraphBuilder(Graph& graph)
    : graph_(graph), inference_(std::make_unique<ShapeInference>(graph)) {}
GraphBuilder::~GraphBuilder() = default;

ValueId GraphBuilder::input(const std::string& name, DType dtype, bool shape_known,
                            const SymShape& shape) {
  const auto id = static_cast<ValueId>(graph_.values.size());
  Value v;
  v.name = name;
  v.placement = Placement::Device;
  v.shape_known = shape_known;
  v.dtype = dtype;
  v.shape = shape;
  inference_->declare(v.shape);
  graph_.values.push_back(v);
  InputSpec spec;
  spec.value = id;
  spec.name = name;
  spec.dtype = dtype;
  spec.shape_known = shape_known;
  spec.shape = v.shape;
  graph_.inputs.push_back(spec);
  return id;
}

ValueId GraphBuilder::constant(const Tensor& cpu_tensor, const std::string& name) {
  WGML_CHECK(&cpu_tensor.device() == &cpu_device(), "graph constants live on the CPU");
  const auto id = static_cast<ValueId>(graph_.values.size());
  Value v;
  v.name = name.empty() ? "const_" + std::to_string(id) : name;
  v.placement = Placement::Constant;
  v.shape_known = true;
  v.dtype = cpu_tensor.dtype();
  for (int64_t d : cpu_tensor.shape())
    v.shape.push_back({d, "", {}});
  v.constant = cpu_tensor;
  graph_.values.push_back(v);
  return id;
}

std::vector<DType> GraphBuilder::output_dtypes(const Node& node) const {
  if (node.op == kShapeOp) return {DType::Int64};
  const OpDef& def = op_table().get(node.op);
  std::vector<Tensor> args;
  std::vector<DType> dtypes;
  for (ValueId v : node.inputs) {
    if (v == kNoValue) {
      args.emplace_back();
      dtypes.push_back(DType::Float32);
      continue;
    }
    args.push_back(Tensor::empty({}, graph_.value(v).dtype, meta_device()));
    dtypes.push_back(graph_.value(v).dtype);
  }
  Attrs attrs = node.attrs;
  for (const auto& [name, v] : node.attr_inputs) {
    for (const AttrSpec& spec : def.attrs) {
      if (spec.name == name) attrs.set(name, placeholder(spec.type));
    }
  }
  return infer_dtypes(bind_call(def, args, attrs), dtypes);
}

bool GraphBuilder::folds_wider(const std::string& op, const std::vector<ValueId>& inputs,
                               const Attrs& attrs) {
  double in_bytes = 0, out_bytes = 0;
  bool quantized = false;  // reads an 8-bit weight, not just a zero point
  std::vector<Tensor> args;
  for (ValueId v : inputs) {
    if (v == kNoValue) {
      args.emplace_back();
      continue;
    }
    const Tensor& c = graph_.value(v).constant;
    in_bytes += static_cast<double>(c.numel()) * static_cast<double>(dtype_size(c.dtype()));
    quantized = quantized || ((c.dtype() == DType::Int8 || c.dtype() == DType::UInt8) &&
                              c.numel() > kQuantizedScalarElements);
    args.push_back(meta_like(c));
  }
  try {
    for (const Tensor& t : EagerRuntime(&meta_device()).call(op, args, attrs))
      out_bytes += static_cast<double>(t.numel()) * static_cast<double>(dtype_size(t.dtype()));
  } catch (const std::exception&) {
    return false;  // folding raises the error (or reads data the meta run could not)
  }
  if (quantized && out_bytes > in_bytes) return true;  // never a float copy of a quantized weight
  return out_bytes > kWideningFoldBytes && out_bytes > kWideningFactor * in_bytes;
}

const Tensor* GraphBuilder::constant_of(ValueId id) const {
  if (id == kNoValue) return nullptr;
  const Value& v = graph_.value(id);
  return v.placement == Placement::Constant ? &v.constant : nullptr;
}

void GraphBuilder::set_outputs(const std::vector<ValueId>& outputs,
                               const std::vector<std::string>& names) {
  graph_.outputs = outputs;
  graph_.output_names = names;
  remove_dead_nodes(graph_);
}

void GraphBuilder::rename(ValueId id, const std::string& name) {
  graph_.values.at(static_cast<size_t>(id)).name = name;
}

std::vector<ValueId> GraphBuilder::add(const std::string& op, const std::vector<ValueId>& inputs,
                                       Attrs attrs, std::map<std::string, ValueId> attr_inputs,
                                       const std::string& source) {
  if (op == kNarrowOp) return {narrow(inputs.at(0), inputs.at(1), attrs, source)};
  Node node;
  node.op = op;
  node.source = source;
  node.inputs = inputs;
  const bool shape_op = op == kShapeOp;
  if (!shape_op) op_table().get(op);  // an unknown op is a converter bug: say so now

  // Attributes whose tensors are known now become plain attributes.
  std::map<std::string, Tensor> known;
  for (auto it = attr_inputs.begin(); it != attr_inputs.end();) {
    if (const Tensor* c = constant_of(it->second)) {
      known[it->first] = *c;
      it = attr_inputs.erase(it);
    } else {
      ++it;
    }
  }
  node.attrs = attrs;
  try {
    if (!known.empty()) bind_attr_inputs(op, node.attrs, known, source);
  } catch (const std::exception& e) {
    rethrow_at(node, e);
  }
  node.attr_inputs = attr_inputs;

  bool all_constant = attr_inputs.empty();
  bool all_host = true;  // every input known on the CPU at run time
  for (ValueId v : inputs) {
    if (v == kNoValue) continue;
    const Placement p = graph_.value(v).placement;
    all_constant = all_constant && p == Placement::Constant;
    all_host = all_host && p != Placement::Device;
  }
  for (const auto& [name, v] : attr_inputs)
    all_host = all_host && graph_.value(v).placement != Placement::Device;
  // The shape of a value is known on the CPU whatever computes the value.
  if (shape_op) {
    all_host = true;
    const Value& in = graph_.value(inputs.at(0));
    bool is_static = in.shape_known;
    for (const SymDim& d : in.shape)
      is_static = is_static && d.is_static();
    if (is_static) {
      Shape dims;
      for (const SymDim& d : in.shape)
        dims.push_back(d.value);
      return {constant(evaluate_shape_op(dims, node.attrs))};
    }
  }

  // Constant folding: run it now on the CPU, unless it would widen constants into a larger tensor
  // (ConstantOfShape, Expand, Tile, Range, dequantizing a weight): that runs on the device at run
  // time instead.
  if (all_constant && !shape_op && !folds_wider(op, inputs, node.attrs)) {
    std::vector<Tensor> args;
    for (ValueId v : inputs)
      args.push_back(v == kNoValue ? Tensor() : graph_.value(v).constant);
    std::vector<Tensor> results;
    try {
      results = EagerRuntime(&cpu_device()).call(op, args, node.attrs);
    } catch (const std::exception& e) {
      rethrow_at(node, e);
    }
    std::vector<ValueId> ids;
    for (const Tensor& r : results) {
      // Views of constants are materialised so a constant never pins a larger storage.
      const Tensor owned =
          r.is_contiguous() && r.offset() == 0 &&
                  r.storage()->nbytes() == static_cast<size_t>(r.numel()) * dtype_size(r.dtype())
              ? r
              : EagerRuntime(&cpu_device()).call1("copy", {r});
      ids.push_back(constant(owned));
    }
    return ids;
  }

  if (all_constant && !shape_op) all_host = false;  // a widening fold: a Device node

  // Types first, from the op table's dtype rules alone; then shapes, symbolically.
  std::vector<DType> dtypes;
  try {
    dtypes = output_dtypes(node);
  } catch (const std::exception& e) {
    rethrow_at(node, e);
  }
  const auto node_index = static_cast<int>(graph_.nodes.size());
  for (DType dtype : dtypes) {
    const auto id = static_cast<ValueId>(graph_.values.size());
    Value v;
    v.name = "v" + std::to_string(id);
    v.dtype = dtype;
    v.producer = node_index;
    graph_.values.push_back(v);
    node.outputs.push_back(id);
  }
  graph_.nodes.push_back(node);
  try {
    inference_->infer(node_index, all_host);
  } catch (const std::exception& e) {
    rethrow_at(node, e);
  }
  return graph_.nodes.back().outputs;
}

ValueId GraphBuilder::narrow(ValueId v, ValueId count, const Attrs& attrs,
                             const std::string& source) {
  if (const Tensor* known = constant_of(count)) {
    WGML_CHECK(known->numel() == 1 && !is_floating(known->dtype()), source,
               ": a narrowing count must be one integer, got ", known->dtype(), " ",
               known->shape());
    const auto n = known->to_vector<int64_t>()[0];
    const Value& in = graph_.value(v);
    WGML_CHECK(n >= 0 && (!in.shape_known || in.shape.empty() || !in.shape[0].is_static() ||
                          n <= in.shape[0].value),
               source, ": count ", n, " does not fit axis 0 of ", sym_shape_str(in.shape));
    return add("slice", {v}, {{"starts", Ints{0}}, {"ends", Ints{n}}, {"axes", Ints{0}}}, {},
               source)
        .at(0);
  }
  Node node;
  node.op = kNarrowOp;
  node.attrs = attrs;
  node.inputs = {v, count};
  node.source = source;
  // The narrowed axis gets a symbol of its own, so the nodes downstream infer symbolic shapes
  // exactly as they do for a dynamic input dim.
  const Value& in = graph_.value(v);
  OutputType type;
  type.dtype = in.dtype;
  if (in.shape_known && !in.shape.empty()) {
    type = {true, in.dtype, in.shape};
    type.shape[0] = {-1, "?", {}};
  }
  const std::string prefix = attrs.has("symbol") ? attrs.s("symbol") : std::string("count");
  return add_typed(node, {type}, prefix).at(0);
}

std::string GraphBuilder::fresh_symbol(const std::string& prefix) {
  return inference_->fresh_symbol(prefix);
}

std::vector<ValueId> GraphBuilder::add_typed(Node node, const std::vector<OutputType>& types,
                                             const std::string& prefix) {
  const int producer = static_cast<int>(graph_.nodes.size());
  for (const OutputType& type : types) {
    const auto id = static_cast<ValueId>(graph_.values.size());
    Value out;
    out.name = "v" + std::to_string(id);
    // Always a Device value: its shapes are symbolic, so Host nodes could not read its data.
    out.placement = Placement::Device;
    out.producer = producer;
    out.shape_known = type.known;
    out.dtype = type.dtype;
    out.shape = type.shape;
    for (SymDim& d : out.shape) {
      if (!d.is_static() && d.symbol == "?") d = sym_dim(SymExpr::symbol(fresh_symbol(prefix)));
    }
    inference_->declare(out.shape);
    graph_.values.push_back(out);
    node.outputs.push_back(id);
  }
  graph_.nodes.push_back(node);
  return graph_.nodes.back().outputs;
}

}  // namespace wgml::graph
