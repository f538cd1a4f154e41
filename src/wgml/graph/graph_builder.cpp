#include "wgml/graph/graph_builder.h"

#include <algorithm>

#include "wgml/core/error.h"
#include "wgml/graph/meta_device.h"
#include "wgml/ops/op_table.h"
#include "wgml/runtime/dispatch.h"

namespace wgml::graph {

namespace {

// Host nodes are shape arithmetic: a node whose inputs are all known on the CPU still runs on the
// device when an output is larger than this, so real data never silently moves to the CPU.
constexpr int64_t kHostElementLimit = 4096;

// Constant folding allocates its results while the model loads; a result above this size that is
// also much larger than its inputs (a generator) is computed on the device at run time instead.
constexpr double kFoldLimitBytes = 64.0 * 1024 * 1024;

// The sizes a dynamic dim takes in the two probe runs; distinct per symbol so dims that follow
// different symbols can be told apart, and large enough for the strided shrinking of CNNs.
int64_t probe_size(int probe, size_t symbol_index) {
  return (probe == 0 ? 32 : 48) + 2 * static_cast<int64_t>(symbol_index);
}

Tensor meta_like(const Tensor& t) {
  if (&t.device() == &meta_device()) return t;
  return Tensor::empty(t.shape(), t.dtype(), meta_device());
}

size_t expected_outputs(const std::string& op, const Attrs& attrs) {
  if (op == "split" && attrs.has("sizes")) return attrs.ints("sizes").size();
  if (op == "topk") return 2;
  return 1;
}

}  // namespace

struct GraphBuilder::Probes {
  // Per value and probe run: a meta tensor (device values) or the real CPU tensor (constants and
  // host values). Undefined when inference could not follow the value.
  std::vector<Tensor> tensors[2];
  std::vector<std::string> symbols;  // dynamic dim names, in the order they were met
  EagerRuntime cpu{&cpu_device()};
  EagerRuntime meta{&meta_device()};

  void grow(size_t n) {
    for (auto& t : tensors)
      t.resize(n);
  }
  size_t symbol_index(const std::string& name) {
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (symbols[i] == name) return i;
    }
    symbols.push_back(name);
    return symbols.size() - 1;
  }
  // A dim that differs between the probe runs, named after the symbol it follows.
  SymDim name_dim(int64_t a, int64_t b) const {
    for (size_t k = 0; k < symbols.size(); ++k) {
      const int64_t pa = probe_size(0, k), pb = probe_size(1, k);
      if (a == pa && b == pb) return {-1, symbols[k]};
      if (a % pa == 0 && b % pb == 0 && a / pa == b / pb)
        return {-1, std::to_string(a / pa) + "*" + symbols[k]};
    }
    return {-1, "?"};
  }
};

GraphBuilder::GraphBuilder(Graph& graph) : graph_(graph), probes_(std::make_unique<Probes>()) {}
GraphBuilder::~GraphBuilder() = default;

ValueId GraphBuilder::input(const std::string& name, DType dtype, bool shape_known,
                            const SymShape& shape) {
  const auto id = static_cast<ValueId>(graph_.values.size());
  Value v;
  v.name = name;
  v.placement = Placement::Device;
  v.type_known = shape_known;
  v.dtype = dtype;
  v.shape = shape;
  graph_.values.push_back(v);
  probes_->grow(graph_.values.size());
  if (shape_known) {
    for (int p = 0; p < 2; ++p) {
      Shape concrete;
      for (const SymDim& d : shape)
        concrete.push_back(d.is_static() ? d.value
                                         : probe_size(p, probes_->symbol_index(d.symbol)));
      probes_->tensors[p][static_cast<size_t>(id)] = Tensor::empty(concrete, dtype, meta_device());
    }
  }
  InputSpec spec;
  spec.value = id;
  spec.name = name;
  spec.dtype = dtype;
  spec.shape_known = shape_known;
  spec.shape = shape;
  graph_.inputs.push_back(spec);
  return id;
}

