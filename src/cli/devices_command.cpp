// `wgml devices`: the adapters Dawn finds here, which one wgml picks, and what it offers.
#include <iostream>

#include "cli/commands.h"
#include "wgml/backends/webgpu/webgpu_device.h"

namespace wgml::cli {

namespace {

void print_adapter(const gpu::AdapterInfo& a) {
  std::cout << "  backend " << a.backend << ", type " << a.adapter_type
            << (a.software ? " (software)" : "") << ", level " << a.feature_level << "\n"
            << "  vendor '" << a.vendor << "', device '" << a.device << "'"
            << (a.description.empty() ? "" : ", '" + a.description + "'") << "\n"
            << "  features: shader-f16 " << (a.shader_f16 ? "yes" : "no") << ", subgroups "
            << (a.subgroups ? "yes" : "no") << ", timestamp-query "
            << (a.timestamp_query ? "yes" : "no") << "\n"
            << "  limits: storage binding " << a.max_storage_buffer_binding_size << " B, buffer "
            << a.max_buffer_size << " B, " << a.max_storage_buffers_per_shader_stage
            << " storage buffers/stage, " << a.max_compute_invocations_per_workgroup
            << " invocations/workgroup, " << a.max_compute_workgroup_storage_size
            << " B workgroup storage, " << a.max_compute_workgroups_per_dimension
            << " workgroups/dimension\n";
}

}  // namespace

int devices_command(const std::vector<std::string>& args) {
  if (!args.empty()) throw Error("usage: wgml devices");
  std::cout << "cpu: the reference backend (every op, every dtype)\n";
  const std::vector<gpu::AdapterInfo> adapters = gpu::list_adapters();
  for (const gpu::AdapterInfo& a : adapters) {
    std::cout << "webgpu adapter: " << a.summary() << "\n";
    print_adapter(a);
  }
  if (adapters.empty()) std::cout << "webgpu: no adapter found\n";
  try {
    const std::string chosen = webgpu_device().adapter().summary();
    std::cout << "--device webgpu uses: " << chosen << "\n";
  } catch (const Error& e) {
    std::cout << "--device webgpu is unavailable: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace wgml::cli
