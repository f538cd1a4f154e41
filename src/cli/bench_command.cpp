// `wgml bench`: benchmarks, not tests. They print medians; nothing here passes or fails on speed.
#include <iostream>

#include "cli/bench.h"
#include "cli/commands.h"

namespace wgml::cli {

int bench_command(const std::vector<std::string>& args) {
  const std::string what = args.empty() ? "" : args[0];
  const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (what == "matmul") return bench_matmul(rest);
  if (what == "ops") return bench_ops(rest);
  std::cerr << "usage: wgml bench matmul|ops [options]\n";
  return 2;
}

}  // namespace wgml::cli
