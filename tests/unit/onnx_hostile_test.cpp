// Hostile ONNX models, built in memory: absurd dims, overflowing sizes, windows far larger than
// their input, contradictory attributes. Each case is one the fuzzer (tests/fuzz/
// onnx_import_fuzz.cpp) or its hand-written seeds found crashing, hanging or allocating without
// bound; each must now load and run with correct results or raise a wgml::Error that names the
// node and the problem.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "expect_error.h"
#include "wgml/frontends/onnx/onnx_importer.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::onnx {
namespace {

constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kHuge = int64_t{1} << 62;

ValueInfo tensor_info(const std::string& name, ElemType type, const std::vector<int64_t>& dims) {
  ValueInfo v;
  v.name = name;
  v.kind = ValueInfo::Kind::Tensor;
  v.elem_type = static_cast<int32_t>(type);
  v.has_shape = true;
  for (int64_t d : dims) {
    Dim dim;
    dim.has_value = true;
    dim.value = d;
    v.shape.push_back(dim);
  }
  return v;
}

AttributeProto int_attr(const std::string& name, int64_t value) {
  AttributeProto a;
  a.name = name;
  a.type = AttributeProto::Int;
  a.i = value;
  return a;
}

AttributeProto ints_attr(const std::string& name, std::vector<int64_t> values) {
  AttributeProto a;
  a.name = name;
  a.type = AttributeProto::Ints;
  a.ints = std::move(values);
  return a;
}

TensorProto int64_init(const std::string& name, std::vector<int64_t> values,
                       std::vector<int64_t> dims) {
  TensorProto t;
  t.name = name;
  t.data_type = static_cast<int32_t>(ElemType::Int64);
  t.dims = std::move(dims);
  t.int64_data = std::move(values);
  return t;
}

TensorProto float_init(const std::string& name, std::vector<float> values,
                       std::vector<int64_t> dims) {
  TensorProto t;
  t.name = name;
  t.data_type = static_cast<int32_t>(ElemType::Float);
  t.dims = std::move(dims);
  t.float_data = std::move(values);
  return t;
}

// A one-node model named `name` reading x (float, shape `x_dims`, omitted when empty) and the
// initializers, writing y.
ModelProto one_node(const std::string& op, std::vector<std::string> inputs,
                    std::vector<AttributeProto> attrs, std::vector<TensorProto> inits,
                    const std::vector<int64_t>& x_dims, int64_t opset = 17) {
  ModelProto m;
  m.ir_version = 8;
  m.opset_imports.push_back({"", opset});
  NodeProto n;
  n.op_type = op;
  n.name = "evil";
  n.inputs = std::move(inputs);
  n.outputs = {"y"};
  n.attributes = std::move(attrs);
  m.graph.nodes.push_back(n);
  m.graph.initializers = std::move(inits);
  if (!x_dims.empty()) m.graph.inputs.push_back(tensor_info("x", ElemType::Float, x_dims));
  ValueInfo y;
  y.name = "y";
  y.kind = ValueInfo::Kind::Tensor;
  m.graph.outputs.push_back(y);
  return m;
}

Tensor arange_input(const Shape& shape) {  // 0.5, 1.5, ... : distinct, none zero
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(i) + 0.5f;
  return Tensor::from_vector(v, shape, DType::Float32);
}

void expect_import_error(const ModelProto& m, const std::vector<std::string>& parts) {
  expect_error([&] { import_model(m, ".", "evil.onnx"); }, parts);
}

std::vector<Tensor> run(const ModelProto& m, const std::vector<Tensor>& inputs) {
  const ImportedModel imported = import_model(m, ".", "evil.onnx");
  GraphExecutor exec(imported.graph, cpu_device());
  return exec.run(inputs);
}

TEST(OnnxHostile, OverflowingSizesAreErrorsNamingTheNode) {
  // Each of these wrapped int64 arithmetic in a shape rule (undefined behaviour, and a bogus size
  // after it).
  expect_import_error(
      one_node("Tile", {"x", "r"}, {}, {int64_init("r", {kHuge, kHuge}, {2})}, {2, 3}),
      {"evil.onnx", "Tile node 'evil'", "tile", "overflows int64"});
  expect_import_error(
      one_node("Pad", {"x", "p"}, {}, {int64_init("p", {kHuge, kHuge, kHuge, kHuge}, {4})}, {2, 3}),
      {"Pad node 'evil'", "pad: pads", "overflows int64"});
  expect_import_error(
      one_node("Reshape", {"x", "s"}, {}, {int64_init("s", {kHuge, kHuge, 0}, {3})}, {2, 3}),
      {"Reshape node 'evil'", "reshape", "overflows int64"});
  ModelProto split = one_node("Split", {"x", "s"}, {int_attr("axis", 1)},
                              {int64_init("s", {kMax64, kMax64}, {2})}, {2, 3});
  split.graph.nodes[0].outputs = {"y", "z"};
  expect_import_error(split, {"Split node 'evil'", "split: sizes", "overflows int64"});
  expect_import_error(
      one_node("ConstantOfShape", {"s"}, {}, {int64_init("s", {kHuge, 4, 4}, {3})}, {}),
      {"ConstantOfShape node 'evil'", "[4611686018427387904, 4, 4]", "64-bit"});
  const TensorProto w = float_init("w", std::vector<float>(36, 0.5f), {2, 2, 3, 3});
  expect_import_error(
      one_node("Conv", {"x", "w"}, {ints_attr("dilations", {kHuge, 1})}, {w}, {1, 2, 4, 4}),
      {"Conv node 'evil'", "conv: spatial axis 0", "overflows int64"});
  expect_import_error(
      one_node("Conv", {"x", "w"}, {ints_attr("pads", {kHuge, 0, kHuge, 0})}, {w}, {1, 2, 4, 4}),
      {"Conv node 'evil'", "conv: pads", "overflows int64"});
  expect_import_error(
      one_node("MaxPool", {"x"},
               {ints_attr("kernel_shape", {kHuge, 2}), ints_attr("dilations", {4, 1})}, {},
               {1, 2, 4, 4}),
      {"MaxPool node 'evil'", "max_pool: kernel_shape", "overflows int64"});
  expect_import_error(
      one_node("Resize", {"x", "", "sc"}, {}, {float_init("sc", {1, 1, 1e30f, 1e30f}, {4})},
               {1, 2, 4, 4}),
      {"Resize node 'evil'", "resize: scales", "make axis 2", "hold 4e+30 elements"});
  expect_import_error(
      one_node("DepthToSpace", {"x"}, {int_attr("blocksize", kHuge)}, {}, {1, 2, 4, 4}),
      {"DepthToSpace node 'evil'", "blocksize 4611686018427387904", "between 1 and"});
}

TEST(OnnxHostile, ContradictoryAttributesAreErrors) {
  // hidden_size disagreeing with R's [D, 4*H, H] overflowed 2 * 4 * hidden_size.
  ModelProto lstm = one_node("LSTM", {"x", "w", "r"}, {int_attr("hidden_size", kHuge)},
                             {float_init("w", std::vector<float>(12, 0.5f), {1, 4, 3}),
                              float_init("r", std::vector<float>(4, 0.5f), {1, 4, 1})},
                             {2, 1, 3});
  expect_import_error(lstm, {"LSTM node 'evil'", "hidden_size 4611686018427387904",
                             "does not match R's shape [1, 4, 1]"});
  // A conv kernel with an empty spatial axis (LpPool kernel_shape 0 made one) ran as if valid.
  expect_import_error(
      one_node("Conv", {"x", "w"}, {}, {float_init("w", {}, {2, 2, 0, 3})}, {1, 2, 4, 4}),
      {"Conv node 'evil'", "conv: W [2, 2, 0, 3] has an empty kernel axis 2"});
  // Slicing or splitting a 0-d tensor indexed past its (empty) shape.
  expect_import_error(
      one_node("Slice", {"c", "s", "e"}, {},
               {float_init("c", {1.5f}, {}), int64_init("s", {0}, {1}), int64_init("e", {1}, {1})},
               {}),
      {"Slice node 'evil'", "slice: a 0-d tensor has no axis to slice"});
  // 100 axes for Unsqueeze: ranks beyond 64 are refused (a rank of 10^5 crawled for minutes).
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < 100; ++i)
    axes.push_back(i);
  expect_import_error(one_node("Unsqueeze", {"x", "a"}, {}, {int64_init("a", axes, {100})}, {2, 3}),
                      {"Unsqueeze node 'evil'", "rank 102 is more than the 64 axes wgml supports"});
}

