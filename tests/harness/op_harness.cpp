// The op test harness (ggml's test-backend-ops habit): every golden case on every device.
//   wgml_op_tests test    [-o OP] [--device cpu|webgpu|all] [--goldens DIR] [--ops-md FILE] [-v]
//   wgml_op_tests support [--goldens DIR] --ops-md FILE
// `test` checks each op's outputs against PyTorch, and on the CPU also each elementwise op's
// backward rules against PyTorch's autograd; it fails when an op of the table has no case.
// `--ops-md` writes the op x device x dtype matrix published as docs/OPS.md.
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "compare.h"
#include "golden_case.h"
#include "ops_matrix.h"
#include "wgml/core/error.h"
#include "wgml/io/npy.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/op_table.h"
#include "wgml/runtime/dispatch.h"
#ifndef __EMSCRIPTEN__
#include "wgml/backends/webgpu/webgpu_device.h"
#endif

namespace wgml::harness {
namespace {

struct Options {
  std::string mode = "test";
  std::string only_op;
  std::string goldens = "build/goldens";
  std::string ops_md;
  std::string device = "all";  // the WebGPU device is required: no silent skip
  bool verbose = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      WGML_CHECK(i + 1 < argc, "missing value after ", a);
      return argv[++i];
    };
    if (a == "test" || a == "support")
      o.mode = a;
    else if (a == "-o")
      o.only_op = next();
    else if (a == "--goldens")
      o.goldens = next();
    else if (a == "--ops-md")
      o.ops_md = next();
    else if (a == "--device")
      o.device = next();
    else if (a == "-v")
      o.verbose = true;
    else
      fail("unknown argument '", a, "'");
  }
  return o;
}

DType case_dtype(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  for (const Tensor& t : inputs) {
    if (t.defined()) return t.dtype();
  }
  return outputs.empty() ? DType::Float32 : outputs[0].dtype();
}

// Runs one case on one device; returns an empty string on success, else what failed.
// `outputs` receives the device's results (for the cross-device check).
std::string run_case(const Options& opt, const GoldenCase& gc, Device& device, DType* dtype,
                     double* worst_error, std::vector<Tensor>* results) {
  std::vector<Tensor> inputs;
  for (const auto& in : gc.inputs) {
    inputs.push_back(in ? load_input(opt.goldens, *in, device) : Tensor());
  }
  const OpDef& op = op_table().get(gc.op);
  EagerRuntime runtime(&device);
  const std::vector<Tensor> outputs = runtime.call(gc.op, inputs, gc.attrs);
  *results = outputs;
  *dtype = case_dtype(inputs, outputs);
  if (outputs.size() != gc.outputs.size()) {
    return str_cat(outputs.size(), " outputs, expected ", gc.outputs.size());
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    const Tensor ref = load_npy(opt.goldens + "/" + gc.outputs[k]);
    const Comparison c = compare(outputs[k], ref, op.tolerance, device.name() != "cpu");
    *worst_error = std::max(*worst_error, c.error);
    if (!c.ok) {
      return str_cat("output ", k, ": error ", c.error, " > ", c.allowed, "; ", c.detail);
    }
  }
  // Backward rules of the op table against PyTorch's autograd (reference backend only).
  if (!gc.grad_output.empty() && device.name() == "cpu") {
    std::vector<Tensor> operands = inputs;
    operands.push_back(outputs[0]);
    operands.push_back(load_npy(opt.goldens + "/" + gc.grad_output));
    for (size_t i = 0; i < gc.grads.size(); ++i) {
      if (!gc.grads[i]) continue;
      if (i >= op.backward.size() || !op.backward[i].defined()) {
        return str_cat("PyTorch has a gradient for input ", i, " but the table has no rule");
      }
      const Tensor ref = load_npy(opt.goldens + "/" + *gc.grads[i]);
      Tensor got = Tensor::empty(ref.shape(), ref.dtype());
      cpu_eval_expression(op.backward[i], bind_call(op, inputs, gc.attrs).attrs, operands, got,
                          inputs.size());
      // Rules that reuse the float32 forward output (tanh, sigmoid) lose digits where it
      // saturates, as PyTorch's float32 autograd does: compare gradients by Frobenius norm.
      Tolerance tol = op.tolerance;
      tol.metric = ErrorMetric::Frobenius;
      const Comparison c = compare(got, ref, tol);
      if (!c.ok) {
        return str_cat("gradient of input ", i, " (", op.backward[i].to_string(), "): error ",
                       c.error, " > ", c.allowed, "; ", c.detail);
      }
    }
  }
  return "";
}

