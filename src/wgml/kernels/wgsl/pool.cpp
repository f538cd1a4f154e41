// TODO(wgsl-pool): kernels of the pool family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kPoolKernels = {};

}  // namespace wgml::wgsl
