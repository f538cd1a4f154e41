// CPU kernels of the conv family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuConvKernels = {};

}  // namespace wgml
