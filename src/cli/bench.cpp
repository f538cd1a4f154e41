// `wgml bench`: wall-clock timings of ops on a device. Each measurement runs the op once to
// compile its pipeline, then times batches of `repeat` calls between two device finishes
// (std::chrono::steady_clock) and reports the median time per call over the batches. Every
// result is checked once against the CPU backend (relative Frobenius error) so that a kernel
// that computes the wrong thing cannot post a fast number.
#include "cli/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <random>
#include <sstream>

#include "wgml/api/tensor_api.h"
#include "wgml/backends/webgpu/webgpu_device.h"
#include "wgml/backends/webgpu/wgsl/matmul_tiling.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"

namespace wgml::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<int64_t> sizes = {256, 512, 1024, 2048, 4096};
  DType dtype = DType::Float32;
  int repeat = 10;
  bool repeat_set = false;  // otherwise slow ops run fewer times per batch
  std::string device = "webgpu";
};

void usage(bool matmul) {
  if (matmul)
    std::printf(
        "usage: wgml bench matmul [--sizes 256,512,1024,2048,4096] [--dtype float32|float16]\n"
        "                         [--repeat N] [--device webgpu|cpu]\n"
        "  square products [n, n] @ [n, n]: median ms per product over batches of N calls\n"
        "  (default 10, fewer for slow calls), GFLOPS = 2 n^3 / t, and the relative Frobenius\n"
        "  error of up to 64 rows against the CPU backend.\n");
  else
    std::printf(
        "usage: wgml bench ops [--repeat N] [--device webgpu|cpu]\n"
        "  add, relu, sum (16M elements), softmax [4096, 1024], conv 3x3 64 channels 56x56\n"
        "  (float and int8 weights), matmul against float, int8 and 4-bit 4096^2 weights:\n"
        "  median ms per call, GB/s of the least traffic or GFLOPS, error against the CPU.\n");
}

// Parses the flags after the subcommand; `matmul` also takes --sizes and --dtype. Returns -1
// to go on, else the exit status (after --help or a bad flag).
int parse(const std::vector<std::string>& args, bool matmul, Options& o) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      usage(matmul);
      return 0;
    } else if (a == "--repeat" && has_value) {
      o.repeat = std::max(1, std::atoi(args[++i].c_str()));
      o.repeat_set = true;
    } else if (a == "--device" && has_value) {
      o.device = args[++i];
      if (o.device != "webgpu" && o.device != "cpu") {
        std::fprintf(stderr, "bench: unknown device '%s' (webgpu or cpu)\n", o.device.c_str());
        return 2;
      }
    } else if (matmul && a == "--sizes" && has_value) {
      o.sizes.clear();
      std::stringstream list(args[++i]);
      std::string item;
      while (std::getline(list, item, ',')) {
        const long long v = std::atoll(item.c_str());
        if (v < 1) {
          std::fprintf(stderr, "bench: bad size '%s'\n", item.c_str());
          return 2;
        }
        o.sizes.push_back(v);
      }
    } else if (matmul && a == "--dtype" && has_value) {
      const std::string d = args[++i];
      if (d == "float32") {
        o.dtype = DType::Float32;
      } else if (d == "float16") {
        o.dtype = DType::Float16;
      } else {
        std::fprintf(stderr, "bench: unsupported dtype '%s' (float32 or float16)\n", d.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "bench: unknown or incomplete argument '%s'\n", a.c_str());
      usage(matmul);
      return 2;
    }
  }
  return -1;
}

bool on_webgpu(const Options& o) {
  return o.device == "webgpu";
}

Device& device_of(const Options& o) {
  return on_webgpu(o) ? static_cast<Device&>(webgpu_device()) : cpu_device();
}

// Waits until the device has done everything recorded so far.
void sync(const Options& o) {
  if (on_webgpu(o)) webgpu_device().gpu().finish();
}

