// Convolutions over any number of spatial axes (ONNX Conv and ConvTranspose): X [N, C, ...].
#include <algorithm>

#include "wgml/core/error.h"
#include "wgml/ops/dequant_params.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"
#include "wgml/ops/window.h"

namespace wgml {

namespace {

// `values` when given (one per spatial axis), else `fallback` on every axis.
Ints per_axis(const OpCall& call, const std::string& name, size_t rank, int64_t fallback) {
  const Ints& values = call.attrs.ints(name);
  if (values.empty()) return Ints(rank, fallback);
  WGML_CHECK(values.size() == rank, call.name(), ": ", name, " ", values, " needs ", rank,
             " values, one per spatial axis");
  return values;
}

void check_operands(const OpCall& call, const std::vector<Tensor>& in, bool transpose) {
  const std::string& op = call.name();
  const Shape& x = in[0].shape();
  const Shape& w = in[1].shape();
  WGML_CHECK(x.size() >= 3, op, ": X ", x, " must be [N, C, spatial...] with a spatial axis");
  WGML_CHECK(w.size() == x.size(), op, ": W ", w, " must have the rank of X ", x);
  for (size_t d = 2; d < w.size(); ++d)
    WGML_CHECK(w[d] >= 1, op, ": W ", w, " has an empty kernel axis ", d);
  const int64_t group = call.attrs.i("group");
  WGML_CHECK(group >= 1, op, ": group ", group, " must be >= 1");
  const int64_t channels = x[1];
  WGML_CHECK(channels % group == 0, op, ": channels ", channels, " of X ", x, " do not split into ",
             group, " groups");
  int64_t out_channels;
  if (transpose) {
    WGML_CHECK(w[0] == channels, op, ": W ", w, " must be [C, M/group, k...] with C = ", channels,
               " (X ", x, ")");
    out_channels = checked_mul(w[1], group, op, ": W ", w, " with group ", group);
  } else {
    WGML_CHECK(checked_mul(w[1], group, op, ": W ", w, " with group ", group) == channels, op,
               ": W ", w, " must be [M, C/group, k...] with C/group = ", channels / group, " (X ",
               x, ", group ", group, ")");
    WGML_CHECK(w[0] % group == 0, op, ": output channels ", w[0], " of W ", w,
               " do not split into ", group, " groups");
    out_channels = w[0];
  }
  if (in.size() > 2 && in[2].defined()) {
    const Shape& b = in[2].shape();
    WGML_CHECK(b.size() == 1 && b[0] == out_channels, op, ": bias ", b, " must be [", out_channels,
               "] for W ", w);
  }
  const Ints& kernel_shape = call.attrs.ints("kernel_shape");
  WGML_CHECK(kernel_shape.empty() || kernel_shape == Ints(w.begin() + 2, w.end()), op,
             ": kernel_shape ", kernel_shape, " does not match W ", w);
}

}  // namespace

// Resolves a conv or conv_transpose call per spatial axis: empty lists take their defaults and
// auto_pad or output_shape become explicit pads. The CPU kernel shares it
// (backends/cpu/kernels/conv.cpp).
void conv_window(const OpCall& call, const Shape& x, const Shape& w, Ints* strides, Ints* dilations,
                 Ints* pads_begin, Ints* pads_end) {
  const std::string& op = call.name();
  const bool transpose = op == "conv_transpose";
  const size_t rank = x.size() - 2;
  *strides = per_axis(call, "strides", rank, 1);
  *dilations = per_axis(call, "dilations", rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    WGML_CHECK((*strides)[d] >= 1 && (*dilations)[d] >= 1, op, ": strides ", *strides,
               " and dilations ", *dilations, " must be >= 1");
  }
  const Ints pads = per_axis(call, "pads", 2 * rank, 0);
  pads_begin->assign(pads.begin(), pads.begin() + static_cast<int64_t>(rank));
  pads_end->assign(pads.begin() + static_cast<int64_t>(rank), pads.end());
  for (int64_t p : pads) {
    WGML_CHECK(p >= 0, op, ": pads ", pads, " must be >= 0");
  }
  for (size_t d = 0; d < rank; ++d)
    checked_add((*pads_begin)[d], (*pads_end)[d], op, ": pads ", pads);

  const std::string& auto_pad = call.attrs.s("auto_pad");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  WGML_CHECK(same || auto_pad == "NOTSET" || auto_pad == "VALID", op, ": auto_pad '", auto_pad,
             "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  if (auto_pad == "VALID") {
    pads_begin->assign(rank, 0);
    pads_end->assign(rank, 0);
  }
  Ints output_shape, output_padding;
  if (transpose) {
    output_padding = per_axis(call, "output_padding", rank, 0);
    output_shape = call.attrs.ints("output_shape");
    if (output_shape.size() == rank + 2) {  // given as [N, C, spatial...]
      output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    }
    WGML_CHECK(output_shape.empty() || output_shape.size() == rank, op, ": output_shape ",
               call.attrs.ints("output_shape"), " needs ", rank, " spatial sizes");
    for (int64_t size : output_shape)
      WGML_CHECK(size >= 0, op, ": output_shape ", output_shape, " has a negative size");
  }
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = x[d + 2], stride = (*strides)[d];
    // Model-controlled sizes: overflow is an error, not a wrapped size.
    const auto add = [&](int64_t a, int64_t b) {
      return checked_add(a, b, op, ": spatial axis ", d, " of X ", x, " and W ", w);
    };
    const auto mul = [&](int64_t a, int64_t b) {
      return checked_mul(a, b, op, ": spatial axis ", d, " of X ", x, " and W ", w);
    };
    const int64_t extent = add(mul((*dilations)[d], w[d + 2] - 1), 1);  // the dilated kernel's span
    if (!transpose && same) {
      const int64_t out = add(in, stride - 1) / stride;
      const int64_t total = std::max<int64_t>(0, add(mul(out - 1, stride), extent - in));
      (*pads_begin)[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - (total / 2);
      (*pads_end)[d] = total - (*pads_begin)[d];
    }
    if (transpose && (same || !output_shape.empty())) {
      // ONNX's rule: SAME makes the output in * stride; the pads make up the difference. An
      // output beyond the input's reach grows at the end only (a negative end pad), as ONNX
      // Runtime clamps the total at 0 and ONNX's test_convtranspose_output_shape expects.
      const int64_t out = output_shape.empty() ? mul(in, stride) : output_shape[d];
      const int64_t total = add(add(mul(stride, in - 1), output_padding[d]), extent - out);
      if (total < 0) {
        (*pads_begin)[d] = 0;
      } else {
        (*pads_begin)[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - (total / 2);
      }
      (*pads_end)[d] = total - (*pads_begin)[d];
    }
  }
}

namespace {

std::vector<TensorDesc> infer_conv(const OpCall& call, const std::vector<Tensor>& in) {
  check_operands(call, in, false);
  const Shape& x = in[0].shape();
  const Shape& w = in[1].shape();
  Ints strides, dilations, pads_begin, pads_end;
  conv_window(call, x, w, &strides, &dilations, &pads_begin, &pads_end);
  Shape out = {x[0], w[0]};
  for (size_t d = 0; d + 2 < x.size(); ++d) {
    const int64_t padded = checked_add(x[d + 2], pads_begin[d] + pads_end[d], "conv: X ", x,
                                       " padded by ", pads_begin, " and ", pads_end);
    const int64_t extent = (dilations[d] * (w[d + 2] - 1)) + 1;  // conv_window checked it
    WGML_CHECK(padded >= extent, "conv: W ", w, " with dilations ", dilations, " does not fit X ",
               x, " padded by ", pads_begin, " and ", pads_end);
    out.push_back(((padded - extent) / strides[d]) + 1);
  }
  return {{out, in[0].dtype()}};
}

// conv_dequant (x, q, scale?, zero_point?, bias?): conv's shapes with W = q.
std::vector<TensorDesc> infer_conv_dequant(const OpCall& call, const std::vector<Tensor>& in) {
  int64_t scales = 0, zeros = 0;
  dequant_channels(in, &scales, &zeros);
  return infer_conv(call, {in[0], in[1], in.size() > 4 ? in[4] : Tensor()});
}

std::vector<TensorDesc> infer_conv_transpose(const OpCall& call, const std::vector<Tensor>& in) {
  check_operands(call, in, true);
  const Shape& x = in[0].shape();
  const Shape& w = in[1].shape();
  Ints strides, dilations, pads_begin, pads_end;
  conv_window(call, x, w, &strides, &dilations, &pads_begin, &pads_end);
  const Ints output_padding = per_axis(call, "output_padding", x.size() - 2, 0);
  Shape out = {x[0], w[1] * call.attrs.i("group")};  // check_operands checked the product
  for (size_t d = 0; d + 2 < x.size(); ++d) {
    const int64_t extent = (dilations[d] * (w[d + 2] - 1)) + 1;  // conv_window checked it
    const auto where = [&] { return str_cat("conv_transpose: spatial axis ", d, " of X ", x); };
    const int64_t grown = checked_add(checked_mul(strides[d], x[d + 2] - 1, where()),
                                      checked_add(output_padding[d], extent, where()), where());
    const int64_t size = checked_add(grown, -(pads_begin[d] + pads_end[d]), where());
    WGML_CHECK(size >= 1, "conv_transpose: output size ", size, " along spatial axis ", d,
               " for X ", x, ", W ", w, " and pads ", pads_begin, ", ", pads_end);
    out.push_back(size);
  }
  return {{out, in[0].dtype()}};
}

// The window attributes conv, conv_dequant and conv_transpose share, with their defaults
// (conv_transpose adds output_padding and output_shape).
OpDefBuilder& window_attrs(OpDefBuilder&& b) {
  return b.attr("auto_pad", std::string("NOTSET"))
      .attr("dilations", Ints{})
      .attr("group", int64_t{1})
      .attr("kernel_shape", Ints{})
      .attr("pads", Ints{})
      .attr("strides", Ints{});
}

}  // namespace

void declare_conv_ops(OpTable& t) {
  using namespace dtypes;
  const Tolerance frobenius{ErrorMetric::Frobenius};
  window_attrs(
      t.kernel("conv", {{"x", kFloat}, {"w", kFloat, 0}, {"b", kFloat, 0, true}}, infer_conv))
      .tolerance(frobenius)
      .doc(
          "ONNX Conv over any spatial rank: W [M, C/group, k...]; pads are begins then ends; "
          "auto_pad other than NOTSET ignores pads");
  window_attrs(t.kernel("conv_dequant",
                        {{"x", kFloat | DTypeSet{DType::Int32}},
                         {"q", DTypeSet{DType::Int8, DType::UInt8}},
                         {"scale", kFloat, -1, true},
                         {"zero_point", kFloat | DTypeSet{DType::Int8, DType::UInt8, DType::Int32},
                          -1, true},
                         {"b", kFloat | DTypeSet{DType::Int32}, 0, true}},
                        infer_conv_dequant))
      .tolerance(frobenius)
      .doc(
          "conv with W = (q - zero_point) * scale dequantized as it is read: q [M, C/group, k...] "
          "int8/uint8, scale and zero point per output channel or per tensor");
  window_attrs(t.kernel("conv_transpose", {{"x", kFloat}, {"w", kFloat, 0}, {"b", kFloat, 0, true}},
                        infer_conv_transpose))
      .attr("output_padding", Ints{})
      .attr("output_shape", Ints{})
      .tolerance(frobenius)
      .doc(
          "ONNX ConvTranspose over any spatial rank: W [C, M/group, k...]; output_shape (spatial "
          "sizes) or SAME auto_pad derive the pads");
}

}  // namespace wgml
