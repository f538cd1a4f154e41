// Control flow.
// If: a condition known when the model loads (the usual case: exporters test shapes and ranks)
// inlines the branch it picks and nothing else. A condition computed at run time makes a
// graph::kIfOp node: both branches are imported as graphs of their own and the executor runs the
// one the condition picks (one read back), so the other never runs.
// Loop: the body becomes a graph of its own that the executor runs once per iteration
// (graph::kLoopOp). Carried values whose shape changes from one iteration to the next (a
// growing sequence) get symbolic dims in the body.
// Scan (opset 9 on) is a Loop over the scan length with a wrapper body that slices the inputs.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

// Bodies import their nested bodies, and a Loop may import its body twice: bounding the depth
// bounds the work a hostile file can ask for while loading.
constexpr int kMaxBodyDepth = 8;
thread_local int body_depth = 0;

struct BodyDepth {
  explicit BodyDepth(NodeContext& ctx) {
    if (body_depth >= kMaxBodyDepth)
      ctx.fail_here(str_cat("control flow nested more than ", kMaxBodyDepth, " deep"));
    ++body_depth;
  }
  ~BodyDepth() { --body_depth; }
  BodyDepth(const BodyDepth&) = delete;
  BodyDepth& operator=(const BodyDepth&) = delete;
};

using BodyType = NodeContext::BodyType;

BodyType type_of(NodeContext& ctx, ValueId v) {
  const graph::Value& value = ctx.builder().value(v);
  return {value.shape_known, value.dtype, value.shape};
}
BodyType output_type(const NodeContext::ImportedBody& b, size_t k) {
  const graph::Value& v = b.graph->value(b.graph->outputs.at(k));
  return {v.shape_known, v.dtype, v.shape};
}

// A body's type in the enclosing graph: symbols that entered the body from the enclosing graph
// (`shared`) keep their names; the body's own become fresh symbols there ("?").
graph::GraphBuilder::OutputType enclosing(const BodyType& t, const std::set<std::string>& shared) {
  graph::GraphBuilder::OutputType o{t.known, t.dtype, t.shape};
  for (graph::SymDim& d : o.shape) {
    if (d.is_static()) continue;
    std::set<std::string> names;
    graph::dim_expr(d).collect_symbols(names);
    for (const std::string& name : names) {
      if (!shared.count(name)) d = {-1, "?", {}};
    }
  }
  return o;
}

void add_symbols(const graph::SymShape& shape, std::set<std::string>& out) {
  for (const graph::SymDim& d : shape) {
    if (!d.is_static()) graph::dim_expr(d).collect_symbols(out);
  }
}

// The enclosing symbols a body sees: those of its captured values and of `declared` inputs.
std::set<std::string> shared_symbols(NodeContext& ctx, const NodeContext::ImportedBody& body,
                                     const std::vector<BodyType>& declared) {
  std::set<std::string> shared;
  for (ValueId v : body.captured)
    add_symbols(ctx.builder().value(v).shape, shared);
  for (const BodyType& t : declared)
    add_symbols(t.shape, shared);
  return shared;
}

