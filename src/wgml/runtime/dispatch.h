// Eager dispatch: validates a call against the op table, then runs it on the inputs' device.
// The graph compiler of a later issue sits behind the same OpBuilder interface.
#pragma once

#include <string>
#include <vector>

#include "wgml/ops/op_def.h"

namespace wgml {

// Checks input count, dtypes and devices, fills default attributes and coerces int to float.
OpCall bind_call(const OpDef& op, const std::vector<Tensor>& inputs, Attrs attrs);

// The output shapes and dtypes of a bound call (elementwise, reduce and kernel ops).
std::vector<TensorDesc> infer_outputs(const OpCall& call, const std::vector<Tensor>& inputs);

class EagerRuntime : public OpBuilder {
 public:
  // Ops without tensor inputs (arange) run on `default_device`, the CPU when null.
  explicit EagerRuntime(Device* default_device = nullptr) : default_device_(default_device) {}
  std::vector<Tensor> call(const std::string& op, std::vector<Tensor> inputs,
                           Attrs attrs = {}) override;
  // One output of a kernel op with an epilogue the device takes (OpCall::epilogue).
  Tensor call_with_epilogue(const std::string& op, std::vector<Tensor> inputs, Attrs attrs,
                            const OpDef& epilogue, std::vector<Tensor> epilogue_inputs);

 private:
  std::vector<Tensor> run_composite(const OpCall& call, std::vector<Tensor> inputs);
  Device* default_device_;
};

// Runs op `name` eagerly: wgml::run_op("add", {a, b}).
std::vector<Tensor> run_op(const std::string& name, std::vector<Tensor> inputs, Attrs attrs = {});
Tensor run_op1(const std::string& name, std::vector<Tensor> inputs, Attrs attrs = {});

}  // namespace wgml
