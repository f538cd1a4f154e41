// CPU kernels of the scan family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuScanKernels = {};

}  // namespace wgml
