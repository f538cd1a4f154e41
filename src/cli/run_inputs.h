// The inputs of `wgml run`: .npy files the user names, checked against the model's declared
// inputs, and seeded random tensors for the rest.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "wgml/graph/graph.h"

namespace wgml::cli {

struct InputOptions {
  std::map<std::string, std::string> files;  // --input NAME=FILE.npy
  std::map<std::string, int64_t> dims;       // --dim SYMBOL=SIZE for dynamic dims
  uint64_t seed = 0;                         // --seed for the random inputs
};

// The name under which --dim sets dimension `axis` of `input`: its symbol ("batch"), or
// "INPUT[AXIS]" when the model leaves the dimension unnamed.
std::string dim_name(const graph::InputSpec& input, size_t axis);

// CPU tensors in the order of graph.inputs. Files must match the declared dtype, rank and static
// dims, and bind each symbol to one size; the other inputs are random with the sizes that the
// files, --dim or the default 1 give their symbols. Says on `log` what it made up.
std::vector<Tensor> prepare_inputs(const graph::Graph& graph, const InputOptions& options,
                                   std::ostream& log);

}  // namespace wgml::cli
