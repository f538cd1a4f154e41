// wgml's own ONNX reader: malformed bytes and tensors raise wgml::Error naming the file, the
// message path and the problem; external data is read back exactly (checked against NumPy's .npy
// of the same arrays, written by ONNX's own save_model).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "expect_error.h"
#include "wgml/frontends/onnx/onnx_model.h"
#include "wgml/io/npy.h"

namespace wgml::onnx {
namespace {

namespace fs = std::filesystem;

// A few protobuf encoders, enough to write hostile messages by hand.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += char(0x80 | (v & 0x7f));
    v >>= 7;
  }
  out += char(v);
  return out;
}
std::string tag(uint32_t field, int wire_type) {
  return varint(uint64_t(field) << 3 | uint64_t(wire_type));
}
std::string int_field(uint32_t field, int64_t v) {
  return tag(field, 0) + varint(uint64_t(v));
}
std::string len_field(uint32_t field, const std::string& payload) {
  return tag(field, 2) + varint(payload.size()) + payload;
}
std::string float_field(uint32_t field, float v) {
  std::string bytes(4, '\0');
  std::memcpy(bytes.data(), &v, 4);
  return tag(field, 5) + bytes;
}

ModelProto parse_model_bytes(const std::string& bytes) {
  return parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.onnx");
}
TensorProto parse_tensor_bytes(const std::string& bytes) {
  return parse_tensor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.pb");
}
std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kTestData = "/usr/share/libonnx-testdata/data/";

// Offsets where a top-level field of `bytes` ends: cutting there leaves a valid, shorter message.
// Walks the tags itself (not through wgml's reader) so the test does not trust the code it checks.
std::set<size_t> top_level_boundaries(const std::string& bytes) {
  std::set<size_t> ends = {0};
  size_t at = 0;
  const auto read_varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = uint8_t(bytes.at(at++));
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (at < bytes.size()) {
    const uint64_t key = read_varint();
    const uint64_t wire_type = key & 7;
    if (wire_type == 0) read_varint();
    if (wire_type == 1) at += 8;
    if (wire_type == 2) at += read_varint();
    if (wire_type == 5) at += 4;
    ends.insert(at);
  }
  return ends;
}

TEST(OnnxReader, ReadsARealModel) {
  const ModelProto model =
      load_model_file(kTestData + "node/test_conv_with_strides_padding/model.onnx");
  EXPECT_GE(model.ir_version, 3);
  EXPECT_GT(model.default_opset(), 0);
  ASSERT_EQ(model.graph.nodes.size(), 1u);
  const NodeProto& conv = model.graph.nodes[0];
  EXPECT_EQ(conv.op_type, "Conv");
  ASSERT_NE(conv.attribute("strides"), nullptr);
  EXPECT_EQ(conv.attribute("strides")->type, AttributeProto::Ints);
  EXPECT_EQ(conv.attribute("strides")->ints, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv.attribute("no_such_attribute"), nullptr);
  ASSERT_EQ(model.graph.inputs.size(), 2u);
  EXPECT_EQ(model.graph.inputs[0].kind, ValueInfo::Kind::Tensor);
  EXPECT_EQ(model.graph.inputs[0].elem_type, int32_t(ElemType::Float));
  ASSERT_TRUE(model.graph.inputs[0].has_shape);
  ASSERT_EQ(model.graph.inputs[0].shape.size(), 4u);
  EXPECT_TRUE(model.graph.inputs[0].shape[0].has_value);
}

TEST(OnnxReader, ReadsNestedGraphs) {
  const ModelProto model = load_model_file(kTestData + "node/test_if/model.onnx");
  ASSERT_EQ(model.graph.nodes.size(), 1u);
  const AttributeProto* then_branch = model.graph.nodes[0].attribute("then_branch");
  ASSERT_NE(then_branch, nullptr);
  EXPECT_EQ(then_branch->type, AttributeProto::Graph);
  ASSERT_EQ(then_branch->graphs.size(), 1u);
  EXPECT_FALSE(then_branch->graphs[0]->nodes.empty());
}

