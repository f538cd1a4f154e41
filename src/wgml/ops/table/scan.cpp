// Scans along one axis: cumulative sums and top-k selection (kernels in backends/cpu/kernels/scan.cpp).
#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

std::vector<TensorDesc> infer_cumsum(const OpCall& call, const std::vector<Tensor>& in) {
  normalize_axis(call.attrs.i("axis"), in[0].rank(), call.name());  // throws on a bad axis
  return {{in[0].shape(), in[0].dtype()}};
}

std::vector<TensorDesc> infer_topk(const OpCall& call, const std::vector<Tensor>& in) {
  const Tensor& x = in[0];
  WGML_CHECK(x.rank() > 0, call.name(), ": input must have at least one axis, got shape ",
             x.shape());
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), x.rank(), call.name()));
  const int64_t k = call.attrs.i("k");
  WGML_CHECK(k >= 0 && k <= x.shape()[axis], call.name(), ": k = ", k, " is out of range for axis ",
             call.attrs.i("axis"), " of size ", x.shape()[axis], " in input ", x.shape());
  Shape shape = x.shape();
  shape[axis] = k;
  return {{shape, x.dtype()}, {shape, DType::Int64}};
}

}  // namespace

void declare_scan_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("cumsum", {{"input", kNumeric}}, infer_cumsum)
      .required_attr("axis", AttrType::Int)
      .attr("exclusive", int64_t{0})
      .attr("reverse", int64_t{0})
      .tolerance(Tolerance{ErrorMetric::Frobenius})
      .doc(
          "running sum along axis, optionally exclusive and/or reversed (ONNX CumSum); the "
          "output keeps the input dtype (integers wrap), unlike torch.cumsum's int64");
  t.kernel("topk", {{"input", kNumeric}}, infer_topk)
      .required_attr("k", AttrType::Int)
      .attr("axis", int64_t{-1})
      .attr("largest", int64_t{1})
      .attr("sorted", int64_t{1})
      .dtypes([](const OpCall&, const std::vector<DType>& in) {
        return std::vector<DType>{in.at(0), DType::Int64};
      })
      .doc(
          "the k largest (or smallest) values along axis and their int64 indices (ONNX TopK); "
          "equal values keep the lower index first, NaN counts as the largest value (as "
          "torch.topk); the output is sorted even when sorted=0");
}

}  // namespace wgml
