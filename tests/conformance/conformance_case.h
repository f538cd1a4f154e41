// One case of ONNX's backend test data: a folder with model.onnx and test_data_set_*/ holding
// input_N.pb and output_N.pb. A case is imported once and then run on each device.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wgml/core/tensor.h"
#include "wgml/frontends/onnx/onnx_importer.h"

namespace wgml::conformance {

struct CaseId {
  std::string folder;  // "node", "pytorch-converted", ...
  std::string name;    // "test_abs"
  std::string dir;     // the case's folder on disk
  std::string key() const { return folder + "/" + name; }
};

// The cases under data_dir/<folder> for each folder, sorted by name, whose key contains
// `filter` (all when empty).
std::vector<CaseId> discover_cases(const std::string& data_dir,
                                   const std::vector<std::string>& folders,
                                   const std::string& filter);

struct DataSet {
  std::string name;              // "test_data_set_0"
  std::vector<Tensor> inputs;    // CPU tensors in the order of graph.inputs
  std::vector<Tensor> expected;  // CPU tensors, output_0.pb, output_1.pb, ...
};

// A case after import and loading its data; `error` is set (and the rest may be empty) when
// either failed, and is then the case's failure on every device.
struct PreparedCase {
  CaseId id;
  std::optional<onnx::ImportedModel> model;
  std::vector<DataSet> data_sets;
  std::string error;           // first line of the import or data error, "" when ready to run
  bool import_failed = false;  // the error came from import_model
};

PreparedCase prepare_case(const CaseId& id);

// Runs every data set on `device`; returns "" when all outputs match, else one line saying what
// failed (the run error or the first mismatching element).
std::string run_case(const PreparedCase& prepared, Device& device);

// The comparison ONNX's backend test runner makes, for one output.
std::string compare_output(size_t index, const Tensor& got, const Tensor& expected);

// An error message on one line: the detail lines some messages list are joined with "; ", and a
// leading "`prefix`: " (the model's path, which the case already names) is dropped.
std::string one_line(const std::string& message, const std::string& prefix = "");

}  // namespace wgml::conformance