TEST(OnnxHostile, AbsurdAllocationsNameTheValue) {
  // ConstantOfShape [10^12] is not folded at load time (it would allocate 4 TB): it loads, and
  // running it fails naming the output and the size instead of exhausting memory.
  ModelProto cos =
      one_node("ConstantOfShape", {"s"}, {}, {int64_init("s", {1000000000000}, {1})}, {});
  const ImportedModel imported = import_model(cos, ".", "evil.onnx");
  EXPECT_EQ(imported.graph.nodes.size(), 1u);
  GraphExecutor exec(imported.graph, cpu_device());
  expect_error([&] { exec.run({}); },
               {"graph output 'y'", "cannot allocate 4000000000000 bytes", "[1000000000000]"});
  // An Expand whose result (24 TB) only exists as a broadcast view until someone reads it.
  ModelProto expand =
      one_node("Expand", {"x", "s"}, {}, {int64_init("s", {1000000, 1000000, 2, 3}, {4})}, {2, 3});
  expect_error(
      [&] {
        run(expand, {arange_input({2, 3})});
      },
      {"graph output 'y'", "cannot allocate 24000000000000 bytes"});
  // A node consuming such a tensor fails naming itself.
  ModelProto relu = one_node("Relu", {"big"}, {}, {}, {});
  relu.graph.nodes.insert(relu.graph.nodes.begin(), NodeProto());
  relu.graph.nodes[0].op_type = "Expand";
  relu.graph.nodes[0].name = "grow";
  relu.graph.nodes[0].inputs = {"x", "s"};
  relu.graph.nodes[0].outputs = {"big"};
  relu.graph.initializers.push_back(int64_init("s", {1000000, 1000000, 2, 3}, {4}));
  relu.graph.inputs.push_back(tensor_info("x", ElemType::Float, {2, 3}));
  expect_error(
      [&] {
        run(relu, {arange_input({2, 3})});
      },
      {"Relu node 'evil' (relu)", "cannot allocate 24000000000000 bytes"});
}