void convert_if(NodeContext& ctx) {
  if (const Tensor* cond = ctx.constant(0)) {
    if (cond->numel() != 1)
      ctx.fail_here(str_cat("the condition must hold one value, got ", cond->shape()));
    const bool taken = cond->to_vector<double>()[0] != 0;
    ctx.set_operands(ctx.inline_graph(taken ? "then_branch" : "else_branch"));
    return;
  }
  if (ctx.dtype(ctx.input(0)) != DType::Bool)
    ctx.fail_here(str_cat("the condition must be bool, got ", ctx.dtype(ctx.input(0))));
  const BodyDepth depth(ctx);
  const NodeContext::ImportedBody then_body = ctx.import_body(ctx.attr_graph("then_branch"), {});
  const NodeContext::ImportedBody else_body = ctx.import_body(ctx.attr_graph("else_branch"), {});
  const size_t count = then_body.graph->outputs.size();
  if (count != else_body.graph->outputs.size())
    ctx.fail_here(str_cat("then_branch has ", count, " outputs, else_branch ",
                          else_body.graph->outputs.size()));
  graph::Node node;
  node.op = graph::kIfOp;
  node.source = ctx.source();
  node.attrs.set("then_inputs", static_cast<int64_t>(then_body.captured.size()));
  node.inputs = {ctx.input(0)};
  node.inputs.insert(node.inputs.end(), then_body.captured.begin(), then_body.captured.end());
  node.inputs.insert(node.inputs.end(), else_body.captured.begin(), else_body.captured.end());
  node.bodies = {then_body.graph, else_body.graph};
  std::set<std::string> shared = shared_symbols(ctx, then_body, {});
  for (const std::string& s : shared_symbols(ctx, else_body, {}))
    shared.insert(s);
  // Each output: the branches' common type; dims on which they differ become fresh symbols.
  std::vector<graph::GraphBuilder::OutputType> types;
  for (size_t i = 0; i < count; ++i) {
    const BodyType a = output_type(then_body, i), b = output_type(else_body, i);
    if (a.known && b.known && a.dtype != b.dtype)
      ctx.fail_here(str_cat("output ", i, " is ", a.dtype, " in then_branch but ", b.dtype,
                            " in else_branch"));
    graph::GraphBuilder::OutputType o = enclosing(a, shared);
    if (!a.known || !b.known || a.shape.size() != b.shape.size()) {
      o.known = false;
      o.shape.clear();
    } else {
      const graph::GraphBuilder::OutputType ob = enclosing(b, shared);
      for (size_t d = 0; d < o.shape.size(); ++d) {
        const graph::SymDim& x = o.shape[d];
        const graph::SymDim& y = ob.shape[d];
        if (x.value != y.value || x.symbol != y.symbol || x.symbol == "?")
          o.shape[d] = {-1, "?", {}};
      }
    }
    types.push_back(o);
  }
  ctx.set_outputs(ctx.builder().add_typed(node, types, "if"));
}

// A kLoopOp node running `body_proto` (inputs iteration, cond, carried...; outputs cond,
// carried..., per-iteration outputs...) from `trips` and `cond` (kNoValue: unbounded / true).
std::vector<ValueId> loop_node(NodeContext& ctx, const GraphProto& body_proto, ValueId trips,
                               ValueId cond, const std::vector<ValueId>& carried_in,
                               const std::map<std::string, ValueId>& extra = {}) {
  const BodyDepth depth(ctx);
  if (trips != graph::kNoValue && !is_integral(ctx.dtype(trips)))
    ctx.fail_here(str_cat("the trip count M must be an integer, got ", ctx.dtype(trips)));
  if (cond != graph::kNoValue && ctx.dtype(cond) != DType::Bool)
    ctx.fail_here(str_cat("the condition must be bool, got ", ctx.dtype(cond)));
  const size_t carried = carried_in.size();
  std::vector<BodyType> declared = {{true, DType::Int64, {}}, {true, DType::Bool, {}}};
  for (ValueId v : carried_in)
    declared.push_back(type_of(ctx, v));
  NodeContext::ImportedBody body = ctx.import_body(body_proto, declared, extra);
  if (body.graph->outputs.size() < 1 + carried)
    ctx.fail_here(str_cat("the body returns ", body.graph->outputs.size(),
                          " values; it must return the condition and ", carried,
                          " carried value(s) first"));
  const BodyType body_cond = output_type(body, 0);
  if (body_cond.known && body_cond.dtype != DType::Bool)
    ctx.fail_here(str_cat("the body's condition must be bool, got ", body_cond.dtype));
  // Carried values whose shape the body changes (or may change: its type is unknown) get
  // symbolic dims of the body's own, and the body is imported again with them.
  bool widened = false;
  for (size_t j = 0; j < carried; ++j) {
    BodyType& in = declared[2 + j];
    const BodyType out = output_type(body, 1 + j);
    if (!in.known) continue;
    if (!out.known || in.shape.size() != out.shape.size()) {
      in.known = false;
      in.shape.clear();
      widened = true;
      continue;
    }
    if (in.dtype != out.dtype)
      ctx.fail_here(str_cat("carried value ", j, " enters the body as ", in.dtype,
                            " and leaves it as ", out.dtype));
    for (size_t d = 0; d < in.shape.size(); ++d) {
      const bool same = in.shape[d].is_static() == out.shape[d].is_static() &&
                        in.shape[d].value == out.shape[d].value &&
                        in.shape[d].symbol == out.shape[d].symbol;
      if (!same) {
        in.shape[d] = {-1, "carried" + std::to_string(j) + "_dim" + std::to_string(d), {}};
        widened = true;
      }
    }
  }
  if (widened) body = ctx.import_body(body_proto, declared, extra);

  graph::Node node;
  node.op = graph::kLoopOp;
  node.source = ctx.source();
  node.attrs.set("carried", static_cast<int64_t>(carried));
  node.inputs = {trips, cond};
  node.inputs.insert(node.inputs.end(), carried_in.begin(), carried_in.end());
  node.inputs.insert(node.inputs.end(), body.captured.begin(), body.captured.end());
  node.bodies = {body.graph};
  // The enclosing graph keeps the symbols that entered the body, gives the body's own fresh
  // ones, and sees each per-iteration output with a new leading axis: the trip count.
  std::vector<BodyType> entering(declared.begin() + 2, declared.end());
  const std::set<std::string> shared = shared_symbols(ctx, body, entering);
  std::vector<graph::GraphBuilder::OutputType> types;
  for (size_t j = 0; j < carried; ++j)
    types.push_back(enclosing(output_type(body, 1 + j), shared));
  graph::GraphBuilder& builder = ctx.builder();
  const std::string trip_symbol = builder.fresh_symbol("loop");
  for (size_t k = 1 + carried; k < body.graph->outputs.size(); ++k) {
    graph::GraphBuilder::OutputType o = enclosing(output_type(body, k), shared);
    o.shape.insert(o.shape.begin(), graph::SymDim{-1, trip_symbol, {}});
    types.push_back(o);
  }
  return builder.add_typed(node, types, "loop");
}

