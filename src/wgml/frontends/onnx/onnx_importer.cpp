#include "wgml/frontends/onnx/onnx_importer.h"

#include <algorithm>
#include <map>
#include <set>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"
#include "wgml/graph/graph_builder.h"

namespace wgml::onnx {

namespace {

// Opsets 1 to 6 are legacy but still in ONNX's own suite and old exports; the converters implement
// their attribute forms (broadcast=1 binaries, Clip attributes, ...), checked by that suite.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 21;

bool is_default_domain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}

std::string node_label(const NodeProto& node, size_t index) {
  return node.name.empty() ? "#" + std::to_string(index) : "'" + node.name + "'";
}

std::string dirname_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

// The version each imported domain has in the model, keyed by canonical domain ("" default).
using DomainOpsets = std::map<std::string, int64_t>;

DomainOpsets domain_opsets(const ModelProto& model) {
  DomainOpsets out;
  for (const OpsetImport& o : model.opset_imports)
    out[canonical_domain(o.domain)] = o.version;
  return out;
}

// One message for every op type the engine cannot import, so a user learns them all at once.
void check_supported(const GraphProto& graph, int64_t opset, const DomainOpsets& domains,
                     const std::string& where) {
  std::map<std::string, std::vector<std::string>> missing;  // "Op (opset N)" -> node labels
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const NodeProto& node = graph.nodes[i];
    std::string key;
    if (!is_default_domain(node.domain)) {
      const Converter* c = converter_table().find(node.domain, node.op_type);
      const auto it = domains.find(canonical_domain(node.domain));
      const int64_t version = it == domains.end() ? 0 : it->second;
      if (c != nullptr && version >= c->min_opset) continue;
      key = node.op_type + " (domain '" + node.domain + "')";
    } else {
      const Converter* c = converter_table().find("", node.op_type);
      if (c != nullptr && opset >= c->min_opset) continue;
      key = node.op_type + " (opset " + std::to_string(opset) + ")";
    }
    missing[key].push_back(node_label(node, i));
  }
  if (missing.empty()) return;
  std::string message = where + ": " + std::to_string(missing.size()) +
                        " ONNX op type(s) that wgml does not support:";
  for (const auto& [key, nodes] : missing) {
    message += "\n  " + key + ": " + std::to_string(nodes.size()) + " node(s) ";
    for (size_t i = 0; i < nodes.size() && i < 5; ++i)
      message += (i ? ", " : "") + nodes[i];
    if (nodes.size() > 5) message += ", ...";
  }
  throw Error(message);
}

// Every name a graph's nodes read and every name it (or a graph nested in it) defines.
void collect_names(const GraphProto& g, std::set<std::string>& reads,
                   std::set<std::string>& defined) {
  for (const ValueInfo& info : g.inputs)
    defined.insert(info.name);
  for (const TensorProto& init : g.initializers)
    defined.insert(init.name);
  for (const NodeProto& node : g.nodes) {
    for (const std::string& in : node.inputs) {
      if (!in.empty()) reads.insert(in);
    }
    for (const std::string& out : node.outputs)
      defined.insert(out);
    for (const AttributeProto& a : node.attributes) {
      for (const auto& nested : a.graphs) {
        if (nested) collect_names(*nested, reads, defined);
      }
    }
  }
}

// What a node reads: its inputs, and the enclosing names its subgraphs read.
std::vector<std::string> node_reads(const NodeProto& node) {
  std::vector<std::string> names = node.inputs;
  for (const AttributeProto& a : node.attributes) {
    for (const auto& g : a.graphs) {
      if (!g) continue;
      std::set<std::string> reads, defined;
      collect_names(*g, reads, defined);
      for (const std::string& name : reads) {
        if (!defined.count(name)) names.push_back(name);
      }
    }
  }
  return names;
}

