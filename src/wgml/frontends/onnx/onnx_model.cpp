// Decoding of onnx.proto messages (field numbers as in onnx/onnx.proto of ONNX 1.12) and the
// engine-free checks on TensorProto. The conversion to engine tensors is in onnx_tensor.cpp, so
// this file and protobuf_wire.cpp build on their own (the fuzz target links just these).
#include "wgml/frontends/onnx/onnx_model.h"

#include <cstdio>
#include <fstream>
#include <limits>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/protobuf_wire.h"
#include "wgml/io/files.h"

namespace wgml::onnx {

using wire::Reader;

namespace {

void parse_graph(Reader& r, GraphProto& graph);

void parse_tensor_fields(Reader& r, TensorProto& tensor) {
  int64_t data_location = 0;
  while (r.next()) {
    switch (r.field()) {
      case 1:
        r.append_int64s("dims", tensor.dims);
        break;
      case 2:
        tensor.data_type = r.read_int32("data_type");
        break;
      case 3:
        r.fail("segment", "segmented tensors (data split across messages) are not supported");
      case 4:
        r.append_floats("float_data", tensor.float_data);
        break;
      case 5:
        r.append_int32s("int32_data", tensor.int32_data);
        break;
      case 6:
        tensor.string_data.push_back(r.read_bytes("string_data"));
        break;
      case 7:
        r.append_int64s("int64_data", tensor.int64_data);
        break;
      case 8:
        tensor.name = r.read_bytes("name");
        break;
      case 9:
        tensor.raw_data = r.read_bytes("raw_data");
        break;
      case 10:
        r.append_doubles("double_data", tensor.double_data);
        break;
      case 11:
        r.append_uint64s("uint64_data", tensor.uint64_data);
        break;
      case 13: {
        // StringStringEntryProto; a repeated key keeps its last value.
        Reader entry = r.read_message("external_data", int64_t(tensor.external_data.size()));
        std::string key, value;
        while (entry.next()) {
          if (entry.field() == 1)
            key = entry.read_bytes("key");
          else if (entry.field() == 2)
            value = entry.read_bytes("value");
          else
            entry.skip();
        }
        tensor.external_data[key] = value;
        break;
      }
      case 14:
        data_location = r.read_int64("data_location");
        if (data_location != 0 && data_location != 1)
          r.fail("data_location", str_cat("unknown data location ", data_location));
        tensor.external = data_location == 1;
        break;
      default:
        r.skip();
    }
  }
}

void parse_shape(Reader& r, ValueInfo& info) {
  info.has_shape = true;
  while (r.next()) {
    if (r.field() != 1) {
      r.skip();
      continue;
    }
    Reader d = r.read_message("dim", int64_t(info.shape.size()));
    Dim dim;
    while (d.next()) {
      // dim_value and dim_param are a oneof: the last one in the message wins.
      if (d.field() == 1) {
        dim.value = d.read_int64("dim_value");
        dim.has_value = true;
        dim.param.clear();
      } else if (d.field() == 2) {
        dim.param = d.read_bytes("dim_param");
        dim.has_value = false;
        dim.value = 0;
      } else {
        d.skip();
      }
    }
    info.shape.push_back(std::move(dim));
  }
}

// TypeProto.Tensor and TypeProto.SparseTensor: elem_type and shape.
void parse_tensor_type(Reader& r, ValueInfo& info) {
  while (r.next()) {
    if (r.field() == 1) {
      info.elem_type = r.read_int32("elem_type");
    } else if (r.field() == 2) {
      Reader shape = r.read_message("shape");
      parse_shape(shape, info);
    } else {
      r.skip();
    }
  }
}

void parse_type(Reader& r, ValueInfo& info) {
  while (r.next()) {
    // The value is a oneof: a later kind replaces an earlier one.
    ValueInfo::Kind kind;
    switch (r.field()) {
      case 1:
        kind = ValueInfo::Kind::Tensor;
        break;
      case 4:
        kind = ValueInfo::Kind::Sequence;
        break;
      case 5:
        kind = ValueInfo::Kind::Map;
        break;
      case 8:
        kind = ValueInfo::Kind::SparseTensor;
        break;
      case 9:
        kind = ValueInfo::Kind::Optional;
        break;
      default:
        r.skip();
        continue;
    }
    if (info.kind != kind) {
      info.kind = kind;
      info.elem_type = 0;
      info.has_shape = false;
      info.shape.clear();
    }
    if (kind == ValueInfo::Kind::Tensor || kind == ValueInfo::Kind::SparseTensor) {
      Reader t =
          r.read_message(kind == ValueInfo::Kind::Tensor ? "tensor_type" : "sparse_tensor_type");
      parse_tensor_type(t, info);
    } else {
      r.skip();  // element types of sequences, maps and optionals are not kept
    }
  }
}

void parse_value_info(Reader& r, ValueInfo& info) {
  while (r.next()) {
    if (r.field() == 1) {
      info.name = r.read_bytes("name");
    } else if (r.field() == 2) {
      Reader type = r.read_message("type");
      parse_type(type, info);
    } else {
      r.skip();
    }
  }
}

std::shared_ptr<GraphProto> parse_graph_message(Reader& r, const char* name, int64_t index) {
  auto graph = std::make_shared<GraphProto>();
  Reader g = r.read_message(name, index);
  parse_graph(g, *graph);
  return graph;
}

// AttributeProto. Files from exporters before IR version 3 (and some hand-written ones) leave
// `type` unset: then the one value field that is present says what the attribute is.
void parse_attribute(Reader& r, AttributeProto& attr) {
  bool has[24] = {};
  std::vector<TensorProto> single_t;
  std::vector<std::shared_ptr<GraphProto>> single_g;
  while (r.next()) {
    const uint32_t field = r.field();
    if (field < 24) has[field] = true;
    switch (field) {
      case 1:
        attr.name = r.read_bytes("name");
        break;
      case 2:
        attr.f = r.read_float("f");
        break;
      case 3:
        attr.i = r.read_int64("i");
        break;
      case 4:
        attr.s = r.read_bytes("s");
        break;
      case 5: {
        // A repeated singular message merges; one is all that files ever hold.
        if (single_t.empty()) single_t.emplace_back();
        Reader t = r.read_message("t");
        parse_tensor_fields(t, single_t[0]);
        break;
      }
      case 6:
        if (single_g.empty()) single_g.push_back(std::make_shared<GraphProto>());
        {
          Reader g = r.read_message("g");
          parse_graph(g, *single_g[0]);
        }
        break;
      case 7:
        r.append_floats("floats", attr.floats);
        break;
      case 8:
        r.append_int64s("ints", attr.ints);
        break;
      case 9:
        attr.strings.push_back(r.read_bytes("strings"));
        break;
      case 10: {
        Reader t = r.read_message("tensors", int64_t(attr.tensors.size()));
        attr.tensors.emplace_back();
        parse_tensor_fields(t, attr.tensors.back());
        break;
      }
      case 11:
        attr.graphs.push_back(parse_graph_message(r, "graphs", int64_t(attr.graphs.size())));
        break;
      case 20:
        attr.type = r.read_int32("type");
        break;
      case 21:
        attr.ref_attr_name = r.read_bytes("ref_attr_name");
        break;
      default:
        r.skip();  // doc_string; sparse tensors and type protos are typed but not kept
    }
  }
  // A repeated field counts as set when it holds values (an empty packed run holds none).
  has[7] = !attr.floats.empty();
  has[8] = !attr.ints.empty();
  using A = AttributeProto;
  if (attr.type == A::Undefined) {
    // Field number -> the type it implies.
    static const std::pair<int, int32_t> kFieldTypes[] = {
        {2, A::Float},      {3, A::Int},        {4, A::String},        {5, A::Tensor},
        {6, A::Graph},      {7, A::Floats},     {8, A::Ints},          {9, A::Strings},
        {10, A::Tensors},   {11, A::Graphs},    {22, A::SparseTensor}, {23, A::SparseTensors},
        {14, A::TypeProto}, {15, A::TypeProtos}};
    for (const auto& [field, type] : kFieldTypes) {
      if (!has[field]) continue;
      if (attr.type != A::Undefined)
        r.fail("type", "attribute '" + attr.name +
                           "' has no type and more than one value field, so its type is unknown");
      attr.type = type;
    }
  }
  if (attr.type == A::Tensor) {
    if (single_t.empty()) r.fail("t", "attribute '" + attr.name + "' of type TENSOR has no t");
    attr.tensors = std::move(single_t);
  } else if (attr.type == A::Graph) {
    if (single_g.empty()) r.fail("g", "attribute '" + attr.name + "' of type GRAPH has no g");
    attr.graphs = std::move(single_g);
  }
}

void parse_node(Reader& r, NodeProto& node) {
  while (r.next()) {
    switch (r.field()) {
      case 1:
        node.inputs.push_back(r.read_bytes("input"));
        break;
      case 2:
        node.outputs.push_back(r.read_bytes("output"));
        break;
      case 3:
        node.name = r.read_bytes("name");
        break;
      case 4:
        node.op_type = r.read_bytes("op_type");
        break;
      case 5: {
        Reader a = r.read_message("attribute", int64_t(node.attributes.size()));
        node.attributes.emplace_back();
        parse_attribute(a, node.attributes.back());
        break;
      }
      case 7:
        node.domain = r.read_bytes("domain");
        break;
      default:
        r.skip();
    }
  }
}

void parse_value_infos(Reader& r, const char* name, std::vector<ValueInfo>& out) {
  Reader v = r.read_message(name, int64_t(out.size()));
  out.emplace_back();
  parse_value_info(v, out.back());
}

void parse_graph(Reader& r, GraphProto& graph) {
  while (r.next()) {
    switch (r.field()) {
      case 1: {
        Reader n = r.read_message("node", int64_t(graph.nodes.size()));
        graph.nodes.emplace_back();
        parse_node(n, graph.nodes.back());
        break;
      }
      case 2:
        graph.name = r.read_bytes("name");
        break;
      case 5: {
        Reader t = r.read_message("initializer", int64_t(graph.initializers.size()));
        graph.initializers.emplace_back();
        parse_tensor_fields(t, graph.initializers.back());
        break;
      }
      case 11:
        parse_value_infos(r, "input", graph.inputs);
        break;
      case 12:
        parse_value_infos(r, "output", graph.outputs);
        break;
      case 13:
        parse_value_infos(r, "value_info", graph.value_info);
        break;
      case 15:
        graph.has_sparse_initializers = true;
        r.skip();
        break;
      default:
        r.skip();
    }
  }
}

}  // namespace

const char* elem_type_name(int32_t type) {
  static const char* const kNames[] = {"undefined",  "float",   "uint8",  "int8",   "uint16",
                                       "int16",      "int32",   "int64",  "string", "bool",
                                       "float16",    "double",  "uint32", "uint64", "complex64",
                                       "complex128", "bfloat16"};
  if (type >= 0 && type <= 16) return kNames[type];
  thread_local char unknown[24];
  std::snprintf(unknown, sizeof(unknown), "type %d", static_cast<int>(type));
  return unknown;
}

const AttributeProto* NodeProto::attribute(const std::string& attr_name) const {
  for (const AttributeProto& attr : attributes)
    if (attr.name == attr_name) return &attr;
  return nullptr;
}

int64_t ModelProto::default_opset() const {
  for (const OpsetImport& opset : opset_imports)
    if (opset.domain.empty() || opset.domain == "ai.onnx") return opset.version;
  return 0;
}

ModelProto parse_model(const uint8_t* data, size_t size, const std::string& where) {
  ModelProto model;
  Reader r(data, size, where);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        model.ir_version = r.read_int64("ir_version");
        break;
      case 2:
        model.producer_name = r.read_bytes("producer_name");
        break;
      case 3:
        model.producer_version = r.read_bytes("producer_version");
        break;
      case 7: {
        Reader g = r.read_message("graph");
        parse_graph(g, model.graph);
        break;
      }
      case 8: {
        Reader o = r.read_message("opset_import", int64_t(model.opset_imports.size()));
        OpsetImport opset;
        while (o.next()) {
          if (o.field() == 1)
            opset.domain = o.read_bytes("domain");
          else if (o.field() == 2)
            opset.version = o.read_int64("version");
          else
            o.skip();
        }
        model.opset_imports.push_back(std::move(opset));
        break;
      }
      case 25:
        model.has_functions = true;
        r.skip();
        break;
      default:
        r.skip();
    }
  }
  return model;
}

