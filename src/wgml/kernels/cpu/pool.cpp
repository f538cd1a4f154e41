// CPU kernels of the pool family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuPoolKernels = {};

}  // namespace wgml
