#include "wgml/core/dtype.h"

#include "wgml/core/error.h"

namespace wgml {

size_t dtype_size(DType t) {
  return dispatch_dtype(t, [](auto tag) { return sizeof(typename decltype(tag)::type); });
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Float32:
      return "float32";
    case DType::Float16:
      return "float16";
    case DType::Int32:
      return "int32";
    case DType::Int64:
      return "int64";
    case DType::UInt8:
      return "uint8";
    case DType::Int8:
      return "int8";
    case DType::Bool:
      return "bool";
    case DType::Float64:
      return "float64";
    case DType::UInt16:
      return "uint16";
    case DType::UInt32:
      return "uint32";
    case DType::UInt64:
      return "uint64";
    case DType::Int16:
      return "int16";
    case DType::BFloat16:
      return "bfloat16";
  }
  return "?";
}

DType dtype_from_name(std::string_view name) {
  for (DType t : kAllDTypes) {
    if (dtype_name(t) == name) return t;
  }
  fail("unknown dtype '", std::string(name), "'");
}

std::string DTypeSet::to_string() const {
  std::string out = "{";
  for (DType t : kAllDTypes) {
    if (!contains(t)) continue;
    if (out.size() > 1) out += ", ";
    out += dtype_name(t);
  }
  return out + "}";
}

}  // namespace wgml
