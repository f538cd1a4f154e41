// Random ops (a counter hash written with int32 elementwise ops) and sequences (lists known at
// load): shapes, dtypes, determinism for a seed and the moments of each distribution.
#include <gtest/gtest.h>

#include <cmath>

#include "wgml/frontends/onnx/onnx_importer.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::onnx {
namespace {

AttributeProto int_attr(const std::string& name, int64_t v) {
  AttributeProto a;
  a.name = name;
  a.type = AttributeProto::Int;
  a.i = v;
  return a;
}
AttributeProto float_attr(const std::string& name, float v) {
  AttributeProto a;
  a.name = name;
  a.type = AttributeProto::Float;
  a.f = v;
  return a;
}
AttributeProto ints_attr(const std::string& name, std::vector<int64_t> v) {
  AttributeProto a;
  a.name = name;
  a.type = AttributeProto::Ints;
  a.ints = std::move(v);
  return a;
}

// One node, no graph inputs (or `inputs`), one output.
std::vector<Tensor> run_node(const std::string& op, std::vector<AttributeProto> attrs,
                             std::vector<ValueInfo> inputs = {}, std::vector<Tensor> feeds = {},
                             size_t outputs = 1) {
  ModelProto m;
  m.ir_version = 8;
  m.opset_imports.push_back({"", 15});
  NodeProto n;
  n.op_type = op;
  n.name = op;
  for (const ValueInfo& v : inputs)
    n.inputs.push_back(v.name);
  for (size_t i = 0; i < outputs; ++i)
    n.outputs.push_back("y" + std::to_string(i));
  n.attributes = std::move(attrs);
  m.graph.nodes = {n};
  m.graph.inputs = std::move(inputs);
  for (size_t i = 0; i < outputs; ++i) {
    ValueInfo v;
    v.name = "y" + std::to_string(i);
    v.kind = ValueInfo::Kind::Tensor;
    m.graph.outputs.push_back(v);
  }
  const ImportedModel imported = import_model(m, ".", "random.onnx");
  GraphExecutor exec(imported.graph, cpu_device());
  return exec.run(feeds);
}

void moments(const std::vector<float>& v, double& mean, double& var) {
  mean = 0;
  for (float x : v)
    mean += x;
  mean /= static_cast<double>(v.size());
  var = 0;
  for (float x : v)
    var += (x - mean) * (x - mean);
  var /= static_cast<double>(v.size());
}

TEST(OnnxRandom, UniformMomentsAndDeterminism) {
  const std::vector<AttributeProto> attrs = {ints_attr("shape", {200, 100}), float_attr("low", -1),
                                             float_attr("high", 3), float_attr("seed", 5)};
  const Tensor a = run_node("RandomUniform", attrs).at(0);
  EXPECT_EQ(a.shape(), (Shape{200, 100}));
  EXPECT_EQ(a.dtype(), DType::Float32);
  const std::vector<float> v = a.to_vector<float>();
  double mean, var;
  moments(v, mean, var);
  EXPECT_NEAR(mean, 1.0, 0.05);
  EXPECT_NEAR(var, 16.0 / 12.0, 0.05);
  for (float x : v) {
    ASSERT_GE(x, -1.0f);
    ASSERT_LT(x, 3.0f);
  }
  // Deciles are even: no lattice or bias from the hash.
  std::vector<int> bins(10, 0);
  for (float x : v)
    ++bins[std::min(9, static_cast<int>((x + 1) / 4 * 10))];
  for (int b : bins)
    EXPECT_NEAR(b, 2000, 200);
  EXPECT_EQ(run_node("RandomUniform", attrs).at(0).to_vector<float>(), v);  // same seed
  std::vector<AttributeProto> other = attrs;
  other.back() = float_attr("seed", 6);
  EXPECT_NE(run_node("RandomUniform", other).at(0).to_vector<float>(), v);
}

TEST(OnnxRandom, NormalMoments) {
  const Tensor a = run_node("RandomNormal", {ints_attr("shape", {50000}), float_attr("mean", 2),
                                             float_attr("scale", 0.5f), float_attr("seed", 1)})
                       .at(0);
  double mean, var;
  moments(a.to_vector<float>(), mean, var);
  EXPECT_NEAR(mean, 2.0, 0.01);
  EXPECT_NEAR(var, 0.25, 0.01);
  // Like: the input's shape and dtype.
  ValueInfo x;
  x.name = "x";
  x.kind = ValueInfo::Kind::Tensor;
  x.elem_type = static_cast<int32_t>(ElemType::Float);
  x.has_shape = true;
  x.shape.resize(2);
  x.shape[0].has_value = x.shape[1].has_value = true;
  x.shape[0].value = 3;
  x.shape[1].value = 7;
  const Tensor like =
      run_node("RandomNormalLike", {}, {x}, {Tensor::empty({3, 7}, DType::Float32)}).at(0);
  EXPECT_EQ(like.shape(), (Shape{3, 7}));
}

TEST(OnnxRandom, BernoulliAndMultinomial) {
  ValueInfo p;
  p.name = "p";
  p.kind = ValueInfo::Kind::Tensor;
  p.elem_type = static_cast<int32_t>(ElemType::Float);
  p.has_shape = true;
  p.shape.resize(1);
  p.shape[0].param = "n";
  const Tensor probs =
      Tensor::from_vector(std::vector<float>(20000, 0.3f), {20000}, DType::Float32);
  const Tensor b = run_node("Bernoulli", {float_attr("seed", 2)}, {p}, {probs}).at(0);
  double mean, var;
  moments(b.to_vector<float>(), mean, var);
  EXPECT_NEAR(mean, 0.3, 0.015);

  ValueInfo logits = p;
  logits.name = "l";
  logits.shape.resize(2);
  logits.shape[0] = {true, 2, ""};
  logits.shape[1] = {true, 3, ""};
  const Tensor l = Tensor::from_vector(std::vector<float>{0, 0, 0, 0, std::log(3.0f), -100}, {2, 3},
                                       DType::Float32);
  const Tensor s =
      run_node("Multinomial", {int_attr("sample_size", 8000), float_attr("seed", 3)}, {logits}, {l})
          .at(0);
  EXPECT_EQ(s.shape(), (Shape{2, 8000}));
  EXPECT_EQ(s.dtype(), DType::Int32);
  const std::vector<int64_t> idx = s.to_vector<int64_t>();
  std::vector<int> row0(3, 0), row1(3, 0);
  for (size_t i = 0; i < 8000; ++i) {
    ++row0[static_cast<size_t>(idx[i])];
    ++row1[static_cast<size_t>(idx[8000 + i])];
  }
  for (int c : row0)
    EXPECT_NEAR(c, 8000 / 3, 250);
  EXPECT_NEAR(row1[0], 2000, 200);
  EXPECT_NEAR(row1[1], 6000, 200);
  EXPECT_EQ(row1[2], 0);
}

}  // namespace
}  // namespace wgml::onnx
