// Control flow.
// If: a condition known when the model loads (the usual case: exporters test shapes and ranks)
// inlines the branch it picks and nothing else. A condition computed at run time inlines both
// branches and selects each output with `where`, so both run on the device and their outputs
// must agree in dtype and shape (refused at load otherwise, with the shapes).
// Loop: the body becomes a graph of its own that the executor runs once per iteration
// (graph::kLoopOp). Carried values whose shape changes from one iteration to the next (a
// growing sequence) get symbolic dims in the body. Scan is not converted.
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

void convert_if(NodeContext& ctx) {
  if (const Tensor* cond = ctx.constant(0)) {
    if (cond->numel() != 1)
      ctx.fail_here(str_cat("the condition must hold one value, got ", cond->shape()));
    const bool taken = cond->to_vector<double>()[0] != 0;
    ctx.set_outputs(ctx.inline_graph(taken ? "then_branch" : "else_branch"));
    return;
  }
  const std::vector<ValueId> then_out = ctx.inline_graph("then_branch");
  const std::vector<ValueId> else_out = ctx.inline_graph("else_branch");
  if (then_out.size() != else_out.size())
    ctx.fail_here(
        str_cat("then_branch has ", then_out.size(), " outputs, else_branch ", else_out.size()));
  ValueId cond = ctx.op1("reshape", {ctx.input(0)}, {{"shape", Ints{}}});
  if (ctx.dtype(cond) != DType::Bool)
    cond = ctx.op1("cast", {cond}, {{"dtype", std::string("bool")}});
  std::vector<ValueId> outputs;
  for (size_t i = 0; i < then_out.size(); ++i) {
    if (ctx.dtype(then_out[i]) != ctx.dtype(else_out[i]))
      ctx.fail_here(str_cat("output ", i, " is ", ctx.dtype(then_out[i]), " in then_branch but ",
                            ctx.dtype(else_out[i]), " in else_branch"));
    const graph::SymShape* a = ctx.shape(then_out[i]);
    const graph::SymShape* b = ctx.shape(else_out[i]);
    if (a == nullptr || b == nullptr || graph::sym_shape_str(*a) != graph::sym_shape_str(*b))
      ctx.fail_here(
          str_cat("with a condition known only at run time both branches run and each output is "
                  "selected, so output ",
                  i, " must have one shape in both; then_branch gives ",
                  a ? graph::sym_shape_str(*a) : "an unknown shape", ", else_branch ",
                  b ? graph::sym_shape_str(*b) : "an unknown shape"));
    outputs.push_back(ctx.op1("where", {cond, then_out[i], else_out[i]}));
  }
  ctx.set_outputs(outputs);
}

using BodyType = NodeContext::BodyType;

BodyType type_of(NodeContext& ctx, ValueId v) {
  const graph::Value& value = ctx.builder().value(v);
  return {value.type_known, value.dtype, value.shape};
}

// Loop-1/11/13/16 over tensors: inputs M, cond, carried...; body inputs (iteration, cond,
// carried...), outputs (cond, carried..., scan outputs...).
void convert_loop(NodeContext& ctx) {
  const size_t carried = ctx.num_inputs() < 2 ? 0 : ctx.num_inputs() - 2;
  std::vector<BodyType> declared = {{true, DType::Int64, {}}, {true, DType::Bool, {}}};
  for (size_t j = 0; j < carried; ++j)
    declared.push_back(type_of(ctx, ctx.input(2 + j)));
  NodeContext::ImportedBody body = ctx.import_body("body", declared);
  auto out_type = [&](const NodeContext::ImportedBody& b, size_t k) {
    const graph::Value& v = b.graph->value(b.graph->outputs.at(k));
    return BodyType{v.type_known, v.dtype, v.shape};
  };
  if (body.graph->outputs.size() < 1 + carried)
    ctx.fail_here(str_cat("the body returns ", body.graph->outputs.size(),
                          " values; it must return the condition and ", carried,
                          " carried value(s) first"));
  // Carried values whose shape the body changes: the differing dims become symbols of the
  // body, and it is imported again with them.
  bool widened = false;
  for (size_t j = 0; j < carried; ++j) {
    BodyType& in = declared[2 + j];
    const BodyType out = out_type(body, 1 + j);
    if (!in.known || !out.known) continue;
    if (in.dtype != out.dtype)
      ctx.fail_here(str_cat("carried value ", j, " enters the body as ", in.dtype,
                            " and leaves it as ", out.dtype));
    if (in.shape.size() != out.shape.size()) {
      in.known = false;
      widened = true;
      continue;
    }
    for (size_t d = 0; d < in.shape.size(); ++d) {
      const bool same = in.shape[d].is_static() == out.shape[d].is_static() &&
                        in.shape[d].value == out.shape[d].value &&
                        in.shape[d].symbol == out.shape[d].symbol;
      if (!same) {
        in.shape[d] = {-1, "carried" + std::to_string(j) + "_dim" + std::to_string(d)};
        widened = true;
      }
    }
  }
  if (widened) body = ctx.import_body("body", declared);

  graph::Node node;
  node.op = graph::kLoopOp;
  node.source = ctx.source();
  node.attrs.set("carried", static_cast<int64_t>(carried));
  node.inputs = {ctx.optional_input(0), ctx.optional_input(1)};
  for (size_t j = 0; j < carried; ++j)
    node.inputs.push_back(ctx.input(2 + j));
  node.inputs.insert(node.inputs.end(), body.captured.begin(), body.captured.end());
  graph::GraphBuilder& builder = ctx.builder();
  // The enclosing graph sees carried values with their symbolic dims as "?" (fresh symbols),
  // and each per-iteration output with a new leading axis: the trip count.
  auto enclosing = [&](BodyType t) {
    graph::GraphBuilder::OutputType o{t.known, t.dtype, t.shape};
    for (graph::SymDim& d : o.shape) {
      if (!d.is_static() && !builder.has_symbol(d.symbol)) d.symbol = "?";
    }
    return o;
  };
  std::vector<graph::GraphBuilder::OutputType> types;
  for (size_t j = 0; j < carried; ++j)
    types.push_back(enclosing(out_type(body, 1 + j)));
  const std::string trips = builder.fresh_symbol("loop");
  for (size_t k = 1 + carried; k < body.graph->outputs.size(); ++k) {
    graph::GraphBuilder::OutputType o = enclosing(out_type(body, k));
    o.shape.insert(o.shape.begin(), graph::SymDim{-1, trips});
    types.push_back(o);
  }
  node.body = body.graph;
  ctx.set_outputs(builder.add_typed(node, types, "loop"));
}

}  // namespace

void register_control_flow_converters(ConverterTable& t) {
  t.add("If", convert_if);
  t.add("Loop", convert_loop);
}

}  // namespace wgml::onnx
