// CPU kernels of the resize family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuResizeKernels = {};

}  // namespace wgml
