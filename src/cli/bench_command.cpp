// `wgml bench`: benchmarks, not tests. They print medians; nothing here passes or fails on speed.
#include <iostream>

#include "cli/commands.h"

namespace wgml::cli {

int bench_command(const std::vector<std::string>& args) {
  (void)args;
  std::cerr << "wgml bench: not wired yet\n";
  return 2;
}

}  // namespace wgml::cli
