// Pooling over the spatial axes of [N, C, spatial...] inputs: ONNX MaxPool/AveragePool for any
// number of spatial axes, and the global forms as composites over the reductions.
#include <algorithm>
#include <string>

#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"
#include "wgml/ops/window.h"

namespace wgml {

namespace {

Ints per_axis(const OpCall& call, const char* name, size_t spatial, int64_t fallback,
              const Shape& input) {
  const Ints& given = call.attrs.ints(name);
  if (given.empty()) return Ints(spatial, fallback);
  WGML_CHECK(given.size() == spatial, call.name(), ": ", name, " ", given, " needs ", spatial,
             " values for the spatial axes of input ", input);
  return given;
}

int64_t ceil_div(int64_t a, int64_t b) {  // a >= 0, b >= 1; no overflow
  return a == 0 ? 0 : (a - 1) / b + 1;
}

PoolWindows resolve_pool_windows(const OpCall& call, const Shape& in) {
  const std::string& op = call.name();
  WGML_CHECK(in.size() >= 3, op, ": input ", in,
             " must be [N, C, spatial...] with at least one spatial axis");
  const size_t spatial = in.size() - 2;
  PoolWindows w;
  w.kernel = call.attrs.ints("kernel_shape");
  WGML_CHECK(w.kernel.size() == spatial, op, ": kernel_shape ", w.kernel, " needs ", spatial,
             " values for the spatial axes of input ", in);
  w.strides = per_axis(call, "strides", spatial, 1, in);
  w.dilations = per_axis(call, "dilations", spatial, 1, in);
  const Ints pads =
      call.attrs.ints("pads").empty() ? Ints(2 * spatial, 0) : call.attrs.ints("pads");
  WGML_CHECK(pads.size() == 2 * spatial, op, ": pads ", pads, " needs ", 2 * spatial,
             " values (begins then ends) for input ", in);
  const std::string& auto_pad = call.attrs.s("auto_pad");
  WGML_CHECK(auto_pad == "NOTSET" || auto_pad == "VALID" || auto_pad == "SAME_UPPER" ||
                 auto_pad == "SAME_LOWER",
             op, ": unknown auto_pad '", auto_pad, "'");
  WGML_CHECK(auto_pad == "NOTSET" || call.attrs.ints("pads").empty(), op, ": pads ", pads,
             " cannot be combined with auto_pad ", auto_pad);
  const int64_t ceil_mode = call.attrs.i("ceil_mode");
  WGML_CHECK(ceil_mode == 0 || ceil_mode == 1, op, ": ceil_mode must be 0 or 1, got ", ceil_mode);

  for (size_t d = 0; d < spatial; ++d) {
    const int64_t size = in[d + 2], k = w.kernel[d], s = w.strides[d], dil = w.dilations[d];
    WGML_CHECK(k >= 1 && s >= 1 && dil >= 1, op, ": kernel_shape ", w.kernel, ", strides ",
               w.strides, " and dilations ", w.dilations, " must be positive");
    // Model-controlled sizes: overflow is an error, not a wrapped size.
    const auto add = [&](int64_t a, int64_t b) {
      return checked_add(a, b, op, ": spatial axis ", d, " of input ", in, " (kernel_shape ",
                         w.kernel, ", strides ", w.strides, ", dilations ", w.dilations, ", pads ",
                         pads, ")");
    };
    const int64_t extent = add(
        checked_mul(dil, k - 1, op, ": kernel_shape ", w.kernel, " with dilations ", w.dilations),
        1);  // the span one window covers
    int64_t pb = pads[d], pe = pads[d + spatial];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // Enough padding that out = ceil(in / stride); the odd one goes at the end for UPPER.
      const int64_t total = std::max<int64_t>(0, add((ceil_div(size, s) - 1) * s, extent - size));
      pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    }
    WGML_CHECK(pb >= 0 && pe >= 0, op, ": negative pads ", pads);
    // Padding at least a whole window would make windows of padding alone.
    WGML_CHECK(pb < extent && pe < extent, op, ": pads ", pads, " on spatial axis ", d,
               " must be smaller than the kernel extent ", extent, " (kernel_shape ", w.kernel,
               ", dilations ", w.dilations, ")");
    const int64_t padded = add(size, add(pb, pe));
    const int64_t room = padded - extent;
    WGML_CHECK(room >= 0, op, ": kernel extent ", extent, " is larger than the padded input (",
               padded, ") on spatial axis ", d, " of input ", in, " (kernel_shape ", w.kernel,
               ", dilations ", w.dilations, ", pads [", pb, ", ", pe, "])");
    int64_t out = (ceil_mode != 0 ? ceil_div(room, s) : room / s) + 1;
    // ceil_mode keeps a last partial window only if it starts inside the input or the begin
    // padding, as torch and ONNX do.
    if (ceil_mode != 0 && out - 1 >= ceil_div(size + pb, s)) --out;  // (out - 1) * s >= size + pb
    w.pad_begin.push_back(pb);
    w.pad_end.push_back(pe);
    w.out_size.push_back(out);
  }
  return w;
}

std::vector<TensorDesc> infer_pool(const OpCall& call, const std::vector<Tensor>& in) {
  const Shape& x = in[0].shape();
  if (call.attrs.has("count_include_pad")) {
    const int64_t include = call.attrs.i("count_include_pad");
    WGML_CHECK(include == 0 || include == 1, call.name(),
               ": count_include_pad must be 0 or 1, got ", include);
  }
  const PoolWindows w = resolve_pool_windows(call, x);
  Shape out = {x[0], x[1]};
  out.insert(out.end(), w.out_size.begin(), w.out_size.end());
  return {{out, in[0].dtype()}};
}

// global_*_pool: reduce every spatial axis, keeping them as size 1 (ONNX).
DecomposeFn global_pool(const char* reduce_op) {
  return [reduce_op](OpBuilder& b, const OpCall& call, const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    WGML_CHECK(x.rank() >= 3, call.name(), ": input ", x.shape(),
               " must be [N, C, spatial...] with at least one spatial axis");
    Ints axes;
    for (size_t d = 2; d < x.rank(); ++d)
      axes.push_back(static_cast<int64_t>(d));
    return std::vector<Tensor>{b.call1(reduce_op, {x}, {{"axes", axes}, {"keepdims", int64_t{1}}})};
  };
}

}  // namespace