// Every cut of a real model is either a valid shorter message (cut between top-level fields) or
// an error naming the file and saying the bytes ran out; never a crash or a silent misread.
TEST(OnnxReader, TruncatedAtEveryByte) {
  for (const char* name : {"node/test_conv_with_strides_padding", "node/test_if"}) {
    const std::string bytes = read_bytes(kTestData + name + "/model.onnx");
    ASSERT_GT(bytes.size(), 100u);
    const std::set<size_t> boundaries = top_level_boundaries(bytes);
    size_t errors = 0;
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      try {
        parse_model_bytes(bytes.substr(0, cut));
        EXPECT_TRUE(boundaries.count(cut)) << name << " cut at " << cut << " parsed";
      } catch (const Error& e) {
        ++errors;
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("test.onnx: ", 0), 0u) << message;
        EXPECT_TRUE(message.find("truncated") != std::string::npos ||
                    message.find("exceeds") != std::string::npos)
            << message;
        EXPECT_FALSE(boundaries.count(cut)) << name << " cut at " << cut << ": " << message;
      }
    }
    EXPECT_GT(errors, bytes.size() / 2);
  }
}

TEST(OnnxReader, HugeDeclaredLength) {
  expect_error([] { parse_model_bytes(tag(7, 2) + varint(uint64_t(1) << 40) + "abc"); },
               {"test.onnx: graph: declared length 1099511627776 exceeds the 3 bytes that remain"});
  // Inside a node, the path says where.
  const std::string node = len_field(3, "relu") + tag(1, 2) + varint(1000) + "x";
  expect_error([&] { parse_model_bytes(len_field(7, len_field(1, "") + len_field(1, node))); },
               {"graph.node[1].input: declared length 1000"});
}

TEST(OnnxReader, VarintOverflow) {
  expect_error([] { parse_model_bytes(tag(1, 0) + std::string(10, '\xff') + "\x01"); },
               {"test.onnx: ir_version: varint overflows 64 bits"});
  // Ten bytes whose last one carries more than bit 63.
  expect_error([] { parse_model_bytes(tag(1, 0) + std::string(9, '\xff') + "\x02"); },
               {"ir_version: varint overflows 64 bits"});
  // The largest ten-byte varint is fine.
  EXPECT_EQ(parse_model_bytes(tag(1, 0) + std::string(9, '\xff') + "\x01").ir_version, -1);
}

TEST(OnnxReader, PathOfAPackedRunError) {
  // graph.node[1].attribute[0].ints: a packed run whose last varint is cut short.
  const std::string attribute =
      len_field(1, "axes") + int_field(20, AttributeProto::Ints) + len_field(8, varint(3) + "\x85");
  const std::string node0 = len_field(4, "Relu");
  const std::string node1 = len_field(4, "ReduceSum") + len_field(5, attribute);
  expect_error([&] { parse_model_bytes(len_field(7, len_field(1, node0) + len_field(1, node1))); },
               {"test.onnx: graph.node[1].attribute[0].ints: truncated varint"});
}

TEST(OnnxReader, RejectsGroupsBadWireTypesAndDeepNesting) {
  expect_error([] { parse_model_bytes(tag(9, 3) + tag(9, 4)); }, {"group"});
  expect_error([] { parse_model_bytes(tag(9, 7)); }, {"invalid wire type 7"});
  expect_error([] { parse_model_bytes(tag(0, 0) + varint(1)); }, {"invalid field number 0"});
  expect_error([] { parse_model_bytes(int_field(7, 5)); },
               {"graph: expected a length-delimited field, got varint"});
  // If-node graphs nested in graphs, 200 deep.
  std::string graph;
  for (int i = 0; i < 200; ++i) {
    const std::string attribute = len_field(1, "then_branch") + len_field(6, graph);
    graph = len_field(1, len_field(4, "If") + len_field(5, attribute));
  }
  expect_error([&] { parse_model_bytes(len_field(7, graph)); }, {"nested deeper than 100"});
}

