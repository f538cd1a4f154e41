// TODO(wgsl-linalg): kernels of the linalg family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kLinalgKernels = {};

}  // namespace wgml::wgsl
