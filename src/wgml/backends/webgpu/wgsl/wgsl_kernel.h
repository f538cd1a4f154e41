// WGSL kernels: each op family's file generates WGSL for one call, specialised on its shapes,
// strides and attributes (baked in as constants), and hands it to a recorder that compiles it
// (cached) and dispatches it. Generators are plain C++ over Tensor metadata: no GPU needed to
// build or read them, and the browser build will reuse them unchanged.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "wgml/backends/webgpu/gpu_api.h"
#include "wgml/core/tensor.h"
#include "wgml/ops/op_def.h"

namespace wgml::wgsl {

// A generated shader with the tensors bound to it (binding i = tensors[i]).
struct Launch {
  gpu::Program program;
  std::vector<Tensor> tensors;
  std::array<uint32_t, 3> workgroups{1, 1, 1};
};

// What a kernel runs through: the WebGPU device implements it.
class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual const gpu::AdapterInfo& adapter() const = 0;
  // A contiguous temporary on the device (partial sums, indices); freed when dropped.
  virtual Tensor scratch(const Shape& shape, DType dtype) = 0;
  virtual void run(const Launch& launch) = 0;
};

using KernelFn = void (*)(const OpCall& call, const std::vector<Tensor>& inputs,
                          std::vector<Tensor>& outputs, Recorder& recorder);

struct Kernel {
  const char* op;
  KernelFn fn;
  // Its shaders store each output element once, final, through bind_output's NAME_store: an
  // OpCall's epilogue can be applied there.
  bool epilogue = false;
};

// Each backends/webgpu/wgsl/<family>.cpp lists its kernels (see wgsl_kernel.cpp for the families).
const Kernel* find_kernel(const std::string& op);

// Generic kernels of the table's elementwise and reduce kinds.
void run_elementwise(const OpCall& call, const std::vector<Tensor>& inputs, Tensor& out,
                     Recorder& recorder);
void run_reduce(const OpCall& call, const Tensor& input, Tensor& out, Recorder& recorder);
// Split-K: the slices a k loop of `steps` steps is cut into so that `tiles` workgroups become
// `target` (each slice computed by workgroups of its own, their partial sums added by a second
// launch, run_split_sum). 1 when the tiles reach the target alone; else as many as get there
// with at least 8 steps a slice, and none empty.
int64_t k_slices(int64_t tiles, int64_t steps, int64_t target);
// The smallest power of two >= v.
int64_t pow2_ceil(int64_t v);

// The workgroup count a tiled kernel aims for (split-K fills up to it): `fallback`, unless the
// environment variable `knob` (read once per name) sets another, for tuning runs on a device.
int64_t tuned_workgroups(const char* knob, int64_t fallback);

// Binds `out` as the shader's output NAME: with `fn NAME_store(e, v)` as ShaderWriter::output
// declares it, or, when the call carries an epilogue, one that applies it to v first (its other
// inputs bound here too). Kernels whose stores are final and once per element use this.
class ShaderWriter;
void bind_output(ShaderWriter& w, const std::string& name, const Tensor& out, const OpCall& call);
// out = the sum of the `splits` partial results one after another in `part` (each out.numel()
// long), plus element `bias_at` (a WGSL index expression of gid) of `bias` when given, finished
// with the call's epilogue: the second launch of a product split along k.
void run_split_sum(const OpCall& call, const Tensor& part, int64_t splits, const Tensor* bias,
                   const std::string& bias_at, Tensor& out, Recorder& recorder);
// Copies any view of `src` into `dst` (same shape), converting the dtype as `cast` does.
void run_copy(const std::string& label, const Tensor& src, Tensor& dst, Recorder& recorder);

}  // namespace wgml::wgsl
