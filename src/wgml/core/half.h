// IEEE 754 binary16 storage type with exact conversions to and from float.
#pragma once

#include <cstdint>
#include <cstring>

namespace wgml {

struct Half {
  uint16_t bits = 0;
};

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float half_to_float(Half h) {
  const uint32_t sign = uint32_t(h.bits & 0x8000u) << 16;
  const uint32_t exponent = (h.bits >> 10) & 0x1fu;
  uint32_t mantissa = h.bits & 0x3ffu;
  if (exponent == 0x1f) return bits_float(sign | 0x7f800000u | (mantissa << 13));  // inf, nan
  if (exponent != 0) return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0) return bits_float(sign);
  // Subnormal half: value = mantissa * 2^-24, exact in float.
  const float magnitude = float(mantissa) * 5.9604644775390625e-8f;
  return sign ? -magnitude : magnitude;
}

// Round to nearest, ties to even, as hardware conversions do.
inline Half float_to_half(float f) {
  const uint32_t u = float_bits(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t abs_bits = u & 0x7fffffffu;
  if (abs_bits >= 0x7f800000u) {  // inf or nan (keep nan quiet and non-zero)
    return {uint16_t(sign | 0x7c00u | (abs_bits > 0x7f800000u ? 0x200u : 0u))};
  }
  if (abs_bits >= 0x477ff000u) return {uint16_t(sign | 0x7c00u)};  // rounds past 65504: inf
  if (abs_bits < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    // Scale into units of 2^-24 and let float addition round to nearest even.
    const float scaled = bits_float(abs_bits) * 16777216.0f;  // 2^24
    const float rounded = scaled + 8388608.0f - 8388608.0f;   // round to integer, ties to even
    return {uint16_t(sign | uint16_t(rounded))};
  }
  const uint32_t mantissa_odd = (abs_bits >> 13) & 1u;
  const uint32_t rounded = abs_bits + 0xfffu + mantissa_odd;  // ties to even on the dropped 13 bits
  return {uint16_t(sign | uint16_t((rounded - (112u << 23)) >> 13))};
}

}  // namespace wgml

namespace wgml {

// bfloat16 storage type: the high 16 bits of a float32 (8-bit exponent, 7-bit mantissa).
struct BFloat16 {
  uint16_t bits = 0;
};

inline float bfloat16_to_float(BFloat16 h) {
  return bits_float(uint32_t(h.bits) << 16);
}

// Round to nearest, ties to even (as PyTorch and ONNX's reference); NaN stays a quiet NaN.
inline BFloat16 float_to_bfloat16(float f) {
  const uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return {uint16_t((u >> 16) | 0x40u)};
  const uint32_t rounded = u + 0x7fffu + ((u >> 16) & 1u);
  return {uint16_t(rounded >> 16)};
}

}  // namespace wgml
