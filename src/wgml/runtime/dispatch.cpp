#include "wgml/runtime/dispatch.h"

#include "wgml/core/error.h"
#include "wgml/ops/infer.h"
#include "wgml/ops/op_table.h"

namespace wgml {

static std::string accepted_attrs(const OpDef& op) {
  std::string out;
  for (const AttrSpec& spec : op.attrs)
    out += (out.empty() ? "" : ", ") + spec.name;
  return out.empty() ? "none" : out;
}

static AttrValue coerce_attr(const OpDef& op, const AttrSpec& spec, AttrValue value) {
  const AttrType given = attr_type_of(value);
  if (given == spec.type) return value;
  if (spec.type == AttrType::Float && given == AttrType::Int) {
    return static_cast<double>(std::get<int64_t>(value));
  }
  if (spec.type == AttrType::FloatList && given == AttrType::IntList) {
    const Ints& ints = std::get<Ints>(value);
    return Floats(ints.begin(), ints.end());
  }
  // An empty list parses as either list type.
  if (spec.type == AttrType::IntList && given == AttrType::FloatList &&
      std::get<Floats>(value).empty()) {
    return Ints{};
  }
  fail(op.name, ": attribute '", spec.name, "' must be ", attr_type_name(spec.type), ", got ",
       attr_type_name(given), " ", attr_value_str(value));
}

OpCall bind_call(const OpDef& op, const std::vector<Tensor>& inputs, Attrs attrs) {
  const bool variadic = !op.inputs.empty() && op.inputs.back().variadic;
  size_t required = 0;
  for (const InputSpec& spec : op.inputs)
    required += spec.optional ? 0 : 1;
  WGML_CHECK(inputs.size() >= required && (variadic || inputs.size() <= op.inputs.size()), op.name,
             ": takes ", required == op.inputs.size() ? "" : "at least ", required,
             variadic ? " or more" : "", " inputs, got ", inputs.size());

  Device* device = nullptr;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputSpec& spec = op.input_spec(i);
    const Tensor& t = inputs[i];
    if (!t.defined()) {
      WGML_CHECK(spec.optional, op.name, ": input '", spec.name, "' is required");
      continue;
    }
    WGML_CHECK(spec.dtypes.contains(t.dtype()), op.name, ": input '", spec.name, "' has dtype ",
               t.dtype(), ", expected one of ", spec.dtypes.to_string());
    if (spec.same_dtype_as >= 0) {
      const Tensor& other = inputs[static_cast<size_t>(spec.same_dtype_as)];
      WGML_CHECK(!other.defined() || other.dtype() == t.dtype(), op.name, ": input '", spec.name,
                 "' has dtype ", t.dtype(), " but '", op.inputs[spec.same_dtype_as].name, "' has ",
                 other.dtype(), "; cast one of them first");
    }
    if (device == nullptr) device = &t.device();
    WGML_CHECK(device == &t.device(), op.name, ": inputs live on different devices (",
               device->name(), " and ", t.device().name(), ")");
  }

  OpCall call;
  call.op = &op;
  for (const auto& [name, value] : attrs.values()) {
    const AttrSpec* spec = nullptr;
    for (const AttrSpec& s : op.attrs) {
      if (s.name == name) spec = &s;
    }
    WGML_CHECK(spec != nullptr, op.name, ": unknown attribute '", name,
               "'; it accepts: ", accepted_attrs(op));
    call.attrs.set(name, coerce_attr(op, *spec, value));
  }
  for (const AttrSpec& spec : op.attrs) {
    if (call.attrs.has(spec.name)) continue;
    WGML_CHECK(spec.default_value.has_value(), op.name, ": attribute '", spec.name,
               "' is required");
    call.attrs.set(spec.name, *spec.default_value);
  }
  return call;
}

std::vector<TensorDesc> infer_outputs(const OpCall& call, const std::vector<Tensor>& inputs) {
  switch (call.op->kind) {
    case OpKind::Elementwise:
      return infer_elementwise(call, inputs);
    case OpKind::Reduce:
      return infer_reduce(call, inputs);
    default:
      WGML_CHECK(bool(call.op->infer), call.name(), ": has no shape rule");
      return call.op->infer(call, inputs);
  }
}

