// libFuzzer target for the whole ONNX path past the parser: bytes -> parse_model -> import_model
// (converters, constant folding, shape inference) -> one run of the graph on the CPU with small
// random inputs. Every stage must give a result or a wgml::Error; never a crash, a leak,
// undefined behaviour, a hang, a huge allocation or another exception. Built and run by
// run_import_fuzz.sh with ASan + UBSan over the engine's sources (the WebGPU device left out).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/cpu_device.h"
#include "wgml/frontends/onnx/onnx_importer.h"
#include "wgml/compiler/graph_executor.h"

namespace {

using namespace wgml;

// Inputs stay small so one run is quick; a model whose declared inputs are larger is only imported.
constexpr int64_t kMaxInputElements = 100000;
// Symbolic input dims (batch, sequence) take this size; unknown ranks get a vector of it.
constexpr int64_t kSymbolicDim = 2;
// The engine's CPU allocations are capped well below libFuzzer's -malloc_limit_mb, so an absurd
// size in a model meets the engine's own error rather than the fuzzer's out-of-memory report.
constexpr size_t kCpuAllocationLimit = size_t{64} << 20;
// A Loop may run this many iterations per node, so a mutated trip count stays within -timeout.
constexpr int64_t kMaxLoopIterations = 1000;

// A deterministic generator, so a crashing input reproduces exactly.
struct Lcg {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  uint32_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  }
};

// The input's concrete shape, or false when it is too large to run.
bool input_shape(const graph::InputSpec& spec, Shape& shape) {
  shape.clear();
  if (!spec.shape_known) {
    shape.push_back(kSymbolicDim);
    return true;
  }
  int64_t numel = 1;
  for (const graph::SymDim& dim : spec.shape) {
    const int64_t size = dim.is_static() ? dim.value : kSymbolicDim;
    if (size > kMaxInputElements) return false;
    numel *= size;  // both factors <= 1e5 after the check below: no overflow
    if (numel > kMaxInputElements) return false;
    shape.push_back(size);
  }
  return true;
}

// Small values of every sign that are valid indices into dims of size >= 3 most of the time.
Tensor random_input(const graph::InputSpec& spec, const Shape& shape, Lcg& rng) {
  std::vector<double> values(static_cast<size_t>(shape_numel(shape)));
  for (double& v : values) {
    const uint32_t r = rng.next();
    if (is_floating(spec.dtype))
      v = static_cast<double>(r % 2001) / 1000.0 - 1.0005;
    else if (spec.dtype == DType::Bool)
      v = r & 1;
    else if (spec.dtype == DType::UInt8)
      v = r % 4;
    else
      v = static_cast<double>(r % 6) - 2;
  }
  return Tensor::from_vector(values, shape, spec.dtype);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_cpu_allocation_limit(kCpuAllocationLimit);
  set_max_loop_iterations(kMaxLoopIterations);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ImportedModel imported;
  try {
    const onnx::ModelProto model = onnx::parse_model(data, size, "fuzz.onnx");
    // The folder holds no external data: any reference to it must fail cleanly.
    imported = onnx::import_model(model, "/nonexistent-wgml-fuzz", "fuzz.onnx");
  } catch (const Error&) {
    return 0;
  }
  const graph::Graph& graph = imported.graph;
  Lcg rng;
  std::vector<Tensor> inputs;
  int64_t total = 0;
  for (const graph::InputSpec& spec : graph.inputs) {
    Shape shape;
    if (!input_shape(spec, shape)) return 0;
    total += shape_numel(shape);
    if (total > kMaxInputElements) return 0;
    inputs.push_back(random_input(spec, shape, rng));
  }
  try {
    GraphExecutor executor(graph, cpu_device());
    const std::vector<Tensor> outputs = executor.run(inputs);
    for (const Tensor& out : outputs)
      (void)out.to_bytes();  // reads every element once, so a bad view would show
  } catch (const Error&) {
  }
  return 0;
}