std::string cross_check(const GoldenCase& gc, const std::vector<Tensor>& got,
                        const std::vector<Tensor>& reference, const std::string& reference_name) {
  const OpDef& op = op_table().get(gc.op);
  if (got.size() != reference.size()) return "output count differs from " + reference_name;
  for (size_t k = 0; k < got.size(); ++k) {
    const Comparison c = compare(got[k], reference[k], op.tolerance, true);
    if (!c.ok)
      return str_cat("output ", k, " vs ", reference_name, ": error ", c.error, " > ", c.allowed,
                     "; ", c.detail);
  }
  return "";
}

int run(const Options& opt) {
  const std::vector<GoldenCase> cases = load_manifest(opt.goldens);
  std::vector<Device*> devices;
  if (opt.device == "all" || opt.device == "cpu") devices.push_back(&cpu_device());
#ifndef __EMSCRIPTEN__
  if (opt.device == "all" || opt.device == "webgpu") {
    WebGpuDevice& webgpu = webgpu_device();
    std::cout << "webgpu adapter: " << webgpu.adapter().summary() << "\n";
    devices.push_back(&webgpu);
  }
#else
  // The browser's WebGPU arrives with its own device layer; this build checks the CPU backend.
  if (opt.device == "webgpu") fail("this WebAssembly build has no WebGPU device yet");
  std::cout << "webgpu: not in this WebAssembly build (its device layer comes with the browser "
               "issue); running the cpu backend only\n";
#endif
  WGML_CHECK(!devices.empty(), "unknown --device '", opt.device, "' (cpu, webgpu or all)");
  OpsMatrix matrix;
  std::map<std::string, std::vector<Tensor>> first_results;  // case id -> first device's outputs
  std::set<std::string> covered;
  int failures = 0, ran = 0;
  const auto start = std::chrono::steady_clock::now();
  for (Device* device : devices) {
    for (const GoldenCase& gc : cases) {
      if (!opt.only_op.empty() && gc.op != opt.only_op) continue;
      DType dtype = DType::Float32;
      double error = 0;
      std::string problem;
      try {
        std::vector<Tensor> results;
        problem = run_case(opt, gc, *device, &dtype, &error, &results);
        // ggml's habit: each backend also against the first one (the CPU reference), by the
        // op's tolerance, so two backends never drift apart where a golden is loose.
        if (device == devices.front()) {
          first_results[gc.id] = results;
        } else if (problem.empty()) {
          problem = cross_check(gc, results, first_results[gc.id], devices.front()->name());
        }
      } catch (const std::exception& e) {
        problem = str_cat("raised: ", e.what());
      }
      ++ran;
      covered.insert(gc.op);
      matrix.record(gc.op, device->name(), dtype, problem.empty());
      if (!problem.empty()) {
        ++failures;
        std::cout << "FAIL " << device->name() << " " << gc.id << " [" << gc.note << "] " << problem
                  << "\n";
      } else if (opt.verbose) {
        std::cout << "ok   " << device->name() << " " << gc.id << " error " << error << "\n";
      }
    }
  }
  if (opt.only_op.empty()) {
    for (const auto& op : op_table().ops()) {
      if (covered.count(op->name)) continue;
      ++failures;
      std::cout << "FAIL " << op->name
                << ": the op table declares it but no golden case tests it\n";
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << ran << " cases on " << devices.size() << " device(s), " << failures << " failures, "
            << seconds << " s\n";
  if (!opt.ops_md.empty()) {
    std::vector<std::string> names;
    for (Device* d : devices)
      names.push_back(d->name());
    matrix.write_markdown(opt.ops_md, names);
    std::cout << "wrote " << opt.ops_md << "\n";
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace wgml::harness

int main(int argc, char** argv) {
  try {
    return wgml::harness::run(wgml::harness::parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "wgml_op_tests: " << e.what() << "\n";
    return 2;
  }
}
