#include "conformance_case.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_model.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::conformance {
namespace fs = std::filesystem;

namespace {

// ONNX's backend test runner compares with np.testing.assert_allclose(outputs, ref_outputs,
// rtol, atol), where rtol = 1e-3 and atol = 1e-7 unless a model's data.json overrides them
// (onnx/backend/test/loader/__init__.py sets the defaults; runner/__init__.py,
// assert_similar_outputs, makes the call). The element test is |got - expected| <= atol + rtol *
// |expected|, NaNs equal to NaNs, infinities equal when their signs are.
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

// The files `prefix`0.pb, `prefix`1.pb, ... in `dir`, in index order, stopping at the first gap.
std::vector<std::string> numbered_files(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (size_t i = 0;; ++i) {
    const std::string path = dir + "/" + prefix + std::to_string(i) + ".pb";
    if (!fs::exists(path)) break;
    files.push_back(path);
  }
  return files;
}

// ONNX 1.12 writes bfloat16 test data as uint16 tensors of the bits: read them as the bfloat16
// the graph declares.
Tensor as_bfloat16_if(const Tensor& t, DType declared) {
  if (declared != DType::BFloat16 || t.dtype() != DType::UInt16) return t;
  const std::vector<uint8_t> bytes = t.to_bytes();
  return Tensor::from_bytes(bytes.data(), t.shape(), DType::BFloat16);
}

bool is_list(onnx::ValueInfo::Kind kind) {
  return kind == onnx::ValueInfo::Kind::Sequence || kind == onnx::ValueInfo::Kind::Optional;
}

// The sequence and optional inputs of a data set (input_N.pb holding a SequenceProto or
// OptionalProto), by graph input name: the import fixes their lengths (sequences are lists known
// at load, docs/ARCHITECTURE.md).
std::map<std::string, onnx::ListProto> list_inputs(const std::string& dir,
                                                   const onnx::GraphProto& graph) {
  std::map<std::string, onnx::ListProto> out;
  const std::vector<std::string> files = numbered_files(dir, "input_");
  size_t slot = 0;
  std::set<std::string> initializers;
  for (const onnx::TensorProto& init : graph.initializers)
    initializers.insert(init.name);
  for (const onnx::ValueInfo& info : graph.inputs) {
    if (initializers.count(info.name)) continue;
    if (slot < files.size() && is_list(info.kind))
      out[info.name] =
          onnx::load_list_file(files[slot], info.kind == onnx::ValueInfo::Kind::Optional);
    ++slot;
  }
  return out;
}

DataSet load_data_set(const std::string& dir, const onnx::ImportedModel& model,
                      const onnx::GraphProto& proto_graph, const std::string& model_dir) {
  const graph::Graph& graph = model.graph;
  DataSet set;
  set.name = fs::path(dir).filename().string();
  const std::vector<std::string> input_files = numbered_files(dir, "input_");
  set.inputs.resize(graph.inputs.size());
  const bool flattened = std::any_of(model.inputs.begin(), model.inputs.end(),
                                     [](const onnx::FlatValue& f) { return is_list(f.kind); });
  for (size_t i = 0; i < input_files.size() && flattened; ++i) {
    // Sequence and optional inputs are flattened into their elements; bind by position.
    WGML_CHECK(i < model.inputs.size(), input_files[i], ": no graph input to bind to");
    const onnx::FlatValue& flat = model.inputs[i];
    if (!is_list(flat.kind)) {
      set.inputs[flat.first] = as_bfloat16_if(
          onnx::to_tensor(onnx::load_tensor_file(input_files[i]), model_dir, input_files[i]),
          graph.inputs[flat.first].dtype);
      continue;
    }
    const onnx::ListProto list =
        onnx::load_list_file(input_files[i], flat.kind == onnx::ValueInfo::Kind::Optional);
    WGML_CHECK(list.tensors.size() == flat.count, input_files[i], ": ", list.tensors.size(),
               " elements; the model was imported for ", flat.count);
    for (size_t k = 0; k < flat.count; ++k)
      set.inputs[flat.first + k] = onnx::to_tensor(list.tensors[k], model_dir, input_files[i]);
  }
  for (size_t i = 0; i < input_files.size() && !flattened; ++i) {
    const onnx::TensorProto proto = onnx::load_tensor_file(input_files[i]);
    // Inputs bind by position (initializers are not graph inputs); a name, when the file has
    // one, wins so that a reordered graph still binds correctly.
    size_t slot = i;
    for (size_t s = 0; s < graph.inputs.size(); ++s) {
      if (!proto.name.empty() && graph.inputs[s].name == proto.name) slot = s;
    }
    WGML_CHECK(slot < graph.inputs.size(), input_files[i], ": input '", proto.name,
               "' has no graph input to bind to (the graph has ", graph.inputs.size(), " inputs)");
    set.inputs[slot] =
        as_bfloat16_if(onnx::to_tensor(proto, model_dir, input_files[i]), graph.inputs[slot].dtype);
  }
  for (size_t s = 0; s < graph.inputs.size(); ++s) {
    WGML_CHECK(set.inputs[s].defined(), dir, ": no input_N.pb for graph input '",
               graph.inputs[s].name, "'");
  }
  const std::vector<std::string> output_files = numbered_files(dir, "output_");
  for (size_t i = 0; i < output_files.size(); ++i) {
    const std::string& path = output_files[i];
    const onnx::ValueInfo::Kind kind = i < proto_graph.outputs.size()
                                           ? proto_graph.outputs[i].kind
                                           : onnx::ValueInfo::Kind::Tensor;
    if (!is_list(kind)) {
      const size_t k = set.expected.size();
      const DType declared =
          k < graph.outputs.size() ? graph.value(graph.outputs[k]).dtype : DType::Float32;
      set.expected.push_back(
          as_bfloat16_if(onnx::to_tensor(onnx::load_tensor_file(path), model_dir, path), declared));
      continue;
    }
    // A sequence or optional output: its elements, in order, as the import flattened it.
    const onnx::ListProto list =
        onnx::load_list_file(path, kind == onnx::ValueInfo::Kind::Optional);
    WGML_CHECK(i < model.outputs.size() && list.tensors.size() == model.outputs[i].count, path,
               ": expects ", list.tensors.size(), " element(s), the model computes ",
               i < model.outputs.size() ? model.outputs[i].count : 0);
    for (const onnx::TensorProto& t : list.tensors)
      set.expected.push_back(onnx::to_tensor(t, model_dir, path));
  }
  return set;
}

std::string index_str(int64_t flat, const Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return str_cat(index);
}

bool floats_close(double got, double expected) {
  if (std::isnan(got) || std::isnan(expected)) return std::isnan(got) && std::isnan(expected);
  if (std::isinf(got) || std::isinf(expected)) return got == expected;
  return std::fabs(got - expected) <= kAtol + kRtol * std::fabs(expected);
}

template <typename T>
std::string compare_values(size_t index, const std::vector<T>& got, const std::vector<T>& expected,
                           const Shape& shape, bool (*same)(T, T)) {
  int64_t mismatches = 0, first = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    if (same(got[i], expected[i])) continue;
    if (first < 0) first = static_cast<int64_t>(i);
    ++mismatches;
  }
  if (mismatches == 0) return "";
  std::ostringstream out;
  out << std::setprecision(9) << "output " << index << ": " << mismatches << " of " << got.size()
      << " elements differ; first at " << index_str(first, shape) << ": got " << got[first]
      << ", expected " << expected[first];
  return out.str();
}

}  // namespace

