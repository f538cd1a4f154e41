// Record and replay on WebGPU (GraphExecutor over Device::begin_recording): replayed runs of
// other values, many shapes (more than the executor keeps recorded), constants made during the
// run, and runs that read data back, each checked against the CPU device running the same graph.
#include <gtest/gtest.h>

#include "wgml/backends/webgpu/webgpu_device.h"
#include "wgml/compiler/graph_executor.h"
#include "wgml/graph/graph_builder.h"

namespace wgml::graph {
namespace {

Tensor values(const Shape& shape, float seed) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = seed * static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  return Tensor::from_vector(v, shape, DType::Float32);
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], w[i], 1e-5 * (1 + std::abs(w[i]))) << what << " element " << i;
}

// y = gemm(relu(x) * 3 + x, w) (gemm's alpha and beta make scalar constants during the run),
// then softmax: intermediates are freed and their buffers reused along the way.
void build(Graph& g) {
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{-1, "batch"}, {8, ""}});
  const ValueId three = b.constant(Tensor::scalar(3.0, DType::Float32));
  const ValueId r = b.add("relu", {x}).at(0);
  const ValueId s = b.add("add", {b.add("mul", {r, three}).at(0), x}).at(0);
  const ValueId w = b.constant(values({8, 5}, 0.7f));
  const ValueId c = b.constant(values({5}, 0.3f));
  const ValueId y = b.add("gemm", {s, w, c}, {{"alpha", 0.5}, {"beta", 2.0}}).at(0);
  b.set_outputs({b.add("softmax", {y}, {{"axis", int64_t{-1}}}).at(0)}, {"y"});
}

TEST(GraphReplay, ReplaysOtherValuesAndShapesLikeTheCpu) {
  WebGpuDevice* gpu = &webgpu_device();  // llvmpipe at least, as in webgpu_device_test
  Graph g;
  build(g);
  GraphExecutor on_gpu(g, *gpu);
  GraphExecutor on_cpu(g, cpu_device());
  // Ten batch sizes (more than the 8 kept recorded), each run twice with other values: the
  // second run of each replays; the first sizes come back after being evicted.
  for (int round = 0; round < 2; ++round) {
    for (int64_t batch = 1; batch <= 10; ++batch) {
      for (float seed : {0.5f + static_cast<float>(batch), -1.5f - static_cast<float>(round)}) {
        const Tensor x = values({batch, 8}, seed);
        const std::string what = "batch " + std::to_string(batch) + " seed " + std::to_string(seed);
        expect_close(on_gpu.run({x}).at(0), on_cpu.run({x}).at(0), what);
      }
      EXPECT_NE(on_gpu.recording_for({values({batch, 8}, 1.0f)}), nullptr) << batch;
    }
  }
  // A replayed output is the caller's: the next run does not change it.
  const Tensor first = on_gpu.run({values({3, 8}, 2.0f)}).at(0);
  const std::vector<double> kept = first.to_vector<double>();
  on_gpu.run({values({3, 8}, -4.0f)});
  EXPECT_EQ(first.to_vector<double>(), kept);
}

TEST(GraphReplay, ARunThatReadsBackIsNotReplayed) {
  WebGpuDevice* gpu = &webgpu_device();  // llvmpipe at least, as in webgpu_device_test
  // A count read back on every run (as behind NonZero): the run cannot be replayed.
  Graph g;
  GraphBuilder b(g);
  const ValueId x = b.input("x", DType::Float32, true, {{6, ""}});
  const ValueId c = b.input("c", DType::Int32, true, {{1, ""}});
  const ValueId kept = b.add(kNarrowOp, {x, c}, {{"symbol", std::string("kept")}}).at(0);
  b.set_outputs({b.add("mul", {kept, kept}).at(0)}, {"y"});
  GraphExecutor on_gpu(g, *gpu);
  const Tensor x6 = values({6}, 1.0f);
  for (int32_t n : {4, 1, 6}) {
    const Tensor count = Tensor::from_vector(std::vector<int32_t>{n}, {1}, DType::Int32);
    EXPECT_EQ(on_gpu.run({x6, count}).at(0).shape(), Shape{n});
    EXPECT_EQ(on_gpu.recording_for({x6, count}), nullptr);
  }
}

}  // namespace
}  // namespace wgml::graph
