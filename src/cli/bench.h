// `wgml bench`: timings of kernels on a device, each result checked once against the CPU
// backend so that a broken kernel cannot post a fast number.
#pragma once

#include <string>
#include <vector>

namespace wgml::cli {

// `wgml bench matmul [--sizes 256,512,1024,2048,4096] [--dtype float32|float16] [--repeat N]
// [--device webgpu|cpu]`: square products, median ms per product and GFLOPS per size.
// `args` are the words after "matmul". Returns the process exit status.
int bench_matmul(const std::vector<std::string>& args);

// `wgml bench ops [--repeat N] [--device webgpu|cpu]`: micro-benchmarks of common ops (add,
// relu, sum, softmax, conv) with GB/s or GFLOPS. `args` are the words after "ops".
int bench_ops(const std::vector<std::string>& args);

}  // namespace wgml::cli
