// The ONNX importer and graph executor on small graphs built in memory: placement, folding,
// symbolic shapes, and the errors bad graphs and bad inputs must raise.
#include "wgml/frontends/onnx/onnx_importer.h"

#include <gtest/gtest.h>

#include <memory>

#include "expect_error.h"
#include "wgml/runtime/dispatch.h"
#include "wgml/compiler/graph_executor.h"

namespace wgml::onnx {
namespace {

ValueInfo tensor_info(const std::string& name, ElemType type, std::vector<Dim> shape) {
  ValueInfo v;
  v.name = name;
  v.kind = ValueInfo::Kind::Tensor;
  v.elem_type = static_cast<int32_t>(type);
  v.has_shape = true;
  v.shape = std::move(shape);
  return v;
}
Dim fixed(int64_t n) {
  Dim d;
  d.has_value = true;
  d.value = n;
  return d;
}
Dim symbol(const std::string& name) {
  Dim d;
  d.param = name;
  return d;
}
NodeProto node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
               const std::string& name = "") {
  NodeProto n;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.name = name.empty() ? op + "_" + n.outputs.at(0) : name;
  return n;
}
ModelProto model(int64_t opset, std::vector<NodeProto> nodes, std::vector<ValueInfo> inputs,
                 std::vector<std::string> outputs) {
  ModelProto m;
  m.ir_version = 8;
  m.opset_imports.push_back({"", opset});
  m.graph.nodes = std::move(nodes);
  m.graph.inputs = std::move(inputs);
  for (const std::string& o : outputs) {
    ValueInfo v;
    v.name = o;
    v.kind = ValueInfo::Kind::Tensor;
    m.graph.outputs.push_back(v);
  }
  return m;
}
Tensor random_tensor(const Shape& shape, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  uint32_t s = seed;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>((s >> 8) % 2001) / 1000.0f - 1.0f + 0.0005f;
  }
  return Tensor::from_vector(v, shape, DType::Float32);
}

TEST(OnnxImporter, SymbolicShapesFollowTheBatch) {
  // y = relu(x) + x, z = reshape(y, shape(x)[0] x -1): the shape chain depends on the batch.
  ModelProto m = model(
      17,
      {node("Relu", {"x"}, {"r"}), node("Add", {"r", "x"}, {"y"}), node("Shape", {"x"}, {"s"}),
       node("Gather", {"s", "zero"}, {"b"}), node("Unsqueeze", {"b", "axes"}, {"b1"}),
       node("Concat", {"b1", "minus1"}, {"shape"}), node("Reshape", {"y", "shape"}, {"z"})},
      {tensor_info("x", ElemType::Float, {symbol("batch"), fixed(3), fixed(4)})}, {"z"});
  AttributeProto axis;
  axis.name = "axis";
  axis.type = AttributeProto::Int;
  axis.i = 0;
  m.graph.nodes[5].attributes.push_back(axis);  // Concat axis
  auto add_init = [&](const std::string& name, std::vector<int64_t> data,
                      std::vector<int64_t> dims) {
    TensorProto t;
    t.name = name;
    t.data_type = static_cast<int32_t>(ElemType::Int64);
    t.dims = std::move(dims);
    t.int64_data = std::move(data);
    m.graph.initializers.push_back(t);
  };
  add_init("zero", {0}, {});
  add_init("axes", {0}, {1});
  add_init("minus1", {-1}, {1});

  ImportedModel imported = import_model(m, ".", "test.onnx");
  const graph::Graph& g = imported.graph;
  ASSERT_EQ(g.outputs.size(), 1u);
  const graph::Value& z = g.value(g.outputs[0]);
  EXPECT_TRUE(z.shape_known);
  EXPECT_EQ(graph::sym_shape_str(z.shape), "[batch, 12]");
  EXPECT_TRUE(g.inference_note.empty()) << g.inference_note;
  // The shape chain runs on the CPU at run time; the arithmetic on the data does not.
  int host_nodes = 0;
  for (const graph::Node& n : g.nodes)
    host_nodes += g.value(n.outputs[0]).placement == graph::Placement::Host;
  EXPECT_GE(host_nodes, 2);

  for (int64_t batch : {1, 5}) {
    const Tensor x = random_tensor({batch, 3, 4}, 7);
    GraphExecutor exec(g, cpu_device());
    const Tensor got = exec.run({x}).at(0);
    const Tensor want = run_op1("reshape", {run_op1("add", {run_op1("relu", {x}), x})},
                                {{"shape", Ints{batch, 12}}});
    EXPECT_EQ(got.shape(), (Shape{batch, 12}));
    EXPECT_EQ(got.to_vector<float>(), want.to_vector<float>());
  }
}

TEST(OnnxImporter, StaticShapeChainsFoldToConstants) {
  ModelProto m = model(13, {node("Shape", {"x"}, {"s"}), node("Reshape", {"x", "s"}, {"y"})},
                       {tensor_info("x", ElemType::Float, {fixed(2), fixed(3)})}, {"y"});
  ImportedModel imported = import_model(m, ".", "test.onnx");
  // Only the reshape remains; its shape became an attribute.
  ASSERT_EQ(imported.graph.nodes.size(), 1u);
  EXPECT_EQ(imported.graph.nodes[0].op, "reshape");
  EXPECT_TRUE(imported.graph.nodes[0].attr_inputs.empty());
}