TensorProto parse_tensor(const uint8_t* data, size_t size, const std::string& where) {
  TensorProto tensor;
  Reader r(data, size, where);
  parse_tensor_fields(r, tensor);
  return tensor;
}

namespace {
// SequenceProto (tensor_values = 3, sequence_values = 5) and OptionalProto (tensor_value = 3,
// sequence_value = 5); elem_type = 2 says which is set. Maps and sparse tensors are not read.
void parse_list_fields(Reader& r, ListProto& list, bool optional, int depth) {
  list.optional = optional;
  list.present = !optional;
  while (r.next()) {
    if (r.field() == 1) {
      list.name = r.read_bytes("name");
    } else if (r.field() == 3) {
      Reader t = r.read_message(optional ? "tensor_value" : "tensor_values");
      TensorProto tensor;
      parse_tensor_fields(t, tensor);
      list.tensors.push_back(std::move(tensor));
      list.present = true;
      if (optional) list.holds_sequence = false;
    } else if (r.field() == 5 && optional && depth == 0) {
      Reader s = r.read_message("sequence_value");
      ListProto inner;
      parse_list_fields(s, inner, false, depth + 1);
      list.tensors = std::move(inner.tensors);
      list.present = true;
      list.holds_sequence = true;
    } else if (r.field() == 2) {
      const int32_t elem = r.read_int32("elem_type");
      if (optional) list.holds_sequence = elem == 3;  // OptionalProto.DataType SEQUENCE
    } else if (r.field() == 4 || r.field() == 5 || r.field() == 6 || r.field() == 7) {
      r.fail("value",
             "sequences and optionals of maps, sparse tensors, sequences or optionals "
             "are not supported");
    } else {
      r.skip();
    }
  }
}
}  // namespace