TEST(OnnxHostile, LargeGeneratorsRunOnTheDeviceInsteadOfFolding) {
  // 80 MB from 8 bytes of model: computed when the model runs, with the right values.
  ModelProto cos = one_node("ConstantOfShape", {"s"}, {}, {int64_init("s", {20000000}, {1})}, {});
  TensorProto value = float_init("value", {2.5f}, {1});
  AttributeProto a;
  a.name = "value";
  a.type = AttributeProto::Tensor;
  a.tensors.push_back(value);
  cos.graph.nodes[0].attributes.push_back(a);
  const ImportedModel imported = import_model(cos, ".", "m.onnx");
  ASSERT_EQ(imported.graph.nodes.size(), 1u);
  EXPECT_EQ(imported.graph.value(imported.graph.outputs[0]).placement, graph::Placement::Device);
  GraphExecutor exec(imported.graph, cpu_device());
  const Tensor y = exec.run({}).at(0);
  ASSERT_EQ(y.shape(), (Shape{20000000}));
  const std::vector<float> values = y.to_vector<float>();
  EXPECT_EQ(values.front(), 2.5f);
  EXPECT_EQ(values[12345678], 2.5f);
  EXPECT_EQ(values.back(), 2.5f);
}

TEST(OnnxHostile, HugeWindowsOverPaddingRunInTimeOfTheInput) {
  // A 2^31 x 2^31 window, almost all padding, over a 2x2 input: the kernel visited every tap
  // (2^62 steps); it now visits the taps inside the input. Reference: ONNX's definition, one
  // window covering the whole input.
  const int64_t k = int64_t{1} << 31;
  const std::vector<AttributeProto> window = {
      ints_attr("kernel_shape", {k, k}), ints_attr("pads", {k - 2, k - 2, k - 2, k - 2}),
      ints_attr("strides", {int64_t{1} << 40, int64_t{1} << 40})};
  const Tensor x = arange_input({1, 1, 2, 2});  // 0.5, 1.5, 2.5, 3.5
  EXPECT_EQ(run(one_node("MaxPool", {"x"}, window, {}, {1, 1, 2, 2}), {x})[0].to_vector<float>(),
            std::vector<float>{3.5f});
  std::vector<AttributeProto> exclude = window;
  exclude.push_back(int_attr("count_include_pad", 0));
  EXPECT_EQ(
      run(one_node("AveragePool", {"x"}, exclude, {}, {1, 1, 2, 2}), {x})[0].to_vector<float>(),
      std::vector<float>{2.0f});
  // count_include_pad: every one of the 2^62 taps counts, as the divisor.
  std::vector<AttributeProto> include = window;
  include.push_back(int_attr("count_include_pad", 1));
  const float mean =
      run(one_node("AveragePool", {"x"}, include, {}, {1, 1, 2, 2}), {x})[0].to_vector<float>()[0];
  EXPECT_FLOAT_EQ(mean, static_cast<float>(8.0 / std::ldexp(1.0, 62)));
  // LRN over 2^62 channels: alpha / size vanishes, so y = x / bias^beta = x.
  const std::vector<float> lrn =
      run(one_node("LRN", {"x"}, {int_attr("size", kHuge)}, {}, {1, 2, 2, 2}),
          {arange_input({1, 2, 2, 2})})[0]
          .to_vector<float>();
  EXPECT_EQ(lrn, arange_input({1, 2, 2, 2}).to_vector<float>());
}

