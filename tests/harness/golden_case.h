// A PyTorch golden case (tests/golden/*.py wrote it): inputs, views to replay, expected outputs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wgml/core/attrs.h"
#include "wgml/core/tensor.h"

namespace wgml::harness {

struct ViewStep {
  std::string op;
  Attrs attrs;
};

struct GoldenInput {
  std::string file;
  std::vector<ViewStep> views;
};

struct GoldenCase {
  std::string id, op, note;
  Attrs attrs;
  std::vector<std::optional<GoldenInput>> inputs;
  std::vector<std::string> outputs;
  std::string grad_output;                        // empty: no gradients recorded
  std::vector<std::optional<std::string>> grads;  // per input
};

std::vector<GoldenCase> load_manifest(const std::string& dir);

// Loads an input onto `device` and replays its views there.
Tensor load_input(const std::string& dir, const GoldenInput& input, Device& device);

}  // namespace wgml::harness
