#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

namespace wgml::wgsl {

// Each backends/webgpu/wgsl/<family>.cpp defines one list; this is the only place that names them.
extern const std::vector<Kernel> kCopyKernels;
extern const std::vector<Kernel> kMovementKernels;
extern const std::vector<Kernel> kIndexKernels;
extern const std::vector<Kernel> kLinalgKernels;
extern const std::vector<Kernel> kConvKernels;
extern const std::vector<Kernel> kPoolKernels;
extern const std::vector<Kernel> kScanKernels;
extern const std::vector<Kernel> kResizeKernels;
extern const std::vector<Kernel> kNormKernels;
extern const std::vector<Kernel> kSampleKernels;
extern const std::vector<Kernel> kDetectionKernels;
extern const std::vector<Kernel> kAttentionKernels;

const Kernel* find_kernel(const std::string& op) {
  static const std::map<std::string, const Kernel*> kernels = [] {
    std::map<std::string, const Kernel*> m;
    for (const auto* list :
         {&kCopyKernels, &kMovementKernels, &kIndexKernels, &kLinalgKernels, &kConvKernels,
          &kPoolKernels, &kScanKernels, &kResizeKernels, &kNormKernels, &kSampleKernels,
          &kDetectionKernels, &kAttentionKernels}) {
      for (const Kernel& k : *list)
        m[k.op] = &k;
    }
    return m;
  }();
  auto it = kernels.find(op);
  return it == kernels.end() ? nullptr : it->second;
}

int64_t k_slices(int64_t tiles, int64_t steps, int64_t target) {
  const auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  if (tiles >= target) return 1;
  const int64_t slices = std::min(ceil_div(target, tiles), steps / 8);
  return slices <= 1 ? 1 : ceil_div(steps, ceil_div(steps, slices));  // no empty slice
}

int64_t pow2_ceil(int64_t v) {
  int64_t p = 1;
  while (p < v)
    p *= 2;
  return p;
}

int64_t tuned_workgroups(const char* knob, int64_t fallback) {
  static std::mutex mutex;
  static std::map<std::string, int64_t> read;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = read.find(knob);
  if (it == read.end()) {
    const char* v = std::getenv(knob);
    it = read.emplace(knob, v ? std::atoll(v) : 0).first;
  }
  return it->second > 0 ? it->second : fallback;
}

}  // namespace wgml::wgsl