ValueId GraphBuilder::constant(const Tensor& cpu_tensor, const std::string& name) {
  WGML_CHECK(&cpu_tensor.device() == &cpu_device(), "graph constants live on the CPU");
  const auto id = static_cast<ValueId>(graph_.values.size());
  Value v;
  v.name = name.empty() ? "const_" + std::to_string(id) : name;
  v.placement = Placement::Constant;
  v.type_known = true;
  v.dtype = cpu_tensor.dtype();
  for (int64_t d : cpu_tensor.shape())
    v.shape.push_back({d, ""});
  v.constant = cpu_tensor;
  graph_.values.push_back(v);
  probes_->grow(graph_.values.size());
  for (auto& t : probes_->tensors)
    t[static_cast<size_t>(id)] = cpu_tensor;
  return id;
}

bool GraphBuilder::folds_large(const std::string& op, const std::vector<ValueId>& inputs,
                               const Attrs& attrs) {
  double in_bytes = 0, out_bytes = 0;
  std::vector<Tensor> args;
  for (ValueId v : inputs) {
    if (v == kNoValue) {
      args.emplace_back();
      continue;
    }
    const Tensor& c = graph_.value(v).constant;
    in_bytes += static_cast<double>(c.numel()) * static_cast<double>(dtype_size(c.dtype()));
    args.push_back(meta_like(c));
  }
  try {
    for (const Tensor& t : probes_->meta.call(op, args, attrs))
      out_bytes += static_cast<double>(t.numel()) * static_cast<double>(dtype_size(t.dtype()));
  } catch (const std::exception&) {
    return false;  // folding raises the error (or reads data the meta run could not)
  }
  return out_bytes > kFoldLimitBytes && out_bytes > 2 * in_bytes;
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
    bool is_static = in.type_known;
    for (const SymDim& d : in.shape)
      is_static = is_static && d.is_static();
    if (is_static) {
      Shape dims;
      for (const SymDim& d : in.shape)
        dims.push_back(d.value);
      return {constant(evaluate_shape_op(dims, node.attrs))};
    }
  }

  // Constant folding: run it now on the CPU, unless it would blow small constants up into a large
  // tensor (ConstantOfShape, Expand, Tile, Range): that runs on the device at run time instead,
  // so loading a model never allocates far more than the model holds.
  if (all_constant && !shape_op && !folds_large(op, inputs, node.attrs)) {
    std::vector<Tensor> args;
    for (ValueId v : inputs)
      args.push_back(v == kNoValue ? Tensor() : graph_.value(v).constant);
    std::vector<Tensor> results;
    try {
      results = probes_->cpu.call(op, args, node.attrs);
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
              : probes_->cpu.call1("copy", {r});
      ids.push_back(constant(owned));
    }
    return ids;
  }

  if (all_constant && !shape_op) all_host = false;  // a large generator: a Device node

  // Shape inference: the op on both probe runs.
  std::vector<Tensor> results[2];
  bool inferred = true;
  for (int p = 0; p < 2 && inferred; ++p) {
    std::vector<Tensor> args;
    for (ValueId v : inputs) {
      args.push_back(v == kNoValue ? Tensor() : probes_->tensors[p][static_cast<size_t>(v)]);
      inferred = inferred && (v == kNoValue || args.back().defined());
    }
    std::map<std::string, Tensor> run_time;
    for (const auto& [name, v] : attr_inputs) {
      const Tensor& t = probes_->tensors[p][static_cast<size_t>(v)];
      inferred = inferred && t.defined() && &t.device() == &cpu_device();
      run_time[name] = t;
    }
    if (!inferred) break;
    try {
      if (shape_op) {
        results[p] = {evaluate_shape_op(args.at(0).shape(), node.attrs)};
        continue;
      }
      Attrs probe_attrs = node.attrs;
      bind_attr_inputs(op, probe_attrs, run_time, source);
      if (all_host) {
        results[p] = probes_->cpu.call(op, args, probe_attrs);
      } else {
        for (Tensor& t : args) {
          if (t.defined()) t = meta_like(t);
        }
        results[p] = probes_->meta.call(op, args, probe_attrs);
      }
    } catch (const std::exception& e) {
      // With static shapes the probes are the real shapes, so the model itself is wrong.
      if (probes_->symbols.empty()) rethrow_at(node, e);
      // With dynamic dims the probe sizes may not suit the model: stop inferring, don't refuse it.
      if (graph_.inference_note.empty())
        graph_.inference_note = source + " (" + op + "): " + e.what();
      inferred = false;
    }
  }

  size_t count = inferred ? results[0].size() : expected_outputs(op, node.attrs);
  bool host = all_host;
  if (inferred && !shape_op) {
    for (const auto& rs : results) {
      for (const Tensor& t : rs)
        host = host && t.numel() <= kHostElementLimit;
    }
  }
  const auto node_index = static_cast<int>(graph_.nodes.size());
  for (size_t o = 0; o < count; ++o) {
    const auto id = static_cast<ValueId>(graph_.values.size());
    Value v;
    v.name = "v" + std::to_string(id);
    v.placement = host ? Placement::Host : Placement::Device;
    v.producer = node_index;
    if (inferred && results[0][o].rank() == results[1][o].rank()) {
      const Tensor& a = results[0][o];
      const Tensor& b = results[1][o];
      v.type_known = true;
      v.dtype = a.dtype();
      for (size_t d = 0; d < a.rank(); ++d) {
        const int64_t da = a.shape()[d], db = b.shape()[d];
        v.shape.push_back(da == db ? SymDim{da, ""} : probes_->name_dim(da, db));
      }
    }
    graph_.values.push_back(v);
    probes_->grow(graph_.values.size());
    if (v.type_known) {
      for (int p = 0; p < 2; ++p)
        probes_->tensors[p][static_cast<size_t>(id)] = results[p][o];
    }
    node.outputs.push_back(id);
  }
  graph_.nodes.push_back(node);
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
    WGML_CHECK(n >= 0 && (!in.type_known || in.shape.empty() || !in.shape[0].is_static() ||
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
  if (in.type_known && !in.shape.empty() && probes_->tensors[0][static_cast<size_t>(v)].defined()) {
    type = {true, in.dtype, in.shape};
    type.shape[0] = {-1, "?"};
  }
  const std::string prefix = attrs.has("symbol") ? attrs.s("symbol") : std::string("count");
  return add_typed(node, {type}, prefix).at(0);
}

std::string GraphBuilder::fresh_symbol(const std::string& prefix) {
  std::string symbol;
  for (int k = 1; symbol.empty() || std::find(probes_->symbols.begin(), probes_->symbols.end(),
                                              symbol) != probes_->symbols.end();
       ++k)
    symbol = prefix + "_" + std::to_string(k);
  probes_->symbol_index(symbol);
  return symbol;
}

std::vector<ValueId> GraphBuilder::add_typed(Node node, const std::vector<OutputType>& types,
                                             const std::string& prefix) {
  const int producer = static_cast<int>(graph_.nodes.size());
  for (const OutputType& type : types) {
    const auto id = static_cast<ValueId>(graph_.values.size());
    Value out;
    out.name = "v" + std::to_string(id);
    // Always a Device value: its probes are meta tensors, which Host nodes could not compute on.
    out.placement = Placement::Device;
    out.producer = producer;
    out.type_known = type.known;
    out.dtype = type.dtype;
    out.shape = type.shape;
    Shape probe[2];
    for (SymDim& d : out.shape) {
      if (!d.is_static() && d.symbol == "?") d.symbol = fresh_symbol(prefix);
      for (int p = 0; p < 2; ++p) {
        if (d.is_static()) {
          probe[p].push_back(d.value);
          continue;
        }
        // "k*symbol" as name_dim writes it (a small k), else a symbol of its own.
        const size_t star = d.symbol.find('*');
        const bool scaled = star != std::string::npos && star > 0 && star <= 6 &&
                            std::all_of(d.symbol.begin(), d.symbol.begin() + star,
                                        [](char c) { return c >= '0' && c <= '9'; });
        const int64_t times = scaled ? std::stoll(d.symbol.substr(0, star)) : 1;
        const std::string name = scaled ? d.symbol.substr(star + 1) : d.symbol;
        probe[p].push_back(times * probe_size(p, probes_->symbol_index(name)));
      }
    }
    graph_.values.push_back(out);
    probes_->grow(graph_.values.size());
    if (type.known) {
      for (int p = 0; p < 2; ++p)
        probes_->tensors[p][static_cast<size_t>(id)] =
            Tensor::empty(probe[p], type.dtype, meta_device());
    }
    node.outputs.push_back(id);
  }
  graph_.nodes.push_back(node);
  return graph_.nodes.back().outputs;
}

}  // namespace wgml::graph
