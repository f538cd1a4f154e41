// TensorProto -> engine Tensor: the dtype mapping, the typed fields' conversion, and external data
// read from files next to the model.
#include <cstring>
#include <fstream>
#include <limits>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_model.h"
#include "wgml/io/files.h"

namespace wgml::onnx {

DType engine_dtype(int32_t elem_type, const std::string& what) {
  switch (static_cast<ElemType>(elem_type)) {
    case ElemType::Float:
      return DType::Float32;
    case ElemType::Float16:
      return DType::Float16;
    case ElemType::Int32:
      return DType::Int32;
    case ElemType::Int64:
      return DType::Int64;
    case ElemType::Uint8:
      return DType::UInt8;
    case ElemType::Int8:
      return DType::Int8;
    case ElemType::Bool:
      return DType::Bool;
    case ElemType::Double:
      return DType::Float64;
    case ElemType::Uint16:
      return DType::UInt16;
    case ElemType::Uint32:
      return DType::UInt32;
    case ElemType::Uint64:
      return DType::UInt64;
    case ElemType::Int16:
      return DType::Int16;
    case ElemType::BFloat16:
      return DType::BFloat16;
    default:
      break;
  }
  fail(what, ": ONNX element type ", elem_type_name(elem_type),
       " is not supported by wgml (it has float, float16, bfloat16, double, int8, int16, int32, "
       "int64, uint8, uint16, uint32, uint64, bool)");
}

namespace {

// The location of external data, checked to stay inside the model's folder: relative, and no
// ".." that climbs above where it started.
std::string external_path(const std::string& location, const std::string& base_dir,
                          const std::string& what) {
  WGML_CHECK(location.find('\0') == std::string::npos, what,
             ": external data location contains a NUL byte");
  WGML_CHECK(
      location[0] != '/' && location[0] != '\\' && !(location.size() > 1 && location[1] == ':'),
      what, ": external data location '", location,
      "' is absolute; it must be relative to the model's folder");
  int depth = 0;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find_first_of("/\\", start);
    if (end == std::string::npos) end = location.size();
    const std::string part = location.substr(start, end - start);
    if (part == "..")
      --depth;
    else if (!part.empty() && part != ".")
      ++depth;
    WGML_CHECK(depth >= 0, what, ": external data location '", location,
               "' leaves the model's folder");
    start = end + 1;
  }
  return base_dir.empty() ? location : base_dir + "/" + location;
}

std::string read_external(const TensorProto& proto, int64_t nbytes, const std::string& base_dir,
                          const std::string& what) {
  const auto entry = [&](const char* key) -> const std::string* {
    auto it = proto.external_data.find(key);
    return it == proto.external_data.end() ? nullptr : &it->second;
  };
  const std::string path = external_path(*entry("location"), base_dir, what);
  const auto file_size = static_cast<int64_t>(regular_file_size(path, what + ": external data"));
  std::ifstream in(path, std::ios::binary);
  WGML_CHECK(in.good(), what, ": cannot open external data file ", path);
  // check_tensor_data validated offset and length as decimal numbers below 10^18.
  const int64_t offset = entry("offset") ? std::stoll(*entry("offset")) : 0;
  WGML_CHECK(offset <= file_size, what, ": external data offset ", offset, " is past the end of ",
             path, " (", file_size, " bytes)");
  WGML_CHECK(nbytes <= file_size - offset, what, ": external data of ", nbytes, " bytes at offset ",
             offset, " runs past the end of ", path, " (", file_size, " bytes)");
  WGML_CHECK(uint64_t(nbytes) <= std::numeric_limits<size_t>::max(), what, ": external data of ",
             nbytes, " bytes does not fit in this build's memory");
  std::string bytes(size_t(nbytes), '\0');
  in.seekg(offset);
  in.read(bytes.data(), std::streamsize(nbytes));
  WGML_CHECK(in.good() || (nbytes == 0), what, ": cannot read ", nbytes, " bytes at offset ",
             offset, " of ", path);
  return bytes;
}

// Narrows int32_data (or uint64_data) to the element type (ONNX stores 8- and 16-bit types
// widened in int32_data, uint32 in uint64_data).
template <typename T, typename From>
std::vector<T> narrow(const std::vector<From>& values) {
  std::vector<T> out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = static_cast<T>(values[i]);
  return out;
}

template <typename T>
Tensor tensor_of(const std::vector<T>& values, const Shape& shape, DType dtype) {
  static const uint8_t kNone = 0;  // from_bytes copies nothing when numel is 0
  return Tensor::from_bytes(values.empty() ? static_cast<const void*>(&kNone) : values.data(),
                            shape, dtype);
}

}  // namespace

Tensor to_tensor(const TensorProto& proto, const std::string& base_dir, const std::string& where) {
  const std::string what = where + ": tensor '" + proto.name + "'";
  const DType dtype = engine_dtype(proto.data_type, what);
  const int64_t numel = check_tensor_data(proto, where);
  const Shape shape(proto.dims.begin(), proto.dims.end());
  // In int64: on WebAssembly size_t has 32 bits, and external data is checked before any use.
  const int64_t nbytes = numel * int64_t(dtype_size(dtype));

  const std::string* bytes = &proto.raw_data;
  std::string external;
  if (proto.external) {
    external = read_external(proto, nbytes, base_dir, what);
    bytes = &external;
  }
  if (proto.external || !proto.raw_data.empty()) {
    // Little-endian bytes, as the host (x86, ARM, WebAssembly) keeps them.
    if (dtype == DType::Bool) {
      std::vector<uint8_t> flags(bytes->size());
      for (size_t i = 0; i < flags.size(); ++i)
        flags[i] = (*bytes)[i] != 0;
      return tensor_of(flags, shape, dtype);
    }
    return Tensor::from_bytes(bytes->empty() ? "" : bytes->data(), shape, dtype);
  }
  switch (dtype) {
    case DType::Float32:
      return tensor_of(proto.float_data, shape, dtype);
    case DType::Int32:
      return tensor_of(proto.int32_data, shape, dtype);
    case DType::Int64:
      return tensor_of(proto.int64_data, shape, dtype);
    case DType::Float16:
      return tensor_of(narrow<uint16_t>(proto.int32_data), shape, dtype);  // the bits
    case DType::UInt8:
      return tensor_of(narrow<uint8_t>(proto.int32_data), shape, dtype);
    case DType::Int8:
      return tensor_of(narrow<int8_t>(proto.int32_data), shape, dtype);
    case DType::Float64:
      return tensor_of(proto.double_data, shape, dtype);
    case DType::UInt16:
      return tensor_of(narrow<uint16_t>(proto.int32_data), shape, dtype);
    case DType::Int16:
      return tensor_of(narrow<int16_t>(proto.int32_data), shape, dtype);
    case DType::BFloat16:
      return tensor_of(narrow<uint16_t>(proto.int32_data), shape, dtype);  // the bits
    case DType::UInt32:
      return tensor_of(narrow<uint32_t>(proto.uint64_data), shape, dtype);
    case DType::UInt64:
      return tensor_of(proto.uint64_data, shape, dtype);
    case DType::Bool: {
      std::vector<uint8_t> flags(proto.int32_data.size());
      for (size_t i = 0; i < flags.size(); ++i)
        flags[i] = proto.int32_data[i] != 0;
      return tensor_of(flags, shape, dtype);
    }
  }
  fail(what, ": unhandled dtype ", dtype);
}

}  // namespace wgml::onnx