std::string one_line(const std::string& message, const std::string& prefix) {
  std::string text = message;
  if (!prefix.empty() && text.rfind(prefix + ": ", 0) == 0) text = text.substr(prefix.size() + 2);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') {
      out += text[i];
      continue;
    }
    while (i + 1 < text.size() && text[i + 1] == ' ')
      ++i;
    out += (!out.empty() && out.back() == ':') ? " " : "; ";
  }
  return out;
}

std::vector<CaseId> discover_cases(const std::string& data_dir,
                                   const std::vector<std::string>& folders,
                                   const std::string& filter) {
  std::vector<CaseId> cases;
  for (const std::string& folder : folders) {
    const fs::path root = fs::path(data_dir) / folder;
    WGML_CHECK(fs::is_directory(root), root.string(), ": no such folder of ONNX test cases");
    std::vector<CaseId> found;
    for (const auto& entry : fs::directory_iterator(root)) {
      if (!fs::exists(entry.path() / "model.onnx")) continue;
      CaseId id{folder, entry.path().filename().string(), entry.path().string()};
      if (filter.empty() || id.key().find(filter) != std::string::npos) found.push_back(id);
    }
    std::sort(found.begin(), found.end(),
              [](const CaseId& a, const CaseId& b) { return a.name < b.name; });
    cases.insert(cases.end(), found.begin(), found.end());
  }
  return cases;
}

