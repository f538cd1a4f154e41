// Bad input raises wgml::Error whose message names the op and what is wrong.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "wgml/core/tensor.h"
#include "wgml/runtime/dispatch.h"

namespace wgml {
namespace {

TEST(Errors, MismatchedShapesNameTheOpAndShapes) {
  expect_error([] { run_op("add", {ones({2, 3}), ones({4})}); }, {"add", "[2, 3]", "[4]"});
}

TEST(Errors, WrongDTypeNamesTheInputAndTheAcceptedTypes) {
  expect_error([] { run_op("exp", {ones({2}, DType::Int32)}); }, {"exp", "int32", "float32"});
  expect_error(
      [] {
        run_op("add", {ones({2}), ones({2}, DType::Float16)});
      },
      {"add", "float16", "float32"});
}

TEST(Errors, OutOfRangeAxis) {
  expect_error([] { run_op("sum", {ones({2, 3})}, {{"axes", Ints{2}}}); }, {"sum", "axis 2"});
  expect_error([] { run_op("argmax", {ones({2, 3})}, {{"axis", int64_t{-3}}}); }, {"argmax"});
}

TEST(Errors, UnknownOpsAndAttributes) {
  expect_error([] { run_op("addd", {ones({1})}); }, {"unknown op 'addd'"});
  expect_error(
      [] {
        run_op("leaky_relu", {ones({1})}, {{"slope", 0.2}});
      },
      {"leaky_relu", "slope", "alpha"});
  expect_error([] { run_op("reshape", {ones({2, 3})}); }, {"reshape", "'shape' is required"});
  expect_error(
      [] {
        run_op("reshape", {ones({2, 3})}, {{"shape", Ints{4, -1}}});
      },
      {"reshape", "[2, 3]", "[4, -1]"});
  expect_error([] { run_op("add", {ones({1})}); }, {"add", "inputs, got 1"});
}

}  // namespace
}  // namespace wgml
