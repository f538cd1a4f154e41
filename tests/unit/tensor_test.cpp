#include "wgml/core/tensor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "wgml/runtime/dispatch.h"

namespace wgml {
namespace {

Tensor iota(const Shape& shape, DType dtype = DType::Float32) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = double(i);
  return Tensor::from_vector(v, shape, dtype);
}

TEST(Tensor, ViewsShareStorageAndReadBackInViewOrder) {
  const Tensor x = iota({2, 3});
  const Tensor t = run_op1("permute", {x}, {{"perm", Ints{1, 0}}});
  EXPECT_EQ(t.storage(), x.storage());
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  const Tensor f = run_op1("flip", {x}, {{"axes", Ints{1}}});
  EXPECT_EQ(f.storage(), x.storage());
  EXPECT_EQ(f.to_vector<double>(), (std::vector<double>{2, 1, 0, 5, 4, 3}));
  const Tensor s =
      run_op1("slice", {x},
              {{"starts", Ints{-1}}, {"ends", Ints{-100}}, {"axes", Ints{1}}, {"steps", Ints{-2}}});
  EXPECT_EQ(s.to_vector<double>(), (std::vector<double>{2, 0, 5, 3}));
  const Tensor e = run_op1("expand", {iota({3, 1})}, {{"shape", Ints{2, 3, 2}}});
  EXPECT_EQ(e.strides(), (Strides{0, 1, 0}));
  EXPECT_EQ(e.to_vector<double>(), (std::vector<double>{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2}));
}

TEST(Tensor, ReshapeOfANonContiguousViewCopies) {
  const Tensor t = run_op1("permute", {iota({2, 3})}, {{"perm", Ints{1, 0}}});
  const Tensor r = run_op1("reshape", {t}, {{"shape", Ints{-1}}});
  EXPECT_NE(r.storage(), t.storage());
  EXPECT_EQ(r.to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
}

TEST(Tensor, ReshapeOfAViewThatAllowsItStaysAView) {
  // [4, 3, 2] permuted to [3, 4, 2]: its dims 4 and 2 stay a contiguous run, so [3, 1, 2, 2, 2]
  // splits them without moving data (as torch's view); merging 3 with 4 needs a copy.
  const Tensor t = run_op1("permute", {iota({4, 3, 2})}, {{"perm", Ints{1, 0, 2}}});
  const Tensor split = run_op1("reshape", {t}, {{"shape", Ints{3, 1, 2, 2, 2}}});
  EXPECT_EQ(split.storage(), t.storage());
  const Strides& s = split.strides();  // the stride of the size-1 dim is never used
  EXPECT_EQ((Strides{s[0], s[2], s[3], s[4]}), (Strides{2, 12, 6, 1}));
  EXPECT_EQ(split.to_vector<double>(), t.to_vector<double>());
  const Tensor merged = run_op1("reshape", {t}, {{"shape", Ints{12, 2}}});
  EXPECT_NE(merged.storage(), t.storage());
  EXPECT_EQ(merged.to_vector<double>(), t.to_vector<double>());
}

TEST(Tensor, CastTruncatesAndSaturatesNaNToZero) {
  const Tensor x =
      Tensor::from_vector(std::vector<double>{-1.7, 2.9, NAN, 3e20}, {4}, DType::Float32);
  EXPECT_EQ(run_op1("cast", {x}, {{"dtype", std::string("int32")}}).to_vector<int64_t>(),
            (std::vector<int64_t>{-1, 2, 0, 0}));
}

}  // namespace
}  // namespace wgml
