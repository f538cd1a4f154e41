// The meaning of each expression function on one value: double for float dtypes (rounded once
// when stored), int64 with wrap-around for integer dtypes. This is the numerical specification the
// WGSL generator follows.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "wgml/ops/expr.h"

namespace wgml::scalar {

inline int64_t wrap_add(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) + uint64_t(b));
}
inline int64_t wrap_sub(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) - uint64_t(b));
}
inline int64_t wrap_mul(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) * uint64_t(b));
}

// Integer division truncates (C, ONNX); dividing by zero yields 0 instead of a trap.
inline int64_t int_div(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return wrap_sub(0, a);  // INT64_MIN / -1 overflows: wrap instead
  return a / b;
}
inline int64_t int_fmod(int64_t a, int64_t b) {
  return (b == 0 || b == -1) ? 0 : a % b;
}
// Floor modulo: the sign follows the divisor (Python, torch.remainder, ONNX Mod with fmod=0).
inline int64_t int_mod(int64_t a, int64_t b) {
  const int64_t r = int_fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
inline int64_t int_pow(int64_t base, int64_t exponent) {
  if (exponent < 0) return (base == 1) ? 1 : (base == -1 ? (exponent % 2 ? -1 : 1) : 0);
  int64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = wrap_mul(result, base);
    base = wrap_mul(base, base);
    exponent >>= 1;
  }
  return result;
}

inline double float_mod(double a, double b) {
  const double r = std::fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

template <typename C>
inline C unary(expr::Fn fn, C a) {
  using expr::Fn;
  constexpr bool kFloat = std::is_floating_point_v<C>;
  switch (fn) {
    case Fn::Neg:
      if constexpr (kFloat)
        return -a;
      else
        return wrap_sub(0, a);
    case Fn::Abs:
      if constexpr (kFloat)
        return std::fabs(a);
      else
        return a < 0 ? wrap_sub(0, a) : a;
    case Fn::Sign:
      return C((a > 0) - (a < 0));
    case Fn::RoundF32:
      if constexpr (kFloat)
        return static_cast<C>(static_cast<float>(a));
      else
        return a;
    case Fn::Floor:
      if constexpr (kFloat)
        return std::floor(a);
      else
        return a;
    case Fn::Ceil:
      if constexpr (kFloat)
        return std::ceil(a);
      else
        return a;
    case Fn::Round:
      if constexpr (kFloat)
        return std::nearbyint(a);
      else
        return a;  // ties to even
    case Fn::IsNan:
      if constexpr (kFloat)
        return C(std::isnan(a));
      else
        return 0;
    case Fn::IsInf:
      if constexpr (kFloat)
        return C(std::isinf(a));
      else
        return 0;
    case Fn::Not:
      return C(a == 0);
    default:
      break;
  }
  if constexpr (kFloat) {
    switch (fn) {
      case Fn::Exp:
        return std::exp(a);
      case Fn::Log:
        return std::log(a);
      case Fn::Sqrt:
        return std::sqrt(a);
      case Fn::Sin:
        return std::sin(a);
      case Fn::Cos:
        return std::cos(a);
      case Fn::Tan:
        return std::tan(a);
      case Fn::Tanh:
        return std::tanh(a);
      case Fn::Asin:
        return std::asin(a);
      case Fn::Acos:
        return std::acos(a);
      case Fn::Atan:
        return std::atan(a);
      case Fn::Erf:
        return std::erf(a);
      case Fn::Erfc:
        return std::erfc(a);
      case Fn::Log1p:
        return std::log1p(a);
      case Fn::Expm1:
        return std::expm1(a);
      default:
        break;
    }
  }
  return std::numeric_limits<C>::quiet_NaN();  // the op table never pairs these with integers
}

template <typename C>
inline C binary(expr::Fn fn, C a, C b) {
  using expr::Fn;
  constexpr bool kFloat = std::is_floating_point_v<C>;
  switch (fn) {
    case Fn::Add:
      if constexpr (kFloat)
        return a + b;
      else
        return wrap_add(a, b);
    case Fn::Sub:
      if constexpr (kFloat)
        return a - b;
      else
        return wrap_sub(a, b);
    case Fn::Mul:
      if constexpr (kFloat)
        return a * b;
      else
        return wrap_mul(a, b);
    case Fn::Div:
      if constexpr (kFloat)
        return a / b;
      else
        return int_div(a, b);
    case Fn::Pow:
      if constexpr (kFloat)
        return std::pow(a, b);
      else
        return int_pow(a, b);
    case Fn::Mod:
      if constexpr (kFloat)
        return float_mod(a, b);
      else
        return int_mod(a, b);
    case Fn::FMod:
      if constexpr (kFloat)
        return std::fmod(a, b);
      else
        return int_fmod(a, b);
    case Fn::Max:
      if constexpr (kFloat) {
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<C>::quiet_NaN();
      }
      return a > b ? a : b;
    case Fn::Min:
      if constexpr (kFloat) {
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<C>::quiet_NaN();
      }
      return a < b ? a : b;
    case Fn::Eq:
      return C(a == b);
    case Fn::Ne:
      return C(a != b);
    case Fn::Lt:
      return C(a < b);
    case Fn::Le:
      return C(a <= b);
    case Fn::Gt:
      return C(a > b);
    case Fn::Ge:
      return C(a >= b);
    case Fn::And:
      return C(a != 0 && b != 0);
    case Fn::Or:
      return C(a != 0 || b != 0);
    case Fn::Xor:
      return C((a != 0) != (b != 0));
    default:
      return C(0);
  }
}

}  // namespace wgml::scalar
