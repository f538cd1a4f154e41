// Elementwise fusion (compiler/fuse_elementwise), epilogue fusion (compiler/fuse_epilogue) and the
// rewrites before them (common subexpressions merged, batch norms folded, layer norms
// recognised, scalings moved past matmuls, residual adds moved before views):
// which nodes merge, and that a fused graph computes what the unfused one does: bit for bit on
// the CPU (fused expressions round where the unfused graph stored float32), to float32 rounding
// on WebGPU.
#include <gtest/gtest.h>

#include "wgml/backends/webgpu/webgpu_device.h"
#include "wgml/compiler/fold_batch_norm.h"
#include "wgml/compiler/fuse_elementwise.h"
#include "wgml/compiler/fuse_epilogue.h"
#include "wgml/compiler/fuse_layer_norm.h"
#include "wgml/compiler/graph_executor.h"
#include "wgml/compiler/merge_common.h"
#include "wgml/compiler/move_scales.h"
#include "wgml/compiler/move_views.h"
#include "wgml/graph/graph_builder.h"
#include "wgml/runtime/dispatch.h"

namespace wgml::graph {
namespace {

Tensor values(const Shape& shape, float seed) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = seed * static_cast<float>((i * 29) % 83) / 41.0f - 1.0f;
  return Tensor::from_vector(v, shape, DType::Float32);
}

size_t count(const Graph& g, const std::string& op) {
  size_t n = 0;
  for (const Node& node : g.nodes)
    n += node.op == op;
  return n;
}

// The graph's nodes one by one through the eager runtime: the unfused reference.
std::vector<float> unfused(const Graph& g, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> v(g.values.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    v[static_cast<size_t>(g.inputs[i].value)] = inputs[i];
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (g.values[i].placement == Placement::Constant) v[i] = g.values[i].constant;
  }
  for (const Node& node : g.nodes) {
    if (node.op == kShapeOp) continue;  // metadata only: the tests read no shape through here
    std::vector<Tensor> args;
    for (ValueId x : node.inputs)
      args.push_back(v[static_cast<size_t>(x)]);
    v[static_cast<size_t>(node.outputs[0])] = run_op1(node.op, args, node.attrs);
  }
  return v[static_cast<size_t>(g.outputs[0])].to_vector<float>();
}

// y = sigmoid((relu(x) * 3 + x) / c) * leaky_relu(gelu(x + b)): relu, mul, add, div, sigmoid,
// leaky_relu and the final mul fuse; x + b and gelu stay apart because gelu and leaky_relu each
// read their input more than once (absorbing it would compute it again per use).
void build(Graph& g) {
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {6, ""}});
  const ValueId three = b.constant(Tensor::scalar(3.0, DType::Float32));
  const ValueId c = b.constant(values({6}, 0.9f));
  const ValueId bias = b.constant(values({6}, 0.4f));
  const ValueId s = b.add("add", {b.add("mul", {b.add("relu", {x}).at(0), three}).at(0), x}).at(0);
  const ValueId gate = b.add("sigmoid", {b.add("div", {s, c}).at(0)}).at(0);
  const ValueId gelu = b.add("gelu", {b.add("add", {x, bias}).at(0)}).at(0);
  const ValueId leaky = b.add("leaky_relu", {gelu}, {{"alpha", 0.2}}).at(0);
  b.set_outputs({b.add("mul", {gate, leaky}).at(0)}, {"y"});
}

TEST(CompilerFusion, MergesTreesButNotValuesReadTwice) {
  Graph g;
  build(g);
  const Graph f = compiler::fuse_elementwise(g);
  EXPECT_EQ(g.nodes.size(), 9u);
  EXPECT_EQ(f.nodes.size(), 3u);
  EXPECT_EQ(count(f, compiler::kFusedOp), 1u);
  EXPECT_EQ(count(f, "add"), 1u);
  EXPECT_EQ(count(f, "gelu"), 1u);
  for (int64_t n : {1, 5, 33}) {
    const Tensor x = values({n, 6}, 1.3f + static_cast<float>(n));
    GraphExecutor exec(g, cpu_device());
    EXPECT_EQ(exec.run({x}).at(0).to_vector<float>(), unfused(g, {x})) << n;
  }
}

