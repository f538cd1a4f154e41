// The harness comparison must reject wrong results, or the op suite could not fail.
#include "../harness/compare.h"

#include <gtest/gtest.h>

#include <cmath>

namespace wgml::harness {
namespace {

Tensor f32(std::vector<float> v) {
  const Shape shape{static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, shape, DType::Float32);
}

TEST(Compare, AcceptsRoundingAndRejectsRealErrors) {
  const Tolerance tol;
  EXPECT_TRUE(compare(f32({1.0f, -2.0f}), f32({1.0f, -2.0f}), tol).ok);
  EXPECT_TRUE(compare(f32({1.000001f}), f32({1.0f}), tol).ok);
  EXPECT_FALSE(compare(f32({1.0001f}), f32({1.0f}), tol).ok);
  EXPECT_FALSE(compare(f32({1e-3f}), f32({2e-3f}), tol).ok);  // small values are not free
}

TEST(Compare, NaNInfShapeAndDTypeMustMatch) {
  const Tolerance tol;
  EXPECT_TRUE(compare(f32({NAN, INFINITY}), f32({NAN, INFINITY}), tol).ok);
  EXPECT_FALSE(compare(f32({0.0f}), f32({NAN}), tol).ok);
  EXPECT_FALSE(compare(f32({NAN}), f32({0.0f}), tol).ok);
  EXPECT_FALSE(compare(f32({-INFINITY}), f32({INFINITY}), tol).ok);
  EXPECT_FALSE(compare(f32({1, 2}), f32({1}), tol).ok);
  const Tensor i = Tensor::from_vector(std::vector<int>{1}, {1}, DType::Int32);
  EXPECT_FALSE(compare(i, f32({1}), tol).ok);
}

TEST(Compare, IntegersAreExact) {
  const Tensor a =
      Tensor::from_vector(std::vector<int64_t>{1, (int64_t(1) << 60) + 1}, {2}, DType::Int64);
  const Tensor b =
      Tensor::from_vector(std::vector<int64_t>{1, int64_t(1) << 60}, {2}, DType::Int64);
  EXPECT_FALSE(compare(a, b, Tolerance{}).ok);
  EXPECT_TRUE(compare(a, a, Tolerance{}).ok);
}

TEST(Compare, FrobeniusAveragesOverTheTensor) {
  Tolerance tol{ErrorMetric::Frobenius};
  EXPECT_TRUE(compare(f32({100.0f, 1.00001f}), f32({100.0f, 1.0f}), tol).ok);
  EXPECT_FALSE(compare(f32({100.0f, 1.1f}), f32({100.0f, 1.0f}), tol).ok);
}

}  // namespace
}  // namespace wgml::harness
