// `wgml info MODEL.onnx`: what a model is (producer, opsets, inputs and outputs with symbolic
// shapes, ONNX ops) and what each device cannot run of it.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "wgml/backends/webgpu/webgpu_device.h"
#include "wgml/frontends/onnx/onnx_importer.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::cli {

namespace {

std::string value_type(const graph::Graph& graph, graph::ValueId id) {
  const graph::Value& v = graph.value(id);
  if (!v.shape_known) return str_cat(v.dtype, " (shape not inferred)");
  return str_cat(v.dtype, " ", graph::sym_shape_str(v.shape));
}

void print_device_support(const graph::Graph& graph, Device& device, const std::string& label) {
  const std::vector<std::string> missing = unsupported_on(graph, device);
  if (missing.empty()) {
    std::cout << label << ": runs every node\n";
    return;
  }
  std::cout << label << ": cannot run " << missing.size() << " op(s):\n";
  for (const std::string& line : missing)
    std::cout << "  " << line << "\n";
}

}  // namespace

int info_command(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].rfind("--", 0) == 0) {
    std::cerr << "usage: wgml info MODEL.onnx\n";
    return 2;
  }
  Progress progress;
  const onnx::ImportedModel model =
      onnx::import_model(args[0], [&](const std::string& stage, size_t done, size_t total) {
        progress.update(stage, done, total);
      });
  progress.finish();
  const graph::Graph& graph = model.graph;

  std::cout << "model: " << args[0] << "\n"
            << "ir version " << model.ir_version << ", producer "
            << (model.producer.empty() ? "(not recorded)" : model.producer) << "\n"
            << "opsets:";
  for (const onnx::OpsetImport& opset : model.opsets)
    std::cout << " " << (opset.domain.empty() ? "ai.onnx" : opset.domain) << " " << opset.version;
  std::cout << "\ninputs:\n";
  for (const graph::InputSpec& in : graph.inputs)
    std::cout << "  " << in.name << ": " << in.dtype << " "
              << (in.shape_known ? graph::sym_shape_str(in.shape) : "(shape not declared)") << "\n";
  std::cout << "outputs:\n";
  for (size_t i = 0; i < graph.outputs.size(); ++i)
    std::cout << "  " << graph.output_names.at(i) << ": " << value_type(graph, graph.outputs[i])
              << "\n";
  if (!graph.inference_note.empty())
    std::cout << "some shapes not inferred: " << graph.inference_note << "\n";

  int onnx_nodes = 0;
  for (const auto& [op, count] : model.op_histogram)
    onnx_nodes += count;
  std::cout << "ONNX ops (" << onnx_nodes << " nodes):";
  for (const auto& [op, count] : model.op_histogram)
    std::cout << " " << op << " " << count;
  size_t host_nodes = 0, constant_bytes = 0;
  for (const graph::Node& node : graph.nodes)
    host_nodes += graph.value(node.outputs.at(0)).placement == graph::Placement::Host;
  const std::vector<graph::ValueId> resident = graph::device_constants(graph);
  for (graph::ValueId id : resident) {
    const Tensor& c = graph.value(id).constant;
    constant_bytes += static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
  }
  // Resident constants in their stored dtypes (int8 weights count one byte each).
  std::cout << "\nwgml graph: " << graph.nodes.size() << " nodes (" << host_nodes
            << " of them shape arithmetic on the host), " << resident.size()
            << " constants on the device (" << mebibytes(constant_bytes) << " MiB, "
            << constant_bytes << " bytes)\n";
  // The engine ops the graph runs, most frequent first (fused ones show here: conv_dequant).
  std::map<std::string, int> engine_ops;
  for (const graph::Node& node : graph.nodes)
    ++engine_ops[node.op];
  std::vector<std::pair<int, std::string>> by_count;
  for (const auto& [op, count] : engine_ops)
    by_count.push_back({-count, op});
  std::sort(by_count.begin(), by_count.end());
  std::cout << "wgml ops:";
  for (const auto& [count, op] : by_count)
    std::cout << " " << op << " " << -count;
  std::cout << "\n";

  print_device_support(graph, cpu_device(), "cpu");
  WebGpuDevice* webgpu = nullptr;
  try {
    webgpu = &webgpu_device();
  } catch (const Error& e) {
    std::cout << "webgpu: unavailable (" << e.what() << ")\n";
  }
  if (webgpu) print_device_support(graph, *webgpu, "webgpu (" + webgpu->adapter().summary() + ")");
  return 0;
}

}  // namespace wgml::cli
