// The ONNX front end: a .onnx file (and its external data) to the engine's graph IR.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "wgml/frontends/onnx/onnx_model.h"
#include "wgml/graph/graph.h"

namespace wgml::onnx {

// Long loads report progress: stage ("reading", "converting"), done and total units.
using ProgressFn = std::function<void(const std::string& stage, size_t done, size_t total)>;

struct ImportedModel {
  graph::Graph graph;
  int64_t ir_version = 0;
  std::string producer;  // "pytorch 1.13.1"
  std::vector<OpsetImport> opsets;
  std::vector<std::pair<std::string, int>> op_histogram;  // ONNX op type -> node count
};

// Reads and converts; raises wgml::Error for malformed files, opsets outside 7..21 for the
// default domain, and (in one message) every ONNX op the engine lacks, with its opset and nodes.
ImportedModel import_model(const std::string& path, const ProgressFn& progress = {});
ImportedModel import_model(const ModelProto& model, const std::string& base_dir,
                           const std::string& where, const ProgressFn& progress = {});

}  // namespace wgml::onnx
