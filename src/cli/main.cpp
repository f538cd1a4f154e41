// wgml: the command line. `wgml devices`, `wgml bench matmul|ops`; ONNX `run` and `info` follow.
#include <iostream>

#include "cli/commands.h"

namespace {

const char* kUsage =
    "usage: wgml <command> [options]\n"
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
