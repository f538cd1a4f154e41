// Bad input to the index ops raises wgml::Error naming the op, the shapes and the problem.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "wgml/core/tensor.h"
#include "wgml/runtime/dispatch.h"

namespace wgml {
namespace {

Tensor values(const std::vector<double>& v, const Shape& shape, DType dtype = DType::Float32) {
  return Tensor::from_vector(v, shape, dtype);
}

TEST(IndexErrors, GatherIndexOutOfRange) {
  const Tensor data = ones({4, 3});
  expect_error(
      [&] {
        run_op("gather", {data, values({0, 4}, {2}, DType::Int64)});
      },
      {"gather", "index 4", "axis 0", "size 4", "[4, 3]"});
  expect_error(
      [&] {
        run_op("gather", {data, values({-4}, {1}, DType::Int32)}, {{"axis", int64_t{-1}}});
      },
      {"gather", "index -4", "axis 1", "size 3"});
  expect_error([&] { run_op("gather", {data, ones({1})}); }, {"gather", "indices", "float32"});
  expect_error(
      [&] {
        run_op("gather", {data, ones({1}, DType::Int64)}, {{"axis", int64_t{2}}});
      },
      {"gather", "axis 2"});
  expect_error(
      [] {
        run_op("embedding", {ones({4}), ones({1}, DType::Int64)});
      },
      {"embedding", "[4]", "2-d"});
  expect_error(
      [] {
        run_op("embedding", {ones({4, 2}), values({9}, {1}, DType::Int64)});
      },
      {"index 9", "size 4"});
}

TEST(IndexErrors, GatherElements) {
  expect_error(
      [] {
        run_op("gather_elements", {ones({2, 3}), ones({2}, DType::Int64)});
      },
      {"gather_elements", "[2]", "[2, 3]", "rank"});
  expect_error(
      [] {
        run_op("gather_elements", {ones({2, 3}), ones({2, 4}, DType::Int64)});
      },
      {"gather_elements", "[2, 4]", "[2, 3]"});
  expect_error(
      [] {
        run_op("gather_elements", {ones({2, 3}), values({0, 5}, {1, 2}, DType::Int64)},
               {{"axis", int64_t{1}}});
      },
      {"gather_elements", "index 5", "axis 1", "size 3"});
}

TEST(IndexErrors, ScatterND) {
  const Tensor data = ones({4, 3});
  expect_error(
      [&] {
        run_op("scatter_nd", {data, ones({2, 3}, DType::Int64), ones({2})});
      },
      {"scatter_nd", "[2, 3]", "[4, 3]"});
  expect_error(
      [&] {
        run_op("scatter_nd", {data, ones({2, 1}, DType::Int64), ones({2, 2})});
      },
      {"scatter_nd", "updates [2, 2]", "[2, 3]"});
  expect_error(
      [&] {
        run_op("scatter_nd", {data, values({7}, {1, 1}, DType::Int64), ones({1, 3})});
      },
      {"scatter_nd", "index 7", "axis 0", "size 4"});
  expect_error(
      [&] {
        run_op("scatter_nd", {data, ones({1, 1}, DType::Int64), ones({1, 3}, DType::Int32)});
      },
      {"scatter_nd", "int32", "float32"});
  expect_error(
      [&] {
        run_op("scatter_nd", {data, ones({1, 1}, DType::Int64), ones({1, 3})},
               {{"reduction", "sum"}});
      },
      {"scatter_nd", "unknown reduction 'sum'"});
}

}  // namespace
}  // namespace wgml