TEST(CompilerFusion, KeepsAKernelWithinEightBuffers) {
  // A sum of twelve distinct inputs: one kernel could not bind them all.
  Graph g;
  GraphBuilder b(g);
  std::vector<ValueId> xs;
  for (int i = 0; i < 12; ++i)
    xs.push_back(b.input("x" + std::to_string(i), DType::Float32, true, {{4, ""}}));
  ValueId acc = xs[0];
  for (int i = 1; i < 12; ++i)
    acc = b.add("add", {acc, b.add("neg", {xs[i]}).at(0)}).at(0);
  b.set_outputs({acc}, {"y"});
  const Graph f = compiler::fuse_elementwise(g);
  EXPECT_LT(f.nodes.size(), g.nodes.size());
  for (const Node& node : f.nodes)
    EXPECT_LE(node.inputs.size(), 7u) << node.op;
  std::vector<Tensor> inputs;
  for (int i = 0; i < 12; ++i)
    inputs.push_back(values({4}, 0.5f + static_cast<float>(i)));
  GraphExecutor exec(g, cpu_device());
  EXPECT_EQ(exec.run(inputs).at(0).to_vector<float>(), unfused(g, inputs));
  GraphExecutor on_gpu(g, webgpu_device());
  const std::vector<float> got = on_gpu.run(inputs).at(0).to_vector<float>();
  const std::vector<float> want = unfused(g, inputs);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * (1 + std::abs(want[i])));
}

TEST(CompilerFusion, WebGpuMatchesTheCpu) {
  WebGpuDevice* gpu = &webgpu_device();  // llvmpipe at least, as in webgpu_device_test
  Graph g;
  build(g);
  GraphExecutor on_gpu(g, *gpu);
  for (int64_t n : {1, 7, 40}) {
    const Tensor x = values({n, 6}, -0.7f * static_cast<float>(n));
    const std::vector<float> got = on_gpu.run({x}).at(0).to_vector<float>();
    const std::vector<float> want = unfused(g, {x});
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 2e-6 * (1 + std::abs(want[i]))) << n << " " << i;
  }
}

// Two products finished by elementwise readers: relu(x @ w + bias) and, through a conv,
// silu(conv(image) + image) (its reader reads the product twice), then a layer norm whose
// residual add rides on it, and a matmul whose product the graph also returns (not fused).
void build_products(Graph& g) {
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {16, ""}});
  const ValueId w = b.constant(values({16, 24}, 0.3f));
  const ValueId bias = b.constant(values({24}, 0.5f));
  const ValueId mm = b.add("matmul", {x, w}).at(0);
  const ValueId h = b.add("relu", {b.add("add", {mm, bias}).at(0)}).at(0);
  const ValueId image = b.add("reshape", {h}, {{"shape", Ints{-1, 6, 2, 2}}}).at(0);
  const ValueId kernel = b.constant(values({6, 6, 3, 3}, 0.2f));
  const ValueId conv = b.add("conv", {image, kernel}, {{"pads", Ints{1, 1, 1, 1}}}).at(0);
  const ValueId sum = b.add("add", {conv, image}).at(0);
  const ValueId silu = b.add("mul", {sum, b.add("sigmoid", {sum}).at(0)}).at(0);
  const ValueId flat = b.add("reshape", {silu}, {{"shape", Ints{-1, 24}}}).at(0);
  const ValueId norm =
      b.add("layer_norm", {flat, b.constant(values({24}, 0.7f)), b.constant(values({24}, 0.2f))})
          .at(0);
  const ValueId out = b.add("add", {norm, h}).at(0);
  const ValueId again = b.add("matmul", {out, b.constant(values({24, 8}, 0.6f))}).at(0);
  b.set_outputs({b.add("tanh", {again}).at(0), again}, {"y", "z"});
}

