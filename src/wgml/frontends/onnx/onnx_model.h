// The ONNX model as it is on disk: ModelProto, GraphProto, NodeProto, TensorProto, ... decoded by
// wgml's own protobuf wire-format reader (no libprotobuf), so the native and WebAssembly builds
// share one small reader. Every field the importer uses is kept; unknown fields are skipped.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wgml/core/tensor.h"

namespace wgml::onnx {

// TensorProto.DataType, numbered as in onnx.proto.
enum class ElemType : int32_t {
  Undefined = 0,
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Uint16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  Uint32 = 12,
  Uint64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};
const char* elem_type_name(int32_t type);  // "float", "int64", ... "type 99" when unknown

struct TensorProto {
  std::string name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;
  // Exactly one of these holds the data, as the file stored it.
  std::string raw_data;               // little-endian bytes
  std::vector<float> float_data;      // float, complex64
  std::vector<int32_t> int32_data;    // int32, int16, int8, uint16, uint8, bool, float16 (bits)
  std::vector<int64_t> int64_data;    // int64
  std::vector<double> double_data;    // double, complex128
  std::vector<uint64_t> uint64_data;  // uint32, uint64
  std::vector<std::string> string_data;
  // data_location EXTERNAL: the key/value pairs (location, offset, length, checksum).
  bool external = false;
  std::map<std::string, std::string> external_data;
};

struct Dim {
  bool has_value = false;
  int64_t value = 0;
  std::string param;  // symbolic name ("batch"); empty with !has_value means unknown
};

// ValueInfoProto with a tensor type; other types (sequence, map, optional) keep kind != Tensor.
struct ValueInfo {
  enum class Kind : uint8_t { None, Tensor, Sequence, Map, Optional, SparseTensor };
  std::string name;
  Kind kind = Kind::None;
  int32_t elem_type = 0;
  bool has_shape = false;  // false: rank unknown
  std::vector<Dim> shape;
};

struct GraphProto;

struct AttributeProto {
  // AttributeProto.AttributeType, numbered as in onnx.proto.
  enum Type : int32_t {
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    SparseTensor = 11,
    TypeProto = 13,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensors = 12,
    TypeProtos = 14,
  };
  std::string name;
  int32_t type = Undefined;  // files from old exporters may leave it 0: see the reader
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<TensorProto> tensors;                 // `t` is tensors[0] when type == Tensor
  std::vector<std::shared_ptr<GraphProto>> graphs;  // `g` is graphs[0] when type == Graph
  std::string ref_attr_name;                        // inside functions only
};

struct NodeProto {
  std::string name;
  std::string op_type;
  std::string domain;                // "" or "ai.onnx" is the default domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an omitted optional output
  std::vector<AttributeProto> attributes;
  const AttributeProto* attribute(const std::string& attr_name) const;  // nullptr when absent
};

struct GraphProto {
  std::string name;
  std::vector<NodeProto> nodes;
  std::vector<TensorProto> initializers;
  std::vector<ValueInfo> inputs;  // may also list initializers (IR version < 4)
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_info;
  bool has_sparse_initializers = false;
};

struct OpsetImport {
  std::string domain;
  int64_t version = 0;
};

struct ModelProto {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::vector<OpsetImport> opset_imports;
  GraphProto graph;
  bool has_functions = false;  // model-local functions (not supported by the importer yet)
  // The default domain's opset, 0 when the model imports none.
  int64_t default_opset() const;
};

// Decoding: malformed or hostile bytes raise wgml::Error naming `where` (the file), the message
// path (e.g. "graph.node[12].attribute[0]") and the problem; nothing is read past the buffer,
// nesting is bounded, and declared lengths are checked against the bytes that remain.
ModelProto parse_model(const uint8_t* data, size_t size, const std::string& where);
TensorProto parse_tensor(const uint8_t* data, size_t size, const std::string& where);
ModelProto load_model_file(const std::string& path);    // reads the file, then parse_model
TensorProto load_tensor_file(const std::string& path);  // a serialized TensorProto (.pb)

// A SequenceProto or OptionalProto of tensors (ONNX's test data feeds and expects them): a
// sequence's tensors in order, or an optional's content (one tensor, or a sequence's tensors);
// `present` is false for an empty optional.
struct ListProto {
  std::string name;
  bool optional = false;
  bool present = true;
  bool holds_sequence = true;  // false: an optional tensor
  std::vector<TensorProto> tensors;
};
ListProto load_list_file(const std::string& path, bool optional);

// Engine-free checks of a TensorProto (the parser and its fuzz target use them without Tensor).
// Bytes per element in raw_data (complex counts both parts); 0 for string and unknown types.
size_t elem_type_size(int32_t elem_type);
// The element count of `dims`; negative dims or a count beyond 2^58 raise naming `what`.
int64_t checked_numel(const std::vector<int64_t>& dims, const std::string& what);
// Checks that the tensor's data is where its type says (raw_data, the typed field that belongs to
// data_type, or external "location"/"offset"/"length" entries) and holds exactly numel elements;
// returns numel. Raises wgml::Error naming `where` and the tensor otherwise.
int64_t check_tensor_data(const TensorProto& proto, const std::string& where);

// The engine dtype of an ONNX element type; raises naming `what` for types wgml does not support
// (string, double, uint16/32/64, int16, complex, bfloat16).
DType engine_dtype(int32_t elem_type, const std::string& what);

// A TensorProto's data as an engine tensor on the CPU. External data is read from `base_dir`
// (the model's folder); the location must stay inside it, and offset/length are checked against
// the file. Data that does not match dims * element size is an error naming the tensor.
Tensor to_tensor(const TensorProto& proto, const std::string& base_dir, const std::string& where);

}  // namespace wgml::onnx