TEST(OnnxReader, PackedAndUnpackedScalars) {
  // dims unpacked, float_data packed and unpacked mixed: protobuf accepts both encodings.
  std::string floats(8, '\0');
  const float packed[2] = {1.5f, -2.0f};
  std::memcpy(floats.data(), packed, 8);
  const TensorProto t =
      parse_tensor_bytes(int_field(1, 3) + int_field(2, 1) + len_field(4, floats) +
                         float_field(4, 7.25f) + int_field(2, int32_t(ElemType::Float)));
  EXPECT_EQ(t.dims, (std::vector<int64_t>{3}));
  EXPECT_EQ(t.float_data, (std::vector<float>{1.5f, -2.0f, 7.25f}));
  EXPECT_EQ(check_tensor_data(t, "test.pb"), 3);
  expect_error([] { parse_tensor_bytes(len_field(4, "abcde")); },
               {"float_data: packed floats of 5 bytes"});
}

TEST(OnnxReader, AttributeTypeInferredForOldFiles) {
  const auto node_with = [](const std::string& attribute) {
    const std::string node = len_field(4, "Op") + len_field(5, len_field(1, "a") + attribute);
    return parse_model_bytes(len_field(7, len_field(1, node))).graph.nodes.at(0).attributes.at(0);
  };
  EXPECT_EQ(node_with(int_field(3, -4)).type, AttributeProto::Int);
  EXPECT_EQ(node_with(int_field(3, -4)).i, -4);
  EXPECT_EQ(node_with(float_field(2, 0.5f)).type, AttributeProto::Float);
  EXPECT_EQ(node_with(len_field(4, "x")).type, AttributeProto::String);
  EXPECT_EQ(node_with(int_field(8, 1) + int_field(8, 2)).type, AttributeProto::Ints);
  const AttributeProto t = node_with(len_field(5, int_field(2, 7) + int_field(7, 9)));
  EXPECT_EQ(t.type, AttributeProto::Tensor);
  ASSERT_EQ(t.tensors.size(), 1u);
  EXPECT_EQ(t.tensors[0].int64_data, (std::vector<int64_t>{9}));
  expect_error([&] { node_with(int_field(3, 1) + float_field(2, 1.0f)); },
               {"graph.node[0].attribute[0].type", "more than one value field"});
  expect_error([&] { node_with(int_field(20, AttributeProto::Tensor)); },
               {"attribute[0].t: attribute 'a' of type TENSOR has no t"});
}

TensorProto float_tensor(std::vector<int64_t> dims, size_t raw_bytes) {
  TensorProto t;
  t.name = "w";
  t.data_type = int32_t(ElemType::Float);
  t.dims = std::move(dims);
  t.raw_data.assign(raw_bytes, '\x01');
  return t;
}

TEST(OnnxReader, BadDimsAndDataSizes) {
  expect_error(
      [] {
        to_tensor(float_tensor({2, -3}, 24), "", "m.onnx");
      },
      {"m.onnx: tensor 'w': dimension 1 is negative in dims [2, -3]"});
  expect_error(
      [] {
        to_tensor(float_tensor({int64_t(1) << 40, int64_t(1) << 40}, 4), "", "m.onnx");
      },
      {"tensor 'w': dims [1099511627776, 1099511627776] hold more than 2^58 elements"});
  expect_error(
      [] {
        to_tensor(float_tensor({2, 3}, 20), "", "m.onnx");
      },
      {"tensor 'w': raw_data has 20 bytes, but dims [2, 3] of float need 24"});
  TensorProto both = float_tensor({2}, 8);
  both.float_data = {1, 2};
  expect_error([&] { check_tensor_data(both, "m.onnx"); }, {"both raw_data and float_data"});
  TensorProto wrong_field;
  wrong_field.name = "k";
  wrong_field.data_type = int32_t(ElemType::Float);
  wrong_field.dims = {2};
  wrong_field.int64_data = {1, 2};
  expect_error([&] { check_tensor_data(wrong_field, "m.onnx"); },
               {"tensor 'k': int64_data cannot hold float data"});
  wrong_field.data_type = int32_t(ElemType::Int64);
  wrong_field.dims = {3};
  expect_error([&] { check_tensor_data(wrong_field, "m.onnx"); },
               {"int64_data has 2 values, but dims [3] of int64 need 3"});
  wrong_field.int64_data.clear();
  expect_error([&] { check_tensor_data(wrong_field, "m.onnx"); }, {"no data for 3 elements"});
  wrong_field.data_type = 42;
  expect_error([&] { check_tensor_data(wrong_field, "m.onnx"); },
               {"data_type 42 is not an ONNX element type"});
  expect_error([] { parse_tensor_bytes(len_field(3, int_field(1, 0))); },
               {"test.pb: segment: segmented tensors"});
}