TEST(CompilerEpilogue, FoldsEachReaderIntoItsProduct) {
  Graph g;
  build_products(g);
  const auto takes = [](const std::string& op) {
    return op == "matmul" || op == "conv" || op == "layer_norm";
  };
  const Graph f = compiler::fuse_epilogues(compiler::fuse_elementwise(g), takes);
  size_t with_epilogue = 0;
  for (const Node& node : f.nodes)
    with_epilogue += node.epilogue != nullptr;
  EXPECT_EQ(with_epilogue, 3u);  // matmul+add+relu, conv+add+silu, layer_norm+add
  EXPECT_EQ(count(f, "matmul"), 2u);
  EXPECT_EQ(count(f, "tanh"), 1u);  // its product is returned too: stays apart
  EXPECT_EQ(count(f, compiler::kFusedOp), 0u);
  // A device that takes no epilogue (the CPU) keeps the graph as elementwise fusion left it.
  const Graph none = compiler::fuse_epilogues(compiler::fuse_elementwise(g),
                                              [](const std::string&) { return false; });
  EXPECT_EQ(none.nodes.size(), compiler::fuse_elementwise(g).nodes.size());
}

TEST(CompilerEpilogue, WebGpuMatchesTheUnfusedCpu) {
  WebGpuDevice* gpu = &webgpu_device();
  Graph g;
  build_products(g);
  GraphExecutor on_gpu(g, *gpu);
  for (int64_t n : {1, 3, 50, 3}) {  // the second 3 replays the recording of the first
    const Tensor x = values({n, 16}, 0.45f * static_cast<float>(n));
    const std::vector<Tensor> got = on_gpu.run({x});
    // Sums of 16 to 54 products in another order than the CPU's double accumulation.
    const std::vector<float> y = got.at(0).to_vector<float>(), want = unfused(g, {x});
    ASSERT_EQ(y.size(), want.size());
    for (size_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << n << " " << i;
  }
}

// Attention's scaling as exporters write it: q / d @ (s * k)^T, the second through a transpose.
void build_scaled(Graph& g) {
  GraphBuilder b(g);
  const ValueId q = b.input("q", DType::Float32, true, {{-1, "n"}, {8, ""}});
  const ValueId k = b.input("k", DType::Float32, true, {{5, ""}, {8, ""}});
  const ValueId s = b.constant(Tensor::scalar(0.35, DType::Float32));
  const ValueId qs = b.add("div", {q, b.constant(Tensor::scalar(2.8, DType::Float32))}).at(0);
  const ValueId kt = b.add("transpose", {b.add("mul", {s, k}).at(0)}).at(0);
  b.set_outputs({b.add("matmul", {qs, kt}).at(0)}, {"scores"});
}

TEST(CompilerEpilogue, ScalesMovePastTheMatmulIntoItsEpilogue) {
  Graph g;
  build_scaled(g);
  const Graph moved = compiler::move_scales_past_matmuls(g);
  ASSERT_EQ(moved.nodes.size(), 4u);  // transpose, matmul, then the mul and the div
  EXPECT_EQ(moved.nodes[1].op, "matmul");
  EXPECT_EQ(moved.nodes[1].inputs[0], g.inputs[0].value);  // q itself
  const Graph f = compiler::fuse_epilogues(compiler::fuse_elementwise(moved),
                                           [](const std::string& op) { return op == "matmul"; });
  ASSERT_EQ(f.nodes.size(), 2u);  // the transpose (a view) and the matmul
  EXPECT_TRUE(f.nodes[1].epilogue != nullptr);
  GraphExecutor on_gpu(g, webgpu_device());
  for (int64_t n : {3, 9}) {
    const Tensor q = values({n, 8}, 0.8f), k = values({5, 8}, -1.1f);
    const std::vector<float> got = on_gpu.run({q, k}).at(0).to_vector<float>();
    const std::vector<float> want = unfused(g, {q, k});
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)  // the scalings rounded in another order
      EXPECT_NEAR(got[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << n << " " << i;
  }
}

// conv + batch_norm (folds into the conv), a batch_norm after a relu (becomes a scale and shift),
// and a conv the graph also returns (its batch_norm cannot fold into it).
void build_batch_norms(Graph& g) {
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {4, ""}, {5, ""}, {5, ""}});
  auto batch_norm = [&](ValueId v, float seed) {
    std::vector<float> var;
    for (int c = 0; c < 6; ++c)
      var.push_back(0.3f + 0.45f * static_cast<float>(c) * seed);
    return b
        .add("batch_norm",
             {v, b.constant(values({6}, seed)), b.constant(values({6}, 0.6f * seed)),
              b.constant(values({6}, -0.8f * seed)),
              b.constant(Tensor::from_vector(var, {6}, DType::Float32))},
             {{"epsilon", 1e-3}})
        .at(0);
  };
  const ValueId conv =
      b.add("conv", {x, b.constant(values({6, 4, 3, 3}, 0.7f)), b.constant(values({6}, 0.3f))})
          .at(0);
  const ValueId relu = b.add("relu", {batch_norm(conv, 1.1f)}).at(0);
  const ValueId lone = batch_norm(relu, 0.9f);
  const ValueId again = b.add("conv", {lone, b.constant(values({6, 6, 1, 1}, 1.3f))}).at(0);
  b.set_outputs({batch_norm(again, 1.7f), again}, {"y", "z"});
}

