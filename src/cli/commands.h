// The subcommands of the `wgml` command line; each takes the arguments after its name and
// returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "wgml/core/error.h"

namespace wgml::cli {

int devices_command(const std::vector<std::string>& args);
int bench_command(const std::vector<std::string>& args);
int run_command(const std::vector<std::string>& args);
int info_command(const std::vector<std::string>& args);

}  // namespace wgml::cli
