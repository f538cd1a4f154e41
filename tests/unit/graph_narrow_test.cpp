// graph::kNarrowOp, the step behind data-dependent output sizes: symbolic shapes downstream, the
// run-time slice, constant counts folded to a plain slice, and counts that do not fit.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "wgml/graph/graph_builder.h"
#include "wgml/runtime/dispatch.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::graph {
namespace {

Tensor count_tensor(int32_t n) {
  return Tensor::from_vector(std::vector<int32_t>{n}, {1}, DType::Int32);
}

TEST(GraphNarrow, DownstreamShapesFollowANewSymbolAndTheRunSlices) {
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {2, ""}});
  const ValueId c = b.input("c", DType::Int32, true, {{1, ""}});
  const ValueId y = b.add(kNarrowOp, {x, c}, {{"symbol", std::string("picked")}}, {}, "test").at(0);
  const ValueId z = b.add("mul", {y, y}).at(0);
  b.set_outputs({z}, {"z"});
  EXPECT_EQ(sym_shape_str(g.value(z).shape), "[picked_1, 2]");
  EXPECT_TRUE(g.inference_note.empty()) << g.inference_note;

  const Tensor input = Tensor::from_vector(std::vector<float>{1, -2, 3, -4, 5, -6, 7, -8, 9, 10},
                                           {5, 2}, DType::Float32);
  GraphExecutor exec(g, cpu_device());
  for (int32_t n : {0, 3, 5}) {
    const Tensor got = exec.run({input, count_tensor(n)}).at(0);
    const Tensor first = run_op1("slice", {input}, {{"starts", Ints{0}}, {"ends", Ints{n}}});
    EXPECT_EQ(got.shape(), (Shape{n, 2}));
    EXPECT_EQ(got.to_vector<float>(), run_op1("mul", {first, first}).to_vector<float>());
  }
  expect_error(
      [&] {
        exec.run({input, count_tensor(6)});
      },
      {"test", "narrow: count 6 does not fit axis 0 of [5, 2]"});
  expect_error([&] { exec.run({input, count_tensor(-1)}); }, {"narrow: count -1"});
}

TEST(GraphNarrow, AConstantCountIsAPlainSlice) {
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{4, ""}});
  const ValueId c = b.constant(count_tensor(3));
  const ValueId y = b.add(kNarrowOp, {x, c}).at(0);
  EXPECT_EQ(sym_shape_str(g.value(y).shape), "[3]");
  for (const Node& node : g.nodes)
    EXPECT_NE(node.op, kNarrowOp);
}

}  // namespace
}  // namespace wgml::graph