TEST(CompilerRewrite, BatchNormsFoldIntoConvsOrBecomeAScaleAndShift) {
  Graph g;
  build_batch_norms(g);
  const Graph f = compiler::fold_batch_norms(g);
  EXPECT_EQ(count(g, "batch_norm"), 3u);
  EXPECT_EQ(count(f, "batch_norm"), 0u);
  EXPECT_EQ(count(f, "conv"), 2u);
  EXPECT_EQ(count(f, "mul"), 2u);  // the lone one's and the returned conv's
  EXPECT_EQ(count(f, "add"), 2u);
  EXPECT_EQ(f.nodes[0].op, "conv");
  EXPECT_NE(f.nodes[0].inputs[1], g.nodes[0].inputs[1]);  // folded weights
  EXPECT_EQ(f.nodes[0].outputs, g.nodes[1].outputs);      // writes what the batch_norm wrote
  for (Device* device :
       {static_cast<Device*>(&cpu_device()), static_cast<Device*>(&webgpu_device())}) {
    GraphExecutor exec(g, *device);
    for (int64_t n : {1, 3}) {
      const Tensor x = values({n, 4, 5, 5}, 0.55f * static_cast<float>(n));
      const std::vector<Tensor> got = exec.run({x});
      // The folded weights round once more than the graph's own steps (float32).
      const std::vector<float> y = got.at(0).to_vector<float>(), want = unfused(g, {x});
      ASSERT_EQ(y.size(), want.size());
      for (size_t i = 0; i < y.size(); ++i)
        EXPECT_NEAR(y[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << device->name() << n << i;
    }
  }
}

// Layer norms as exporters before opset 17 spell them: over the last axis with pow(d, 2), gamma
// and beta; over the last two axes with d * d and no affine part; and one whose deviation the
// graph also returns (it must stay spelled out).
void build_layer_norms(Graph& g) {
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {3, ""}, {8, ""}});
  auto spelled = [&](ValueId v, Ints axes, bool pow, ValueId* deviation = nullptr) {
    const Attrs keep{{"axes", axes}, {"keepdims", int64_t{1}}};
    const ValueId d = b.add("sub", {v, b.add("mean", {v}, keep).at(0)}).at(0);
    const ValueId sq = pow ? b.add("pow", {d, b.constant(Tensor::scalar(2, DType::Float32))}).at(0)
                           : b.add("mul", {d, d}).at(0);
    const ValueId var = b.add("mean", {sq}, keep).at(0);
    const ValueId eps = b.constant(Tensor::scalar(1e-5, DType::Float32));
    if (deviation) *deviation = d;
    return b.add("div", {d, b.add("sqrt", {b.add("add", {var, eps}).at(0)}).at(0)}).at(0);
  };
  const ValueId first = spelled(x, {-1}, true);
  const ValueId affine = b.add("add", {b.add("mul", {first, b.constant(values({8}, 0.8f))}).at(0),
                                       b.constant(values({8}, 0.3f))})
                             .at(0);
  const ValueId second = spelled(b.add("tanh", {affine}).at(0), {1, 2}, false);
  ValueId deviation = kNoValue;
  const ValueId third = spelled(second, {-1}, true, &deviation);
  b.set_outputs({third, deviation}, {"y", "d"});
}

