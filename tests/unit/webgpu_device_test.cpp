// The WebGPU device on this machine's adapter: transfers of every dtype, and the errors a user
// meets (bad WGSL, a tensor over a binding limit, a lost device) instead of crashes or zeros.
#include "wgml/backends/webgpu/webgpu_device.h"

#include <gtest/gtest.h>

#include <random>

#include "expect_error.h"
#include "wgml/runtime/dispatch.h"

namespace wgml {
namespace {

TEST(WebGpuDevice, RoundTripsEveryDtypeIncludingOddByteCounts) {
  std::mt19937 rng(7);
  for (DType dtype : kAllDTypes) {
    for (int64_t n : {1, 3, 5, 1027}) {
      std::vector<uint8_t> bytes(size_t(n) * dtype_size(dtype));
      for (uint8_t& b : bytes)
        b = uint8_t(rng() % (dtype == DType::Bool ? 2 : 251) + (dtype == DType::Bool ? 0 : 1));
      const Tensor t = Tensor::from_bytes(bytes.data(), {n}, dtype, webgpu_device());
      EXPECT_EQ(t.to_bytes(), bytes) << dtype_name(dtype) << " x " << n;
    }
  }
}

TEST(WebGpuDevice, SlicedCopiesReadTheRightBytes) {
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7}, {7}, DType::UInt8,
                                       webgpu_device());
  const Tensor y = run_op1(
      "copy",
      {run_op1("slice", {x},
               {{"starts", Ints{1}}, {"ends", Ints{6}}, {"axes", Ints{0}}, {"steps", Ints{2}}})});
  EXPECT_EQ(y.to_vector<int64_t>(), (std::vector<int64_t>{2, 4, 6}));
}

TEST(WebGpuDevice, Float64IsStoredAndCastButNeverComputed) {
  const std::vector<double> v{1.5, -2.25, 1e-30, 3e38, 0.1, -0.0, 1.0 / 3.0};
  const Tensor x = Tensor::from_vector(v, {7}, DType::Float64, webgpu_device());
  // A copy moves both words: every bit of a double survives.
  const Tensor c = run_op1("copy", {run_op1("flip", {x}, {{"axes", Ints{0}}})});
  std::vector<double> flipped(v.rbegin(), v.rend());
  EXPECT_EQ(c.to_vector<double>(), flipped);
  // Casts round to float32 exactly as the CPU does, and widen back exactly.
  const Tensor f = run_op1("cast", {x}, {{"dtype", std::string("float32")}});
  const Tensor f_cpu = run_op1("cast", {Tensor::from_vector(v, {7}, DType::Float64)},
                               {{"dtype", std::string("float32")}});
  EXPECT_EQ(f.to_vector<float>(), f_cpu.to_vector<float>());
  const Tensor back = run_op1("cast", {f}, {{"dtype", std::string("float64")}});
  const std::vector<float> fv = f_cpu.to_vector<float>();
  EXPECT_EQ(back.to_vector<double>(), std::vector<double>(fv.begin(), fv.end()));
  // Anything else is refused, naming the op and the device.
  expect_error([&] { run_op1("add", {x, x}); }, {"add", "float64", "webgpu"});
  expect_error([&] { run_op1("sum", {x}); }, {"sum", "float64", "webgpu"});
}

TEST(WebGpuDevice, NarrowAndUnsignedDtypesComputeLikeTheCpu) {
  for (DType dtype : {DType::BFloat16, DType::Int16, DType::UInt16, DType::UInt32, DType::UInt64}) {
    const std::vector<double> a{1, 2, 3, 4, 5, 6, 7}, b{7, 6, 5, 4, 3, 2, 1};
    const Tensor ga = Tensor::from_vector(a, {7}, dtype, webgpu_device());
    const Tensor gb = Tensor::from_vector(b, {7}, dtype, webgpu_device());
    const Tensor ca = Tensor::from_vector(a, {7}, dtype), cb = Tensor::from_vector(b, {7}, dtype);
    for (const char* op : {"add", "mul", "maximum", "sub"}) {
      if (is_unsigned_int(dtype) && std::string(op) == "sub") continue;
      EXPECT_EQ(run_op1(op, {ga, gb}).to_bytes(), run_op1(op, {ca, cb}).to_bytes())
          << op << " " << dtype_name(dtype);
    }
  }
}

TEST(WebGpuDevice, InvalidWgslNamesTheOpAndShowsTheSource) {
  gpu::Gpu& g = webgpu_device().gpu();
  expect_error(
      [&] {
        g.pipeline({"my_op", "fn main() { let x: f32 = true; }", {}});
      },
      {"my_op", "does not compile", "1 | fn main()"});
}

TEST(WebGpuDevice, TensorOverTheBindingLimitFailsNamingTheLimit) {
  const gpu::AdapterInfo& a = webgpu_device().adapter();
  if (a.max_storage_buffer_binding_size > (uint64_t(1) << 30)) {
    GTEST_SKIP() << "binding limit " << a.max_storage_buffer_binding_size
                 << " B: a tensor over it would need more memory than this test should take";
  }
  const int64_t n = int64_t(a.max_storage_buffer_binding_size / 4) + 1024;
  const Tensor big = Tensor::empty({n}, DType::Float32, webgpu_device());
  expect_error([&] { run_op1("relu", {big}); }, {"relu", "maxStorageBufferBindingSize"});
}

TEST(WebGpuDevice, LostDeviceRaisesInsteadOfHanging) {
  std::unique_ptr<gpu::Gpu> g = gpu::open_gpu();
  auto buffer = g->create_buffer(64);
  g->destroy();
  float value = 0;
  expect_error([&] { g->read(*buffer, 0, &value, 4); }, {"lost"});
  expect_error([&] { g->create_buffer(64); }, {"lost"});
}

TEST(WebGpuDevice, UnknownAdapterNameIsRejected) {
  expect_error([] { gpu::open_gpu({"quantum", ""}); }, {"unknown adapter", "quantum"});
}

}  // namespace
}  // namespace wgml