TEST(OnnxHostile, ExtremeSliceStepsAndCastsAreDefined) {
  // step INT64_MIN negated and end - start + step overflowed; one element is the answer.
  const Tensor x = arange_input({2, 3});
  ModelProto back = one_node("Slice", {"x", "s", "e", "a", "st"}, {},
                             {int64_init("s", {-1}, {1}), int64_init("e", {kMin64}, {1}),
                              int64_init("a", {1}, {1}), int64_init("st", {kMin64}, {1})},
                             {2, 3});
  const Tensor b = run(back, {x})[0];
  EXPECT_EQ(b.shape(), (Shape{2, 1}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{2.5f, 5.5f}));  // x[:, 2]
  ModelProto forward = one_node("Slice", {"x", "s", "e", "a", "st"}, {},
                                {int64_init("s", {0}, {1}), int64_init("e", {kMax64}, {1}),
                                 int64_init("a", {1}, {1}), int64_init("st", {kMax64}, {1})},
                                {2, 3});
  EXPECT_EQ(run(forward, {x})[0].to_vector<float>(), (std::vector<float>{0.5f, 3.5f}));  // x[:, 0]
  // float -> int64 beyond 2^63 (9.25e18 passed the old bound): 0, as NaN and infinities give.
  ModelProto cast =
      one_node("Cast", {"c"}, {int_attr("to", static_cast<int64_t>(ElemType::Int64))},
               {float_init("c", {9.25e18f, -9.25e18f, NAN, INFINITY, 3.7f}, {5})}, {});
  EXPECT_EQ(run(cast, {})[0].to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 3}));
}

TEST(OnnxHostile, NonIntegerSliceBoundsAreErrors) {
  // Slice's bounds must be integers; a float NaN or 1e30 one has no int64 value (converting it
  // was undefined behaviour, found by the import fuzzer).
  for (const float bad : {NAN, 1e30f}) {
    ModelProto m = one_node("Slice", {"x", "s", "e", "a", "st"}, {},
                            {int64_init("s", {0}, {1}), int64_init("e", {2}, {1}),
                             int64_init("a", {1}, {1}), float_init("st", {bad}, {1})},
                            {2, 3});
    expect_error([&] { run(m, {arange_input({2, 3})}); },
                 {"Slice node", "attribute 'steps'", "not an integer in range"});
  }
}

TEST(OnnxHostile, RunTimeInputsAreChecked) {
  ModelProto m = one_node("Relu", {"x"}, {}, {}, {2, 3});
  const ImportedModel imported = import_model(m, ".", "m.onnx");
  GraphExecutor exec(imported.graph, cpu_device());
  expect_error([&] { exec.run({Tensor()}); }, {"input 'x' is missing"});
  expect_error([&] { exec.run({arange_input({6})}); },
               {"input 'x' must have shape [2, 3]", "got [6]", "rank 1 instead of 2"});
  expect_error(
      [&] {
        exec.run({arange_input({3, 2})});
      },
      {"input 'x' must have shape [2, 3]", "dim 0 is 3, the model needs 2"});
  expect_error(
      [&] {
        exec.run(
            {Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::Int64)});
      },
      {"input 'x' must be float32, got int64"});
  expect_error([&] { exec.run({}); }, {"the model takes 1 input(s), got 0"});
}

TEST(OnnxHostile, GatherNDRefusesEachOutOfRangeComponent) {
  // (0, 4) would fold to row 4 of the [3, 4] data, i.e. data[1, 0]; (0, -5) to row -1.
  for (const std::vector<int64_t>& tuple : {std::vector<int64_t>{0, 4}, {0, -5}, {3, 0}}) {
    ModelProto m = one_node("GatherND", {"x", "i"}, {}, {int64_init("i", tuple, {1, 2})}, {3, 4});
    expect_error([&] { run(m, {arange_input({3, 4})}); }, {"GatherND node 'evil'", "out of range"});
  }
  ModelProto ok = one_node("GatherND", {"x", "i"}, {}, {int64_init("i", {2, -1}, {1, 2})}, {3, 4});
  EXPECT_EQ(run(ok, {arange_input({3, 4})}).at(0).to_vector<float>(), std::vector<float>{11.5f});
}

}  // namespace
}  // namespace wgml::onnx