// Uniform values in [-1, 1) made on the CPU; `on` receives a copy of the same bytes.
// Floats uniform in [-1, 1]; integers over the byte's range (quantized weights).
Tensor random_cpu(const Shape& shape, DType dtype, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::uniform_int_distribution<int> byte(dtype == DType::Int8 ? -128 : 0,
                                          dtype == DType::Int8 ? 127 : 255);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values)
    v = is_floating(dtype) ? dist(rng) : static_cast<float>(byte(rng));
  return Tensor::from_vector(values, shape, dtype);
}

Tensor copy_to(const Tensor& cpu, Device& device) {
  if (&device == &cpu_device()) return cpu;
  return Tensor::from_bytes(cpu.to_bytes().data(), cpu.shape(), cpu.dtype(), device);
}

// ||got - ref|| / ||ref|| over all elements.
double relative_error(const Tensor& got, const Tensor& ref) {
  const std::vector<double> g = got.to_vector<double>(), r = ref.to_vector<double>();
  if (g.size() != r.size()) return INFINITY;
  double diff = 0, norm = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    diff += (g[i] - r[i]) * (g[i] - r[i]);
    norm += r[i] * r[i];
  }
  if (std::isnan(diff)) return NAN;
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

struct Timing {
  double ms = 0;  // median per call
  int repeat = 0, batches = 0;
};

// Times `run`: one warm-up call (compiles the pipeline), one more to size the batches, then
// batches of `repeat` calls between finishes; the median of the per-call batch times.
Timing measure(const Options& o, const std::function<Tensor()>& run) {
  run();
  sync(o);
  const auto w0 = Clock::now();
  run();
  sync(o);
  const double once = std::chrono::duration<double>(Clock::now() - w0).count();
  Timing t;
  t.repeat = o.repeat;
  if (!o.repeat_set && once * o.repeat > 1.0)
    t.repeat = std::max(1, static_cast<int>(1.0 / std::max(once, 1e-9)));
  t.batches = once * t.repeat > 2.0 ? 3 : 5;
  std::vector<double> per_call;
  for (int b = 0; b < t.batches; ++b) {
    const auto t0 = Clock::now();
    for (int r = 0; r < t.repeat; ++r)
      run();
    sync(o);
    per_call.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count() /
                       t.repeat);
  }
  std::sort(per_call.begin(), per_call.end());
  t.ms = per_call[per_call.size() / 2];
  return t;
}

void print_device(const Options& o) {
  if (on_webgpu(o))
    std::printf("device: webgpu, %s\n", webgpu_device().adapter().summary().c_str());
  else
    std::printf("device: cpu (results are the reference; no check)\n");
}

std::string runs(const Timing& t) {
  return std::to_string(t.repeat) + "x" + std::to_string(t.batches);
}

}  // namespace