TEST(OnnxImporter, ListsEveryUnsupportedOpAtOnce) {
  NodeProto custom = node("FancyOp", {"x"}, {"b"}, "fancy1");
  custom.domain = "com.example";
  ModelProto m = model(17,
                       {node("NoSuchOp", {"x"}, {"a"}, "n1"), custom,
                        node("NoSuchOp", {"a"}, {"c"}, "n2"), node("Relu", {"c"}, {"y"})},
                       {tensor_info("x", ElemType::Float, {fixed(2)})}, {"y"});
  expect_error([&] { import_model(m, ".", "bad.onnx"); },
               {"bad.onnx", "2 ONNX op type(s)", "NoSuchOp (opset 17): 2 node(s) 'n1', 'n2'",
                "FancyOp (domain 'com.example'): 1 node(s) 'fancy1'"});
}

TEST(OnnxImporter, KeysConvertersByDomain) {
  NodeProto gelu = node("FastGelu", {"x"}, {"a"}, "fast");
  gelu.domain = "com.microsoft";
  NodeProto missing = node("NoSuchContribOp", {"a"}, {"y"}, "nope");
  missing.domain = "com.microsoft";
  const ValueInfo x = tensor_info("x", ElemType::Float, {fixed(2)});
  ModelProto m = model(17, {gelu, missing}, {x}, {"y"});
  m.opset_imports.push_back({"com.microsoft", 1});
  // The supported contrib op passes; the missing one is named with its domain.
  expect_error([&] { import_model(m, ".", "contrib.onnx"); },
               {"contrib.onnx", "1 ONNX op type(s)",
                "NoSuchContribOp (domain 'com.microsoft'): 1 node(s) 'nope'"});
  ModelProto ok = model(17, {gelu}, {x}, {"a"});
  ok.opset_imports.push_back({"com.microsoft", 1});
  ImportedModel imported = import_model(ok, ".", "contrib.onnx");
  ASSERT_EQ(imported.graph.nodes.size(), 1u);
  EXPECT_EQ(imported.graph.nodes[0].op, "gelu_tanh");
  // A contrib op of the default domain, or of a domain the model does not import, is missing.
  NodeProto plain = gelu;
  plain.domain = "";
  expect_error([&] { import_model(model(17, {plain}, {x}, {"a"}), ".", "m"); },
               {"FastGelu (opset 17)"});
  expect_error([&] { import_model(model(17, {gelu}, {x}, {"a"}), ".", "m"); },
               {"FastGelu (domain 'com.microsoft')"});
}

TEST(OnnxImporter, RejectsCyclesUndefinedValuesAndOpsets) {
  const ValueInfo x = tensor_info("x", ElemType::Float, {fixed(2)});
  expect_error(
      [&] {
        import_model(
            model(17,
                  {node("Add", {"x", "b"}, {"a"}, "first"), node("Relu", {"a"}, {"b"}, "second")},
                  {x}, {"b"}),
            ".", "cycle.onnx");
      },
      {"cycle.onnx", "cycle", "'first'", "'second'"});
  expect_error(
      [&] {
        import_model(model(17, {node("Relu", {"nowhere"}, {"y"}, "r")}, {x}, {"y"}), ".", "m");
      },
      {"'r'", "reads 'nowhere'", "no node"});
  expect_error([&] { import_model(model(0, {node("Relu", {"x"}, {"y"})}, {x}, {"y"}), ".", "m"); },
               {"opset 0", "1 to 21"});
  expect_error([&] { import_model(model(22, {node("Relu", {"x"}, {"y"})}, {x}, {"y"}), ".", "m"); },
               {"opset 22"});
  expect_error(
      [&] {
        import_model(model(17, {node("Relu", {"x"}, {"y"}, "a"), node("Relu", {"x"}, {"y"}, "b")},
                           {x}, {"y"}),
                     ".", "m");
      },
      {"'y' is written by two nodes", "'a'", "'b'"});
  ModelProto negative = model(17, {node("Relu", {"x"}, {"y"})},
                              {tensor_info("x", ElemType::Float, {fixed(-3)})}, {"y"});
  expect_error([&] { import_model(negative, ".", "m"); }, {"input 'x'", "-3"});
  ModelProto complexes = model(17, {node("Relu", {"x"}, {"y"})},
                               {tensor_info("x", ElemType::Complex64, {fixed(2)})}, {"y"});
  expect_error([&] { import_model(complexes, ".", "m"); }, {"input 'x'", "complex64"});
}

