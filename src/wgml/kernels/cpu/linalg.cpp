// CPU kernels of the linalg family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuLinalgKernels = {};

}  // namespace wgml
