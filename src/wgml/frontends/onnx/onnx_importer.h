// The ONNX front end: a .onnx file (and its external data) to the engine's graph IR.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "wgml/frontends/onnx/onnx_model.h"
#include "wgml/graph/graph.h"

namespace wgml::onnx {

// Long loads report progress: stage ("reading", "converting"), done and total units.
using ProgressFn = std::function<void(const std::string& stage, size_t done, size_t total)>;

// A graph input or output of ONNX sequence or optional type is flattened into `count` engine
// inputs or outputs ("x[0]", "x[1]", ...; an absent optional has none) starting at `first`.
struct FlatValue {
  std::string name;
  ValueInfo::Kind kind = ValueInfo::Kind::Tensor;
  size_t first = 0, count = 1;
  bool present = true;  // optionals
  bool holds_sequence = false;
};

// What a graph input of sequence or optional type holds: its length and element types are fixed
// when the model loads (the lists design; ONNX's test data gives them).
struct ListInput {
  bool present = true;         // optionals
  bool holds_sequence = true;  // optionals: of a sequence, or (false) of one tensor
  std::vector<DType> dtypes;   // one per element
  std::vector<size_t> ranks;   // one per element; dims become symbols "x_<i>_dim<d>"
};
struct ImportOptions {
  std::map<std::string, ListInput> list_inputs;
};

struct ImportedModel {
  graph::Graph graph;
  std::vector<FlatValue> inputs, outputs;  // the ONNX graph's, in order
  int64_t ir_version = 0;
  std::string producer;  // "pytorch 1.13.1"
  std::vector<OpsetImport> opsets;
  std::vector<std::pair<std::string, int>> op_histogram;  // ONNX op type -> node count
};

// Reads and converts; raises wgml::Error for malformed files, opsets outside 7..21 for the
// default domain, and (in one message) every ONNX op the engine lacks, with its opset and nodes.
ImportedModel import_model(const std::string& path, const ProgressFn& progress = {});
ImportedModel import_model(const ModelProto& model, const std::string& base_dir,
                           const std::string& where, const ProgressFn& progress = {},
                           const ImportOptions& options = {});

}  // namespace wgml::onnx
