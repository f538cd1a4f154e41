// Cross-checks wgml's own ONNX reader against ONNX's protobuf classes (libonnx_proto +
// libprotobuf): every model.onnx and every tensor .pb of the conformance suite is parsed by both,
// and every field wgml keeps must agree. Tensors of the engine's dtypes also go through to_tensor,
// whose bytes must match the protobuf's data. Prints counts; exits 1 on any mismatch, naming the
// file and the field.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_model.h"

namespace fs = std::filesystem;
namespace pb = ::onnx;
namespace mine = wgml::onnx;

namespace {

struct Counts {
  int models = 0, nodes = 0, attributes = 0, subgraphs = 0, initializers = 0, value_infos = 0;
  int tensor_files = 0, other_files = 0, converted = 0, unsupported_dtype = 0, both_rejected = 0;
  size_t data_bytes = 0;
};

class Checker {
 public:
  Counts counts;
  int mismatches = 0;

  void check_model_dir(const fs::path& dir);

 private:
  std::string file_;  // the file being compared, for messages

  void mismatch(const std::string& field, const std::string& detail) {
    if (++mismatches <= 40) std::cerr << file_ << ": " << field << ": " << detail << "\n";
  }
  template <typename A, typename B>
  void same(const std::string& field, const A& mine_value, const B& pb_value) {
    if (!(mine_value == pb_value)) {
      std::ostringstream out;
      out << "wgml has " << mine_value << ", protobuf has " << pb_value;
      mismatch(field, out.str());
    }
  }
  template <typename T, typename R>
  void same_list(const std::string& field, const std::vector<T>& mine_values, const R& pb_values) {
    if (mine_values.size() != size_t(pb_values.size())) {
      same(field + ".size", mine_values.size(), size_t(pb_values.size()));
      return;
    }
    for (size_t i = 0; i < mine_values.size(); ++i)
      same(field + "[" + std::to_string(i) + "]", mine_values[i], pb_values[int(i)]);
  }
  // Floats compared by bits, so NaNs and -0 count.
  template <typename T, typename R>
  void same_bits(const std::string& field, const std::vector<T>& mine_values, const R& pb_values) {
    if (mine_values.size() != size_t(pb_values.size()) ||
        (!mine_values.empty() &&
         std::memcmp(mine_values.data(), &*pb_values.begin(), mine_values.size() * sizeof(T))))
      mismatch(field, "values differ (" + std::to_string(mine_values.size()) + " vs " +
                          std::to_string(pb_values.size()) + " values)");
  }

