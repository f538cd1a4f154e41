// Element types and compile-time dispatch over them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "wgml/core/half.h"

namespace wgml {

// New types are appended so existing enumerator values stay put.
enum class DType : uint8_t {
  Float32,
  Float16,
  Int32,
  Int64,
  UInt8,
  Int8,
  Bool,
  Float64,
  UInt16,
  UInt32,
  UInt64,
  Int16,
  BFloat16
};
inline constexpr int kDTypeCount = 13;
inline constexpr DType kAllDTypes[kDTypeCount] = {
    DType::Float32, DType::Float16, DType::Int32,   DType::Int64,  DType::UInt8,
    DType::Int8,    DType::Bool,    DType::Float64, DType::UInt16, DType::UInt32,
    DType::UInt64,  DType::Int16,   DType::BFloat16};

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);          // "float32", "float16", ... (PyTorch's names)
DType dtype_from_name(std::string_view name);  // throws on an unknown name
inline bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float16 || t == DType::Float64 || t == DType::BFloat16;
}
inline bool is_unsigned_int(DType t) {
  return t == DType::UInt8 || t == DType::UInt16 || t == DType::UInt32 || t == DType::UInt64;
}
inline bool is_integral(DType t) {
  return !is_floating(t) && t != DType::Bool;
}
inline std::ostream& operator<<(std::ostream& out, DType t) {
  return out << dtype_name(t);
}

// A set of dtypes, one bit each; op table entries declare what they accept with these.
class DTypeSet {
 public:
  constexpr DTypeSet() = default;
  constexpr DTypeSet(std::initializer_list<DType> types) {
    for (DType t : types)
      bits_ |= bit(t);
  }
  constexpr bool contains(DType t) const { return (bits_ & bit(t)) != 0; }
  constexpr DTypeSet operator|(DTypeSet other) const { return from_bits(bits_ | other.bits_); }
  constexpr bool empty() const { return bits_ == 0; }
  std::string to_string() const;  // "{float32, float16}"

 private:
  static constexpr uint32_t bit(DType t) { return 1u << static_cast<unsigned>(t); }
  static constexpr DTypeSet from_bits(uint32_t bits) {
    DTypeSet s;
    s.bits_ = bits;
    return s;
  }
  uint32_t bits_ = 0;
};

namespace dtypes {
// float64 computes on the CPU device only (WebGPU stores and casts it); bfloat16 is a storage
// type computed in double / f32 like float16.
inline constexpr DTypeSet kFloat{DType::Float32, DType::Float16, DType::Float64, DType::BFloat16};
inline constexpr DTypeSet kSignedInt{DType::Int32, DType::Int64, DType::Int8, DType::Int16};
inline constexpr DTypeSet kUnsignedInt{DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64};
inline constexpr DTypeSet kInt = kSignedInt | kUnsignedInt;
inline constexpr DTypeSet kSigned = kFloat | kSignedInt;
inline constexpr DTypeSet kNumeric = kFloat | kInt;
inline constexpr DTypeSet kBool{DType::Bool};
inline constexpr DTypeSet kAll = kNumeric | kBool;
inline constexpr DTypeSet kIndex{DType::Int32, DType::Int64};
}  // namespace dtypes

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<S>{}) with S the storage type of `t`.
template <typename Fn>
decltype(auto) dispatch_dtype(DType t, Fn&& fn) {
  switch (t) {
    case DType::Float32:
      return fn(TypeTag<float>{});
    case DType::Float16:
      return fn(TypeTag<Half>{});
    case DType::Int32:
      return fn(TypeTag<int32_t>{});
    case DType::Int64:
      return fn(TypeTag<int64_t>{});
    case DType::UInt8:
      return fn(TypeTag<uint8_t>{});
    case DType::Int8:
      return fn(TypeTag<int8_t>{});
    case DType::Bool:
      return fn(TypeTag<bool>{});
    case DType::Float64:
      return fn(TypeTag<double>{});
    case DType::UInt16:
      return fn(TypeTag<uint16_t>{});
    case DType::UInt32:
      return fn(TypeTag<uint32_t>{});
    case DType::UInt64:
      return fn(TypeTag<uint64_t>{});
    case DType::Int16:
      return fn(TypeTag<int16_t>{});
    case DType::BFloat16:
      return fn(TypeTag<BFloat16>{});
  }
  return fn(TypeTag<float>{});  // unreachable: every enumerator is handled above
}

// Computation types: floats compute in double (then round once), integers in wrapping int64
// (uint64 too: add, sub, mul and bitwise ops are exact modulo 2^64; comparisons, division and
// casts of uint64 values of 2^63 and more see them as negative).
template <typename S>
using ComputeOf = std::conditional_t<std::is_same_v<S, float> || std::is_same_v<S, Half> ||
                                         std::is_same_v<S, double> || std::is_same_v<S, BFloat16>,
                                     double, int64_t>;

template <typename S, typename C>
inline C load_as(const S& v) {
  if constexpr (std::is_same_v<S, Half>) {
    return static_cast<C>(half_to_float(v));
  } else if constexpr (std::is_same_v<S, BFloat16>) {
    return static_cast<C>(bfloat16_to_float(v));
  } else {
    return static_cast<C>(v);
  }
}

// double -> float rounding to odd: a second rounding to float16 / bfloat16 is then correctly
// rounded (no double-rounding error).
inline float round_to_odd_float(double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) != v && v == v) {
    uint32_t b = float_bits(f);
    if ((b & 1u) == 0) {
      const bool above =
          (f > 0 ? static_cast<double>(f) : -static_cast<double>(f)) > (v > 0 ? v : -v);
      b = above ? b - 1 : b + 1;
      f = bits_float(b);
    }
  }
  return f;
}

template <typename S, typename C>
inline S store_as(C v) {
  if constexpr (std::is_same_v<S, Half>) {
    if constexpr (std::is_same_v<C, double>) return float_to_half(round_to_odd_float(v));
    return float_to_half(static_cast<float>(v));
  } else if constexpr (std::is_same_v<S, BFloat16>) {
    if constexpr (std::is_same_v<C, double>) return float_to_bfloat16(round_to_odd_float(v));
    return float_to_bfloat16(static_cast<float>(v));
  } else if constexpr (std::is_same_v<S, bool>) {
    return v != C(0);
  } else if constexpr (std::is_integral_v<S> && std::is_floating_point_v<C>) {
    // Float to integer: truncate toward zero like C++ and PyTorch; NaN and out-of-range give 0
    // instead of undefined behaviour.
    if constexpr (std::is_same_v<S, uint64_t>) {
      if (v >= 0x1p63 && v < 0x1p64) return static_cast<S>(v);
    }
    if (!(v >= -0x1p63 && v < 0x1p63)) return S(0);  // the int64 range, exactly
    return static_cast<S>(static_cast<int64_t>(v));
  } else {
    return static_cast<S>(v);
  }
}

}  // namespace wgml
