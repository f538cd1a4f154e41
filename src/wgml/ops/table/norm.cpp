// Normalizations (softmax, batch/layer/group/instance norm) as composites over reductions and
// elementwise ops. Float16 inputs compute in float32: the runtime upcasts every composite.
#include <string>

#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

using Outputs = std::vector<Tensor>;

// The axes from `first` to the last one: what layer_norm and instance_norm fold.
Ints axes_from(int first, size_t rank) {
  Ints axes;
  for (size_t d = static_cast<size_t>(first); d < rank; ++d)
    axes.push_back(int64_t(d));
  return axes;
}

Attrs keep(const Ints& axes) {
  return {{"axes", axes}, {"keepdims", int64_t{1}}};
}

// (x - mean) / sqrt(var + epsilon) over `axes`, with the biased variance (as PyTorch).
Tensor standardize(OpBuilder& b, const Tensor& x, const Ints& axes, double epsilon) {
  const Tensor d = b.call1("sub", {x, b.call1("mean", {x}, keep(axes))});
  const Tensor var = b.call1("mean", {b.call1("square", {d})}, keep(axes));
  return b.call1("mul", {d, b.call1("rsqrt", {b.call1("add", {var, b.constant(epsilon, var)})})});
}

// Checks that X is [N, C, ...] and each given per-channel tensor is [C].
void check_channels(const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  WGML_CHECK(x.rank() >= 2, call.name(), ": input must be [N, C, ...], got shape ", x.shape());
  for (size_t i = 1; i < in.size(); ++i) {
    WGML_CHECK(in[i].shape() == Shape{x.shape()[1]}, call.name(), ": ", call.op->input_spec(i).name,
               " has shape ", in[i].shape(), " but input ", x.shape(), " has ", x.shape()[1],
               " channels; expected [", x.shape()[1], "]");
  }
}

// A per-channel [C] tensor reshaped to [C, 1, ...] so it broadcasts against X = [N, C, ...].
Tensor per_channel(OpBuilder& b, const Tensor& v, size_t x_rank) {
  Ints shape(x_rank - 1, 1);
  shape[0] = v.shape()[0];
  return b.call1("reshape", {v}, {{"shape", shape}});
}

// y * scale + bias with per-channel scale and bias.
Tensor channel_affine(OpBuilder& b, const Tensor& y, const Tensor& scale, const Tensor& bias) {
  const Tensor scaled = b.call1("mul", {y, per_channel(b, scale, y.rank())});
  return b.call1("add", {scaled, per_channel(b, bias, y.rank())});
}

// softmax and log_softmax: both start from the max-shifted input and its sum of exponentials.
Outputs softmax(OpBuilder& b, const OpCall& call, const Outputs& in) {
  const int axis = normalize_axis(call.attrs.i("axis"), in[0].rank(), call.name());
  const Ints axes{axis};
  // Subtracting the max keeps exp from overflowing; the result is unchanged.
  const Tensor shifted = b.call1("sub", {in[0], b.call1("max", {in[0]}, keep(axes))});
  const Tensor e = b.call1("exp", {shifted});
  const Tensor s = b.call1("sum", {e}, keep(axes));
  if (call.name() == "softmax") return {b.call1("div", {e, s})};
  return {b.call1("sub", {shifted, b.call1("log", {s})})};
}

Outputs batch_norm(OpBuilder& b, const OpCall& call, const Outputs& in) {
  check_channels(call, in);
  const Tensor& x = in[0];
  const double epsilon = call.attrs.f("epsilon");
  // Fold the statistics into one per-channel scale: scale / sqrt(var + epsilon).
  const Tensor inv_std = b.call1("rsqrt", {b.call1("add", {in[4], b.constant(epsilon, in[4])})});
  const Tensor gain = b.call1("mul", {in[1], inv_std});
  const Tensor centered = b.call1("sub", {x, per_channel(b, in[3], x.rank())});
  return {channel_affine(b, centered, gain, in[2])};
}

// Checks that scale and bias broadcast to layer_norm's normalized shape.
void check_layer_norm(const OpCall& call, const Outputs& in) {
  const Tensor& x = in[0];
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), call.name());
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i].defined()) continue;
    // Scale and bias must broadcast to the normalized shape (ONNX); PyTorch takes it exactly.
    bool fits = in[i].rank() <= normalized.size();
    for (size_t d = 0; fits && d < in[i].rank(); ++d) {
      const int64_t n = in[i].shape()[in[i].rank() - 1 - d];
      fits = n == 1 || n == normalized[normalized.size() - 1 - d];
    }
    WGML_CHECK(fits, call.name(), ": ", i == 1 ? "scale" : "bias", " of shape ", in[i].shape(),
               " does not broadcast to the normalized shape ", normalized, " of input ", x.shape(),
               " (axis ", call.attrs.i("axis"), ")");
  }
}

