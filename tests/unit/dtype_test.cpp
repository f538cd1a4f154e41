#include "wgml/core/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "wgml/core/error.h"

namespace wgml {
namespace {

TEST(DType, NamesRoundTrip) {
  for (DType t : kAllDTypes)
    EXPECT_EQ(dtype_from_name(dtype_name(t)), t);
  EXPECT_THROW(dtype_from_name("float64x"), Error);
}

TEST(BFloat16, RoundsToNearestEvenAndRoundTrips) {
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-8f).bits, 0x3f80);  // a tie: to even
  EXPECT_EQ(float_to_bfloat16(1.0f + 3 * 0x1p-8f).bits, 0x3f82);
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-8f + 0x1p-20f).bits, 0x3f81);
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(NAN))));
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const BFloat16 h{uint16_t(bits)};
    const float f = bfloat16_to_float(h);
    if (!std::isnan(f)) EXPECT_EQ(float_to_bfloat16(f).bits, h.bits) << "bits " << bits;
  }
}

TEST(Half, DoublesRoundOnceToHalf) {
  // Rounded to float first, 1 + 2^-11 + 2^-40 lands on a tie that rounds down; rounded once
  // (as numpy does) it rounds up.
  EXPECT_EQ((store_as<Half, double>(1.0 + 0x1p-11 + 0x1p-40).bits), 0x3c01);
  EXPECT_EQ((store_as<Half, double>(1.0 + 0x1p-11).bits), 0x3c00);
  EXPECT_EQ((store_as<uint64_t, double>(0x1p63)), uint64_t(1) << 63);
}

TEST(Half, EveryHalfSurvivesARoundTripThroughFloat) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const Half h{uint16_t(bits)};
    const float f = half_to_float(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f))));
      continue;
    }
    EXPECT_EQ(float_to_half(f).bits, h.bits) << "bits " << bits;
  }
}

#ifdef __FLT16_MAX__
// The compiler's _Float16 conversion is an independent reference for rounding to nearest even.
TEST(Half, RoundingMatchesTheCompilersFloat16) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 2000000; ++i) {
    const float f = bits_float(any_bits(rng));
    if (std::isnan(f)) continue;
    const _Float16 ref = static_cast<_Float16>(f);
    uint16_t ref_bits;
    std::memcpy(&ref_bits, &ref, 2);
    ASSERT_EQ(float_to_half(f).bits, ref_bits) << "float " << f;
  }
}
#endif

TEST(Half, KnownValues) {
  EXPECT_EQ(half_to_float(Half{0x3c00}), 1.0f);
  EXPECT_EQ(half_to_float(Half{0xc000}), -2.0f);
  EXPECT_EQ(half_to_float(Half{0x7bff}), 65504.0f);
  EXPECT_EQ(half_to_float(Half{0x0001}), std::ldexp(1.0f, -24));
  EXPECT_EQ(float_to_half(65520.0f).bits, 0x7c00);  // ties to even rounds up to infinity
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00);  // tie to even: down
}

TEST(DTypeSet, Contains) {
  EXPECT_TRUE(dtypes::kFloat.contains(DType::Float16));
  EXPECT_FALSE(dtypes::kFloat.contains(DType::Int32));
  EXPECT_TRUE(dtypes::kAll.contains(DType::Bool));
  EXPECT_EQ(dtypes::kIndex.to_string(), "{int32, int64}");
}

}  // namespace
}  // namespace wgml
