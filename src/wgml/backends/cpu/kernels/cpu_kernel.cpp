#include "wgml/backends/cpu/kernels/cpu_kernel.h"

#include <map>

namespace wgml {

// Each backends/cpu/kernels/<family>.cpp defines one list; this is the only place that names them.
extern const std::vector<CpuKernel> kCpuCopyKernels;
extern const std::vector<CpuKernel> kCpuMovementKernels;
extern const std::vector<CpuKernel> kCpuIndexKernels;
extern const std::vector<CpuKernel> kCpuLinalgKernels;
extern const std::vector<CpuKernel> kCpuConvKernels;
extern const std::vector<CpuKernel> kCpuPoolKernels;
extern const std::vector<CpuKernel> kCpuScanKernels;
extern const std::vector<CpuKernel> kCpuResizeKernels;
extern const std::vector<CpuKernel> kCpuSampleKernels;
extern const std::vector<CpuKernel> kCpuDetectionKernels;
extern const std::vector<CpuKernel> kCpuAttentionKernels;

CpuKernelFn find_cpu_kernel(const std::string& op) {
  static const std::map<std::string, CpuKernelFn> kernels = [] {
    std::map<std::string, CpuKernelFn> m;
    for (const auto* list :
         {&kCpuCopyKernels, &kCpuMovementKernels, &kCpuIndexKernels, &kCpuLinalgKernels,
          &kCpuConvKernels, &kCpuPoolKernels, &kCpuScanKernels, &kCpuResizeKernels,
          &kCpuSampleKernels, &kCpuDetectionKernels, &kCpuAttentionKernels}) {
      for (const CpuKernel& k : *list)
        m[k.op] = k.fn;
    }
    return m;
  }();
  auto it = kernels.find(op);
  return it == kernels.end() ? nullptr : it->second;
}

}  // namespace wgml
