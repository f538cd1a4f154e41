// ONNX NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12), composed from gathers,
// masks and reductions. Input [N, C, d1...], target [N, d1...]: each position picks its target
// class's value, weighted by weight[target]; positions whose target is ignore_index count with
// weight 0 (and their target, possibly out of range, is never read).
#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_ops_nn.h"

namespace wgml::onnx {

namespace {

using graph::kNoValue;

// The loss of `log_prob` (log-probabilities [N, C, ...]) against `target`, reduced as the node's
// reduction attribute says.
ValueId nll_loss(NodeContext& ctx, ValueId log_prob, ValueId target, ValueId weight) {
  const std::string reduction = ctx.attr_string("reduction", "mean");
  if (reduction != "mean" && reduction != "sum" && reduction != "none") {
    ctx.fail_here("reduction '" + reduction + "' is not mean, sum or none");
  }
  const DType dtype = ctx.dtype(log_prob);
  const DType index_type = ctx.dtype(target);
  ValueId picked_target = target;
  ValueId ignored = kNoValue;  // bool [N, ...] where target == ignore_index
  if (ctx.has_attr("ignore_index")) {
    const ValueId ii = ctx.scalar(static_cast<double>(ctx.attr_int("ignore_index", 0)), index_type);
    ignored = ctx.op1("equal", {target, ii});
    picked_target = ctx.op1("where", {ignored, ctx.scalar(0, index_type), target});
  }
  const ValueId picked =
      ctx.op1("squeeze",
              {ctx.op1("gather_elements",
                       {log_prob, ctx.op1("unsqueeze", {picked_target}, {{"axes", Ints{1}}})},
                       {{"axis", int64_t{1}}})},
              {{"axes", Ints{1}}});
  // The weight of each position: weight[target], 1 without weights, 0 where ignored.
  ValueId w = weight != kNoValue
                  ? ctx.op1("gather", {weight, picked_target}, {{"axis", int64_t{0}}})
                  : kNoValue;
  if (ignored != kNoValue) {
    w = ctx.op1("where", {ignored, ctx.scalar(0, dtype), w != kNoValue ? w : ctx.scalar(1, dtype)});
  }
  ValueId loss = ctx.op1("neg", {picked});
  if (w != kNoValue) loss = ctx.op1("mul", {loss, w});
  if (reduction == "none") return loss;
  const ValueId total = ctx.op1("sum", {loss});
  if (reduction == "sum") return total;
  // mean: divided by the total weight (the count of positions without weights or ignores).
  if (w == kNoValue) return ctx.op1("mean", {loss});
  return ctx.op1("div", {total, ctx.op1("sum", {w})});  // w has the shape of loss
}

void convert_nll_loss(NodeContext& ctx) {
  ctx.set_outputs({nll_loss(ctx, ctx.input(0), ctx.input(1), ctx.optional_input(2))});
}

void convert_softmax_cross_entropy(NodeContext& ctx) {
  const ValueId log_prob = ctx.op1("log_softmax", {ctx.input(0)}, {{"axis", int64_t{1}}});
  ctx.set_outputs({nll_loss(ctx, log_prob, ctx.input(1), ctx.optional_input(2)), log_prob});
}

}  // namespace

void register_loss_converters(ConverterTable& t) {
  t.add("NegativeLogLikelihoodLoss", convert_nll_loss, 12);
  t.add("SoftmaxCrossEntropyLoss", convert_softmax_cross_entropy, 12);
}

}  // namespace wgml::onnx