PreparedCase prepare_case(const CaseId& id) {
  PreparedCase prepared;
  prepared.id = id;
  const std::string model_path = id.dir + "/model.onnx";
  onnx::ModelProto proto;
  try {
    proto = onnx::load_model_file(model_path);
    // Sequence and optional inputs: their lengths and element types come from the first data
    // set (the import fixes them).
    onnx::ImportOptions options;
    std::vector<std::string> first;
    for (const auto& entry : fs::directory_iterator(id.dir)) {
      if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
        first.push_back(entry.path().string());
    }
    std::sort(first.begin(), first.end());
    if (!first.empty()) {
      for (const auto& [name, list] : list_inputs(first[0], proto.graph)) {
        onnx::ListInput in;
        in.present = list.present;
        in.holds_sequence = list.holds_sequence;
        for (const onnx::TensorProto& t : list.tensors) {
          in.dtypes.push_back(onnx::engine_dtype(t.data_type, name));
          in.ranks.push_back(t.dims.size());
        }
        options.list_inputs[name] = in;
      }
    }
    prepared.model = onnx::import_model(proto, id.dir, model_path, {}, options);
  } catch (const Error& e) {
    prepared.error = "import: " + one_line(e.what(), model_path);
    prepared.import_failed = true;
    return prepared;
  } catch (const std::exception& e) {
    prepared.error = "import raised a non-wgml exception (a bug): " + one_line(e.what());
    prepared.import_failed = true;
    return prepared;
  }
  try {
    std::vector<std::string> dirs;
    for (const auto& entry : fs::directory_iterator(id.dir)) {
      if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
        dirs.push_back(entry.path().string());
    }
    std::sort(dirs.begin(), dirs.end());
    WGML_CHECK(!dirs.empty(), id.dir, ": no test_data_set_* folder");
    for (const std::string& dir : dirs) {
      prepared.data_sets.push_back(load_data_set(dir, *prepared.model, proto.graph, id.dir));
    }
  } catch (const std::exception& e) {
    prepared.error = "test data: " + one_line(e.what());
  }
  return prepared;
}

std::string compare_output(size_t index, const Tensor& got, const Tensor& expected) {
  if (got.dtype() != expected.dtype()) {
    return str_cat("output ", index, ": dtype ", got.dtype(), ", expected ", expected.dtype());
  }
  if (got.shape() != expected.shape()) {
    return str_cat("output ", index, ": shape ", shape_str(got.shape()), ", expected ",
                   shape_str(expected.shape()));
  }
  if (is_floating(got.dtype())) {
    return compare_values<double>(index, got.to_vector<double>(), expected.to_vector<double>(),
                                  got.shape(), floats_close);
  }
  // Integers and bools must match exactly.
  return compare_values<int64_t>(index, got.to_vector<int64_t>(), expected.to_vector<int64_t>(),
                                 got.shape(), [](int64_t a, int64_t b) { return a == b; });
}

// The inputs with their elements in reverse order: same shapes and dtypes, other values.
std::vector<Tensor> decoy_inputs(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  for (const Tensor& t : inputs) {
    std::vector<uint8_t> bytes = t.to_bytes();
    const size_t size = dtype_size(t.dtype()), n = bytes.size() / size;
    for (size_t i = 0; i < n / 2; ++i) {
      std::swap_ranges(bytes.begin() + static_cast<int64_t>(i * size),
                       bytes.begin() + static_cast<int64_t>((i + 1) * size),
                       bytes.begin() + static_cast<int64_t>((n - 1 - i) * size));
    }
    out.push_back(Tensor::from_bytes(bytes.data(), t.shape(), t.dtype()));
  }
  return out;
}

// On a device that records and replays (WebGPU), the checked outputs come from a replay of
// launches recorded with other inputs: the decoy run records (its outputs unchecked: reordered
// indices may be out of range, and if it raises, the case's own run records instead), the
// second replays the case's inputs.
std::vector<Tensor> run_replayed(GraphExecutor& executor, const std::vector<Tensor>& inputs) {
  try {
    executor.run(decoy_inputs(inputs));
  } catch (const Error&) {
  }
  return executor.run(inputs);
}

std::string run_case(const PreparedCase& prepared, Device& device) {
  if (!prepared.error.empty()) return prepared.error;
  try {
    GraphExecutor executor(prepared.model->graph, device);
    for (const DataSet& set : prepared.data_sets) {
      const std::vector<Tensor> outputs =
          device.name() == "cpu" ? executor.run(set.inputs) : run_replayed(executor, set.inputs);
      if (outputs.size() != set.expected.size()) {
        return str_cat(set.name, ": ", outputs.size(), " outputs, expected ", set.expected.size());
      }
      for (size_t k = 0; k < outputs.size(); ++k) {
        const std::string problem = compare_output(k, outputs[k], set.expected[k]);
        if (!problem.empty()) {
          return prepared.data_sets.size() > 1 ? set.name + ": " + problem : problem;
        }
      }
    }
  } catch (const Error& e) {
    return "run: " + one_line(e.what());
  } catch (const std::exception& e) {
    return "run raised a non-wgml exception (a bug): " + one_line(e.what());
  }
  return "";
}

}  // namespace wgml::conformance
