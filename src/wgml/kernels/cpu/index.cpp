// CPU kernels of the index family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuIndexKernels = {};

}  // namespace wgml