TEST(CompilerRewrite, LayerNormsSpelledOutBecomeOneNode) {
  Graph g;
  build_layer_norms(g);
  const Graph f = compiler::fuse_layer_norms(g);
  ASSERT_EQ(count(f, "layer_norm"), 2u);
  EXPECT_EQ(count(f, "mean"), 2u);  // the third's, whose deviation is returned
  EXPECT_EQ(f.nodes[0].op, "layer_norm");
  EXPECT_EQ(f.nodes[0].inputs[0], g.inputs[0].value);
  EXPECT_NE(f.nodes[0].inputs[2], kNoValue);  // beta
  for (const Node& node : g.nodes)            // writes what the add of beta wrote, which tanh reads
    if (node.op == "tanh") EXPECT_EQ(f.nodes[0].outputs[0], node.inputs[0]);
  EXPECT_EQ(f.nodes[2].attrs.i("axis"), 1);
  EXPECT_EQ(f.nodes[2].inputs[2], kNoValue);
  for (Device* device :
       {static_cast<Device*>(&cpu_device()), static_cast<Device*>(&webgpu_device())}) {
    GraphExecutor exec(g, *device);
    for (int64_t n : {1, 4}) {
      const Tensor x = values({n, 3, 8}, 0.35f * static_cast<float>(n));
      const std::vector<float> y = exec.run({x}).at(0).to_vector<float>(), want = unfused(g, {x});
      ASSERT_EQ(y.size(), want.size());
      for (size_t i = 0; i < y.size(); ++i)  // statistics summed in another order
        EXPECT_NEAR(y[i], want[i], 2e-5 * (1 + std::abs(want[i]))) << device->name() << n << i;
    }
  }
}

TEST(CompilerRewrite, CommonSubexpressionsMerge) {
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {5, ""}});
  // Two constants with the same bytes, as exporters write one Constant node per use.
  const ValueId c1 = b.constant(values({5}, 0.7f)), c2 = b.constant(values({5}, 0.7f));
  const ValueId a1 = b.add("add", {x, c1}).at(0), a2 = b.add("add", {x, c2}).at(0);
  const ValueId l1 = b.add("leaky_relu", {a1}, {{"alpha", 0.2}}).at(0);
  const ValueId l2 = b.add("leaky_relu", {a2}, {{"alpha", 0.2 + 1e-12}}).at(0);  // not the same
  const ValueId l3 = b.add("leaky_relu", {a2}, {{"alpha", 0.2}}).at(0);
  b.set_outputs({l1, l2, l3, a2}, {"l1", "l2", "l3", "a2"});
  const Graph f = compiler::merge_common_subexpressions(g);
  EXPECT_EQ(count(g, "add"), 2u);
  EXPECT_EQ(count(f, "add"), 1u);
  EXPECT_EQ(count(f, "leaky_relu"), 2u);
  EXPECT_EQ(f.outputs[0], f.outputs[2]);
  EXPECT_NE(f.outputs[0], f.outputs[1]);
  EXPECT_EQ(f.outputs[3], a1);
  GraphExecutor exec(g, cpu_device());
  const Tensor in = values({3, 5}, -1.9f);
  const std::vector<Tensor> got = exec.run({in});
  for (size_t o = 0; o < 4; ++o) {
    Graph one = g;
    one.outputs = {g.outputs[o]};
    EXPECT_EQ(got.at(o).to_vector<float>(), unfused(one, {in})) << o;
  }
}

// An output projection as the TorchScript exporter writes it: x @ w viewed back to [B, S, E]
// (reshape to [S, B, E], permute) plus the residual r; the graph also returns shape(x @ w).
void build_projection(Graph& g, int64_t batch) {
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{4 * batch, ""}, {8, ""}});
  const ValueId r = b.input("r", DType::Float32, true, {{batch, ""}, {4, ""}, {8, ""}});
  const ValueId mm = b.add("matmul", {x, b.constant(values({8, 8}, 0.6f))}).at(0);
  const ValueId seq = b.add("reshape", {mm}, {{"shape", Ints{4, batch, 8}}}).at(0);
  const ValueId u = b.add("permute", {seq}, {{"perm", Ints{1, 0, 2}}}).at(0);
  const ValueId sum = b.add("add", {b.add("relu", {r}).at(0), u}).at(0);
  b.set_outputs({sum, b.add(kShapeOp, {mm}).at(0)}, {"y", "shape"});
}