int bench_matmul(const std::vector<std::string>& args) {
  Options o;
  if (const int status = parse(args, true, o); status >= 0) return status;
  try {
    Device& device = device_of(o);
    print_device(o);
    std::printf("matmul %s, square [n, n] @ [n, n]; median of batches of repeated calls\n",
                std::string(dtype_name(o.dtype)).c_str());
    std::printf("%-22s %-28s %10s %10s %10s %7s\n", "shape", "tiling", "ms", "GFLOPS", "rel.err",
                "runs");
    std::mt19937 rng(1234);
    for (const int64_t n : o.sizes) {
      const Tensor a_cpu = random_cpu({n, n}, o.dtype, rng);
      const Tensor b_cpu = random_cpu({n, n}, o.dtype, rng);
      const Tensor a = copy_to(a_cpu, device), b = copy_to(b_cpu, device);
      const Timing t = measure(o, [&] { return matmul(a, b); });
      // The check: up to 64 rows spread over the output (every tile row of a tiled kernel),
      // against the CPU product of the same rows of A.
      std::string error = "-";
      if (on_webgpu(o)) {
        const Tensor out = matmul(a, b);
        const int64_t step = std::max<int64_t>(1, n / 64), rows = (n + step - 1) / step;
        const Tensor ref = matmul(a_cpu.with_view({rows, n}, {step * n, 1}, 0), b_cpu);
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.2e",
                      relative_error(out.with_view({rows, n}, {step * n, 1}, 0), ref));
        error = buf;
      }
      const std::string tiling =
          on_webgpu(o) ? wgsl::choose_matmul_tiling(1, n, n, n, webgpu_device().adapter()).str()
                       : "cpu";
      const std::string shape = std::to_string(n) + "x" + std::to_string(n) + " @ " +
                                std::to_string(n) + "x" + std::to_string(n);
      const double gflops = 2.0 * static_cast<double>(n) * n * n / (t.ms * 1e-3) / 1e9;
      std::printf("%-22s %-28s %10.3f %10.1f %10s %7s\n", shape.c_str(), tiling.c_str(), t.ms,
                  gflops, error.c_str(), runs(t).c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench matmul: %s\n", e.what());
    return 1;
  }
  return 0;
}

int bench_ops(const std::vector<std::string>& args) {
  Options o;
  if (const int status = parse(args, false, o); status >= 0) return status;
  struct Case {
    std::string name;
    std::vector<Shape> shapes;  // random float32 inputs
    std::function<Tensor(const std::vector<Tensor>&)> op;
    double bytes = 0, flops = 0;     // the least traffic it must move, or its arithmetic
    std::string needs_kernel;        // a WGSL kernel op the case needs on webgpu
    std::vector<DType> dtypes = {};  // per input where not float32
  };
  const auto gemv = [](int64_t m, int64_t n, int64_t k) { return 2.0 * m * n * k; };
  const DType u8 = DType::UInt8, i8 = DType::Int8, f = DType::Float32;
  const int64_t big = int64_t{1} << 24;
  const double f32 = 4;
  const std::vector<Case> cases = {
      {"add [16M] + [16M]",
       {{big}, {big}},
       [](const auto& in) { return in[0] + in[1]; },
       3 * f32 * big,
       0,
       ""},
      {"relu [16M]", {{big}}, [](const auto& in) { return relu(in[0]); }, 2 * f32 * big, 0, ""},
      {"sum [16M] -> []", {{big}}, [](const auto& in) { return sum(in[0]); }, f32 * big, 0, ""},
      {"softmax [4096, 1024] axis -1",
       {{4096, 1024}},
       [](const auto& in) { return softmax(in[0], -1); },
       2 * f32 * 4096 * 1024,
       0,
       ""},
      {"conv 3x3 [8, 64, 56, 56] * [64, 64, 3, 3] pad 1",
       {{8, 64, 56, 56}, {64, 64, 3, 3}},
       [](const auto& in) {
         return op("conv", {in[0], in[1]}, {{"pads", Ints{1, 1, 1, 1}}});
       },
       0,
       2.0 * 8 * 64 * 56 * 56 * 64 * 9,
       "conv"},
      {"depthwise conv 3x3 [8, 64, 56, 56] * [64, 1, 3, 3]",
       {{8, 64, 56, 56}, {64, 1, 3, 3}},
       [](const auto& in) {
         return op("conv", {in[0], in[1]}, {{"pads", Ints{1, 1, 1, 1}}, {"group", int64_t{64}}});
       },
       0,
       2.0 * 8 * 64 * 56 * 56 * 9,
       "conv"},
      {"conv_dequant 3x3 [8, 64, 56, 56] * int8 [64, 64, 3, 3]",
       {{8, 64, 56, 56}, {64, 64, 3, 3}, {64}},
       [](const auto& in) {
         return op("conv_dequant", {in[0], in[1], in[2]}, {{"pads", Ints{1, 1, 1, 1}}});
       },
       0,
       2.0 * 8 * 64 * 56 * 56 * 64 * 9,
       "conv_dequant",
       {f, i8, f}},
      // Weight-only quantization as LLM decoders use it: one row against a 4096^2 weight
      // (64 MiB in float32, 16 MiB int8, 8 MiB 4-bit) and a prefill of 128 rows.
      {"matmul [1, 4096] @ [4096, 4096]",
       {{1, 4096}, {4096, 4096}},
       [](const auto& in) {
         return op("matmul", {in[0], in[1]});
       },
       0,
       gemv(1, 4096, 4096),
       "matmul"},
      {"matmul_dequant [1, 4096] @ int8 [4096, 4096] per column",
       {{1, 4096}, {4096, 4096}, {1, 4096}},
       [](const auto& in) {
         return op("matmul_dequant", {in[0], in[1], in[2]});
       },
       0,
       gemv(1, 4096, 4096),
       "matmul_dequant",
       {f, i8, f}},
      {"matmul_dequant [1, 4096] @ 4-bit [4096, 4096] block 32",
       {{1, 4096}, {4096, 2048}, {128, 4096}},
       [](const auto& in) {
         return op("matmul_dequant", {in[0], in[1], in[2]},
                   {{"bits", int64_t{4}}, {"block", int64_t{32}}});
       },
       0,
       gemv(1, 4096, 4096),
       "matmul_dequant",
       {f, u8, f}},
      {"matmul [128, 4096] @ [4096, 4096]",
       {{128, 4096}, {4096, 4096}},
       [](const auto& in) {
         return op("matmul", {in[0], in[1]});
       },
       0,
       gemv(128, 4096, 4096),
       "matmul"},
      {"matmul_dequant [128, 4096] @ 4-bit [4096, 4096] block 32",
       {{128, 4096}, {4096, 2048}, {128, 4096}},
       [](const auto& in) {
         return op("matmul_dequant", {in[0], in[1], in[2]},
                   {{"bits", int64_t{4}}, {"block", int64_t{32}}});
       },
       0,
       gemv(128, 4096, 4096),
       "matmul_dequant",
       {f, u8, f}},
  };
  try {
    Device& device = device_of(o);
    print_device(o);
    std::printf("%-58s %10s %12s %10s %7s\n", "op", "ms", "rate", "rel.err", "runs");
    std::mt19937 rng(4321);
    for (const Case& c : cases) {
      if (on_webgpu(o) && !c.needs_kernel.empty() && !wgsl::find_kernel(c.needs_kernel)) {
        std::printf("%-58s skipped: no WGSL '%s' kernel yet\n", c.name.c_str(),
                    c.needs_kernel.c_str());
        continue;
      }
      try {
        std::vector<Tensor> cpu_in, in;
        for (size_t i = 0; i < c.shapes.size(); ++i) {
          const Shape& s = c.shapes[i];
          cpu_in.push_back(random_cpu(s, i < c.dtypes.size() ? c.dtypes[i] : DType::Float32, rng));
          in.push_back(copy_to(cpu_in.back(), device));
        }
        const Timing t = measure(o, [&] { return c.op(in); });
        std::string error = "-";
        if (on_webgpu(o)) {
          char buf[32];
          std::snprintf(buf, sizeof(buf), "%.2e", relative_error(c.op(in), c.op(cpu_in)));
          error = buf;
        }
        char rate[32];
        if (c.flops > 0)
          std::snprintf(rate, sizeof(rate), "%.1f GFLOPS", c.flops / (t.ms * 1e-3) / 1e9);
        else
          std::snprintf(rate, sizeof(rate), "%.1f GB/s", c.bytes / (t.ms * 1e-3) / 1e9);
        std::printf("%-58s %10.3f %12s %10s %7s\n", c.name.c_str(), t.ms, rate, error.c_str(),
                    runs(t).c_str());
      } catch (const std::exception& e) {
        std::printf("%-58s skipped: %s\n", c.name.c_str(), e.what());
      }
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench ops: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace wgml::cli
