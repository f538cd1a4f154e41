// The C++ front end composes ops as PyTorch would; values checked by hand-derived arithmetic.
#include <gtest/gtest.h>

#include "wgml/api/tensor_api.h"

namespace wgml {
namespace {

TEST(TensorApi, OperatorsBroadcastAndMixWithNumbers) {
  const Tensor a =
      Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float32);
  const Tensor b = Tensor::from_vector(std::vector<float>{10, 20, 30}, {3}, DType::Float32);
  const Tensor y = (a + b) * 2.0 - 1.0;
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{21, 43, 65, 27, 49, 71}));
  EXPECT_EQ(sum(transpose(a), {1}).to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(cast(a / 2.0, DType::Int32).to_vector<int>(), (std::vector<int>{0, 1, 1, 2, 2, 3}));
}

TEST(TensorApi, IntegerArithmeticWrapsAndDividesTruncating) {
  const Tensor a = Tensor::from_vector(std::vector<int>{-7, 7, 2147483647}, {3}, DType::Int32);
  EXPECT_EQ((a / 2.0).to_vector<int>(), (std::vector<int>{-3, 3, 1073741823}));
  EXPECT_EQ((a + 1.0).to_vector<int>(), (std::vector<int>{-6, 8, -2147483647 - 1}));
}

}  // namespace
}  // namespace wgml