// Composites over float16 inputs compute in float32 and round their outputs once, as PyTorch's
// half-precision kernels do internally; rounding every intermediate would compound the error.
std::vector<Tensor> EagerRuntime::run_composite(const OpCall& call, std::vector<Tensor> inputs) {
  // bfloat16 likewise.
  bool half = false;
  DType narrow = DType::Float16;
  for (Tensor& t : inputs) {
    if (!t.defined() || (t.dtype() != DType::Float16 && t.dtype() != DType::BFloat16)) continue;
    narrow = t.dtype();
    t = call1("cast", {t}, {{"dtype", std::string("float32")}});
    half = true;
  }
  std::vector<Tensor> outputs = call.op->decompose(*this, call, inputs);
  if (!half) return outputs;
  for (Tensor& t : outputs) {
    if (t.dtype() == DType::Float32)
      t = call1("cast", {t}, {{"dtype", std::string(dtype_name(narrow))}});
  }
  return outputs;
}

std::vector<Tensor> EagerRuntime::call(const std::string& name, std::vector<Tensor> inputs,
                                       Attrs attrs) {
  const OpDef& op = op_table().get(name);
  const OpCall call = bind_call(op, inputs, std::move(attrs));
  if (op.kind == OpKind::View) return op.decompose(*this, call, inputs);
  const Tensor* first = nullptr;
  for (const Tensor& t : inputs) {
    if (t.defined() && first == nullptr) first = &t;
  }
  Device& device =
      first != nullptr ? first->device() : (default_device_ ? *default_device_ : cpu_device());
  // A composite runs as one fused kernel where the device has one (and the table gives its shape
  // rule); otherwise through the ops it is built from.
  if (op.kind == OpKind::Composite && !(op.infer && device.supports(call, inputs)))
    return run_composite(call, std::move(inputs));
  std::vector<TensorDesc> descs = infer_outputs(call, inputs);
  // No silent fallback to another device: a missing kernel is an error that names it.
  WGML_CHECK(device.supports(call, inputs), op.name, ": the ", device.name(),
             " device has no kernel for this call (input dtype ",
             first != nullptr ? std::string(dtype_name(first->dtype())) : "none", ")");
  std::vector<Tensor> outputs;
  for (const TensorDesc& d : descs)
    outputs.push_back(Tensor::empty(d.shape, d.dtype, device));
  device.execute(call, inputs, outputs);
  return outputs;
}

Tensor EagerRuntime::call_with_epilogue(const std::string& name, std::vector<Tensor> inputs,
                                        Attrs attrs, const OpDef& epilogue,
                                        std::vector<Tensor> epilogue_inputs) {
  const OpDef& op = op_table().get(name);
  OpCall call = bind_call(op, inputs, std::move(attrs));
  Device& device = inputs.at(0).device();
  // A composite here runs as the device's fused kernel (its supports() says it has one).
  WGML_CHECK((op.kind == OpKind::Kernel || op.kind == OpKind::Composite) &&
                 device.takes_epilogue(name) && device.supports(call, inputs),
             name, ": the ", device.name(), " device cannot finish this call with ", epilogue.name);
  std::vector<TensorDesc> descs = infer_outputs(call, inputs);
  WGML_CHECK(descs.size() == 1 && descs[0].dtype == DType::Float32, name,
             ": an epilogue needs one float32 output");
  std::vector<Tensor> outputs = {Tensor::empty(descs[0].shape, DType::Float32, device)};
  call.epilogue = &epilogue;
  call.epilogue_inputs = std::move(epilogue_inputs);
  device.execute(call, inputs, outputs);
  return outputs[0];
}

std::vector<Tensor> run_op(const std::string& name, std::vector<Tensor> inputs, Attrs attrs) {
  EagerRuntime runtime;
  return runtime.call(name, std::move(inputs), std::move(attrs));
}

Tensor run_op1(const std::string& name, std::vector<Tensor> inputs, Attrs attrs) {
  EagerRuntime runtime;
  return runtime.call1(name, std::move(inputs), std::move(attrs));
}

}  // namespace wgml
