// CPU kernels of the movement family.
#include "wgml/kernels/cpu/cpu_kernel.h"

namespace wgml {

extern const std::vector<CpuKernel> kCpuMovementKernels = {};

}  // namespace wgml