// A Loop that carries a sequence or optional (a list known at load) is unrolled: the body is
// inlined once per iteration with the iteration number as a constant, so its sequences keep
// lengths known at load. The trip count, and the condition after every iteration, must then be
// known at load; per-iteration outputs are stacked.
constexpr int64_t kMaxUnrolled = 4096;

void unroll_loop(NodeContext& ctx) {
  int64_t trips = kMaxUnrolled + 1;
  if (ctx.has_input(0)) {
    if (ctx.constant(0) == nullptr)
      ctx.fail_here(
          "carries a sequence or optional, and its trip count is only known at run "
          "time; wgml holds sequences as lists known at load (a Loop over them is "
          "unrolled, which needs a trip count known at load)");
    trips = ctx.constant_ints(0).at(0);
  }
  bool cond = true;
  if (ctx.has_input(1)) {
    if (ctx.constant(1) == nullptr)
      ctx.fail_here("carries a sequence or optional, and its condition is only known at run time");
    cond = ctx.constant_floats(1).at(0) != 0;
  }
  std::vector<Operand> carried;
  for (size_t j = 2; j < ctx.num_inputs(); ++j) {
    if (const ListValue* list = ctx.list_at(j))
      carried.push_back({graph::kNoValue, *list});
    else
      carried.push_back({ctx.input(j), {}});
  }
  std::vector<std::vector<ValueId>> scans;
  for (int64_t i = 0; i < trips && cond; ++i) {
    if (i == kMaxUnrolled)
      ctx.fail_here(
          str_cat("carries a sequence and would unroll more than ", kMaxUnrolled, " iterations"));
    std::vector<Operand> bound = {{ctx.scalar(static_cast<double>(i), DType::Int64), {}},
                                  {ctx.scalar(1, DType::Bool), {}}};
    bound.insert(bound.end(), carried.begin(), carried.end());
    const std::vector<Operand> got = ctx.inline_graph("body", bound);
    if (got.size() < 1 + carried.size())
      ctx.fail_here(str_cat("the body returns ", got.size(),
                            " values; it must return the "
                            "condition and ",
                            carried.size(), " carried value(s) first"));
    const Tensor* c = got[0].list ? nullptr : ctx.builder().constant_of(got[0].value);
    if (c == nullptr)
      ctx.fail_here(
          "carries a sequence or optional, and the body's condition is only known at "
          "run time");
    cond = c->to_vector<double>().at(0) != 0;
    for (size_t j = 0; j < carried.size(); ++j)
      carried[j] = got[1 + j];
    scans.resize(got.size() - 1 - carried.size());
    for (size_t k = 0; k < scans.size(); ++k) {
      const Operand& o = got[1 + carried.size() + k];
      if (o.list) ctx.fail_here("a per-iteration output is a sequence; it must be a tensor");
      scans[k].push_back(ctx.op1("unsqueeze", {o.value}, {{"axes", Ints{0}}}));
    }
  }
  std::vector<Operand> outputs = carried;
  for (const std::vector<ValueId>& parts : scans) {
    if (parts.empty()) ctx.fail_here("ran no iteration; its per-iteration outputs have no type");
    outputs.push_back(
        {parts.size() == 1 ? parts[0] : ctx.op1("concat", parts, {{"axis", int64_t{0}}}), {}});
  }
  ctx.set_operands(outputs);
}

