// wgml: the command line. `wgml run|info MODEL.onnx`, `wgml devices`, `wgml bench matmul|ops`.
#include <iostream>

#include "cli/commands.h"

namespace {

const char* kUsage =
    "usage: wgml <command> [options]\n"
    "  run MODEL.onnx [options] run an ONNX model on a device (--help for options)\n"
    "  info MODEL.onnx          inputs, outputs, ops, and what each device cannot run\n"
    "  devices                  list the WebGPU adapters and the one wgml uses\n"
    "  bench matmul [options]   matmul GFLOPS on a device (--help for options)\n"
    "  bench ops [options]      per-op micro-benchmarks (GB/s, GFLOPS)\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run") return wgml::cli::run_command(args);
    if (command == "info") return wgml::cli::info_command(args);
    if (command == "devices") return wgml::cli::devices_command(args);
    if (command == "bench") return wgml::cli::bench_command(args);
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "wgml: unknown command '" << command << "'\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "wgml " << command << ": " << e.what() << "\n";
    return 1;
  }
}