TEST(OnnxImporter, ChecksRunTimeInputs) {
  ModelProto m = model(17, {node("Add", {"x", "w"}, {"y"})},
                       {tensor_info("x", ElemType::Float, {symbol("batch"), fixed(3)}),
                        tensor_info("w", ElemType::Float, {symbol("batch"), fixed(3)})},
                       {"y"});
  ImportedModel imported = import_model(m, ".", "m");
  GraphExecutor exec(imported.graph, cpu_device());
  expect_error([&] { exec.run({random_tensor({2, 3}, 1)}); }, {"takes 2 input(s), got 1"});
  expect_error(
      [&] {
        exec.run({random_tensor({2, 4}, 1), random_tensor({2, 3}, 2)});
      },
      {"input 'x'", "[batch, 3]", "dim 1 is 4"});
  expect_error(
      [&] {
        exec.run({random_tensor({2, 3}, 1), random_tensor({5, 3}, 2)});
      },
      {"input 'w'", "batch = 5", "input 'x' has batch = 2"});
  expect_error(
      [&] {
        exec.run({Tensor::from_vector(std::vector<int>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::Int32),
                  random_tensor({2, 3}, 2)});
      },
      {"input 'x'", "float32", "int32"});
}

TEST(OnnxImporter, IfRunsOnlyTheBranchItsRunTimeConditionPicks) {
  // then_branch gives relu(x) [batch, 3]; else_branch x[5:6] [1, 3], which fails (the CPU raises
  // on the out-of-range gather) whenever it runs with batch <= 5.
  auto graph_attr = [](const std::string& name, std::vector<NodeProto> nodes, std::string out) {
    auto g = std::make_shared<GraphProto>();
    g->name = name;
    g->nodes = std::move(nodes);
    ValueInfo v;
    v.name = std::move(out);
    v.kind = ValueInfo::Kind::Tensor;
    g->outputs.push_back(v);
    AttributeProto a;
    a.name = name;
    a.type = AttributeProto::Graph;
    a.graphs.push_back(g);
    return a;
  };
  NodeProto branch_if = node("If", {"c"}, {"y"}, "choose");
  branch_if.attributes.push_back(graph_attr("then_branch", {node("Relu", {"x"}, {"t"})}, "t"));
  branch_if.attributes.push_back(
      graph_attr("else_branch", {node("Gather", {"x", "five"}, {"e"})}, "e"));
  ModelProto m = model(13, {branch_if},
                       {tensor_info("c", ElemType::Bool, {}),
                        tensor_info("x", ElemType::Float, {symbol("batch"), fixed(3)})},
                       {"y"});
  TensorProto five;
  five.name = "five";
  five.data_type = static_cast<int32_t>(ElemType::Int64);
  five.dims = {1};
  five.int64_data = {5};
  m.graph.initializers.push_back(five);
  ImportedModel imported = import_model(m, ".", "m.onnx");
  const graph::Value& y = imported.graph.value(imported.graph.outputs[0]);
  EXPECT_EQ(graph::sym_shape_str(y.shape), "[if_1, 3]");  // the branches differ in dim 0
  GraphExecutor exec(imported.graph, cpu_device());
  const Tensor x = random_tensor({2, 3}, 5);
  auto flag = [](bool v) { return Tensor::from_vector(std::vector<uint8_t>{v}, {}, DType::Bool); };
  EXPECT_EQ(exec.run({flag(true), x}).at(0).to_vector<float>(),
            run_op1("relu", {x}).to_vector<float>());
  expect_error([&] { exec.run({flag(false), x}); }, {"If node 'choose'", "index 5"});
}

TEST(OnnxImporter, LoopIterationsAreCapped) {
  // A while-true loop whose body passes its condition and value through: only the trip count
  // stops it, and the cap stops a trip count that is too large.
  auto body = std::make_shared<GraphProto>();
  body->name = "body";
  body->nodes = {node("Identity", {"c_in"}, {"c_out"}), node("Identity", {"v_in"}, {"v_out"})};
  body->inputs = {tensor_info("i", ElemType::Int64, {}), tensor_info("c_in", ElemType::Bool, {}),
                  tensor_info("v_in", ElemType::Float, {fixed(2)})};
  body->outputs = {tensor_info("c_out", ElemType::Bool, {}),
                   tensor_info("v_out", ElemType::Float, {fixed(2)})};
  NodeProto loop = node("Loop", {"m", "", "v"}, {"v_end"}, "spin");
  AttributeProto a;
  a.name = "body";
  a.type = AttributeProto::Graph;
  a.graphs.push_back(body);
  loop.attributes.push_back(a);
  ModelProto m =
      model(13, {loop},
            {tensor_info("m", ElemType::Int64, {}), tensor_info("v", ElemType::Float, {fixed(2)})},
            {"v_end"});
  ImportedModel imported = import_model(m, ".", "m.onnx");
  GraphExecutor exec(imported.graph, cpu_device());
  const Tensor v = random_tensor({2}, 3);
  auto trips = [](int64_t n) {
    return Tensor::from_vector(std::vector<int64_t>{n}, {}, DType::Int64);
  };
  set_max_loop_iterations(5);
  EXPECT_EQ(exec.run({trips(5), v}).at(0).to_vector<float>(), v.to_vector<float>());
  expect_error(
      [&] {
        exec.run({trips(6), v});
      },
      {"Loop node 'spin'", "more than 5 iterations", "rather than run without end"});
  set_max_loop_iterations(int64_t{1} << 20);
}

}  // namespace
}  // namespace wgml::onnx