TEST(OnnxReader, UnsupportedDtypeNamesTheTensor) {
  TensorProto d;
  d.name = "scale";
  d.data_type = int32_t(ElemType::Complex64);
  d.dims = {1};
  d.float_data = {0.5, 0.25};
  EXPECT_EQ(check_tensor_data(d, "m.onnx"), 1);
  expect_error([&] { to_tensor(d, "", "m.onnx"); },
               {"m.onnx: tensor 'scale': ONNX element type complex64 is not supported by wgml"});
  EXPECT_STREQ(elem_type_name(99), "type 99");
  EXPECT_STREQ(elem_type_name(int32_t(ElemType::BFloat16)), "bfloat16");
}

TEST(OnnxReader, TypedFieldsConvert) {
  TensorProto t;
  t.dims = {3};
  t.data_type = int32_t(ElemType::Float16);
  t.int32_data = {0x3c00, 0xc000, 0x3800};  // 1, -2, 0.5 as half bits
  EXPECT_EQ(to_tensor(t, "", "m").to_vector<float>(), (std::vector<float>{1, -2, 0.5f}));
  t.data_type = int32_t(ElemType::Bool);
  t.int32_data = {0, 5, 1};
  EXPECT_EQ(to_tensor(t, "", "m").to_vector<int>(), (std::vector<int>{0, 1, 1}));
  t.data_type = int32_t(ElemType::Int8);
  t.int32_data = {-128, 127, -3};
  EXPECT_EQ(to_tensor(t, "", "m").to_vector<int>(), (std::vector<int>{-128, 127, -3}));
  t.data_type = int32_t(ElemType::Uint8);
  t.int32_data = {255, 0, 7};
  EXPECT_EQ(to_tensor(t, "", "m").to_vector<int>(), (std::vector<int>{255, 0, 7}));
  TensorProto raw_bool;
  raw_bool.data_type = int32_t(ElemType::Bool);
  raw_bool.dims = {2};
  raw_bool.raw_data = std::string("\x00\x02", 2);
  EXPECT_EQ(to_tensor(raw_bool, "", "m").to_bytes(), (std::vector<uint8_t>{0, 1}));
  TensorProto empty;
  empty.data_type = int32_t(ElemType::Int64);
  empty.dims = {0, 4};
  EXPECT_EQ(to_tensor(empty, "", "m").numel(), 0);
}

// A folder under /tmp that is removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wgml_onnx_reader_XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path = pattern;
  }
  ~TempDir() { fs::remove_all(path); }
};

TensorProto external_tensor(const std::string& location, const std::string& offset,
                            const std::string& length) {
  TensorProto t = float_tensor({2, 3}, 0);
  t.external = true;
  t.external_data["location"] = location;
  if (!offset.empty()) t.external_data["offset"] = offset;
  if (!length.empty()) t.external_data["length"] = length;
  return t;
}