TEST(CompilerRewrite, ResidualAddsMoveBeforeTheViewsOfAProduct) {
  const auto takes = [](const std::string& op) { return op == "matmul"; };
  Graph g;
  build_projection(g, 1);
  const Graph moved = compiler::move_views_past_adds(g, takes);
  // The residual undone (permute, reshape) before the add, the views after it.
  ASSERT_EQ(moved.nodes.size(), g.nodes.size() + 2);
  const Node* add = nullptr;
  for (const Node& node : moved.nodes)
    if (node.op == "add") add = &node;
  ASSERT_NE(add, nullptr);
  const int producer = moved.value(add->inputs[0]).producer;  // the matmul's product itself
  ASSERT_GE(producer, 0);
  EXPECT_EQ(moved.nodes[static_cast<size_t>(producer)].op, "matmul");
  // Shape reads no data: the product is fused away and its shape still comes out.
  const Graph fused = compiler::fuse_epilogues(compiler::fuse_elementwise(moved), takes);
  EXPECT_EQ(count(fused, "add"), 0u);
  EXPECT_EQ(count(fused, compiler::kFusedOp), 0u);
  ASSERT_EQ(count(fused, "matmul"), 1u);
  for (const Node& node : fused.nodes)
    if (node.op == "matmul") EXPECT_TRUE(node.epilogue != nullptr);
  GraphExecutor on_gpu(g, webgpu_device());
  for (float seed : {0.7f, -1.3f}) {
    const Tensor x = values({4, 8}, seed), r = values({1, 4, 8}, 1.1f * seed);
    const std::vector<Tensor> got = on_gpu.run({x, r});
    const std::vector<float> y = got.at(0).to_vector<float>(), want = unfused(g, {x, r});
    ASSERT_EQ(y.size(), want.size());
    for (size_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << i;
    EXPECT_EQ(got.at(1).to_vector<int64_t>(), (std::vector<int64_t>{4, 8}));
  }
  // At batch 2 the residual undone would need a copy (the reshape merges strided dims): kept.
  Graph two;
  build_projection(two, 2);
  EXPECT_EQ(compiler::move_views_past_adds(two, takes).nodes.size(), two.nodes.size());
}

// Shape reads no data: a value whose shape the inputs' symbols tell may still fuse away, and the
// executor computes its shape without it.
TEST(CompilerRewrite, ShapeReadersDoNotPinAValue) {
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "n"}, {6, ""}});
  const ValueId mm = b.add("matmul", {x, b.constant(values({6, 8}, 0.4f))}).at(0);
  const ValueId y = b.add("relu", {mm}).at(0);
  const ValueId z = b.add("tanh", {y}).at(0);
  b.set_outputs({z, b.add(kShapeOp, {mm}).at(0), b.add(kShapeOp, {y}).at(0)}, {"z", "s", "t"});
  ASSERT_EQ(count(g, kShapeOp), 2u);  // symbolic: not folded when the graph was built
  const auto takes = [](const std::string& op) { return op == "matmul"; };
  const Graph f = compiler::fuse_epilogues(compiler::fuse_elementwise(g), takes);
  EXPECT_EQ(count(f, "relu") + count(f, "tanh") + count(f, compiler::kFusedOp), 0u);
  for (Device* device :
       {static_cast<Device*>(&cpu_device()), static_cast<Device*>(&webgpu_device())}) {
    GraphExecutor exec(g, *device);
    for (int64_t n : {2, 5}) {
      const Tensor in = values({n, 6}, 0.3f * static_cast<float>(n));
      const std::vector<Tensor> got = exec.run({in});
      Graph one = g;
      one.outputs = {g.outputs[0]};
      const std::vector<float> want = unfused(one, {in}), zs = got.at(0).to_vector<float>();
      ASSERT_EQ(zs.size(), want.size());
      for (size_t i = 0; i < zs.size(); ++i)
        EXPECT_NEAR(zs[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << device->name() << n << i;
      EXPECT_EQ(got.at(1).to_vector<int64_t>(), (std::vector<int64_t>{n, 8}));
      EXPECT_EQ(got.at(2).to_vector<int64_t>(), (std::vector<int64_t>{n, 8}));
    }
  }
}

}  // namespace
}  // namespace wgml::graph