// Loop-1/11/13/16 over tensors: inputs M, cond, carried...
void convert_loop(NodeContext& ctx) {
  for (size_t j = 2; j < ctx.num_inputs(); ++j) {
    if (ctx.list_at(j) != nullptr) {
      const BodyDepth depth(ctx);
      unroll_loop(ctx);
      return;
    }
  }
  std::vector<ValueId> carried;
  for (size_t j = 2; j < ctx.num_inputs(); ++j)
    carried.push_back(ctx.input(j));
  ctx.set_outputs(loop_node(ctx, ctx.attr_graph("body"), ctx.optional_input(0),
                            ctx.optional_input(1), carried));
}

NodeProto onnx_node(const std::string& op, std::vector<std::string> in,
                    std::vector<std::string> out, const std::vector<AttributeProto>& attrs = {}) {
  NodeProto n;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = attrs;
  return n;
}

AttributeProto int_attr(const std::string& name, int64_t value) {
  AttributeProto a;
  a.name = name;
  a.type = AttributeProto::Int;
  a.i = value;
  return a;
}

// Scan-9..21 as a Loop over the scan length: a wrapper body (ONNX nodes) takes slice i (or
// length-1-i when reversed) of every scan input, which it reads under a name of its own (the
// body may reuse the enclosing names for its slices), runs
// the Scan body on the state and the slices, and passes the condition through; the stacked
// outputs are then reversed and moved to their axes as the attributes say.
void convert_scan(NodeContext& ctx) {
  const GraphProto& body = ctx.attr_graph("body");
  const int64_t scans_in = ctx.required_int("num_scan_inputs");
  const auto n_inputs = static_cast<int64_t>(ctx.num_inputs());
  if (scans_in < 1 || scans_in > n_inputs)
    ctx.fail_here(str_cat("num_scan_inputs ", scans_in, " must be in [1, ", n_inputs, "]"));
  const int64_t states = n_inputs - scans_in;
  const auto scans_out = static_cast<int64_t>(body.outputs.size()) - states;
  if (static_cast<int64_t>(body.inputs.size()) != n_inputs || scans_out < 0)
    ctx.fail_here(str_cat("the body takes ", body.inputs.size(), " inputs and returns ",
                          body.outputs.size(), "; the node has ", states, " state(s) and ",
                          scans_in, " scan input(s)"));
  auto per_scan = [&](const char* name, int64_t count) {
    Ints v = ctx.attr_ints(name, Ints(static_cast<size_t>(count), 0));
    if (static_cast<int64_t>(v.size()) != count)
      ctx.fail_here(str_cat(name, " has ", v.size(), " values, expected ", count));
    return v;
  };
  const Ints in_axes = per_scan("scan_input_axes", scans_in);
  const Ints in_dirs = per_scan("scan_input_directions", scans_in);
  const Ints out_axes = per_scan("scan_output_axes", scans_out);
  const Ints out_dirs = per_scan("scan_output_directions", scans_out);

  // The wrapper body: inputs (iteration, cond, states...), outputs (cond, body outputs...).
  const std::string p = "__wgml_scan_";
  GraphProto wrapper;
  wrapper.name = body.name + " (scan)";
  ValueInfo iter_info, cond_info;
  iter_info.name = p + "i";
  cond_info.name = p + "cond";
  wrapper.inputs = {iter_info, cond_info};
  for (int64_t s = 0; s < states; ++s)
    wrapper.inputs.push_back(body.inputs[static_cast<size_t>(s)]);
  TensorProto one;
  one.name = p + "one";
  one.data_type = 7;  // INT64
  one.int64_data = {1};
  wrapper.initializers = body.initializers;
  wrapper.initializers.push_back(one);
  std::map<std::string, ValueId> full_inputs;
  for (int64_t j = 0; j < scans_in; ++j) {
    const std::string outer = p + "full_" + std::to_string(j);
    full_inputs[outer] = ctx.input(static_cast<size_t>(states + j));
    const std::string slice_name = body.inputs[static_cast<size_t>(states + j)].name;
    const int64_t rank = ctx.rank(ctx.input(static_cast<size_t>(states + j)));
    if (rank < 1) ctx.fail_here(str_cat("scan input ", j, " needs a known rank of at least 1"));
    int64_t axis = in_axes[static_cast<size_t>(j)];
    if (axis < -rank || axis >= rank)
      ctx.fail_here(
          str_cat("scan_input_axes[", j, "] = ", axis, " is out of range for rank ", rank));
    if (axis < 0) axis += rank;
    std::string index = iter_info.name;
    if (in_dirs[static_cast<size_t>(j)] != 0) {  // length - 1 - i
      const std::string tag = p + std::to_string(j) + "_";
      wrapper.nodes.push_back(onnx_node("Shape", {outer}, {tag + "shape"}));
      TensorProto at;
      at.name = tag + "axis";
      at.data_type = 7;
      at.int64_data = {axis};
      wrapper.initializers.push_back(at);
      wrapper.nodes.push_back(onnx_node("Gather", {tag + "shape", at.name}, {tag + "len"}));
      wrapper.nodes.push_back(onnx_node("Sub", {tag + "len", one.name}, {tag + "last"}));
      wrapper.nodes.push_back(onnx_node("Sub", {tag + "last", iter_info.name}, {tag + "index"}));
      index = tag + "index";
    }
    wrapper.nodes.push_back(
        onnx_node("Gather", {outer, index}, {slice_name}, {int_attr("axis", axis)}));
  }
  wrapper.nodes.insert(wrapper.nodes.end(), body.nodes.begin(), body.nodes.end());
  wrapper.nodes.push_back(onnx_node("Identity", {cond_info.name}, {p + "cond_out"}));
  ValueInfo cond_out;
  cond_out.name = p + "cond_out";
  wrapper.outputs = {cond_out};
  wrapper.outputs.insert(wrapper.outputs.end(), body.outputs.begin(), body.outputs.end());

  // The trip count: the first scan input's length along its axis; the others must match it.
  int64_t length = -1;
  for (int64_t j = 0; j < scans_in; ++j) {
    const ValueId v = ctx.input(static_cast<size_t>(states + j));
    int64_t axis = in_axes[static_cast<size_t>(j)];
    if (axis < 0) axis += ctx.rank(v);
    const graph::SymShape* shape = ctx.shape(v);
    if (shape == nullptr || !(*shape)[static_cast<size_t>(axis)].is_static()) continue;
    const int64_t n = (*shape)[static_cast<size_t>(axis)].value;
    if (length >= 0 && n != length)
      ctx.fail_here(str_cat("scan input ", j, " has ", n, " steps along axis ", axis,
                            " but an earlier one has ", length));
    length = n;
  }
  int64_t axis0 = in_axes[0];
  if (axis0 < 0) axis0 += ctx.rank(ctx.input(static_cast<size_t>(states)));
  const ValueId trips = ctx.shape_of(ctx.input(static_cast<size_t>(states)), axis0, axis0 + 1);
  std::vector<ValueId> state_in;
  for (int64_t s = 0; s < states; ++s)
    state_in.push_back(ctx.input(static_cast<size_t>(s)));
  std::vector<ValueId> outs =
      loop_node(ctx, wrapper, trips, graph::kNoValue, state_in, full_inputs);
  for (int64_t k = 0; k < scans_out; ++k) {
    ValueId& v = outs[static_cast<size_t>(states + k)];
    if (out_dirs[static_cast<size_t>(k)] != 0) v = ctx.op1("flip", {v}, {{"axes", Ints{0}}});
    const int64_t rank = ctx.rank(v);
    int64_t axis = out_axes[static_cast<size_t>(k)];
    if (axis == 0) continue;
    if (rank < 0) ctx.fail_here(str_cat("scan output ", k, " needs a known rank to move its axis"));
    if (axis < -rank || axis >= rank)
      ctx.fail_here(
          str_cat("scan_output_axes[", k, "] = ", axis, " is out of range for rank ", rank));
    if (axis < 0) axis += rank;
    Ints perm;
    for (int64_t d = 1; d <= axis; ++d)
      perm.push_back(d);
    perm.push_back(0);
    for (int64_t d = axis + 1; d < rank; ++d)
      perm.push_back(d);
    v = ctx.op1("permute", {v}, {{"perm", perm}});
  }
  ctx.set_outputs(outs);
}

}  // namespace

void register_control_flow_converters(ConverterTable& t) {
  t.add("If", convert_if);
  t.add("Loop", convert_loop);
  t.add("Scan", convert_scan, 9);
}

}  // namespace wgml::onnx