// Node indices in an order where every value is produced before it is read; the file should
// already be sorted, but exporters and hand edits are not always careful. Raises on values
// nobody defines, values defined twice and cycles.
std::vector<size_t> topological_order(const GraphProto& graph, const std::set<std::string>& known,
                                      const std::string& where) {
  const size_t n = graph.nodes.size();
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (out.empty()) continue;
      WGML_CHECK(!known.count(out), where, ": node ", node_label(graph.nodes[i], i), " writes '",
                 out, "', which is already a graph input or initializer");
      const auto [it, fresh] = producer.emplace(out, i);
      WGML_CHECK(fresh, where, ": value '", out,
                 "' is written by two nodes: ", node_label(graph.nodes[it->second], it->second),
                 " and ", node_label(graph.nodes[i], i));
    }
  }
  std::vector<std::vector<size_t>> readers(n);
  std::vector<size_t> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    std::set<std::string> seen;  // a name read twice is one dependency
    for (const std::string& in : node_reads(graph.nodes[i])) {
      if (in.empty() || known.count(in) || !seen.insert(in).second) continue;
      const auto it = producer.find(in);
      WGML_CHECK(it != producer.end(), where, ": node ", node_label(graph.nodes[i], i), " (",
                 graph.nodes[i].op_type, ") reads '", in,
                 "', which no node, graph input or initializer defines");
      readers[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::vector<size_t> order;
  std::vector<size_t> ready;
  for (size_t i = n; i-- > 0;) {
    if (pending[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    const size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    // Readers become ready in file order (the stack pops the smallest index first).
    std::vector<size_t> now;
    for (size_t r : readers[i]) {
      if (--pending[r] == 0) now.push_back(r);
    }
    std::sort(now.rbegin(), now.rend());
    for (size_t r : now)
      ready.push_back(r);
  }
  if (order.size() != n) {
    std::string stuck;
    int shown = 0;
    for (size_t i = 0; i < n && shown < 5; ++i) {
      if (pending[i] == 0) continue;
      stuck += (shown++ ? ", " : "") + node_label(graph.nodes[i], i);
    }
    fail(where, ": the graph has a cycle; these nodes wait on each other: ", stuck);
  }
  return order;
}

graph::SymShape declared_shape(const ValueInfo& info, const std::string& where) {
  graph::SymShape shape;
  for (size_t d = 0; d < info.shape.size(); ++d) {
    const Dim& dim = info.shape[d];
    if (dim.has_value) {
      WGML_CHECK(dim.value >= 0, where, ": input '", info.name, "' declares dim ", d, " as ",
                 dim.value);
      shape.push_back({dim.value, ""});
    } else {
      // An unnamed dynamic dim gets a name of its own, so it binds independently.
      shape.push_back({-1, dim.param.empty() ? info.name + ".dim" + std::to_string(d) : dim.param});
    }
  }
  return shape;
}

// Converts a graph's nodes into the builder, reading and writing `values` (ONNX name -> engine
// value). Subgraphs (If's branches) go through the same path, inlined into the same builder with
// a copy of the enclosing scope, so they see the outer values by name as ONNX says.
struct Importer {
  graph::GraphBuilder& builder;
  int64_t opset;
  const DomainOpsets& domains;
  std::string base_dir, where;
  ProgressFn progress;
  size_t done, total;
  // Sequence and optional values by ONNX name (tensors are in the scope maps).
  std::map<std::string, ListValue> lists = {};
  // Values DequantizeLinear made of quantized weights (NodeContext::note_quantized).
  std::map<ValueId, QuantizedWeight> quantized = {};

  void convert_nodes(const GraphProto& g, std::map<std::string, ValueId>& values) {
    std::set<std::string> known;
    for (const auto& [name, id] : values)
      known.insert(name);
    for (const auto& [name, list] : lists)
      known.insert(name);
    const std::vector<size_t> order = topological_order(g, known, where);
    for (size_t index : order) {
      const NodeProto& node = g.nodes[index];
      std::vector<ValueId> inputs;
      std::vector<const ListValue*> list_inputs;
      // Copies: inlining a subgraph (SequenceMap, an unrolled Loop) replaces `lists`.
      std::vector<ListValue> held(node.inputs.size());
      for (const std::string& name : node.inputs) {
        const auto list = lists.find(name);
        const bool is_list = !name.empty() && list != lists.end() && !values.count(name);
        if (is_list) held[list_inputs.size()] = list->second;
        list_inputs.push_back(is_list ? &held[list_inputs.size()] : nullptr);
        inputs.push_back(name.empty() || is_list ? graph::kNoValue : values.at(name));
      }
      NodeContext ctx(builder, node, opset, inputs, base_dir, list_inputs);
      ctx.set_quantized_table(&quantized);
      ctx.set_subgraph_inliner([&](const GraphProto& sub, const std::vector<Operand>& bound) {
        return inline_subgraph(sub, values, bound);
      });
      ctx.set_body_importer([&](const GraphProto& sub, const std::vector<NodeContext::BodyType>& t,
                                const std::map<std::string, ValueId>& extra) {
        std::map<std::string, ValueId> outer = values;
        for (const auto& [name, id] : extra)
          outer[name] = id;
        return import_body(sub, t, outer);
      });
      try {
        converter_table().find(node.domain, node.op_type)->convert(ctx);
      } catch (const std::exception& e) {
        const std::string message = e.what();
        if (message.rfind(where, 0) == 0) throw;  // already placed, by a subgraph's node
        if (message.rfind(ctx.source(), 0) == 0) throw Error(where + ": " + message);
        throw Error(where + ": " + ctx.source() + ": " + message);
      }
      const std::vector<ValueId>& produced = ctx.outputs();
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        const std::string& name = node.outputs[o];
        if (name.empty()) continue;
        const auto list = ctx.list_outputs().find(o);
        if (list != ctx.list_outputs().end()) {
          values.erase(name);
          lists[name] = list->second;
          continue;
        }
        lists.erase(name);
        WGML_CHECK(o < produced.size() && produced[o] != graph::kNoValue, where, ": ", ctx.source(),
                   ": output ", o, " ('", name, "') is not supported by wgml");
        values[name] = produced[o];
        const std::string& current = builder.value(produced[o]).name;
        if (current.rfind("v", 0) == 0 || current.rfind("const_", 0) == 0)
          builder.rename(produced[o], name);
      }
      if (progress) progress("converting", ++done, total);
    }
  }

  // A subgraph inlined: If's input-less branches, or a body whose inputs `bound` gives
  // (SequenceMap's, an unrolled Loop's); returns its outputs.
  std::vector<Operand> inline_subgraph(const GraphProto& sub,
                                       const std::map<std::string, ValueId>& outer,
                                       const std::vector<Operand>& bound) {
    const std::string label = where + " (subgraph '" + sub.name + "')";
    WGML_CHECK(!sub.has_sparse_initializers, label, ": sparse initializers are not supported");
    check_supported(sub, opset, domains, label);
    std::map<std::string, ValueId> scope = outer;
    // The subgraph's own names do not outlive it (an unrolled body is inlined many times).
    const std::map<std::string, ListValue> saved_lists = lists;
    for (const TensorProto& init : sub.initializers)
      scope[init.name] =
          builder.constant(to_tensor(init, base_dir, label + ": initializer '" + init.name + "'"));
    if (!bound.empty()) {
      WGML_CHECK(bound.size() == sub.inputs.size(), label, ": the subgraph takes ",
                 sub.inputs.size(), " inputs, the node gives it ", bound.size());
      for (size_t i = 0; i < bound.size(); ++i) {
        const std::string& name = sub.inputs[i].name;
        if (bound[i].list) {
          scope.erase(name);
          lists[name] = *bound[i].list;
        } else {
          scope[name] = bound[i].value;
          lists.erase(name);
        }
      }
    }
    for (const ValueInfo& info : sub.inputs)
      WGML_CHECK(scope.count(info.name) || lists.count(info.name), label, ": subgraph input '",
                 info.name, "' is not supported here (only If's input-less branches are inlined)");
    total += sub.nodes.size();  // the branch's nodes count in the progress too
    convert_nodes(sub, scope);
    std::vector<Operand> outputs;
    for (const ValueInfo& info : sub.outputs) {
      const auto it = scope.find(info.name);
      if (it != scope.end()) {
        outputs.push_back({it->second, {}});
        continue;
      }
      const auto list = lists.find(info.name);
      WGML_CHECK(list != lists.end(), label, ": output '", info.name, "' is not computed");
      outputs.push_back({graph::kNoValue, list->second});
    }
    lists = saved_lists;
    return outputs;
  }

  // A Loop body as a graph of its own: its inputs take `declared` types; the enclosing values it
  // reads become further inputs (constants are copied in, so folding works inside).
  NodeContext::ImportedBody import_body(const GraphProto& sub,
                                        const std::vector<NodeContext::BodyType>& declared,
                                        const std::map<std::string, ValueId>& outer) {
    const std::string label = where + " (subgraph '" + sub.name + "')";
    WGML_CHECK(!sub.has_sparse_initializers, label, ": sparse initializers are not supported");
    WGML_CHECK(sub.inputs.size() == declared.size(), label, ": the body takes ", sub.inputs.size(),
               " inputs, the node gives it ", declared.size());
    check_supported(sub, opset, domains, label);
    NodeContext::ImportedBody body;
    body.graph = std::make_shared<graph::Graph>();
    graph::GraphBuilder inner(*body.graph);
    std::map<std::string, ValueId> scope;
    for (size_t i = 0; i < declared.size(); ++i)
      scope[sub.inputs[i].name] =
          inner.input(sub.inputs[i].name, declared[i].dtype, declared[i].known, declared[i].shape);
    for (const TensorProto& init : sub.initializers)
      scope[init.name] = inner.constant(
          to_tensor(init, base_dir, label + ": initializer '" + init.name + "'"), init.name);
    std::set<std::string> reads, defined;
    collect_names(sub, reads, defined);
    for (const std::string& name : reads) {
      if (defined.count(name) || scope.count(name)) continue;
      WGML_CHECK(!lists.count(name) || outer.count(name), label,
                 ": reads the sequence or optional '", name,
                 "' of the enclosing graph; a Loop or run-time If body takes tensors only "
                 "(sequences are lists known at load)");
      const auto it = outer.find(name);
      if (it == outer.end()) continue;  // topological_order names what nobody defines
      if (const Tensor* c = builder.constant_of(it->second)) {
        scope[name] = inner.constant(*c, name);
        continue;
      }
      const graph::Value& v = builder.value(it->second);
      scope[name] = inner.input(name, v.dtype, v.shape_known, v.shape);
      body.captured.push_back(it->second);
    }
    Importer nested{inner, opset, domains, base_dir, label, {}, 0, 0};
    nested.convert_nodes(sub, scope);
    std::vector<ValueId> outputs;
    std::vector<std::string> names;
    for (const ValueInfo& info : sub.outputs) {
      const auto it = scope.find(info.name);
      WGML_CHECK(it != scope.end() || !nested.lists.count(info.name), label, ": output '",
                 info.name,
                 "' is a sequence or optional; a Loop or run-time If body returns "
                 "tensors only (sequences are lists known at load)");
      WGML_CHECK(it != scope.end(), label, ": output '", info.name, "' is not computed");
      outputs.push_back(it->second);
      names.push_back(info.name);
    }
    inner.set_outputs(outputs, names);
    return body;
  }
};

}  // namespace

ImportedModel import_model(const ModelProto& model, const std::string& base_dir,
                           const std::string& where, const ProgressFn& progress,
                           const ImportOptions& options) {
  ImportedModel out;
  out.ir_version = model.ir_version;
  out.producer =
      model.producer_name + (model.producer_version.empty() ? "" : " " + model.producer_version);
  out.opsets = model.opset_imports;
  const int64_t opset = model.default_opset();
  WGML_CHECK(opset >= kMinOpset && opset <= kMaxOpset, where, ": the model imports opset ", opset,
             " of the default ONNX domain; wgml supports opsets ", kMinOpset, " to ", kMaxOpset);
  const GraphProto& g = model.graph;
  WGML_CHECK(!g.has_sparse_initializers, where, ": sparse initializers are not supported (graph '",
             g.name, "')");

  std::map<std::string, int> histogram;
  for (const NodeProto& node : g.nodes)
    ++histogram[node.op_type];
  out.op_histogram.assign(histogram.begin(), histogram.end());
  std::sort(out.op_histogram.begin(), out.op_histogram.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });

  const DomainOpsets domains = domain_opsets(model);
  check_supported(g, opset, domains, where);

  graph::GraphBuilder builder(out.graph);
  std::map<std::string, ValueId> values;
  const size_t total = g.initializers.size() + g.nodes.size();
  size_t done = 0;
  for (const TensorProto& init : g.initializers) {
    WGML_CHECK(!init.name.empty(), where, ": an initializer has no name");
    WGML_CHECK(!values.count(init.name), where, ": initializer '", init.name, "' is defined twice");
    values[init.name] = builder.constant(
        to_tensor(init, base_dir, where + ": initializer '" + init.name + "'"), init.name);
    if (progress) progress("loading weights", ++done, total);
  }
  Importer importer{builder, opset, domains, base_dir, where, progress, done, total};
  size_t flat_inputs = 0;
  for (const ValueInfo& info : g.inputs) {
    // IR < 4 lists initializers as inputs too; the initializer is the value.
    if (values.count(info.name)) continue;
    FlatValue flat{info.name, info.kind, flat_inputs, 1, true, false};
    if (info.kind == ValueInfo::Kind::Sequence || info.kind == ValueInfo::Kind::Optional) {
      // A sequence or optional input: a list whose length and element types the caller fixes.
      const auto spec = options.list_inputs.find(info.name);
      WGML_CHECK(spec != options.list_inputs.end(), where, ": graph input '", info.name, "' is a ",
                 info.kind == ValueInfo::Kind::Sequence ? "sequence" : "optional",
                 "; wgml needs its length and element types when the model loads "
                 "(ImportOptions::list_inputs)");
      const ListInput& in = spec->second;
      WGML_CHECK(in.dtypes.size() == in.ranks.size(), where, ": graph input '", info.name,
                 "': one dtype and one rank per element");
      ListValue list;
      list.optional = info.kind == ValueInfo::Kind::Optional;
      list.present = in.present;
      list.holds_sequence = !list.optional || in.holds_sequence;
      WGML_CHECK(list.holds_sequence || in.dtypes.size() == (in.present ? 1u : 0u), where,
                 ": graph input '", info.name, "': an optional tensor holds one element or none");
      for (size_t i = 0; i < in.dtypes.size(); ++i) {
        const std::string name = info.name + "[" + std::to_string(i) + "]";
        graph::SymShape shape;
        for (size_t d = 0; d < in.ranks[i]; ++d)
          shape.push_back({-1, info.name + "_" + std::to_string(i) + "_dim" + std::to_string(d)});
        list.items.push_back(builder.input(name, in.dtypes[i], true, shape));
        list.elem_dtype = in.dtypes[i];
      }
      flat.count = list.items.size();
      flat.present = list.present;
      flat.holds_sequence = list.holds_sequence;
      flat_inputs += flat.count;
      importer.lists[info.name] = list;
      out.inputs.push_back(flat);
      continue;
    }
    WGML_CHECK(info.kind == ValueInfo::Kind::Tensor, where, ": graph input '", info.name,
               "' is not a tensor (maps and sparse tensors are not supported)");
    const DType dtype = engine_dtype(info.elem_type, where + ": graph input '" + info.name + "'");
    values[info.name] =
        builder.input(info.name, dtype, info.has_shape, declared_shape(info, where));
    ++flat_inputs;
    out.inputs.push_back(flat);
  }

  importer.convert_nodes(g, values);

  // Outputs; a sequence or optional one is flattened into its elements "y[0]", "y[1]", ...
  std::vector<ValueId> outputs;
  std::vector<std::string> names;
  for (const ValueInfo& info : g.outputs) {
    const auto it = values.find(info.name);
    FlatValue flat{info.name, ValueInfo::Kind::Tensor, outputs.size(), 1, true, false};
    if (it == values.end() && importer.lists.count(info.name)) {
      const ListValue& list = importer.lists.at(info.name);
      flat.kind = list.optional ? ValueInfo::Kind::Optional : ValueInfo::Kind::Sequence;
      flat.count = list.items.size();
      flat.present = list.present;
      flat.holds_sequence = list.holds_sequence;
      for (size_t i = 0; i < list.items.size(); ++i) {
        outputs.push_back(list.items[i]);
        names.push_back(info.name + "[" + std::to_string(i) + "]");
      }
      out.outputs.push_back(flat);
      continue;
    }
    WGML_CHECK(it != values.end(), where, ": graph output '", info.name,
               "' is not computed by any node");
    outputs.push_back(it->second);
    names.push_back(info.name);
    out.outputs.push_back(flat);
  }
  builder.set_outputs(outputs, names);
  return out;
}

ImportedModel import_model(const std::string& path, const ProgressFn& progress) {
  if (progress) progress("reading", 0, 1);
  const ModelProto model = load_model_file(path);
  if (progress) progress("reading", 1, 1);
  return import_model(model, dirname_of(path), path, progress);
}

}  // namespace wgml::onnx