ListProto load_list_file(const std::string& path, bool optional) {
  const std::string bytes = read_regular_file(path, "ONNX sequence/optional file");
  ListProto list;
  Reader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
  parse_list_fields(r, list, optional, 0);
  return list;
}

ModelProto load_model_file(const std::string& path) {
  const std::string bytes = read_regular_file(path, "ONNX file");
  return parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

TensorProto load_tensor_file(const std::string& path) {
  const std::string bytes = read_regular_file(path, "ONNX tensor file");
  return parse_tensor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

size_t elem_type_size(int32_t elem_type) {
  switch (static_cast<ElemType>(elem_type)) {
    case ElemType::Uint8:
    case ElemType::Int8:
    case ElemType::Bool:
      return 1;
    case ElemType::Uint16:
    case ElemType::Int16:
    case ElemType::Float16:
    case ElemType::BFloat16:
      return 2;
    case ElemType::Float:
    case ElemType::Int32:
    case ElemType::Uint32:
      return 4;
    case ElemType::Int64:
    case ElemType::Double:
    case ElemType::Uint64:
    case ElemType::Complex64:
      return 8;
    case ElemType::Complex128:
      return 16;
    case ElemType::Undefined:
    case ElemType::String:
      break;
  }
  return 0;
}

int64_t checked_numel(const std::vector<int64_t>& dims, const std::string& what) {
  // 2^58 elements of up to 16 bytes (complex128) still have a byte count that fits in int64.
  constexpr int64_t kMaxNumel = int64_t(1) << 58;
  int64_t numel = 1;
  for (size_t i = 0; i < dims.size(); ++i)
    WGML_CHECK(dims[i] >= 0, what, ": dimension ", i, " is negative in dims ", dims);
  for (int64_t d : dims) {
    if (d == 0) return 0;
    WGML_CHECK(numel <= kMaxNumel / d, what, ": dims ", dims, " hold more than 2^58 elements");
    numel *= d;
  }
  return numel;
}

namespace {

// The typed field that holds a type's values when raw_data is not used, and how many values
// each element takes (two for complex numbers).
struct TypedField {
  const char* name;
  size_t count;
  int values_per_element;
};

// Parses a non-negative decimal integer of an external_data entry.
int64_t parse_external_int(const std::string& text, const std::string& key,
                           const std::string& what) {
  WGML_CHECK(!text.empty() && text.size() <= 18 &&
                 text.find_first_not_of("0123456789") == std::string::npos,
             what, ": external_data ", key, " '", text, "' is not a non-negative integer");
  return std::stoll(text);
}

}  // namespace

int64_t check_tensor_data(const TensorProto& proto, const std::string& where) {
  const std::string what = where + ": tensor '" + proto.name + "'";
  const int32_t type = proto.data_type;
  WGML_CHECK(type > 0 && type <= int32_t(ElemType::BFloat16), what, ": data_type ", type,
             " is not an ONNX element type");
  const int64_t numel = checked_numel(proto.dims, what);
  const size_t elem_size = elem_type_size(type);
  const TypedField fields[] = {
      {"raw_data", proto.raw_data.size(), 0},
      {"float_data", proto.float_data.size(),
       type == int32_t(ElemType::Float)       ? 1
       : type == int32_t(ElemType::Complex64) ? 2
                                              : 0},
      {"int32_data", proto.int32_data.size(),
       (type == int32_t(ElemType::Int32) || type == int32_t(ElemType::Int16) ||
        type == int32_t(ElemType::Int8) || type == int32_t(ElemType::Uint16) ||
        type == int32_t(ElemType::Uint8) || type == int32_t(ElemType::Bool) ||
        type == int32_t(ElemType::Float16) || type == int32_t(ElemType::BFloat16))
           ? 1
           : 0},
      {"int64_data", proto.int64_data.size(), type == int32_t(ElemType::Int64) ? 1 : 0},
      {"double_data", proto.double_data.size(),
       type == int32_t(ElemType::Double)       ? 1
       : type == int32_t(ElemType::Complex128) ? 2
                                               : 0},
      {"uint64_data", proto.uint64_data.size(),
       (type == int32_t(ElemType::Uint32) || type == int32_t(ElemType::Uint64)) ? 1 : 0},
      {"string_data", proto.string_data.size(), type == int32_t(ElemType::String) ? 1 : 0},
  };
  const TypedField* holder = nullptr;
  for (const TypedField& field : fields) {
    if (field.count == 0) continue;
    WGML_CHECK(!holder, what, ": both ", holder ? holder->name : "", " and ", field.name,
               " hold data");
    holder = &field;
  }

  if (proto.external) {
    WGML_CHECK(!holder, what, ": data_location is EXTERNAL but ", holder ? holder->name : "",
               " holds data too");
    WGML_CHECK(elem_size > 0, what, ": ", elem_type_name(type), " data cannot be external");
    auto location = proto.external_data.find("location");
    WGML_CHECK(location != proto.external_data.end() && !location->second.empty(), what,
               ": external data has no location");
    auto offset = proto.external_data.find("offset");
    if (offset != proto.external_data.end()) parse_external_int(offset->second, "offset", what);
    auto length = proto.external_data.find("length");
    if (length != proto.external_data.end()) {
      const int64_t bytes = parse_external_int(length->second, "length", what);
      WGML_CHECK(bytes == numel * int64_t(elem_size), what, ": external data length ", bytes,
                 " is not ", numel, " elements of ", elem_type_name(type), " (",
                 numel * int64_t(elem_size), " bytes) for dims ", proto.dims);
    }
    return numel;
  }

  if (!holder) {
    WGML_CHECK(numel == 0, what, ": no data for ", numel, " elements (dims ", proto.dims, ")");
    return numel;
  }
  if (holder == &fields[0]) {
    WGML_CHECK(elem_size > 0, what, ": ", elem_type_name(type), " data cannot be in raw_data");
    WGML_CHECK(int64_t(proto.raw_data.size()) == numel * int64_t(elem_size), what,
               ": raw_data has ", proto.raw_data.size(), " bytes, but dims ", proto.dims, " of ",
               elem_type_name(type), " need ", numel * int64_t(elem_size));
    return numel;
  }
  WGML_CHECK(holder->values_per_element > 0, what, ": ", holder->name, " cannot hold ",
             elem_type_name(type), " data");
  WGML_CHECK(int64_t(holder->count) == numel * holder->values_per_element, what, ": ", holder->name,
             " has ", holder->count, " values, but dims ", proto.dims, " of ", elem_type_name(type),
             " need ", numel * holder->values_per_element);
  return numel;
}

}  // namespace wgml::onnx