Outputs layer_norm(OpBuilder& b, const OpCall& call, const Outputs& in) {
  check_layer_norm(call, in);
  const Tensor& x = in[0];
  const int axis = normalize_axis(call.attrs.i("axis"), x.rank(), call.name());
  Tensor y = standardize(b, x, axes_from(axis, x.rank()), call.attrs.f("epsilon"));
  y = b.call1("mul", {y, in[1]});
  if (in.size() > 2 && in[2].defined()) y = b.call1("add", {y, in[2]});
  return {y};
}

Outputs group_norm(OpBuilder& b, const OpCall& call, const Outputs& in) {
  check_channels(call, in);
  const Tensor& x = in[0];
  const int64_t groups = call.attrs.i("num_groups");
  const int64_t channels = x.shape()[1];
  WGML_CHECK(groups > 0 && channels % groups == 0, call.name(), ": num_groups ", groups,
             " does not divide the ", channels, " channels of input ", x.shape());
  // [N, C, ...] -> [N, G, C/G * ...]: each group's channels and positions become one axis.
  const Tensor grouped = b.call1("reshape", {x}, {{"shape", Ints{x.shape()[0], groups, -1}}});
  const Tensor y = standardize(b, grouped, {2}, call.attrs.f("epsilon"));
  const Ints shape(x.shape().begin(), x.shape().end());
  return {channel_affine(b, b.call1("reshape", {y}, {{"shape", shape}}), in[1], in[2])};
}

Outputs instance_norm(OpBuilder& b, const OpCall& call, const Outputs& in) {
  check_channels(call, in);
  const Tensor& x = in[0];
  WGML_CHECK(x.rank() >= 3, call.name(), ": input must be [N, C, D1, ...], got shape ", x.shape());
  const Tensor y = standardize(b, x, axes_from(2, x.rank()), call.attrs.f("epsilon"));
  return {channel_affine(b, y, in[1], in[2])};
}

}  // namespace

void declare_norm_ops(OpTable& t) {
  using namespace dtypes;
  const Tolerance frobenius{ErrorMetric::Frobenius};
  const std::vector<InputSpec> one_input = {{"input", kFloat}};
  // Shaped like the input: devices with a fused kernel (WebGPU) run it in one pass.
  const InferFn like_input = [](const OpCall&, const std::vector<Tensor>& in) {
    return std::vector<TensorDesc>{{in[0].shape(), in[0].dtype()}};
  };
  t.composite("softmax", one_input, softmax)
      .infer(like_input)
      .attr("axis", int64_t{-1})
      .tolerance(frobenius)
      .doc("exp(x) / sum(exp(x)) along axis, shifted by the max (ONNX opset 13 axis semantics)");
  t.composite("log_softmax", one_input, softmax)
      .infer(like_input)
      .attr("axis", int64_t{-1})
      .tolerance(frobenius)
      .doc("x - logsumexp(x) along axis, shifted by the max");

  t.composite("batch_norm",
              {{"input", kFloat},
               {"scale", kFloat, 0},
               {"bias", kFloat, 0},
               {"mean", kFloat, 0},
               {"var", kFloat, 0}},
              batch_norm)
      .attr("epsilon", 1e-5)
      .tolerance(frobenius)
      .doc(
          "inference form over X [N, C, ...] with running mean/var [C] (ONNX "
          "BatchNormalization, no training_mode)");
  t.composite("layer_norm", {{"input", kFloat}, {"scale", kFloat, 0}, {"bias", kFloat, 0, true}},
              layer_norm)
      .infer([](const OpCall& call, const std::vector<Tensor>& in) {
        check_layer_norm(call, in);
        return std::vector<TensorDesc>{{in[0].shape(), in[0].dtype()}};
      })
      .attr("axis", int64_t{-1})
      .attr("epsilon", 1e-5)
      .tolerance(frobenius)
      .doc(
          "normalizes axes axis..end (ONNX LayerNormalization, Y only, float32 stash); scale and "
          "optional bias broadcast to the normalized shape");
  t.composite("group_norm", {{"input", kFloat}, {"scale", kFloat, 0}, {"bias", kFloat, 0}},
              group_norm)
      .required_attr("num_groups", AttrType::Int)
      .attr("epsilon", 1e-5)
      .tolerance(frobenius)
      .doc(
          "statistics per group of C/num_groups channels; scale and bias are per channel [C] as "
          "torch.group_norm and ONNX GroupNormalization-21 (opset 18 had them per group)");
  t.composite("instance_norm", {{"input", kFloat}, {"scale", kFloat, 0}, {"bias", kFloat, 0}},
              instance_norm)
      .attr("epsilon", 1e-5)
      .tolerance(frobenius)
      .doc(
          "statistics per sample and channel over the spatial axes of X [N, C, D1, ...] (ONNX "
          "InstanceNormalization)");
}

}  // namespace wgml
