// TODO(wgsl-movement): kernels of the movement family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kMovementKernels = {};

}  // namespace wgml::wgsl