  void compare_tensor(const std::string& at, const mine::TensorProto& m, const pb::TensorProto& p);
  void compare_value_info(const std::string& at, const mine::ValueInfo& m,
                          const pb::ValueInfoProto& p);
  void compare_attribute(const std::string& at, const mine::AttributeProto& m,
                         const pb::AttributeProto& p);
  void compare_graph(const std::string& at, const mine::GraphProto& m, const pb::GraphProto& p);
  void compare_model(const mine::ModelProto& m, const pb::ModelProto& p);
  void check_conversion(const std::string& at, const mine::TensorProto& m, const pb::TensorProto& p,
                        const std::string& base_dir);
  void check_tensor_file(const fs::path& path, const std::string& base_dir);
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Checker::compare_tensor(const std::string& at, const mine::TensorProto& m,
                             const pb::TensorProto& p) {
  same(at + ".name", m.name, p.name());
  same(at + ".data_type", m.data_type, p.data_type());
  same_list(at + ".dims", m.dims, p.dims());
  same(at + ".raw_data", m.raw_data == p.raw_data(), true);
  same_bits(at + ".float_data", m.float_data, p.float_data());
  same_list(at + ".int32_data", m.int32_data, p.int32_data());
  same_list(at + ".int64_data", m.int64_data, p.int64_data());
  same_bits(at + ".double_data", m.double_data, p.double_data());
  same_list(at + ".uint64_data", m.uint64_data, p.uint64_data());
  same_list(at + ".string_data", m.string_data, p.string_data());
  same(at + ".external", m.external, p.data_location() == pb::TensorProto::EXTERNAL);
  std::map<std::string, std::string> entries;
  for (const auto& entry : p.external_data())
    entries[entry.key()] = entry.value();
  same(at + ".external_data", m.external_data == entries, true);
  counts.data_bytes += p.raw_data().size() + 4 * size_t(p.float_data_size()) +
                       4 * size_t(p.int32_data_size()) + 8 * size_t(p.int64_data_size()) +
                       8 * size_t(p.double_data_size()) + 8 * size_t(p.uint64_data_size());
}

void Checker::compare_value_info(const std::string& at, const mine::ValueInfo& m,
                                 const pb::ValueInfoProto& p) {
  ++counts.value_infos;
  same(at + ".name", m.name, p.name());
  using Kind = mine::ValueInfo::Kind;
  const pb::TypeProto& type = p.type();
  Kind kind = Kind::None;
  const pb::TensorShapeProto* shape = nullptr;
  int32_t elem_type = 0;
  switch (type.value_case()) {
    case pb::TypeProto::kTensorType:
      kind = Kind::Tensor;
      elem_type = type.tensor_type().elem_type();
      if (type.tensor_type().has_shape()) shape = &type.tensor_type().shape();
      break;
    case pb::TypeProto::kSparseTensorType:
      kind = Kind::SparseTensor;
      elem_type = type.sparse_tensor_type().elem_type();
      if (type.sparse_tensor_type().has_shape()) shape = &type.sparse_tensor_type().shape();
      break;
    case pb::TypeProto::kSequenceType:
      kind = Kind::Sequence;
      break;
    case pb::TypeProto::kMapType:
      kind = Kind::Map;
      break;
    case pb::TypeProto::kOptionalType:
      kind = Kind::Optional;
      break;
    default:
      break;
  }
  same(at + ".kind", int(m.kind), int(kind));
  same(at + ".elem_type", m.elem_type, elem_type);
  same(at + ".has_shape", m.has_shape, shape != nullptr);
  if (!shape) return;
  if (m.shape.size() != size_t(shape->dim_size())) {
    same(at + ".shape.size", m.shape.size(), size_t(shape->dim_size()));
    return;
  }
  for (int i = 0; i < shape->dim_size(); ++i) {
    const std::string d = at + ".shape[" + std::to_string(i) + "]";
    const auto& dim = shape->dim(i);
    same(d + ".has_value", m.shape[size_t(i)].has_value, dim.has_dim_value());
    same(d + ".value", m.shape[size_t(i)].value, dim.has_dim_value() ? dim.dim_value() : 0);
    same(d + ".param", m.shape[size_t(i)].param, dim.has_dim_param() ? dim.dim_param() : "");
  }
}

void Checker::compare_attribute(const std::string& at, const mine::AttributeProto& m,
                                const pb::AttributeProto& p) {
  ++counts.attributes;
  using A = pb::AttributeProto;
  same(at + ".name", m.name, p.name());
  same(at + ".ref_attr_name", m.ref_attr_name, p.ref_attr_name());
  int32_t type = p.type();
  if (!p.has_type()) {
    // Old files: the value field that is present gives the type.
    if (p.has_f()) type = A::FLOAT;
    if (p.has_i()) type = A::INT;
    if (p.has_s()) type = A::STRING;
    if (p.has_t()) type = A::TENSOR;
    if (p.has_g()) type = A::GRAPH;
    if (p.floats_size()) type = A::FLOATS;
    if (p.ints_size()) type = A::INTS;
    if (p.strings_size()) type = A::STRINGS;
    if (p.tensors_size()) type = A::TENSORS;
    if (p.graphs_size()) type = A::GRAPHS;
  }
  same(at + ".type", m.type, type);
  const float pb_f = p.f();
  same(at + ".f", std::memcmp(&m.f, &pb_f, 4) == 0, true);
  same(at + ".i", m.i, p.i());
  same(at + ".s", m.s, p.s());
  same_bits(at + ".floats", m.floats, p.floats());
  same_list(at + ".ints", m.ints, p.ints());
  same_list(at + ".strings", m.strings, p.strings());
  if (type == A::TENSOR) {
    same(at + ".t.count", m.tensors.size(), size_t(1));
    if (m.tensors.size() == 1) compare_tensor(at + ".t", m.tensors[0], p.t());
  } else {
    same(at + ".tensors.size", m.tensors.size(), size_t(p.tensors_size()));
    for (int i = 0; i < p.tensors_size() && size_t(i) < m.tensors.size(); ++i)
      compare_tensor(at + ".tensors[" + std::to_string(i) + "]", m.tensors[size_t(i)],
                     p.tensors(i));
  }
  if (type == A::GRAPH) {
    same(at + ".g.count", m.graphs.size(), size_t(1));
    if (m.graphs.size() == 1) compare_graph(at + ".g", *m.graphs[0], p.g());
  } else {
    same(at + ".graphs.size", m.graphs.size(), size_t(p.graphs_size()));
    for (int i = 0; i < p.graphs_size() && size_t(i) < m.graphs.size(); ++i)
      compare_graph(at + ".graphs[" + std::to_string(i) + "]", *m.graphs[size_t(i)], p.graphs(i));
  }
}

void Checker::compare_graph(const std::string& at, const mine::GraphProto& m,
                            const pb::GraphProto& p) {
  if (!at.empty() && at != "graph") ++counts.subgraphs;
  same(at + ".name", m.name, p.name());
  same(at + ".has_sparse_initializers", m.has_sparse_initializers, p.sparse_initializer_size() > 0);
  if (m.nodes.size() != size_t(p.node_size())) {
    same(at + ".node.size", m.nodes.size(), size_t(p.node_size()));
  } else {
    for (int i = 0; i < p.node_size(); ++i) {
      ++counts.nodes;
      const std::string n = at + ".node[" + std::to_string(i) + "]";
      const mine::NodeProto& mn = m.nodes[size_t(i)];
      const pb::NodeProto& pn = p.node(i);
      same(n + ".name", mn.name, pn.name());
      same(n + ".op_type", mn.op_type, pn.op_type());
      same(n + ".domain", mn.domain, pn.domain());
      same_list(n + ".input", mn.inputs, pn.input());
      same_list(n + ".output", mn.outputs, pn.output());
      if (mn.attributes.size() != size_t(pn.attribute_size())) {
        same(n + ".attribute.size", mn.attributes.size(), size_t(pn.attribute_size()));
        continue;
      }
      for (int k = 0; k < pn.attribute_size(); ++k) {
        compare_attribute(n + ".attribute[" + std::to_string(k) + "]", mn.attributes[size_t(k)],
                          pn.attribute(k));
        // NodeProto::attribute finds the first attribute of that name.
        if (mn.attribute(pn.attribute(k).name()) == nullptr)
          mismatch(n + ".attribute(\"" + pn.attribute(k).name() + "\")", "not found by name");
      }
    }
  }
  if (m.initializers.size() != size_t(p.initializer_size())) {
    same(at + ".initializer.size", m.initializers.size(), size_t(p.initializer_size()));
  } else {
    for (int i = 0; i < p.initializer_size(); ++i) {
      ++counts.initializers;
      compare_tensor(at + ".initializer[" + std::to_string(i) + "]", m.initializers[size_t(i)],
                     p.initializer(i));
    }
  }
  const auto infos = [&](const char* name, const std::vector<mine::ValueInfo>& mv, const auto& pv) {
    if (mv.size() != size_t(pv.size())) {
      same(at + "." + name + ".size", mv.size(), size_t(pv.size()));
      return;
    }
    for (int i = 0; i < pv.size(); ++i)
      compare_value_info(at + "." + name + "[" + std::to_string(i) + "]", mv[size_t(i)], pv[i]);
  };
  infos("input", m.inputs, p.input());
  infos("output", m.outputs, p.output());
  infos("value_info", m.value_info, p.value_info());
}

void Checker::compare_model(const mine::ModelProto& m, const pb::ModelProto& p) {
  same("ir_version", m.ir_version, p.ir_version());
  same("producer_name", m.producer_name, p.producer_name());
  same("producer_version", m.producer_version, p.producer_version());
  same("has_functions", m.has_functions, p.functions_size() > 0);
  if (m.opset_imports.size() != size_t(p.opset_import_size())) {
    same("opset_import.size", m.opset_imports.size(), size_t(p.opset_import_size()));
  } else {
    int64_t default_opset = 0;
    for (int i = 0; i < p.opset_import_size(); ++i) {
      const std::string o = "opset_import[" + std::to_string(i) + "]";
      same(o + ".domain", m.opset_imports[size_t(i)].domain, p.opset_import(i).domain());
      same(o + ".version", m.opset_imports[size_t(i)].version, p.opset_import(i).version());
      const std::string& domain = p.opset_import(i).domain();
      if (default_opset == 0 && (domain.empty() || domain == "ai.onnx"))
        default_opset = p.opset_import(i).version();
    }
    same("default_opset()", m.default_opset(), default_opset);
  }
  compare_graph("graph", m.graph, p.graph());
}

// The tensor's elements as the engine stores them, computed from the protobuf independently of
// wgml's reader: raw_data as is, typed fields narrowed to the element size.
std::string expected_bytes(const pb::TensorProto& p) {
  if (p.has_raw_data()) {
    std::string bytes = p.raw_data();
    if (p.data_type() == pb::TensorProto::BOOL)
      for (char& c : bytes)
        c = c != 0;
    return bytes;
  }
  std::string bytes;
  const auto append = [&](const void* value, size_t size) {
    bytes.append(static_cast<const char*>(value), size);
  };
  switch (p.data_type()) {
    case pb::TensorProto::FLOAT:
      for (float v : p.float_data())
        append(&v, 4);
      break;
    case pb::TensorProto::INT64:
      for (int64_t v : p.int64_data())
        append(&v, 8);
      break;
    case pb::TensorProto::INT32:
      for (int32_t v : p.int32_data())
        append(&v, 4);
      break;
    case pb::TensorProto::FLOAT16:
      for (int32_t v : p.int32_data()) {
        const uint16_t bits = uint16_t(v);
        append(&bits, 2);
      }
      break;
    default:  // uint8, int8, bool: one byte each
      for (int32_t v : p.int32_data()) {
        const char byte = p.data_type() == pb::TensorProto::BOOL ? char(v != 0) : char(v);
        append(&byte, 1);
      }
  }
  return bytes;
}

void Checker::check_conversion(const std::string& at, const mine::TensorProto& m,
                               const pb::TensorProto& p, const std::string& base_dir) {
  switch (p.data_type()) {
    case pb::TensorProto::FLOAT:
    case pb::TensorProto::FLOAT16:
    case pb::TensorProto::INT32:
    case pb::TensorProto::INT64:
    case pb::TensorProto::UINT8:
    case pb::TensorProto::INT8:
    case pb::TensorProto::BOOL:
      break;
    default:
      ++counts.unsupported_dtype;
      try {
        mine::check_tensor_data(m, file_);  // the engine-free check covers every type
      } catch (const wgml::Error& e) {
        mismatch(at, std::string("check_tensor_data: ") + e.what());
      }
      return;
  }
  try {
    const wgml::Tensor t = mine::to_tensor(m, base_dir, file_);
    ++counts.converted;
    std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
    if (t.shape() != dims) mismatch(at + " (to_tensor)", "shape differs");
    const std::vector<uint8_t> got = t.to_bytes();
    const std::string want = expected_bytes(p);
    if (std::string(got.begin(), got.end()) != want) mismatch(at + " (to_tensor)", "bytes differ");
  } catch (const wgml::Error& e) {
    mismatch(at, std::string("to_tensor: ") + e.what());
  }
}

void Checker::check_tensor_file(const fs::path& path, const std::string& base_dir) {
  file_ = path.string();
  ++counts.tensor_files;
  const std::string bytes = read_file(path);
  pb::TensorProto p;
  const bool pb_ok = p.ParseFromString(bytes);
  try {
    const mine::TensorProto m = mine::load_tensor_file(file_);
    if (!pb_ok) return mismatch("", "protobuf rejects the file, wgml accepts it");
    compare_tensor("tensor", m, p);
    check_conversion("tensor", m, p, base_dir);
  } catch (const wgml::Error& e) {
    if (pb_ok) return mismatch("", std::string("wgml rejects it: ") + e.what());
    ++counts.both_rejected;
  }
}

void Checker::check_model_dir(const fs::path& dir) {
  file_ = (dir / "model.onnx").string();
  ++counts.models;
  const std::string bytes = read_file(dir / "model.onnx");
  pb::ModelProto p;
  const bool pb_ok = p.ParseFromString(bytes);
  mine::ModelProto m;
  try {
    m = mine::load_model_file(file_);
  } catch (const wgml::Error& e) {
    if (pb_ok) return mismatch("", std::string("wgml rejects it: ") + e.what());
    ++counts.both_rejected;
    return;
  }
  if (!pb_ok) return mismatch("", "protobuf rejects the file, wgml accepts it");
  compare_model(m, p);
  for (size_t i = 0; i < m.graph.initializers.size(); ++i)
    check_conversion("graph.initializer[" + std::to_string(i) + "]", m.graph.initializers[i],
                     p.graph().initializer(int(i)), dir.string());

  // test_data_set_N/{input,output}_K.pb hold what the K-th graph input (not an initializer) or
  // output is: a TensorProto for tensors, a SequenceProto/OptionalProto/MapProto otherwise.
  std::set<std::string> initializer_names;
  for (const auto& init : p.graph().initializer())
    initializer_names.insert(init.name());
  std::vector<const pb::ValueInfoProto*> inputs, outputs;
  for (const auto& in : p.graph().input())
    if (!initializer_names.count(in.name())) inputs.push_back(&in);
  for (const auto& out : p.graph().output())
    outputs.push_back(&out);
  for (const auto& set : fs::directory_iterator(dir)) {
    if (!set.is_directory()) continue;
    for (const auto& entry : fs::directory_iterator(set.path())) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".pb") continue;
      const bool is_input = name.rfind("input_", 0) == 0;
      const size_t index = std::stoul(name.substr(is_input ? 6 : 7));
      const auto& list = is_input ? inputs : outputs;
      const bool tensor =
          index < list.size() && list[index]->type().value_case() == pb::TypeProto::kTensorType;
      if (tensor) {
        check_tensor_file(entry.path(), dir.string());
      } else {
        // Not a TensorProto: wgml need not accept it, but must not crash either.
        ++counts.other_files;
        try {
          mine::load_tensor_file(entry.path().string());
        } catch (const wgml::Error&) {
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: onnx_reader_crosscheck <libonnx-testdata data folder>\n";
    return 2;
  }
  Checker checker;
  int folders = 0;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    const fs::path root = fs::path(argv[1]) / suite;
    if (!fs::is_directory(root)) {
      std::cerr << root << " is missing\n";
      return 1;
    }
    ++folders;
    std::vector<fs::path> cases;
    for (const auto& entry : fs::directory_iterator(root))
      if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
    std::sort(cases.begin(), cases.end());
    for (const fs::path& dir : cases)
      checker.check_model_dir(dir);
  }
  const Counts& c = checker.counts;
  std::cout << "onnx_reader_crosscheck: " << c.models << " models (" << c.nodes << " nodes, "
            << c.attributes << " attributes, " << c.subgraphs << " subgraphs, " << c.initializers
            << " initializers, " << c.value_infos << " value infos), " << c.tensor_files
            << " tensor files, " << c.data_bytes << " data bytes; " << c.converted
            << " tensors through to_tensor, " << c.unsupported_dtype
            << " of other dtypes checked without it; " << c.other_files
            << " sequence/map/optional files not compared; " << c.both_rejected
            << " files both readers reject; " << checker.mismatches << " mismatches\n";
  if (c.models < 1000 || c.tensor_files < 2000) {
    std::cerr << "too few files found under " << argv[1] << "\n";
    return 1;
  }
  return checker.mismatches == 0 ? 0 : 1;
}
