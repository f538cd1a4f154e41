// Control flow: If. A condition known when the model loads (the usual case: exporters test
// shapes and ranks) inlines the branch it picks and nothing else. A condition computed at run
// time inlines both branches and selects each output with `where`, so both run on the device
// and their outputs must agree in dtype and shape (refused at load otherwise, with the shapes).
// Loop and Scan are not converted.
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

}  // namespace

void register_control_flow_converters(ConverterTable& t) {
  t.add("If", convert_if);
}

}  // namespace wgml::onnx