TEST(OnnxReader, ExternalDataStaysInsideTheFolderAndTheFile) {
  TempDir dir;
  fs::create_directories(dir.path / "sub" / "x");
  std::ofstream(dir.path / "sub" / "w.bin", std::ios::binary) << std::string(40, '\x01');
  const std::string base = (dir.path / "sub").string();
  EXPECT_EQ(to_tensor(external_tensor("w.bin", "16", "24"), base, "m.onnx").numel(), 6);
  EXPECT_EQ(to_tensor(external_tensor("./x/../w.bin", "", ""), base, "m.onnx").numel(), 6);
  for (const char* escaping : {"../sub/w.bin", "x/../../w.bin", "..\\w.bin", ".."})
    expect_error([&] { to_tensor(external_tensor(escaping, "", ""), base, "m.onnx"); },
                 {"m.onnx: tensor 'w': external data location", "leaves the model's folder"});
  expect_error([&] { to_tensor(external_tensor("/etc/passwd", "", ""), base, "m.onnx"); },
               {"'/etc/passwd' is absolute"});
  expect_error([&] { to_tensor(external_tensor("w.bin", "24", ""), base, "m.onnx"); },
               {"external data of 24 bytes at offset 24 runs past the end of", "(40 bytes)"});
  expect_error([&] { to_tensor(external_tensor("w.bin", "100", ""), base, "m.onnx"); },
               {"external data offset 100 is past the end of"});
  expect_error([&] { to_tensor(external_tensor("w.bin", "-1", ""), base, "m.onnx"); },
               {"external_data offset '-1' is not a non-negative integer"});
  expect_error([&] { to_tensor(external_tensor("w.bin", "0", "20"), base, "m.onnx"); },
               {"external data length 20 is not 6 elements of float (24 bytes)"});
  expect_error([&] { to_tensor(external_tensor("missing.bin", "", ""), base, "m.onnx"); },
               {"m.onnx", "external data", "missing.bin: cannot open"});
  // A folder is not a data file (a stream over it reports an absurd size).
  expect_error([&] { to_tensor(external_tensor(".", "", ""), base, "m.onnx"); },
               {"external data", "not a regular file"});
  expect_error([&] { to_tensor(external_tensor("", "", ""), base, "m.onnx"); },
               {"external data has no location"});
}

// ONNX's save_model writes every initializer to one external file; each must come back as the
// .npy NumPy wrote from the same array.
TEST(OnnxReader, ExternalDataRoundTrip) {
  TempDir dir;
  const fs::path script =
      fs::path(__FILE__).parent_path().parent_path() / "onnx" / "make_external_data_model.py";
  for (int seed : {1, 2}) {
    // A folder per model: ONNX's save_model appends to an existing data file.
    const fs::path folder = dir.path / std::to_string(seed);
    fs::create_directory(folder);
    const std::string command = "/usr/bin/python3 '" + script.string() + "' '" + folder.string() +
                                "' " + std::to_string(seed);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const std::string model_path = (folder / "model.onnx").string();
    const ModelProto model = load_model_file(model_path);
    ASSERT_EQ(model.graph.initializers.size(), 10u);
    int at_offset = 0;
    for (const TensorProto& init : model.graph.initializers) {
      SCOPED_TRACE(init.name);
      EXPECT_TRUE(init.external);
      at_offset += init.external_data.count("offset") && init.external_data.at("offset") != "0";
      const Tensor got = to_tensor(init, folder.string(), model_path);
      const Tensor want = load_npy((folder / (init.name + ".npy")).string());
      EXPECT_EQ(got.dtype(), want.dtype());
      EXPECT_EQ(got.shape(), want.shape());
      EXPECT_EQ(got.to_bytes(), want.to_bytes());
      EXPECT_GT(want.numel(), 0);
    }
    EXPECT_EQ(at_offset, 9);
  }
}

}  // namespace
}  // namespace wgml::onnx

namespace wgml::onnx {
namespace {

TEST(OnnxReader, FilesThatAreMissingOrFolders) {
  expect_error([] { load_model_file("/nonexistent/model.onnx"); },
               {"ONNX file /nonexistent/model.onnx: cannot open"});
  expect_error([] { load_model_file("/tmp"); }, {"ONNX file /tmp: not a regular file"});
  expect_error([] { load_tensor_file("/tmp"); }, {"ONNX tensor file /tmp: not a regular file"});
}

}  // namespace
}  // namespace wgml::onnx
