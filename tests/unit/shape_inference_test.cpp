// Symbolic shape inference in the GraphBuilder: sizes that small probe sizes could not take (a
// 512-tap convolution), dims smaller than any probe, dtypes known where shapes are not. Expected
// expressions are worked out by hand from ONNX's size formulas; runs check them against the CPU.
#include <gtest/gtest.h>

#include "wgml/graph/graph_builder.h"
#include "wgml/runtime/dispatch.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::graph {
namespace {

Tensor filled(const Shape& shape, float start) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = start + 0.001f * static_cast<float>(i % 997);
  return Tensor::from_vector(v, shape, DType::Float32);
}

TEST(ShapeInference, ALongConvolutionOverADynamicLengthGetsItsFormula) {
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "batch"}, {1, ""}, {-1, "n"}});
  const ValueId w = b.constant(filled({4, 1, 512}, 0.5f));
  const ValueId y = b.add("conv", {x, w}, {{"strides", Ints{160}}}).at(0);
  b.set_outputs({y}, {"y"});
  // floor((n - 512)/160) + 1 = floor((n - 352)/160) = floor((n + 128)/160) - 3.
  EXPECT_EQ(sym_shape_str(g.value(y).shape), "[batch, 4, floor((n + 128)/160) - 3]");
  EXPECT_TRUE(g.inference_note.empty()) << g.inference_note;
  GraphExecutor exec(g, cpu_device());
  for (int64_t n : {512, 671, 672, 16000}) {
    const Tensor out = exec.run({filled({2, 1, n}, 0.25f)}).at(0);
    EXPECT_EQ(out.shape(), (Shape{2, 4, (n - 512) / 160 + 1})) << n;
  }
}

TEST(ShapeInference, DimsSmallerThanAnyProbeSizeStaySymbolic) {
  // A positional table of 16 rows sliced to the sequence length (seq <= 16), added to x.
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "batch"}, {-1, "seq"}, {4, ""}});
  const ValueId table = b.constant(filled({16, 4}, 1.0f));
  const ValueId seq = b.add(kShapeOp, {x}, {{"start", int64_t{1}}, {"end", int64_t{2}}}).at(0);
  const ValueId rows =
      b.add("slice", {table}, {{"starts", Ints{0}}, {"axes", Ints{0}}}, {{"ends", seq}}).at(0);
  const ValueId y = b.add("add", {x, rows}).at(0);
  b.set_outputs({y}, {"y"});
  EXPECT_EQ(g.value(seq).placement, Placement::Host);
  EXPECT_EQ(sym_shape_str(g.value(rows).shape), "[min(seq, 16), 4]");
  EXPECT_EQ(sym_shape_str(g.value(y).shape), "[batch, seq, 4]");
  GraphExecutor exec(g, cpu_device());
  const Tensor out = exec.run({filled({3, 5, 4}, 0.0f)}).at(0);
  EXPECT_EQ(out.shape(), (Shape{3, 5, 4}));
}

TEST(ShapeInference, DtypesAreKnownWhereShapesAreNot) {
  // A reshape whose target shape is data computed on the device: the size is known only when
  // the node runs, the element type always.
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float16, true, {{-1, "n"}});
  const ValueId target = b.input("target", DType::Int64, true, {{2, ""}});
  const ValueId r = b.add("reshape", {x}, {}, {{"shape", target}}).at(0);
  const ValueId c = b.add("cast", {r}, {{"dtype", std::string("int32")}}).at(0);
  const ValueId f = b.add("cast", {c}, {{"dtype", std::string("float32")}}).at(0);
  b.add("topk", {f}, {{"k", int64_t{1}}});
  EXPECT_FALSE(g.value(r).shape_known);
  EXPECT_EQ(g.value(r).dtype, DType::Float16);
  EXPECT_EQ(g.value(c).dtype, DType::Int32);
  const Node& topk = g.nodes.back();
  ASSERT_EQ(topk.outputs.size(), 2u);
  EXPECT_EQ(g.value(topk.outputs[0]).dtype, DType::Float32);
  EXPECT_EQ(g.value(topk.outputs[1]).dtype, DType::Int64);
  EXPECT_NE(g.inference_note.find("run time"), std::string::npos) << g.inference_note;
}

}  // namespace
}  // namespace wgml::graph