PoolWindows pool_windows(const OpCall& call, const Shape& input) {
  return resolve_pool_windows(call, input);
}

Ints PoolWindows::pads() const {
  Ints pads = pad_begin;
  pads.insert(pads.end(), pad_end.begin(), pad_end.end());
  return pads;
}

void declare_pool_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("max_pool", {{"input", kNumeric}}, infer_pool)
      .required_attr("kernel_shape", AttrType::IntList)
      .attr("strides", Ints{})
      .attr("pads", Ints{})
      .attr("dilations", Ints{})
      .attr("ceil_mode", int64_t{0})
      .attr("auto_pad", std::string("NOTSET"))
      .doc(
          "ONNX MaxPool over 1 or more spatial axes; pads are begins then ends and never win; "
          "NaN propagates; no indices output");
  t.kernel("avg_pool", {{"input", kFloat}}, infer_pool)
      .required_attr("kernel_shape", AttrType::IntList)
      .attr("strides", Ints{})
      .attr("pads", Ints{})
      .attr("dilations", Ints{})
      .attr("ceil_mode", int64_t{0})
      .attr("count_include_pad", int64_t{0})
      .attr("auto_pad", std::string("NOTSET"))
      .tolerance(Tolerance{ErrorMetric::Frobenius})
      .doc(
          "ONNX AveragePool; count_include_pad defaults to 0 (ONNX; torch's default is 1) and "
          "counts the explicit pads but not a ceil_mode overhang, as torch does");

  const Tolerance frobenius{ErrorMetric::Frobenius};
  t.composite("global_avg_pool", {{"input", kFloat}}, global_pool("mean"))
      .tolerance(frobenius)
      .doc("mean over every spatial axis of [N, C, spatial...], keeping them as size 1");
  t.composite("global_max_pool", {{"input", kNumeric}}, global_pool("max"))
      .doc("max over every spatial axis of [N, C, spatial...], keeping them as size 1");
}

}  // namespace wgml
