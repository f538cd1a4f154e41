// Bad input to the movement ops raises wgml::Error naming the op, the shapes and the problem.
#include <gtest/gtest.h>

#include <cmath>

#include "expect_error.h"
#include "wgml/core/tensor.h"
#include "wgml/runtime/dispatch.h"

namespace wgml {
namespace {

TEST(MovementErrors, Pad) {
  expect_error(
      [] {
        run_op("pad", {ones({2, 3})}, {{"pads", Ints{1, 1}}});
      },
      {"pad", "[1, 1]", "[2, 3]", "2 * rank = 4"});
  expect_error(
      [] {
        run_op("pad", {ones({2, 3})}, {{"pads", Ints{0, 3, 0, 0}}, {"mode", "reflect"}});
      },
      {"pad", "reflect", "axis 1", "[2, 3]"});
  expect_error(
      [] {
        run_op("pad", {ones({2, 3})}, {{"pads", Ints{0, -2, 0, -2}}});
      },
      {"pad", "crop axis 1", "below zero"});
  expect_error(
      [] {
        run_op("pad", {ones({2})}, {{"pads", Ints{1, 1}}, {"mode", "wrap"}});
      },
      {"pad", "unknown mode 'wrap'"});
}

TEST(MovementErrors, Concat) {
  expect_error(
      [] {
        run_op("concat", {ones({2, 3}), ones({2, 4})}, {{"axis", int64_t{0}}});
      },
      {"concat", "input 1", "[2, 4]", "[2, 3]", "axis 0"});
  expect_error(
      [] {
        run_op("concat", {ones({2, 3}), ones({2, 3, 1})}, {{"axis", int64_t{1}}});
      },
      {"concat", "[2, 3, 1]"});
  expect_error(
      [] {
        run_op("concat", {ones({2, 3}), ones({2, 3}, DType::Int32)});
      },
      {"concat", "int32", "float32"});
  expect_error(
      [] {
        run_op("concat", {ones({2, 3})}, {{"axis", int64_t{2}}});
      },
      {"concat", "axis 2"});
}

TEST(MovementErrors, TileTriluOneHotArange) {
  expect_error(
      [] {
        run_op("tile", {ones({2, 3})}, {{"repeats", Ints{2}}});
      },
      {"tile", "[2]", "[2, 3]"});
  expect_error([] { run_op("tile", {ones({2})}, {{"repeats", Ints{-1}}}); }, {"tile", "negative"});
  expect_error([] { run_op("trilu", {ones({3})}); }, {"trilu", "[3]", "at least 2"});
  expect_error([] { run_op("one_hot", {ones({3}, DType::Int64)}); }, {"one_hot", "'depth'"});
  expect_error(
      [] {
        run_op("one_hot", {ones({3}, DType::Int64)}, {{"depth", int64_t{0}}});
      },
      {"one_hot", "depth must be positive"});
  expect_error(
      [] {
        run_op("one_hot", {ones({3})}, {{"depth", int64_t{4}}});
      },
      {"one_hot", "float32"});
  expect_error(
      [] {
        run_op("one_hot", {ones({3}, DType::Int32)}, {{"depth", int64_t{4}}, {"axis", int64_t{2}}});
      },
      {"one_hot", "axis 2"});
  expect_error(
      [] {
        run_op("arange", {}, {{"limit", 5.0}, {"delta", 0.0}});
      },
      {"arange", "delta must not be 0"});
  expect_error(
      [] {
        run_op("arange", {}, {{"limit", 5.0}, {"dtype", "bool"}});
      },
      {"arange", "bool"});
  expect_error(
      [] {
        run_op("arange", {}, {{"limit", 5.0}, {"dtype", "complex64"}});
      },
      {"complex64"});
}

TEST(MovementErrors, ResizeOfAnEmptyInputToANonEmptyOutput) {
  expect_error(
      [] {
        run_op("resize", {ones({0, 2})}, {{"sizes", Ints{2, 4}}});
      },
      {"resize", "[0, 2]", "is empty", "[2, 4]"});
}

TEST(MovementErrors, GridSampleShapesAndModes) {
  expect_error(
      [] {
        run_op("grid_sample", {ones({2, 3, 4, 4}), ones({2, 5, 5, 3})});
      },
      {"grid_sample", "grid [2, 5, 5, 3]", "[N, out spatial..., 2]", "[2, 3, 4, 4]"});
  expect_error(
      [] {
        run_op("grid_sample", {ones({2, 3, 4, 4}), ones({1, 5, 5, 2})});
      },
      {"grid_sample", "N = 2"});
  expect_error(
      [] {
        run_op("grid_sample", {ones({2, 3}), ones({2, 3})});
      },
      {"grid_sample", "at least one spatial axis"});
  expect_error(
      [] {
        run_op("grid_sample", {ones({1, 1, 2, 2}), ones({1, 1, 1, 2})}, {{"mode", "bilinear"}});
      },
      {"grid_sample", "unknown mode 'bilinear'", "linear"});
  expect_error(
      [] {
        run_op("grid_sample", {ones({1, 1, 2, 2}), ones({1, 1, 1, 2})}, {{"padding_mode", "wrap"}});
      },
      {"grid_sample", "padding_mode 'wrap'"});
  expect_error(
      [] {
        run_op("grid_sample", {ones({1, 1, 2, 2}), ones({1, 1, 1, 2}, DType::Float16)});
      },
      {"grid_sample", "float16", "float32"});
}

TEST(MovementErrors, RoiAlignShapesIndicesAndGrids) {
  const Tensor image = ones({2, 3, 8, 8});
  const auto indices = [](std::vector<int64_t> v) {
    const auto n = static_cast<int64_t>(v.size());
    return Tensor::from_vector(v, {n}, DType::Int64);
  };
  expect_error(
      [&] {
        run_op("roi_align", {image, ones({3, 5}), indices({0, 1, 0})});
      },
      {"roi_align", "rois [3, 5]", "[num_rois, 4]"});
  expect_error(
      [&] {
        run_op("roi_align", {image, ones({3, 4}), indices({0, 1})});
      },
      {"roi_align", "batch_indices [2]", "[3]"});
  expect_error(
      [&] {
        run_op("roi_align", {image, ones({2, 4}), indices({0, 2})});
      },
      {"roi_align", "batch_indices[1] = 2", "2 image(s)"});
  const Tensor huge =
      Tensor::from_vector(std::vector<float>{0, 0, 1e9f, 1e9f}, {1, 4}, DType::Float32);
  expect_error(
      [&] {
        run_op("roi_align", {image, huge, indices({0})});
      },
      {"roi_align", "ROI 0", "sampling grid", "sampling_ratio"});
  const Tensor nan = Tensor::from_vector(std::vector<float>{0, NAN, 1, 1}, {1, 4}, DType::Float32);
  expect_error(
      [&] {
        run_op("roi_align", {image, nan, indices({0})});
      },
      {"roi_align", "ROI 0", "not finite"});
  expect_error(
      [&] {
        run_op("roi_align", {image, ones({1, 4}), indices({0})}, {{"mode", "median"}});
      },
      {"roi_align", "unknown mode 'median'"});
}

TEST(MovementErrors, NonMaxSuppressionShapes) {
  const Tensor limit = Tensor::from_vector(std::vector<int64_t>{3}, {1}, DType::Int64);
  const Tensor iou = ones({1}), threshold = ones({1});
  expect_error(
      [&] {
        run_op("non_max_suppression", {ones({1, 5, 3}), ones({1, 2, 5}), limit, iou, threshold});
      },
      {"non_max_suppression", "boxes [1, 5, 3]", "[batch, boxes, 4]"});
  expect_error(
      [&] {
        run_op("non_max_suppression", {ones({1, 5, 4}), ones({1, 2, 6}), limit, iou, threshold});
      },
      {"non_max_suppression", "scores [1, 2, 6]", "[1, classes, 5]"});
  expect_error(
      [&] {
        run_op("non_max_suppression",
               {ones({1, 5, 4}), ones({1, 2, 5}), limit, ones({2}), threshold});
      },
      {"non_max_suppression", "iou_threshold must hold one value"});
  expect_error(
      [&] {
        run_op("non_max_suppression", {ones({1, 5, 4}), ones({1, 2, 5}), limit, iou, threshold},
               {{"center_point_box", int64_t{2}}});
      },
      {"non_max_suppression", "center_point_box 2"});
}

}  // namespace
}  // namespace wgml
