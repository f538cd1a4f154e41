// Reductions over any set of axes (empty `axes` means all), with keepdims. Primitives fold with
// a combine function; the rest are composites over them.
#include "wgml/core/error.h"
#include "wgml/ops/infer.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

using Init = ReduceSpec::Init;

// The product of the reduced dimensions.
double reduced_count(const OpCall& call, const Tensor& x) {
  double n = 1;
  for (int axis : normalize_axes(call.attrs.ints("axes"), x.rank(), call.name())) {
    n *= static_cast<double>(x.shape()[static_cast<size_t>(axis)]);
  }
  return n;
}

Attrs reduce_attrs(const OpCall& call, bool keepdims) {
  return {{"axes", call.attrs.ints("axes")}, {"keepdims", int64_t{keepdims}}};
}

// Drops the kept unit axes of a keepdims=1 result when the call asked for keepdims=0.
Tensor finish_keepdims(OpBuilder& b, const OpCall& call, const Tensor& kept) {
  if (call.attrs.i("keepdims") != 0) return kept;
  Ints axes;
  for (int axis : normalize_axes(call.attrs.ints("axes"), kept.rank(), call.name())) {
    axes.push_back(axis);
  }
  return b.call1("squeeze", {kept}, {{"axes", axes}});
}

}  // namespace

void declare_reduce_ops(OpTable& t) {
  using namespace dtypes;
  t.reduce("sum", kNumeric, {expr::Fn::Add, Init::Zero}).doc("output keeps the input dtype (ONNX)");
  t.reduce("prod", kNumeric, {expr::Fn::Mul, Init::One});
  t.reduce("max", kNumeric, {expr::Fn::Max, Init::Lowest}).doc("NaN propagates");
  t.reduce("min", kNumeric, {expr::Fn::Min, Init::Highest}).doc("NaN propagates");
  t.reduce("argmax", kNumeric, {expr::Fn::Max, Init::Lowest, true})
      .doc("int64 index along one axis; ties pick the first unless select_last_index");
  t.reduce("argmin", kNumeric, {expr::Fn::Min, Init::Highest, true})
      .doc("int64 index along one axis; ties pick the first unless select_last_index");

  const std::vector<InputSpec> float_input = {{"input", kFloat}};
  const Tolerance frobenius{ErrorMetric::Frobenius};
  t.composite("mean", float_input,
              [](OpBuilder& b, const OpCall& call, const std::vector<Tensor>& in) {
                const Tensor s =
                    b.call1("sum", {in[0]}, reduce_attrs(call, call.attrs.i("keepdims")));
                return std::vector<Tensor>{
                    b.call1("mul", {s, b.constant(1.0 / reduced_count(call, in[0]), s)})};
              })
      .attr("axes", Ints{})
      .attr("keepdims", int64_t{0})
      .tolerance(frobenius);
  t.composite("logsumexp", float_input,
              [](OpBuilder& b, const OpCall& call, const std::vector<Tensor>& in) {
                // Shift by the max for stability; an infinite max shifts by 0 instead.
                const Tensor m = b.call1("max", {in[0]}, reduce_attrs(call, true));
                const Tensor shift = b.call1("where", {b.call1("isinf", {m}), b.constant(0, m), m});
                const Tensor e = b.call1("exp", {b.call1("sub", {in[0], shift})});
                const Tensor s = b.call1("sum", {e}, reduce_attrs(call, true));
                const Tensor r = b.call1("add", {b.call1("log", {s}), shift});
                return std::vector<Tensor>{finish_keepdims(b, call, r)};
              })
      .attr("axes", Ints{})
      .attr("keepdims", int64_t{0})
      .tolerance(frobenius);
  t.composite("norm_l1", float_input,
              [](OpBuilder& b, const OpCall& call, const std::vector<Tensor>& in) {
                return std::vector<Tensor>{b.call1("sum", {b.call1("abs", {in[0]})},
                                                   reduce_attrs(call, call.attrs.i("keepdims")))};
              })
      .attr("axes", Ints{})
      .attr("keepdims", int64_t{0})
      .tolerance(frobenius);
  t.composite("norm_l2", float_input,
              [](OpBuilder& b, const OpCall& call, const std::vector<Tensor>& in) {
                const Tensor s = b.call1("sum", {b.call1("square", {in[0]})},
                                         reduce_attrs(call, call.attrs.i("keepdims")));
                return std::vector<Tensor>{b.call1("sqrt", {s})};
              })
      .attr("axes", Ints{})
      .attr("keepdims", int64_t{0})
      .tolerance(frobenius);
  t.composite("var", float_input,
              [](OpBuilder& b, const OpCall& call, const std::vector<Tensor>& in) {
                const Tensor mean = b.call1("mean", {in[0]}, reduce_attrs(call, true));
                const Tensor d = b.call1("sub", {in[0], mean});
                const Tensor s = b.call1("sum", {b.call1("square", {d})},
                                         reduce_attrs(call, call.attrs.i("keepdims")));
                const double n = reduced_count(call, in[0]) - double(call.attrs.i("correction"));
                return std::vector<Tensor>{b.call1("div", {s, b.constant(n > 0 ? n : 0, s)})};
              })
      .attr("axes", Ints{})
      .attr("keepdims", int64_t{0})
      .attr("correction", int64_t{1})
      .tolerance(frobenius)
      .doc("divides by N - correction (Bessel's correction by default, as torch.var)");
}

}  // namespace wgml
